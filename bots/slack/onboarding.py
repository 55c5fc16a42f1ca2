"""Slack's side of onboarding: ``team_join`` starts a newcomer's journey and sends the welcome;
``user_change`` with ``deleted: true`` (a deactivated member) stops it.

Slack retries events (``X-Slack-Retry-Num``) and Bolt does not de-duplicate them; the journey
is unique per member, so a retried ``team_join`` starts nothing and sends nothing twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bots.onboarding import OnboardingRunner, one
from core import onboarding
from core.app import Hromada
from core.replies import Notice, Reply


class ClientDelivery:
    """The ``Delivery`` of one event's workspace: its client (multi-workspace installs too)."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient, hromada: Hromada) -> None:
        self.client = client
        self.hromada = hromada

    async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> str:
        from bots.slack.app import post_reply

        return await post_reply(self.client, self.hromada, tenant_id, channel_id, reply)

    async def post_picture(self, tenant_id: str, channel_id: str, message_id: str,
                           reply: Reply) -> None:
        from bots.slack.app import upload_image

        if reply.image is not None:
            await upload_image(self.client, channel_id, reply, thread_ts=message_id)

    async def notify(self, tenant_id: str, notices: list[Notice]) -> list[str]:
        from bots.slack.app import notify

        return await notify(self.client, notices)


def _tenant(body: dict[str, Any], context: AsyncBoltContext) -> str | None:
    team = context.team_id or body.get("team_id")
    return f"slack:{team}" if team else None


def _name(user: dict[str, Any]) -> str:
    profile = user.get("profile") or {}
    return str(profile.get("display_name") or profile.get("real_name") or user.get("real_name")
               or user.get("name") or user.get("id") or "")


def register_onboarding(app: AsyncApp, hromada: Hromada) -> None:
    async def on_team_join(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                           context: AsyncBoltContext) -> None:
        user = event.get("user") or {}
        tenant = _tenant(body, context)
        if (tenant is None or not isinstance(user, dict) or not user.get("id")
                or user.get("is_bot") or user.get("deleted")):
            return
        runner = OnboardingRunner(hromada, one(ClientDelivery(client, hromada)))
        await runner.welcome(tenant, str(user["id"]), _name(user), tz=str(user.get("tz") or ""))

    async def on_user_change(body: dict[str, Any], event: dict[str, Any],
                             context: AsyncBoltContext) -> None:
        user = event.get("user") or {}
        tenant = _tenant(body, context)
        if tenant is not None and isinstance(user, dict) and user.get("deleted") and user.get("id"):
            await asyncio.to_thread(onboarding.leave, hromada.db, tenant, str(user["id"]),
                                    now=hromada.clock.now())

    app.event("team_join")(on_team_join)
    app.event("user_change")(on_user_change)
