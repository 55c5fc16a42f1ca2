"""SQLModel tables. Every tenant-owned row carries ``tenant_id``.

Unique constraints carry the rules that must never break: one vote per member per item,
one number per tenant and kind, one processed event per key.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kw: object) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), **kw)  # type: ignore[arg-type]


class Tenant(SQLModel, table=True):
    # The scheduler's minute tick reads only tenants whose digest is due, through this index.
    __table_args__ = (Index("ix_tenant_digest_due", "digest_due_at"),)
    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(default="", max_length=200)
    language: str = Field(default="en", max_length=8)
    anonymity_k: int = 5
    company_values: str = Field(default="teamwork,ownership,curiosity,craft,care")
    moderators: str = Field(default="")
    moderator_roles: str = Field(default="")
    digest_channel: str | None = Field(default=None, max_length=100)
    digest_weekday: int = 0
    digest_time: str = Field(default="09:00", max_length=5)
    digest_tz: str = Field(default="UTC", max_length=64)
    digest_enabled: bool = True
    # The end of the earliest weekly period not yet gone out (``core.schedule.due``); NULL
    # until the scheduler first works it out. Kept when the schedule changes and after a run.
    digest_due_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    # Set when the platform says Hromada was removed; the data goes after retention_days.
    uninstalled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    retention_days: int = 30
    # Days a knowledge snippet stays true before its owner is asked to look at it again.
    verify_days: int = 90


class Member(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", name="uq_member_user"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    user_id: str = Field(max_length=100)
    display_name: str = Field(default="", max_length=200)
    department: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200)
    skills: str = Field(default="")
    interests: str = Field(default="")
    former: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class Counter(SQLModel, table=True):
    """The last number handed out per tenant and kind: refs are never reused."""

    tenant_id: str = Field(primary_key=True, max_length=100)
    kind: str = Field(primary_key=True, max_length=16)
    last: int = 0


class Item(SQLModel, table=True):
    """One table for every kind of item (idea, risk, snippet, question, pulse)."""

    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "number", name="uq_item_ref"),
        Index("ix_item_tenant_kind_created", "tenant_id", "kind", "created_at"),
        Index("ix_item_tenant_source_message", "tenant_id", "source_message"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    kind: str = Field(max_length=16)
    number: int
    title: str
    body: str = ""
    search_text: str = ""
    search_body: str = ""  # the body's distinct dictionary forms: found, ranked below titles
    author_id: int | None = Field(default=None, foreign_key="member.id")
    anonymous: bool = False
    anon_hash: str | None = Field(default=None, max_length=128)
    status: str = Field(default="new", max_length=32)
    merged_into_id: int | None = Field(default=None, foreign_key="item.id")
    likelihood: int | None = None
    impact: int | None = None
    owner_id: int | None = Field(default=None, foreign_key="member.id")
    source_link: str | None = None
    source_author: str | None = Field(default=None, max_length=200)
    # The platform message a snippet was saved from ("<channel>:<message id>"), so its edits
    # and its deletion reach the snippet; nothing else of the message is kept.
    source_message: str | None = Field(default=None, max_length=200)
    source_deleted_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # When a snippet was last confirmed true (empty: when it was saved).
    verified_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    answer: str | None = None
    position: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class StatusChange(SQLModel, table=True):
    __tablename__ = "status_change"
    __table_args__ = (Index("ix_status_change_tenant_created", "tenant_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    item_id: int = Field(foreign_key="item.id", index=True)
    old_status: str = Field(max_length=32)
    new_status: str = Field(max_length=32)
    note: str = ""
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class Vote(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("item_id", "member_id", name="uq_vote_member"),
        Index("ix_vote_tenant_created", "tenant_id", "created_at", "item_id", "value"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    item_id: int = Field(foreign_key="item.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    value: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class VoteReaction(SQLModel, table=True):
    """The vote reactions a member holds on an item's messages, one row per reaction as the
    platform counts it (👍 and 👍🏽, a super-reaction, the same emoji on two messages are
    apart), so a vote lasts while any of them is held and the latest one held decides it."""

    __tablename__ = "vote_reaction"
    __table_args__ = (
        UniqueConstraint("item_id", "member_id", "channel_id", "message_id", "reaction",
                         name="uq_vote_reaction"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    item_id: int = Field(foreign_key="item.id")
    member_id: int = Field(foreign_key="member.id")
    channel_id: str = Field(max_length=100)
    message_id: str = Field(max_length=100)
    reaction: str = Field(max_length=100)
    value: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class ProcessedEvent(SQLModel, table=True):
    """Idempotency keys: a platform event id seen once is never applied again."""

    __tablename__ = "processed_event"
    tenant_id: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class ItemMessage(SQLModel, table=True):
    """A platform message that stands for an item, so reactions on it reach the item."""

    __tablename__ = "item_message"
    tenant_id: str = Field(primary_key=True, max_length=100)
    channel_id: str = Field(primary_key=True, max_length=100)
    message_id: str = Field(primary_key=True, max_length=100)
    item_id: int = Field(foreign_key="item.id", index=True)


class Tag(SQLModel, table=True):
    tenant_id: str = Field(max_length=100, index=True)
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    tag: str = Field(primary_key=True, max_length=100)


class Alias(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_alias_name"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=100)
    item_id: int = Field(foreign_key="item.id", index=True)
    name: str = Field(max_length=200)


class Draft(SQLModel, table=True):
    """A submission held back by the duplicate prompt until "submit anyway".

    A draft of an anonymous submission names nobody: ``member_id`` is empty and ``anon_hash``
    (keyed by the deployment's secret and the draft's id) lets its writer, and only them,
    answer the prompt."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=100)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    anon_hash: str | None = Field(default=None, max_length=128)
    kind: str = Field(max_length=16)
    payload: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class SealedRef(SQLModel, table=True):
    """An anonymous author's opt-in to hear back: their user id, encrypted with a key derived
    from the deployment's secret. Only the notifier opens it; nothing shows, exports or logs it.
    """

    __tablename__ = "sealed_ref"
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100, index=True)
    token: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class ReplyThread(SQLModel, table=True):
    """The moderator who last wrote to an item's author, so the author's answer reaches them."""

    __tablename__ = "reply_thread"
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100, index=True)
    moderator_id: int | None = Field(default=None, foreign_key="member.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class SnippetRevision(SQLModel, table=True):
    """A snippet's earlier text, kept when the message it was saved from was edited."""

    __tablename__ = "snippet_revision"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    item_id: int = Field(foreign_key="item.id", index=True)
    title: str = ""
    body: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


# -- answers where questions are asked (core.watch) and knowledge gaps (core.gaps) ----------


class WatchedChannel(SQLModel, table=True):
    """A channel where Hromada offers snippets to questions; nothing of its messages is kept."""

    __tablename__ = "watched_channel"
    tenant_id: str = Field(foreign_key="tenant.id", primary_key=True, max_length=100)
    channel_id: str = Field(primary_key=True, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class SnippetFeedback(SQLModel, table=True):
    """How often a snippet answered a question it was offered for ("This answered it")."""

    __tablename__ = "snippet_feedback"
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100, index=True)
    helpful: int = 0


class KnowledgeGap(SQLModel, table=True):
    """A question nobody's knowledge answered, counted per tenant and week.

    ``key`` is its words in dictionary form, sorted (so word order and forms fold together);
    ``words`` the words as first asked, lower case, question words left out. No author, no
    member, no channel: who asked is counted only through ``KnowledgeGapAsker``."""

    __tablename__ = "knowledge_gap"
    __table_args__ = (UniqueConstraint("tenant_id", "week", "key", name="uq_knowledge_gap"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    week: str = Field(max_length=10)  # the ISO date of the week's Monday (UTC)
    key: str = Field(max_length=200)
    words: str = Field(max_length=200)
    asks: int = 0
    askers: int = 0


class KnowledgeGapAsker(SQLModel, table=True):
    """One distinct asker of a gap as a keyed hash (bound to the gap and its week): counts
    people without naming them, and links nobody across gaps or weeks."""

    __tablename__ = "knowledge_gap_asker"
    gap_id: int = Field(foreign_key="knowledge_gap.id", primary_key=True)
    asker: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100, index=True)
