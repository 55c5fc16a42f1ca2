"""Votes: one per member per item, the latest wins; re-delivered events change nothing."""

from __future__ import annotations

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
    if item.kind not in VOTABLE or item.status in NOT_VOTABLE_STATUSES:
        return False
    if event_key and not repos.claim_event(ctx.session, ctx.tenant_id, event_key):
        return False
    member_id = ctx.member.id or 0
    if added:
        repos.upsert_vote(ctx.session, ctx.tenant_id, item.id or 0, member_id, value, ctx.now)
        return True
    return repos.delete_vote(ctx.session, ctx.tenant_id, item.id or 0, member_id, value) > 0
