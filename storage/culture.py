"""Tables for culture, brand and network: pulse answers, kudos, coffee pairing.

Pulse answers carry no member id: only a keyed hash (one answer each, changeable) that nobody
without the server's secret can turn back into a person, the value, and the answerer's
department at answer time; when the pulse closes, the hash gives way to a random key.
Nothing in an answer row orders it against the others: no sequential id, no time, and on
SQLite no rowid (the table is WITHOUT ROWID), so the store cannot say who answered first or
just now. Coffee rounds are unique per tenant and round key, so a round runs exactly once
however many processes try.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from storage.models import Tenant, _ts, utcnow


class PulseAnswer(SQLModel, table=True):
    """One member's answer to one pulse, keyed by (pulse, keyed hash): no id, no time."""

    __tablename__ = "pulse_answer"
    __table_args__ = (
        Index("ix_pulse_answer_item_value", "tenant_id", "item_id", "value"),
        {"sqlite_with_rowid": False},
    )
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    # HMAC(secret, tenant|pulse|item|user): not a link to anyone without the secret.
    answer_key: str = Field(primary_key=True, max_length=128)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    value: int
    department: str | None = Field(default=None, max_length=200)


class Kudos(SQLModel, table=True):
    __table_args__ = (Index("ix_kudos_tenant_created", "tenant_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    giver_id: int = Field(foreign_key="member.id", index=True)
    receiver_id: int = Field(foreign_key="member.id", index=True)
    value: str = Field(max_length=40)
    message: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class CoffeeMember(SQLModel, table=True):
    """Who takes part in coffee pairing; leaving keeps the row so history stays whole."""

    __tablename__ = "coffee_member"
    tenant_id: str = Field(foreign_key="tenant.id", primary_key=True, max_length=100)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    active: bool = True
    joined_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class CoffeeRound(SQLModel, table=True):
    __tablename__ = "coffee_round"
    __table_args__ = (UniqueConstraint("tenant_id", "round_key", name="uq_coffee_round_key"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    round_key: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class CoffeeMatch(SQLModel, table=True):
    """One member's place in one round: members with the same group number meet."""

    __tablename__ = "coffee_match"
    round_id: int = Field(foreign_key="coffee_round.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100, index=True)
    group_no: int


# -- queries (flush, never commit; every query filters by tenant) ------------------------


def _insert(session: Session, model: type[SQLModel]) -> Any:
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert_answer(session: Session, *, tenant_id: str, item_id: int, answer_key: str, value: int,
                  department: str | None) -> int | None:
    """Record one answer, replacing an earlier one by the same key; the earlier value or None."""
    before = session.execute(
        select(PulseAnswer.value).where(PulseAnswer.tenant_id == tenant_id,
                                        PulseAnswer.item_id == item_id,
                                        PulseAnswer.answer_key == answer_key)
    ).scalar_one_or_none()
    stmt = _insert(session, PulseAnswer).values(
        tenant_id=tenant_id, item_id=item_id, answer_key=answer_key, value=value,
        department=department)
    stmt = stmt.on_conflict_do_update(
        index_elements=["item_id", "answer_key"],
        set_={"value": value, "department": department})
    session.execute(stmt)
    return int(before) if before is not None else None


def answer_by_key(session: Session, tenant_id: str, item_id: int, answer_key: str) -> int | None:
    value = session.execute(
        select(PulseAnswer.value).where(PulseAnswer.tenant_id == tenant_id,
                                        PulseAnswer.item_id == item_id,
                                        PulseAnswer.answer_key == answer_key)
    ).scalar_one_or_none()
    return int(value) if value is not None else None


def answers(session: Session, tenant_id: str, item_id: int) -> list[tuple[str | None, int]]:
    """(department, value) of every answer to a pulse: nothing that names a person."""
    rows = session.execute(
        select(PulseAnswer.department, PulseAnswer.value)
        .where(PulseAnswer.tenant_id == tenant_id, PulseAnswer.item_id == item_id)
    ).all()
    return [(r[0], int(r[1])) for r in rows]


def answer_count(session: Session, tenant_id: str, item_id: int) -> int:
    """How many members answered a pulse (callers decide what of it may be shown)."""
    return int(session.execute(
        select(func.count()).select_from(PulseAnswer)
        .where(PulseAnswer.tenant_id == tenant_id, PulseAnswer.item_id == item_id)
    ).scalar_one())


def seal_answers(session: Session, tenant_id: str, item_id: int) -> int:
    """Write a closed pulse's answers again under fresh random keys, in this one transaction.

    Afterwards no key leads back to anyone, not even with the server's secret. And the store's
    own bookkeeping loses the order people answered in: PostgreSQL keeps each row's writing
    transaction (``xmin``) and heap place (``ctid``); rewritten together, in the order of their
    new random keys, the rows share one transaction and sit in no meaningful order."""
    rows = session.execute(
        select(PulseAnswer.value, PulseAnswer.department)
        .where(PulseAnswer.tenant_id == tenant_id, PulseAnswer.item_id == item_id)
    ).all()
    sealed = sorted((secrets.token_hex(32), int(value), department)
                    for value, department in rows)
    session.execute(delete(PulseAnswer).where(
        PulseAnswer.tenant_id == tenant_id,  # type: ignore[arg-type]
        PulseAnswer.item_id == item_id))  # type: ignore[arg-type]
    for at in range(0, len(sealed), 1000):  # well under SQLite's limit of bound values
        session.execute(_insert(session, PulseAnswer).values([
            {"tenant_id": tenant_id, "item_id": item_id, "answer_key": key, "value": value,
             "department": department} for key, value, department in sealed[at:at + 1000]]))
    return len(sealed)


def rekey_answer(session: Session, tenant_id: str, item_id: int, answer_key: str,
                 new_key: str) -> int:
    """Replace an answer's key with one nobody can recompute: the answer stays, its link goes."""
    return int(session.execute(
        update(PulseAnswer)
        .where(PulseAnswer.tenant_id == tenant_id,  # type: ignore[arg-type]
               PulseAnswer.item_id == item_id,  # type: ignore[arg-type]
               PulseAnswer.answer_key == answer_key)  # type: ignore[arg-type]
        .values(answer_key=new_key)
    ).rowcount)  # type: ignore[attr-defined]


def kudos_counts(session: Session, tenant_id: str, since: datetime,
                 until: datetime) -> list[tuple[str, int]]:
    """Kudos per company value in a window, most first."""
    n = func.count().label("n")
    rows = session.execute(
        select(Kudos.value, n)
        .where(Kudos.tenant_id == tenant_id, Kudos.created_at >= since, Kudos.created_at < until)
        .group_by(Kudos.value).order_by(n.desc(), Kudos.value)
    ).all()
    return [(str(r[0]), int(r[1])) for r in rows]


def kudos_of(session: Session, tenant_id: str, member_id: int) -> list[Kudos]:
    """Kudos a member gave or received, newest first."""
    return list(session.execute(
        select(Kudos).where(Kudos.tenant_id == tenant_id,
                            or_(Kudos.giver_id == member_id, Kudos.receiver_id == member_id))
        .order_by(Kudos.id.desc())  # type: ignore[union-attr]
    ).scalars())


def coffee_member(session: Session, tenant_id: str, member_id: int) -> CoffeeMember | None:
    return session.get(CoffeeMember, (tenant_id, member_id))


def coffee_active(session: Session, tenant_id: str) -> list[int]:
    return [int(m) for m in session.execute(
        select(CoffeeMember.member_id).where(CoffeeMember.tenant_id == tenant_id,
                                             CoffeeMember.active.is_(True))  # type: ignore[attr-defined]
        .order_by(CoffeeMember.member_id)
    ).scalars()]


def claim_round(session: Session, tenant_id: str, round_key: str, when: datetime) -> int | None:
    """Claim a round under the unique (tenant, key) rule; its id, or None when it ran before."""
    # RETURNING, not rowcount: through a Session, psycopg reports rowcount -1 for this insert.
    stmt = _insert(session, CoffeeRound).values(
        tenant_id=tenant_id, round_key=round_key, created_at=when,
    ).on_conflict_do_nothing().returning(CoffeeRound.id)
    new_id = session.execute(stmt).scalar_one_or_none()
    return int(new_id) if new_id is not None else None


def recent_groups(session: Session, tenant_id: str, before_round_id: int,
                  rounds: int) -> list[list[int]]:
    """The member groups of the tenant's last ``rounds`` rounds before the given one."""
    round_ids = list(session.execute(
        select(CoffeeRound.id).where(CoffeeRound.tenant_id == tenant_id,
                                     CoffeeRound.id < before_round_id)  # type: ignore[operator]
        .order_by(CoffeeRound.id.desc()).limit(rounds)  # type: ignore[union-attr]
    ).scalars())
    if not round_ids:
        return []
    groups: dict[tuple[int, int], list[int]] = {}
    for rid, group_no, member_id in session.execute(
        select(CoffeeMatch.round_id, CoffeeMatch.group_no, CoffeeMatch.member_id)
        .where(CoffeeMatch.tenant_id == tenant_id,
               CoffeeMatch.round_id.in_(round_ids))  # type: ignore[attr-defined]
    ).all():
        groups.setdefault((int(rid), int(group_no)), []).append(int(member_id))
    return list(groups.values())


def matches_of(session: Session, tenant_id: str, member_id: int) -> list[tuple[str, list[int]]]:
    """Every round a member was paired in: (round key, the others in the group), newest first."""
    mine = session.execute(
        select(CoffeeRound.round_key, CoffeeMatch.round_id, CoffeeMatch.group_no)
        .join(CoffeeRound, CoffeeRound.id == CoffeeMatch.round_id)  # type: ignore[arg-type]
        .where(CoffeeMatch.tenant_id == tenant_id, CoffeeMatch.member_id == member_id)
        .order_by(CoffeeMatch.round_id.desc())  # type: ignore[attr-defined]
    ).all()
    out = []
    for key, rid, group_no in mine:
        others = [int(m) for m in session.execute(
            select(CoffeeMatch.member_id).where(CoffeeMatch.round_id == rid,
                                                CoffeeMatch.group_no == group_no,
                                                CoffeeMatch.member_id != member_id)
        ).scalars()]
        out.append((str(key), others))
    return out


def group_members(session: Session, tenant_id: str, round_key: str, group_no: int) -> list[int]:
    """The members of one group of one round, by member id."""
    return [int(m) for m in session.execute(
        select(CoffeeMatch.member_id)
        .join(CoffeeRound, CoffeeRound.id == CoffeeMatch.round_id)  # type: ignore[arg-type]
        .where(CoffeeMatch.tenant_id == tenant_id, CoffeeRound.tenant_id == tenant_id,
               CoffeeRound.round_key == round_key, CoffeeMatch.group_no == group_no)
        .order_by(CoffeeMatch.member_id)
    ).scalars()]


def coffee_tenants(session: Session) -> list[str]:
    """Tenants where anyone takes part in coffee pairing: the ones a weekly round is for.

    Not an uninstalled one: its introductions could not be sent."""
    return [str(t) for t in session.execute(
        select(CoffeeMember.tenant_id)
        .join(Tenant, Tenant.id == CoffeeMember.tenant_id)  # type: ignore[arg-type]
        .where(CoffeeMember.active.is_(True),  # type: ignore[attr-defined]
               Tenant.uninstalled_at.is_(None))  # type: ignore[union-attr]
        .distinct().order_by(CoffeeMember.tenant_id)
    ).scalars()]
