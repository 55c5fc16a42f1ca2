"""How scheduled work (digests, coffee introductions) and notices reach a platform.

Each adapter provides one ``Delivery``; the scheduler picks it by the tenant's platform prefix
(``slack:``, ``discord:``, ``console:``).
"""

from __future__ import annotations

from typing import Protocol

from core.replies import Notice, Reply


class Delivery(Protocol):
    platform: str  # "slack", "discord" or "console": the tenant id prefix it serves

    async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> str:
        """Post a reply publicly in a channel (with ``reply.image`` attached when set);
        returns the posted message's id (Slack ts, Discord message id)."""

    async def post_picture(self, tenant_id: str, channel_id: str, message_id: str,
                           reply: Reply) -> None:
        """Post ``reply.image`` as a follow-up of an already posted message (a reply to it):
        failing here never touches the message itself."""

    async def notify(self, tenant_id: str, notices: list[Notice]) -> list[str]:
        """One direct message per recipient per notice; for a ``group`` notice, one message
        to all its recipients together where the platform has group DMs (Slack). Returns the
        recipients a message could not reach (logged), so a caller may retry just them."""


class Deliveries:
    def __init__(self) -> None:
        self._by_platform: dict[str, Delivery] = {}

    def add(self, delivery: Delivery) -> None:
        self._by_platform[delivery.platform] = delivery

    def for_tenant(self, tenant_id: str) -> Delivery | None:
        return self._by_platform.get(tenant_id.split(":", 1)[0])

    def platforms(self) -> list[str]:
        return list(self._by_platform)
