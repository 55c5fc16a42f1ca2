"""Slack's install lifecycle: ``tokens_revoked`` and ``app_uninstalled``, in either order.

Revoked tokens and installations leave our store at once (Bolt's revocation listeners over our
installation store); the workspace stops being scheduled and its data waits out its retention
period (``core.lifecycle``). Slack retries events and sends both of these on an uninstall, so
every step is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners

from bots.slack.installations import DbInstallationStore
from core import lifecycle
from core.app import Hromada

log = logging.getLogger(__name__)


def tenant_of(body: dict[str, Any], context: AsyncBoltContext) -> str | None:
    team = context.team_id or body.get("team_id")
    return f"slack:{team}" if team else None


def register_lifecycle(app: AsyncApp, hromada: Hromada,
                       installations: DbInstallationStore | None) -> None:
    revocations = (AsyncTokenRevocationListeners(installations)
                   if installations is not None else None)

    async def gone(tenant_id: str | None) -> None:
        if tenant_id is not None:
            await asyncio.to_thread(lifecycle.uninstalled, hromada.db, tenant_id,
                                    hromada.clock.now())

    async def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any],
                                context: AsyncBoltContext) -> None:
        if revocations is not None:
            await revocations.handle_tokens_revoked_events(event, context)
        if event.get("tokens", {}).get("bot"):
            # Without its bot token Hromada can do nothing more in this workspace.
            await gone(tenant_of(body, context))

    async def on_app_uninstalled(body: dict[str, Any], context: AsyncBoltContext) -> None:
        if revocations is not None:
            await revocations.handle_app_uninstalled_events(context)
        await gone(tenant_of(body, context))

    app.event("tokens_revoked")(on_tokens_revoked)
    app.event("app_uninstalled")(on_app_uninstalled)


def reinstalled(hromada: Hromada, team_id: str | None) -> None:
    """An install (OAuth, or a start with this workspace's token) brings its tenant back."""
    if team_id:
        lifecycle.installed(hromada.db, f"slack:{team_id}")
