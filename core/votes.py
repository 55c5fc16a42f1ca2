"""Votes: one per member per item, the latest wins; re-delivered events change nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from core import signals
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


_SLACK_TONE = re.compile(r"::skin-tone-([2-6])")


def reaction_key(name: str, *, burst: bool = False) -> str | None:
    """Which reaction this is, as the platform tells them apart: 👍, 👍🏽 (Slack's
    ``+1::skin-tone-4``) and a super-reaction 👍 are three reactions; ``+1``, ``thumbsup``
    and 👍 are one. None when the emoji is not a vote. Keys read ``up``, ``up:tone-4``,
    ``up:burst``."""
    meaning = emoji_meaning(name)
    if meaning not in ("up", "down"):
        return None
    tone = _SLACK_TONE.search(name)
    level = int(tone.group(1)) if tone else next(
        (ord(ch) - 0x1F3FB + 2 for ch in name if ch in SKIN_TONES), None)
    key = meaning if level is None else f"{meaning}:tone-{level}"
    return f"{key}:burst" if burst else key


def family_keys(name: str) -> list[str]:
    """The reactions Discord clears with "remove this emoji": the emoji, normal and super."""
    key = reaction_key(name)
    return [] if key is None else [key, f"{key}:burst"]


@dataclass(frozen=True)
class Held:
    """A vote reaction on a given message: what ``apply_to`` needs to tell reactions apart."""

    channel_id: str
    message_id: str
    reaction: str


def apply(ctx: Ctx, item: Item, value: int, *, added: bool, event_key: str | None) -> bool:
    """Apply one vote that no reaction carries (a button); False when it changed nothing."""
    return apply_to(ctx.session, ctx.tenant_id, item_id=item.id or 0, kind=item.kind,
                    status=item.status, member_id=ctx.member.id or 0, value=value, added=added,
                    event_key=event_key, when=ctx.now)


def apply_to(session: repos.Runner, tenant_id: str, *, item_id: int, kind: str, status: str,
             member_id: int, value: int, added: bool, event_key: str | None,
             when: datetime, held: Held | None = None) -> bool:
    """``apply`` on plain values: the reaction hot path runs it without loading ORM rows.

    With ``held`` (a reaction), the vote lasts while the member holds any vote reaction on
    the item, and the one added last decides it: removing 👍🏽 while 👍 stays keeps the vote,
    removing 👎 while 👍 stays turns it back up. Adding a reaction already held is a repeat."""
    if kind not in VOTABLE or status in NOT_VOTABLE_STATUSES:
        return False
    if event_key and not repos.claim_event(session, tenant_id, event_key, when):
        signals.duplicate_event.send(tenant_id)
        return False
    if held is not None:
        return _apply_held(session, tenant_id, item_id=item_id, member_id=member_id,
                           value=value, added=added, when=when, held=held)
    if added:
        repos.upsert_vote(session, tenant_id, item_id, member_id, value, when)
        return True
    return repos.delete_vote(session, tenant_id, item_id, member_id, value) > 0


def _apply_held(session: repos.Runner, tenant_id: str, *, item_id: int, member_id: int,
                value: int, added: bool, when: datetime, held: Held) -> bool:
    where = {"item_id": item_id, "member_id": member_id, "channel_id": held.channel_id,
             "message_id": held.message_id, "reaction": held.reaction}
    if added:
        if not repos.hold_reaction(session, tenant_id, value=value, when=when, **where):
            return False  # already held: the platform said it twice
        repos.upsert_vote(session, tenant_id, item_id, member_id, value, when)
        return True
    repos.drop_reaction(session, tenant_id, **where)
    return settle(session, tenant_id, item_id=item_id, member_id=member_id, gone=value)


def settle(session: repos.Runner, tenant_id: str, *, item_id: int, member_id: int,
           gone: int | None) -> bool:
    """After reactions went away: the vote follows the latest reaction still held, or goes
    (only a vote of value ``gone``, when given: a vote no reaction carries stays otherwise)."""
    latest = repos.latest_held(session, tenant_id, item_id, member_id)
    if latest is not None:
        return repos.set_vote_value(session, tenant_id, item_id, member_id, latest)
    return repos.delete_vote(session, tenant_id, item_id, member_id, gone) > 0
