"""Votes: one per member per item, the latest wins; re-delivered events change nothing."""

from __future__ import annotations

from datetime import datetime

from core.context import Ctx
from storage import repos
from storage.models import Item

VOTABLE = ("idea", "risk", "question")
NOT_VOTABLE_STATUSES = ("merged", "withdrawn")

_EMOJI = {
    "+1": "up", "thumbsup": "up", "👍": "up",
    "-1": "down", "thumbsdown": "down", "👎": "down",
    "books": "save", "📚": "save",
    "warning": "risk", "⚠": "risk",
}
SKIN_TONES = {chr(c) for c in range(0x1F3FB, 0x1F400)}


def emoji_meaning(name: str) -> str | None:
    """'up', 'down', 'save', 'risk' or None, for Slack names and Unicode alike (skin tones too)."""
    base = name.strip().strip(":").split("::")[0]
    base = "".join(ch for ch in base if ch != "\ufe0f" and ch not in SKIN_TONES)
    return _EMOJI.get(base)


def apply(ctx: Ctx, item: Item, value: int, *, added: bool, event_key: str | None) -> bool:
    """Apply one reaction as a vote; False when it changed nothing (repeat, wrong item)."""
    return apply_to(ctx.session, ctx.tenant_id, item_id=item.id or 0, kind=item.kind,
                    status=item.status, member_id=ctx.member.id or 0, value=value, added=added,
                    event_key=event_key, when=ctx.now)


def apply_to(session: repos.Runner, tenant_id: str, *, item_id: int, kind: str, status: str,
             member_id: int, value: int, added: bool, event_key: str | None,
             when: datetime) -> bool:
    """``apply`` on plain values: the reaction hot path runs it without loading ORM rows."""
    if kind not in VOTABLE or status in NOT_VOTABLE_STATUSES:
        return False
    if event_key and not repos.claim_event(session, tenant_id, event_key, when):
        return False
    if added:
        repos.upsert_vote(session, tenant_id, item_id, member_id, value, when)
        return True
    return repos.delete_vote(session, tenant_id, item_id, member_id, value) > 0
