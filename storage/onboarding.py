"""Onboarding journeys: the steps a tenant's moderators define, and one journey per newcomer.

A journey is one row per (tenant, member), unique: a join event delivered twice (Slack's
retries, a Discord resume) starts nothing twice. Each step a journey owes is a ``job_claim``
(``storage.digests``) keyed by the journey and the step, so several processes send it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from storage.models import _ts, utcnow


class OnboardingStep(SQLModel, table=True):
    """A step moderators added: sent on ``day`` (1 = the day of joining)."""

    __tablename__ = "onboarding_step"
    __table_args__ = (Index("ix_onboarding_step_tenant_day", "tenant_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    day: int
    text: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class OnboardingJourney(SQLModel, table=True):
    """One newcomer's journey. ``tz`` is the member's zone when the platform told it (Slack),
    else empty (the tenant's digest zone). ``left_at``: the member left; nothing more goes.
    ``buddy_id``: the coffee buddy chosen on day 3, kept so the choice never changes."""

    __tablename__ = "onboarding_journey"
    __table_args__ = (
        UniqueConstraint("tenant_id", "member_id", name="uq_onboarding_journey_member"),
        Index("ix_onboarding_journey_started", "started_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    member_id: int = Field(foreign_key="member.id")
    tz: str = Field(default="", max_length=64)
    started_at: datetime = Field(sa_column=_ts(nullable=False))
    left_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    buddy_id: int | None = Field(default=None, foreign_key="member.id")
    # The key of the last step delivered ("welcome", "d3", "s12"): what /onboarding status counts.
    last_step: str = Field(default="", max_length=40)


def _insert(session: Session) -> postgresql.Insert | sqlite.Insert:
    table = OnboardingJourney.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def start(session: Session, *, tenant_id: str, member_id: int, tz: str,
          now: datetime) -> int | None:
    """Start a member's journey: its id, or None when one exists already (a repeated join)."""
    stmt = _insert(session).values(
        tenant_id=tenant_id, member_id=member_id, tz=tz[:64], started_at=now, last_step="",
    ).on_conflict_do_nothing().returning(OnboardingJourney.id)  # type: ignore[arg-type]
    found = session.execute(stmt).scalar_one_or_none()
    return int(found) if found is not None else None


def journey_of(session: Session, tenant_id: str, member_id: int) -> OnboardingJourney | None:
    return session.execute(select(OnboardingJourney).where(
        OnboardingJourney.tenant_id == tenant_id,  # type: ignore[arg-type]
        OnboardingJourney.member_id == member_id)).scalars().first()


def journey(session: Session, tenant_id: str, journey_id: int) -> OnboardingJourney | None:
    return session.execute(select(OnboardingJourney).where(
        OnboardingJourney.tenant_id == tenant_id,  # type: ignore[arg-type]
        OnboardingJourney.id == journey_id)).scalars().first()


def left(session: Session, tenant_id: str, member_id: int, now: datetime) -> bool:
    """The member left: their journey stops. True when this call stopped it."""
    rows = session.execute(
        update(OnboardingJourney)
        .where(OnboardingJourney.tenant_id == tenant_id,  # type: ignore[arg-type]
               OnboardingJourney.member_id == member_id,  # type: ignore[arg-type]
               OnboardingJourney.left_at.is_(None))  # type: ignore[union-attr]
        .values(left_at=now).returning(OnboardingJourney.id)  # type: ignore[arg-type]
    ).all()
    return bool(rows)


def active(session: Session, *, since: datetime,
           tenant_ids: list[str] | None = None) -> list[OnboardingJourney]:
    """Journeys started after ``since`` whose member has not left, oldest first."""
    stmt = select(OnboardingJourney).where(
        OnboardingJourney.started_at >= since,  # type: ignore[arg-type]
        OnboardingJourney.left_at.is_(None))  # type: ignore[union-attr]
    if tenant_ids is not None:
        stmt = stmt.where(OnboardingJourney.tenant_id.in_(tenant_ids))  # type: ignore[attr-defined]
    return list(session.execute(stmt.order_by(OnboardingJourney.id)).scalars())  # type: ignore[arg-type]


def delivered(session: Session, tenant_id: str, journey_id: int, step_key: str) -> None:
    session.execute(
        update(OnboardingJourney)
        .where(OnboardingJourney.tenant_id == tenant_id,  # type: ignore[arg-type]
               OnboardingJourney.id == journey_id)  # type: ignore[arg-type]
        .values(last_step=step_key[:40]))


def set_buddy(session: Session, tenant_id: str, journey_id: int, buddy_id: int) -> int:
    """Record the buddy unless one was recorded first; the buddy that stands."""
    session.execute(
        update(OnboardingJourney)
        .where(OnboardingJourney.tenant_id == tenant_id,  # type: ignore[arg-type]
               OnboardingJourney.id == journey_id,  # type: ignore[arg-type]
               OnboardingJourney.buddy_id.is_(None))  # type: ignore[union-attr]
        .values(buddy_id=buddy_id))
    found = session.execute(select(OnboardingJourney.buddy_id).where(
        OnboardingJourney.id == journey_id)).scalar_one()  # type: ignore[arg-type]
    return int(found)


def buddy_counts(session: Session, tenant_id: str) -> dict[int, int]:
    """How many newcomers each member was the coffee buddy of."""
    rows = session.execute(
        select(OnboardingJourney.buddy_id, func.count())
        .where(OnboardingJourney.tenant_id == tenant_id,  # type: ignore[arg-type]
               OnboardingJourney.buddy_id.is_not(None))  # type: ignore[union-attr]
        .group_by(OnboardingJourney.buddy_id)).all()
    return {int(b): int(n) for b, n in rows}


def steps(session: Session, tenant_id: str) -> list[OnboardingStep]:
    """The tenant's own steps in the order they go: by day, then as added."""
    return list(session.execute(select(OnboardingStep).where(
        OnboardingStep.tenant_id == tenant_id)  # type: ignore[arg-type]
        .order_by(OnboardingStep.day, OnboardingStep.id)).scalars())  # type: ignore[arg-type]


def remove_step(session: Session, tenant_id: str, step_id: int) -> None:
    session.execute(delete(OnboardingStep).where(
        OnboardingStep.tenant_id == tenant_id,  # type: ignore[arg-type]
        OnboardingStep.id == step_id))  # type: ignore[arg-type]


def forget(session: Session, tenant_id: str, member_id: int) -> int:
    """Erase a member's journey (forget-me); a journey where they were the buddy loses them."""
    session.execute(
        update(OnboardingJourney)
        .where(OnboardingJourney.tenant_id == tenant_id,  # type: ignore[arg-type]
               OnboardingJourney.buddy_id == member_id)  # type: ignore[arg-type]
        .values(buddy_id=None))
    rows = session.execute(delete(OnboardingJourney).where(
        OnboardingJourney.tenant_id == tenant_id,  # type: ignore[arg-type]
        OnboardingJourney.member_id == member_id)  # type: ignore[arg-type]
        .returning(OnboardingJourney.id)).all()  # type: ignore[arg-type]
    return len(rows)
