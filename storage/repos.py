"""Repositories: queries over a ``Session``.

They flush, never commit; every query filters by tenant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import combinations
from typing import Any, NamedTuple

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    func,
    inspect,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, manager_of_class
from sqlmodel import Session, SQLModel

from storage import lemmas
from storage.db import LazySession
from storage.models import (
    Alias,
    Counter,
    Item,
    ItemMessage,
    Member,
    ProcessedEvent,
    SnippetFeedback,
    StatusChange,
    Tag,
    Tenant,
    Vote,
    VoteReaction,
)


def _insert(session: Session, model: type[SQLModel]) -> Any:
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(session: Session, model: type[SQLModel], **values: Any) -> bool:
    """Insert a row unless a unique rule already holds one; True when it was inserted."""
    # RETURNING, not rowcount: psycopg through SQLAlchemy reports rowcount -1 for this INSERT.
    stmt = (_insert(session, model).values(**values).on_conflict_do_nothing()
            .returning(literal_column("1")))
    return session.execute(stmt).first() is not None


# -- tenants and members ---------------------------------------------------------------


def ensure_tenant(session: Session, tenant_id: str, *, name: str = "",
                  now: datetime | None = None) -> Tenant:
    """The tenant, made on first sight; ``now`` is the core clock's time (schedules start there)."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        insert_ignore(session, Tenant, id=tenant_id, name=name or tenant_id,
                      **_tenant_defaults(now))
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
    return tenant


def _tenant_defaults(now: datetime | None = None) -> dict[str, Any]:
    from storage.models import utcnow

    fields = Tenant.model_fields
    out = {k: f.default for k, f in fields.items() if k not in ("id", "name", "created_at")}
    out["created_at"] = now or utcnow()
    return out


def ensure_member(session: Session, tenant_id: str, user_id: str, display_name: str = "",
                  *, now: datetime | None = None) -> Member:
    display_name = display_name[:200]  # the column's length: platforms allow long names
    member = session.execute(
        select(Member).where(Member.tenant_id == tenant_id, Member.user_id == user_id)
    ).scalar_one_or_none()
    if member is None:
        from storage.models import utcnow

        insert_ignore(
            session,
            Member,
            tenant_id=tenant_id,
            user_id=user_id,
            display_name=display_name or user_id,
            skills="",
            interests="",
            former=False,
            created_at=now or utcnow(),
        )
        member = session.execute(
            select(Member).where(Member.tenant_id == tenant_id, Member.user_id == user_id)
        ).scalar_one()
    elif display_name and member.display_name != display_name and not member.former:
        member.display_name = display_name
    return member


def ensure_tenant_member(session: Session, tenant_id: str, user_id: str,
                         display_name: str = "", *,
                         now: datetime | None = None) -> tuple[Tenant, Member]:
    """``ensure_tenant`` and ``ensure_member`` in one round trip when both exist (every use
    case starts here, so the common case is one driver query whose row becomes the two
    objects as the ORM would load them); otherwise the two, as before."""
    row = _hot(session, "tenant_member", {"tenant_id": tenant_id, "user_id": user_id}).first()
    split = len(Tenant.__table__.columns)  # type: ignore[attr-defined]
    if row is None or row[split] is None:
        tenant = ensure_tenant(session, tenant_id, now=now)
        return tenant, ensure_member(session, tenant_id, user_id, display_name, now=now)
    tenant, member = _loaded(session, Tenant, row[:split]), _loaded(session, Member, row[split:])
    name = display_name[:200]  # the column's length: platforms allow long names
    if name and member.display_name != name and not member.former:
        member.display_name = name
    return tenant, member


# Per dialect and model: each column's key and result processor, the mapper, and where the
# primary key sits in a row (``_loaded``'s fixed costs, once).
_LOADING: dict[tuple[str, type[SQLModel]], tuple[list[tuple[str, Any]], Any, list[int]]] = {}


def _loaded(session: Session, model: type[SQLModel], values: Sequence[Any]) -> Any:
    """The object a driver row of ``model``'s columns (in table order) stands for, as the
    ORM would load it: the session's own when it holds it already, else made and added as
    persistent, its values converted as the dialect converts results."""
    dialect = session.get_bind().dialect
    found = _LOADING.get((dialect.name, model))
    if found is None:
        columns = list(model.__table__.columns)  # type: ignore[attr-defined]
        found = _LOADING[(dialect.name, model)] = (
            [(c.key, c.type.dialect_impl(dialect).result_processor(dialect, None))
             for c in columns],
            inspect(model), [columns.index(c) for c in inspect(model).primary_key])
    procs, mapper, keys = found
    held = session.identity_map.get(mapper.identity_key_from_primary_key(
        [_processed(procs[k][1], values[k]) for k in keys]))
    if held is not None:
        return held
    obj = mapper.class_manager.new_instance()
    instance_state(obj).dict.update({key: proc(v) if proc is not None else v
                                     for (key, proc), v in zip(procs, values, strict=True)})
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def _processed(proc: Any, value: Any) -> Any:
    return proc(value) if proc is not None else value


def member_by_user(session: Session, tenant_id: str, user_id: str) -> Member | None:
    return session.execute(
        select(Member).where(Member.tenant_id == tenant_id, Member.user_id == user_id)
    ).scalar_one_or_none()


def member_by_name(session: Session, tenant_id: str, name: str) -> list[Member]:
    return list(
        session.execute(
            select(Member).where(
                Member.tenant_id == tenant_id,
                func.lower(Member.display_name) == name.lower(),
                Member.former.is_(False),  # type: ignore[attr-defined]
            )
        ).scalars()
    )


def members_by_ids(session: Session, tenant_id: str, ids: Iterable[int]) -> dict[int, Member]:
    ids = list({i for i in ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(Member).where(Member.tenant_id == tenant_id, Member.id.in_(ids))  # type: ignore[union-attr]
    ).scalars()
    return {m.id: m for m in rows if m.id is not None}


def member_count(session: Session, tenant_id: str) -> int:
    """Members of a tenant who are still here."""
    return int(session.execute(
        select(func.count()).select_from(Member).where(
            Member.tenant_id == tenant_id,
            Member.former.is_(False))  # type: ignore[attr-defined]
    ).scalar_one())


# -- items -----------------------------------------------------------------------------


def next_number(session: Runner, tenant_id: str, kind: str) -> int:
    """The next number for a kind in a tenant; the counter row is locked until commit.

    One statement once the counter exists; the first item of a kind makes it (a concurrent
    first insert is ignored, then the update takes its turn on the row lock). No Counter
    object is ever loaded, so the session has nothing to synchronise."""
    params = {"p_tenant": tenant_id, "p_kind": kind}
    row = _hot(session, "next_number", params).first()
    if row is None:
        _hot(session, "counter", {"tenant_id": tenant_id, "kind": kind, "last": 0})
        row = _hot(session, "next_number", params).first()
    return int(row[0])


# The item's column defaults, plain values once, factories (a fresh list, now) per insert.
_ITEM_FACTORIES = {n: f for n, f in Item.model_fields.items()
                   if n != "id" and f.default_factory is not None}
_ITEM_DEFAULTS = {n: f.get_default() for n, f in Item.model_fields.items()
                  if n != "id" and n not in _ITEM_FACTORIES}


def insert_item(session: Session, **values: Any) -> Item:
    """Insert a new item in one driver round trip and hand it to the session as stored, as
    if loaded: the ORM's construction and flush of one object cost more than the insert with
    its triggers. Columns not given take the model's defaults."""
    for name, default in _ITEM_DEFAULTS.items():
        if name not in values:
            values[name] = default
    for name, field in _ITEM_FACTORIES.items():
        if name not in values:
            values[name] = field.get_default(call_default_factory=True)
    values["id"] = int(_hot(session, "item", values).first()[0])
    item = manager_of_class(Item).new_instance()
    instance_state(item).dict.update(values)
    make_transient_to_detached(item)
    session.add(item)
    return item


def add(session: Session, row: SQLModel) -> Any:
    session.add(row)
    session.flush()
    return row


def item_by_ref(session: Session, tenant_id: str, kind: str, number: int) -> Item | None:
    return session.execute(
        select(Item).where(Item.tenant_id == tenant_id, Item.kind == kind, Item.number == number)
    ).scalar_one_or_none()


def item_by_id(session: Session, tenant_id: str, item_id: int) -> Item | None:
    item = session.get(Item, item_id)
    return item if item is not None and item.tenant_id == tenant_id else None


def items_by_ids(session: Session, tenant_id: str, ids: Sequence[int]) -> dict[int, Item]:
    return {i: item for i, (item, _) in _items_at(session, tenant_id, ids, "items_at").items()}


def snippets_by_ids(session: Session, tenant_id: str,
                    ids: Sequence[int]) -> dict[int, tuple[Item, int]]:
    """Each item with how often it answered a question ("This answered it"): a search's
    results and their feedback boost in one round trip."""
    return _items_at(session, tenant_id, ids, "snippets_at")


# Lists of ids are padded to one of a few lengths (repeating an id changes nothing): one
# prebuilt statement per length, a few of them in all.
_ID_LENGTHS = (1, 2, 4, 8, 16, 32, 64)


def _items_at(session: Session, tenant_id: str, ids: Sequence[int],
              name: str) -> dict[int, tuple[Item, int]]:
    """id -> (item, helpful count: 0 unless ``name`` reads it) of the tenant's items among
    ``ids``, made as the ORM loads them (the session's own object when it holds one)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    _autoflushed(session)
    split = len(Item.__table__.columns)  # type: ignore[attr-defined]
    out: dict[int, tuple[Item, int]] = {}
    for start in range(0, len(wanted), _ID_LENGTHS[-1]):
        chunk = wanted[start:start + _ID_LENGTHS[-1]]
        size = next(n for n in _ID_LENGTHS if n >= len(chunk))
        params: dict[str, Any] = {f"id{i}": chunk[min(i, len(chunk) - 1)] for i in range(size)}
        params["tenant_id"] = tenant_id
        for row in _hot(session, f"{name}:{size}", params).rows:
            item = _loaded(session, Item, row[:split])
            out[item.id] = (item, int(row[split]) if len(row) > split else 0)
    return out


def _autoflushed(session: Session) -> None:
    """What an ORM query does first (autoflush): pending changes written, so a driver read
    does not see the store as it was before them."""
    orm = session.made if isinstance(session, LazySession) else session
    if isinstance(orm, Session) and orm.autoflush and (orm.new or orm.deleted or orm.dirty):
        orm.flush()


def score_expr() -> Any:
    return func.coalesce(func.sum(Vote.value), 0)


def list_items(
    session: Session,
    tenant_id: str,
    kind: str,
    *,
    statuses: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    order: str = "new",
    limit: int = 10,
    offset: int = 0,
) -> list[tuple[Item, int]]:
    """Items with their net score, newest first or most voted first."""
    score = score_expr().label("score")
    stmt = (
        select(Item, score)
        .outerjoin(Vote, and_(Vote.item_id == Item.id, Vote.tenant_id == tenant_id))
        .where(Item.tenant_id == tenant_id, Item.kind == kind)
        .group_by(Item.id)  # type: ignore[arg-type]
    )
    if statuses:
        stmt = stmt.where(Item.status.in_(list(statuses)))  # type: ignore[attr-defined]
    if exclude:
        stmt = stmt.where(Item.status.not_in(list(exclude)))  # type: ignore[attr-defined]
    if order == "top":
        stmt = stmt.order_by(literal_column("score").desc(), Item.number.desc())  # type: ignore[attr-defined]
    elif order == "risk":
        weight = func.coalesce(Item.likelihood, 0) * func.coalesce(Item.impact, 0)
        stmt = stmt.order_by(weight.desc(), Item.number.desc())  # type: ignore[attr-defined]
    else:
        stmt = stmt.order_by(Item.number.desc())  # type: ignore[attr-defined]
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return [(r[0], int(r[1])) for r in rows]


def tally(session: Session, tenant_id: str, item_id: int) -> tuple[int, int]:
    """(up, down) votes of an item."""
    up = func.coalesce(func.sum(case((Vote.value > 0, 1), else_=0)), 0)
    down = func.coalesce(func.sum(case((Vote.value < 0, 1), else_=0)), 0)
    row = session.execute(
        select(up, down).where(Vote.tenant_id == tenant_id, Vote.item_id == item_id)
    ).one()
    return int(row[0]), int(row[1])


def voter_ids(session: Session, tenant_id: str, item_id: int) -> list[int]:
    return list(
        session.execute(
            select(Vote.member_id).where(Vote.tenant_id == tenant_id, Vote.item_id == item_id)
        ).scalars()
    )


def history(session: Session, tenant_id: str, item_id: int) -> list[StatusChange]:
    return list(
        session.execute(
            select(StatusChange)
            .where(StatusChange.tenant_id == tenant_id, StatusChange.item_id == item_id)
            .order_by(StatusChange.id)  # type: ignore[arg-type]
        ).scalars()
    )


# -- hot paths (votes, numbering, cards): Core statements built once, run on the driver ----


def _dialect_insert(dialect: str, model: type[SQLModel]) -> Any:
    table = model.__table__  # type: ignore[attr-defined]
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _build_hot(dialect: str, name: str) -> Any:
    if name == "claim":
        # RETURNING, not rowcount: psycopg reports -1 for a prebuilt insert's rowcount.
        return (_dialect_insert(dialect, ProcessedEvent).on_conflict_do_nothing()
                .returning(ProcessedEvent.key))
    if name == "upsert":
        ins = _dialect_insert(dialect, Vote)
        return ins.on_conflict_do_update(
            index_elements=["item_id", "member_id"],
            set_={"value": ins.excluded.value, "created_at": ins.excluded.created_at},
        )
    vote = Vote.__table__.c  # type: ignore[attr-defined]
    if name in ("delete", "delete_value"):
        stmt = delete(Vote.__table__).where(  # type: ignore[attr-defined]
            vote.tenant_id == bindparam("tenant_id"),
            vote.item_id == bindparam("item_id"),
            vote.member_id == bindparam("member_id"),
        )
        return stmt.where(vote.value == bindparam("value")) if name == "delete_value" else stmt
    if name == "reaction_add":
        return (_dialect_insert(dialect, VoteReaction).on_conflict_do_nothing()
                .returning(VoteReaction.id))
    held = VoteReaction.__table__.c  # type: ignore[attr-defined]
    of_member = (held.tenant_id == bindparam("tenant_id"), held.item_id == bindparam("item_id"),
                 held.member_id == bindparam("member_id"))
    if name == "reaction_remove":
        return delete(VoteReaction.__table__).where(  # type: ignore[attr-defined]
            *of_member, held.channel_id == bindparam("channel_id"),
            held.message_id == bindparam("message_id"), held.reaction == bindparam("reaction"))
    if name == "reaction_latest":
        # max(id), not LIMIT: the prebuilt statement carries no bind of its own.
        latest = select(func.max(held.id)).where(*of_member).scalar_subquery()
        return select(held.value).where(held.id == latest)
    if name == "vote_value":
        return update(Vote.__table__).where(  # type: ignore[attr-defined]
            # Bind names apart from the columns: an UPDATE reserves those for its SET.
            vote.tenant_id == bindparam("v_tenant"), vote.item_id == bindparam("v_item"),
            vote.member_id == bindparam("v_member"), vote.value != bindparam("new_value"),
        ).values(value=bindparam("new_value"))
    if name == "message_item":
        item, msg = Item.__table__.c, ItemMessage.__table__.c  # type: ignore[attr-defined]
        return (
            select(item.id, item.kind, item.status)
            .select_from(ItemMessage.__table__.join(Item.__table__,  # type: ignore[attr-defined]
                                                    item.id == msg.item_id))
            .where(msg.tenant_id == bindparam("tenant_id"),
                   msg.channel_id == bindparam("channel_id"),
                   msg.message_id == bindparam("message_id"),
                   item.tenant_id == bindparam("tenant_id"))
        )
    if name == "vote_target":
        item, msg = Item.__table__.c, ItemMessage.__table__.c  # type: ignore[attr-defined]
        m = Member.__table__.c  # type: ignore[attr-defined]
        joined = ItemMessage.__table__.join(  # type: ignore[attr-defined]
            Item.__table__, item.id == msg.item_id).outerjoin(
            Member.__table__, and_(m.tenant_id == bindparam("tenant_id"),
                                   m.user_id == bindparam("user_id")))
        return (
            select(item.id, item.kind, item.status, m.id, m.display_name, m.former)
            .select_from(joined)
            .where(msg.tenant_id == bindparam("tenant_id"),
                   msg.channel_id == bindparam("channel_id"),
                   msg.message_id == bindparam("message_id"),
                   item.tenant_id == bindparam("tenant_id"))
        )
    if name == "rename":
        m = Member.__table__.c  # type: ignore[attr-defined]
        return update(Member.__table__).where(  # type: ignore[attr-defined]
            m.id == bindparam("member_id")).values(display_name=bindparam("new_name"))
    if name == "next_number":
        counter = Counter.__table__.c  # type: ignore[attr-defined]
        return (update(Counter.__table__)  # type: ignore[attr-defined]
                .where(counter.tenant_id == bindparam("p_tenant"),
                       counter.kind == bindparam("p_kind"))
                .values(last=counter.last + literal_column("1")).returning(counter.last))
    if name == "counter":
        return _dialect_insert(dialect, Counter).on_conflict_do_nothing()
    if name == "tenant_member":
        t, m = Tenant.__table__, Member.__table__  # type: ignore[attr-defined]
        return (select(*t.c, *m.c)
                .select_from(t.outerjoin(m, and_(m.c.tenant_id == t.c.id,
                                                 m.c.user_id == bindparam("user_id"))))
                .where(t.c.id == bindparam("tenant_id")))
    if name == "search_state":
        return text("SELECT inserts, version, seq FROM item_fts_version "
                    "WHERE tenant_id = :tenant AND kind = :kind")
    if name == "search_log":
        # Each logged change with its item's row as it is now (none: deleted, or moved away).
        return text(
            "SELECT c.item_id, i.number, i.title, i.search_text, i.search_body, i.status "
            "FROM item_fts_change c LEFT JOIN item i ON i.id = c.item_id "
            "AND i.tenant_id = c.tenant_id AND i.kind = c.kind "
            "WHERE c.tenant_id = :tenant AND c.kind = :kind AND c.seq > :after "
            "AND c.seq <= :upto")
    if name == "search_since":
        # The kind's counters on every row; each change after ``after`` (up to the counters'
        # own seq) with its item's row as it is now, when there are any.
        return text(
            "SELECT v.inserts, v.version, v.seq, c.item_id, i.number, i.title, i.search_text, "
            "i.search_body, i.status FROM item_fts_version v "
            "LEFT JOIN item_fts_change c ON c.tenant_id = v.tenant_id AND c.kind = v.kind "
            "AND c.seq > :after AND c.seq <= v.seq AND c.seq <= :upto "
            "LEFT JOIN item i ON i.id = c.item_id AND i.tenant_id = c.tenant_id "
            "AND i.kind = c.kind "
            "WHERE v.tenant_id = :tenant AND v.kind = :kind")
    if name == "attach":
        return _dialect_insert(dialect, ItemMessage).on_conflict_do_nothing()
    if name == "alias_item":
        alias = Alias.__table__.c  # type: ignore[attr-defined]
        return select(alias.item_id).where(alias.tenant_id == bindparam("tenant_id"),
                                           alias.name == bindparam("name"))
    if name.startswith(("items_at:", "snippets_at:")):
        kind, _, size = name.partition(":")
        item = Item.__table__  # type: ignore[attr-defined]
        # ``tenant_id || ''``: without it SQLite walks the tenant's index instead of the ids.
        where = (item.c.tenant_id.concat(literal_column("''")) == bindparam("tenant_id"),
                 item.c.id.in_([bindparam(f"id{i}") for i in range(int(size))]))
        if kind == "items_at":
            return select(*item.c).where(*where)
        fb = SnippetFeedback.__table__  # type: ignore[attr-defined]
        return (select(*item.c, func.coalesce(fb.c.helpful, literal_column("0")))
                .select_from(item.outerjoin(fb, and_(fb.c.item_id == item.c.id,
                                                     fb.c.tenant_id == item.c.tenant_id)))
                .where(*where))
    if name == "item":
        return _dialect_insert(dialect, Item).returning(Item.__table__.c.id)  # type: ignore[attr-defined]
    raise KeyError(name)


class _RawResult:
    def __init__(self, rowcount: int, rows: list[Any]) -> None:
        self.rowcount = rowcount
        self.rows = rows

    def first(self) -> Any:
        return self.rows[0] if self.rows else None


class HotConnection:
    """A pooled DBAPI connection for the reaction path (see ``hot_transaction``).

    It runs the same prebuilt Core statements as ``_hot``, compiled once per dialect and
    parameter set, straight on the driver: no ORM, no per-call SQLAlchemy execution
    machinery, which costs three times what SQLite itself spends on a vote.
    """

    _compiled: dict[tuple[str, str, tuple[str, ...]], tuple[str, Any]] = {}

    def __init__(self, dbapi_conn: Any, dialect: Any) -> None:
        self.dbapi_conn = dbapi_conn
        self.dialect = dialect

    def _prepare(self, name: str, keys: tuple[str, ...]) -> tuple[str, Any]:
        key = (self.dialect.name, name, keys)
        found = self._compiled.get(key)
        if found is None:
            compiled = _build_hot(self.dialect.name, name).compile(
                dialect=self.dialect, column_keys=list(keys))
            procs = {}
            for bind_name, bind in compiled.binds.items():
                proc = bind.type.dialect_impl(self.dialect).bind_processor(self.dialect)
                if proc is not None:
                    procs[bind_name] = proc
            order = tuple(compiled.positiontup or ()) if self.dialect.positional else None
            found = self._compiled[key] = (compiled.string, (order, procs))
        return found

    def run(self, name: str, params: dict[str, Any]) -> _RawResult:
        sql, (order, procs) = self._prepare(name, tuple(sorted(params)))
        values = {k: procs[k](v) if k in procs else v for k, v in params.items()}
        cursor = self.dbapi_conn.cursor()
        try:
            cursor.execute(sql, tuple(values[k] for k in order) if order is not None
                           else values)
            rows = cursor.fetchall() if cursor.description else []
            return _RawResult(cursor.rowcount, rows)
        finally:
            cursor.close()


@contextmanager
def hot_transaction(engine: Engine) -> Iterator[HotConnection]:
    """One transaction on a pooled driver connection: committed at the end, rolled back whole
    on any error; a unique rule refusing a write raises ``StoreConflict`` as ``uow`` does."""
    from storage.db import rolled_back_on_error

    fairy = engine.raw_connection()
    try:
        with rolled_back_on_error(engine, fairy.rollback):
            yield HotConnection(fairy, engine.dialect)
            fairy.commit()
    finally:
        fairy.close()


Runner = Session | Connection | HotConnection


def _hot(session: Runner, name: str, params: dict[str, Any]) -> Any:
    """Run a prebuilt Core statement on the driver connection under the session (its
    transaction): rows come back as the driver gives them, no ORM involved (``_loaded``
    converts a model's columns as the dialect would; other callers read ids, numbers, texts)."""
    if not isinstance(session, HotConnection):
        conn = session if isinstance(session, Connection) else session.connection()
        session = HotConnection(conn.connection, conn.dialect)
    return session.run(name, params)


def claim_event(session: Runner, tenant_id: str, key: str, now: datetime | None = None) -> bool:
    """Record an idempotency key; False when it was seen before. ``now``: the core's clock,
    which the housekeeping sweep ages keys by."""
    from storage.models import utcnow

    params = {"tenant_id": tenant_id, "key": key, "created_at": now or utcnow()}
    return _hot(session, "claim", params).first() is not None


def upsert_vote(session: Runner, tenant_id: str, item_id: int, member_id: int,
                value: int, when: Any) -> None:
    """The member's vote on the item is now ``value``: one row per member and item."""
    _hot(session, "upsert", {"tenant_id": tenant_id, "item_id": item_id,
                             "member_id": member_id, "value": value, "created_at": when})


def delete_vote(session: Runner, tenant_id: str, item_id: int, member_id: int,
                value: int | None = None) -> int:
    """Take the member's vote back (only if it is ``value``, when given); rows removed."""
    params: dict[str, Any] = {"tenant_id": tenant_id, "item_id": item_id, "member_id": member_id}
    if value is None:
        return int(_hot(session, "delete", params).rowcount)
    params["value"] = value
    return int(_hot(session, "delete_value", params).rowcount)


def hold_reaction(session: Runner, tenant_id: str, *, item_id: int, member_id: int,
                  channel_id: str, message_id: str, reaction: str, value: int,
                  when: Any) -> bool:
    """The member now holds this vote reaction on this message; False when already held."""
    return _hot(session, "reaction_add", {
        "tenant_id": tenant_id, "item_id": item_id, "member_id": member_id,
        "channel_id": channel_id, "message_id": message_id, "reaction": reaction[:100],
        "value": value, "created_at": when}).first() is not None


def drop_reaction(session: Runner, tenant_id: str, *, item_id: int, member_id: int,
                  channel_id: str, message_id: str, reaction: str) -> None:
    """The member no longer holds this vote reaction on this message."""
    _hot(session, "reaction_remove", {
        "tenant_id": tenant_id, "item_id": item_id, "member_id": member_id,
        "channel_id": channel_id, "message_id": message_id, "reaction": reaction[:100]})


def latest_held(session: Runner, tenant_id: str, item_id: int, member_id: int) -> int | None:
    """The value of the vote reaction the member added last of those still held, if any."""
    row = _hot(session, "reaction_latest", {"tenant_id": tenant_id, "item_id": item_id,
                                            "member_id": member_id}).first()
    return None if row is None else int(row[0])


def set_vote_value(session: Runner, tenant_id: str, item_id: int, member_id: int,
                   value: int) -> bool:
    """Turn an existing vote to ``value``, keeping when it was cast; True when it changed."""
    return int(_hot(session, "vote_value", {"v_tenant": tenant_id, "v_item": item_id,
                                            "v_member": member_id,
                                            "new_value": value}).rowcount) > 0


def clear_reactions(session: Session, tenant_id: str, *, item_id: int, channel_id: str,
                    message_id: str, reactions: Sequence[str] | None) -> list[int]:
    """Drop every member's vote reactions on one message (only ``reactions``, when given);
    the members who held any of them."""
    held = VoteReaction.__table__.c  # type: ignore[attr-defined]
    where = [held.tenant_id == tenant_id, held.item_id == item_id,
             held.channel_id == channel_id, held.message_id == message_id]
    if reactions is not None:
        where.append(held.reaction.in_(list(reactions)))
    members = sorted({int(m) for m in session.execute(
        select(held.member_id).where(*where)).scalars()})
    if members:
        session.execute(delete(VoteReaction.__table__).where(*where))  # type: ignore[attr-defined]
    return members


def vote_target(session: Runner, tenant_id: str, channel_id: str,
                message_id: str, user_id: str,
                display_name: str = "") -> tuple[int, str, str, int] | None:
    """(item id, kind, status, member id) for a reaction, in one round trip: the item the
    message stands for and the reacting member (made to exist, name kept current as
    ``ensure_member`` does). None when the message stands for no item of the tenant, or
    when the member is new and ``session`` is a bare connection (creating one takes a
    ``Session``, or the unit's ``LazySession``)."""
    row = _hot(session, "vote_target", {"tenant_id": tenant_id, "channel_id": channel_id,
                                        "message_id": message_id, "user_id": user_id}).first()
    if row is None:
        return None
    item_id, kind, status, member_id, name, former = row
    display_name = display_name[:200]
    if member_id is None:
        if isinstance(session, HotConnection | Connection):
            return None
        member_id = ensure_member(session, tenant_id, user_id, display_name).id
    elif display_name and name != display_name and not former:
        _hot(session, "rename", {"member_id": member_id, "new_name": display_name})
    return int(item_id), str(kind), str(status), int(member_id or 0)


def move_votes(session: Session, tenant_id: str, source_id: int, target_id: int) -> int:
    """Move votes to another item; a member who voted on both keeps the target vote only."""
    both = select(Vote.member_id).where(Vote.tenant_id == tenant_id, Vote.item_id == target_id)
    moved = session.execute(
        update(Vote)
        .where(
            Vote.tenant_id == tenant_id,  # type: ignore[arg-type]
            Vote.item_id == source_id,  # type: ignore[arg-type]
            Vote.member_id.not_in(both),  # type: ignore[attr-defined]
        )
        .values(item_id=target_id)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        delete(Vote).where(Vote.tenant_id == tenant_id, Vote.item_id == source_id)  # type: ignore[arg-type]
    )
    return int(moved)


# -- messages that stand for items -----------------------------------------------------


def attach_message(session: Runner, tenant_id: str, item_id: int, channel_id: str,
                   message_id: str) -> None:
    _hot(session, "attach", {"tenant_id": tenant_id, "channel_id": channel_id,
                             "message_id": message_id, "item_id": item_id})


def item_for_message(session: Session, tenant_id: str, channel_id: str,
                     message_id: str) -> Item | None:
    row = session.get(ItemMessage, (tenant_id, channel_id, message_id))
    return session.get(Item, row.item_id) if row else None


def messages_for_item(session: Session, tenant_id: str, item_id: int) -> list[ItemMessage]:
    return list(
        session.execute(
            select(ItemMessage).where(ItemMessage.tenant_id == tenant_id,
                                      ItemMessage.item_id == item_id)
        ).scalars()
    )


def item_by_source(session: Session, tenant_id: str, kind: str, link: str) -> Item | None:
    return session.execute(
        select(Item).where(Item.tenant_id == tenant_id, Item.kind == kind,
                           Item.source_link == link).limit(1)
    ).scalar_one_or_none()


# -- tags and aliases ------------------------------------------------------------------


def tags_of(session: Session, tenant_id: str, item_id: int) -> list[str]:
    return list(
        session.execute(
            select(Tag.tag).where(Tag.tenant_id == tenant_id, Tag.item_id == item_id)
            .order_by(Tag.tag)  # type: ignore[arg-type]
        ).scalars()
    )


def add_tags(session: Session, tenant_id: str, item_id: int, tags: Iterable[str]) -> list[str]:
    return [t for t in tags
            if insert_ignore(session, Tag, tenant_id=tenant_id, item_id=item_id, tag=t)]


def items_with_tag(session: Session, tenant_id: str, tag: str) -> list[Item]:
    return list(
        session.execute(
            select(Item)
            .join(Tag, Tag.item_id == Item.id)  # type: ignore[arg-type]
            .where(Tag.tenant_id == tenant_id, Tag.tag == tag, Item.tenant_id == tenant_id)
            .order_by(func.coalesce(Item.position, Item.number), Item.number)
        ).scalars()
    )


def aliases_of(session: Session, tenant_id: str, item_id: int) -> list[str]:
    return list(
        session.execute(
            select(Alias.name).where(Alias.tenant_id == tenant_id, Alias.item_id == item_id)
            .order_by(Alias.name)  # type: ignore[arg-type]
        ).scalars()
    )


_ALIAS_OWNER = select(Alias).where(Alias.tenant_id == bindparam("tenant_id"),
                                   Alias.name == bindparam("name"))


def alias_item(session: Session, tenant_id: str, name: str) -> int | None:
    """The id of the item ``name`` is an alias of (a search's exact look-up)."""
    row = _hot(session, "alias_item", {"tenant_id": tenant_id, "name": name.lower()}).first()
    return int(row[0]) if row is not None else None


def alias_owner(session: Session, tenant_id: str, name: str) -> Alias | None:
    return session.execute(_ALIAS_OWNER, {"tenant_id": tenant_id,
                                          "name": name.lower()}).scalar_one_or_none()


def exact_title(session: Session, tenant_id: str, kind: str, title: str) -> Item | None:
    """The first item whose title is ``title`` up to case (Cyrillic too).

    The trigram index narrows the look-up to items whose search text holds the title's
    words (in dictionary form, as stored), so it never scans the tenant; the comparison
    itself is Python's ``lower``.
    """
    wanted = title.strip().lower()
    phrase = lemmas.lemmatise(title)  # search text holds the title's words lemmatised
    stmt = select(Item).where(Item.tenant_id == tenant_id, Item.kind == kind)
    dialect = session.get_bind().dialect.name
    if len(phrase) < 3:
        stmt = stmt.where(func.lower(Item.title) == wanted)
    elif dialect == "sqlite":  # CROSS JOIN: FTS first, never the tenant's items one by one
        stmt = select(Item).from_statement(text(
            "SELECT i.* FROM item_fts CROSS JOIN item i ON i.id = item_fts.rowid "
            "WHERE item_fts MATCH :phrase AND i.tenant_id = :tenant AND i.kind = :kind"
        ).bindparams(phrase=f'"{_QUOTE.sub("", phrase)}"', tenant=tenant_id, kind=kind))
    else:
        like = phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Item.search_text.like(f"%{like}%"))  # type: ignore[attr-defined]
    found = [i for i in session.execute(stmt).scalars() if i.title.strip().lower() == wanted]
    return min(found, key=lambda i: i.number) if found else None


# -- search candidates -----------------------------------------------------------------

_QUOTE = re.compile(r'"')
WORD_MIN = 4  # shorter words ("the", "for", "як", "про") are in too many titles to tell apart
WORDS_USED = 5  # the longest words of the query: rarer, and enough to survive two typos
STRICT_SIMILARITY = 0.65  # pg_trgm similarity: a typo or two in a whole title stays above
LOOSE_WORD_SIMILARITY = 0.4  # pg_trgm word_similarity: the query against the title's best part


def trigrams(text_: str) -> list[str]:
    out: dict[str, None] = {}
    for word in text_.split():
        padded = word if len(word) >= 3 else ""
        for i in range(len(padded) - 2):
            out[padded[i : i + 3]] = None
    return list(out)


def key_words(text_: str) -> list[str]:
    """The query's longest distinct words, longest first: the ones worth an index look-up."""
    words = [w for w in dict.fromkeys(text_.split()) if len(w) >= WORD_MIN]
    return sorted(words, key=len, reverse=True)[:WORDS_USED]


def _in_list(params: dict[str, Any], prefix: str, values: Sequence[str]) -> str:
    names = []
    for n, value in enumerate(values):
        params[f"{prefix}{n}"] = value
        names.append(f":{prefix}{n}")
    return ", ".join(names)


def search_candidates(
    session: Session,
    tenant_id: str,
    kinds: Sequence[str],
    query: str,
    *,
    limit: int = 200,
    exclude: Sequence[str] = (),
    strict: bool = False,
) -> list[tuple[int, str]]:
    """Items of the tenant whose normalised search text resembles the (normalised) query.

    ``strict``: a cheap first pass that finds items sharing whole words with the query
    (SQLite: FTS5 phrases of the longest words, items holding two or more of them first;
    PostgreSQL: pg_trgm similarity of at least ``STRICT_SIMILARITY``). May miss a title when
    typos damaged most of its words. Otherwise the thorough pass: any shared trigram (FTS5 OR,
    bm25 order) or pg_trgm word similarity of at least ``LOOSE_WORD_SIMILARITY``. A query too
    short for trigrams scans the tenant's newest items of those kinds.
    """
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit}
    kinds_sql = _in_list(params, "k", list(kinds))
    excl = f"AND i.status NOT IN ({_in_list(params, 'x', list(exclude))})" if exclude else ""
    where = f"i.tenant_id = :tenant AND i.kind IN ({kinds_sql}) {excl}"
    grams = trigrams(query)
    if strict and dialect == "sqlite":
        words = key_words(query)
        if not words:
            return []
        # One FTS5 look-up per word (a phrase of its trigrams), counted per item. CROSS JOIN
        # keeps the planner from scanning the tenant's items and probing FTS for each one.
        branches = " UNION ALL ".join(
            f"SELECT rowid FROM item_fts WHERE item_fts MATCH :w{n}" for n in range(len(words))
        )
        for n, word in enumerate(words):
            params[f"w{n}"] = f'"{_QUOTE.sub("", word)}"'
        # Two of the words, or all but two of a long query (two typos): fewer rows to rank.
        params["enough"] = min(len(words), max(2, len(words) - 2))
        params["length"] = len(query)
        # Ties (titles from one template share most words) go to the closest length first.
        sql = (
            f"SELECT i.id, i.search_text FROM (SELECT rowid, count(*) AS n FROM ({branches}) "
            "GROUP BY rowid HAVING count(*) >= :enough) c "
            f"CROSS JOIN item i ON i.id = c.rowid WHERE {where} "
            "ORDER BY c.n DESC, abs(length(i.search_text) - :length) LIMIT :limit"
        )
    elif grams and dialect == "sqlite":
        params["match"] = " OR ".join(f'"{_QUOTE.sub("", g)}"' for g in grams)
        sql = (
            "SELECT i.id, i.search_text FROM item_fts CROSS JOIN item i ON i.id = item_fts.rowid "
            f"WHERE item_fts MATCH :match AND {where} ORDER BY item_fts.rank LIMIT :limit"
        )
    elif grams and dialect == "postgresql":
        # Both operators use the GIN index; the threshold decides how many rows it hands
        # over for a recheck (0.1 rechecked a tenth of 100,000 titles: a second a query).
        params["match"] = query
        if strict:  # the whole query against the whole title, or its two longest words
            session.execute(text(f"SET LOCAL pg_trgm.similarity_threshold = {STRICT_SIMILARITY}"))
            words = key_words(query)[:2]
            both = ""
            if len(words) == 2:
                for n, word in enumerate(words):
                    params[f"w{n}"] = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
                both = "OR (i.search_text LIKE :w0 AND i.search_text LIKE :w1)"
            sql = (
                f"SELECT i.id, i.search_text FROM item i WHERE (i.search_text % :match {both}) "
                f"AND {where} ORDER BY similarity(i.search_text, :match) DESC LIMIT :limit"
            )
        else:  # the query against the best stretch of the title: short queries, heavy typos
            session.execute(text(
                f"SET LOCAL pg_trgm.word_similarity_threshold = {LOOSE_WORD_SIMILARITY}"))
            sql = (
                f"SELECT i.id, i.search_text FROM item i WHERE :match <% i.search_text "
                f"AND {where} ORDER BY word_similarity(:match, i.search_text) DESC LIMIT :limit"
            )
    elif strict:
        return []
    else:
        sql = f"SELECT i.id, i.search_text FROM item i WHERE {where} ORDER BY i.id DESC LIMIT 5000"
    return [(int(r[0]), str(r[1])) for r in session.execute(text(sql), params).all()]


def body_candidates(
    session: Session,
    tenant_id: str,
    kinds: Sequence[str],
    words: Sequence[str],
    *,
    least: int = 1,
    limit: int = 100,
    exclude: Sequence[str] = (),
) -> list[tuple[int, str, str]]:
    """(id, search text, search body) of the tenant's items whose body holds at least
    ``least`` of the (lemmatised) words: a word index, not trigrams (SQLite:
    the FTS5 table ``item_fts_body``; PostgreSQL: a GIN index on the body's ``simple``
    tsvector), both from migration 0016."""
    words = [w for w in dict.fromkeys(words) if w]
    if not words:
        return []
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit}
    kinds_sql = _in_list(params, "k", list(kinds))
    excl = f"AND i.status NOT IN ({_in_list(params, 'x', list(exclude))})" if exclude else ""
    where = f"i.tenant_id = :tenant AND i.kind IN ({kinds_sql}) {excl}"
    least = max(1, min(least, len(words)))
    quoted = [f'"{_QUOTE.sub("", w)}"' for w in words]
    groups = list(combinations(range(len(words)), least))
    if dialect == "sqlite":
        source = "item_fts_body CROSS JOIN item i ON i.id = item_fts_body.rowid"
        test, order = "item_fts_body MATCH :match", "item_fts_body.rank"
        and_, or_, each = " AND ", " OR ", quoted
    else:
        source = "item i"
        test = f"{BODY_TSVECTOR} @@ to_tsquery('simple', :match)"
        order = f"ts_rank({BODY_TSVECTOR}, to_tsquery('simple', :match)) DESC"
        and_, or_, each = " & ", " | ", words  # normalised words: letters and digits only
    select_ = f"SELECT i.id, i.search_text, i.search_body FROM {source} WHERE {test} AND {where}"
    if len(groups) <= MAX_WORD_GROUPS:
        # Bodies holding at least ``least`` of the words: an unranked look-up, cheap even
        # for common words, since every body it returns scores alike or close.
        match = or_.join("(" + and_.join(each[n] for n in group) + ")" for group in groups)
        sql = f"{select_} LIMIT :limit"
    else:  # a long query: bodies holding the most of its words, ranked
        match, sql = or_.join(each), f"{select_} ORDER BY {order} LIMIT :limit"
    rows = session.execute(text(sql), {**params, "match": match}).all()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


MAX_WORD_GROUPS = 10  # word combinations one body look-up may try
BODY_TSVECTOR = "to_tsvector('simple', i.search_body)"  # must match migration 0016's index


def risk_grid(session: Session, tenant_id: str, *, exclude: Sequence[str]) -> list[list[int]]:
    """counts[likelihood-1][impact-1] of the rated risks whose status is not excluded."""
    rows = session.execute(
        select(Item.likelihood, Item.impact, func.count())
        .where(Item.tenant_id == tenant_id, Item.kind == "risk",
               Item.status.not_in(list(exclude)),  # type: ignore[attr-defined]
               Item.likelihood.is_not(None), Item.impact.is_not(None))  # type: ignore[union-attr]
        .group_by(Item.likelihood, Item.impact)
    ).all()
    grid = [[0] * 5 for _ in range(5)]
    for lik, imp, n in rows:
        grid[int(lik) - 1][int(imp) - 1] = int(n)
    return grid


class SearchState(NamedTuple):
    """Counters of one tenant's items of one kind (migrations 0005 and 0022): inserts,
    changes of searchable state, and the number of the latest logged change of either."""

    inserts: int
    version: int
    seq: int


def search_state(session: Session, tenant_id: str,
                 kinds: Sequence[str]) -> dict[str, SearchState]:
    """Per kind: the search counters of the tenant's items, one primary-key look-up.

    Store triggers count every insert, bump the version on every change of title, search
    text, search body or status and every delete, and number each of them (``seq``) in the
    change log: in-process search indexes compare these before each query. A kind never
    written since migration 0005 is left out.
    """
    kinds = list(dict.fromkeys(kinds))
    if len(kinds) == 1:  # every search but the home page's: on the driver
        row = _hot(session, "search_state", {"tenant": tenant_id, "kind": kinds[0]}).first()
        return {} if row is None else {kinds[0]: SearchState(int(row[0]), int(row[1]),
                                                             int(row[2]))}
    params: dict[str, Any] = {"tenant": tenant_id}
    kinds_sql = _in_list(params, "k", kinds)
    rows = session.execute(text(
        "SELECT kind, inserts, version, seq FROM item_fts_version "
        f"WHERE tenant_id = :tenant AND kind IN ({kinds_sql})"
    ), params).all()
    return {str(r[0]): SearchState(int(r[1]), int(r[2]), int(r[3])) for r in rows}


def search_catch_up(session: Session, tenant_id: str, kind: str, *, after: int,
                    upto: int) -> tuple[list[int], list[SearchRow]] | None:
    """The items of a kind inserted, changed or deleted by changes ``after`` < seq <=
    ``upto``, each once, with the rows of those that still exist (as ``search_rows``): one
    statement. None when the log no longer holds all of them (it keeps the last 20,000 per
    tenant and kind): then only a full reload is correct."""
    found = _hot(session, "search_log", {"tenant": tenant_id, "kind": kind, "after": after,
                                         "upto": upto}).rows
    if len(found) != upto - after:
        return None
    return _log_changes(found)


def _log_changes(logged: Sequence[Any]) -> tuple[list[int], list[SearchRow]]:
    """Logged changes (item id, then its row's columns, none when gone): each changed id
    once, and the rows of those that still exist."""
    changed = list(dict.fromkeys(int(r[0]) for r in logged))
    rows = {int(r[0]): _search_row(r) for r in logged if r[1] is not None}
    return changed, list(rows.values())


def search_since(session: Session, tenant_id: str, kind: str, *, after: int,
                 most: int) -> tuple[SearchState | None, tuple[list[int], list[SearchRow]] | None]:
    """``search_state`` of one kind and, in the same statement, what ``search_catch_up`` would
    say for the changes since ``after`` (None when there are more than ``most`` or the log no
    longer holds them all): an index that is current or one insert behind, as it is for every
    command that searches right after the last one wrote, costs one round trip, not two."""
    found = _hot(session, "search_since", {"tenant": tenant_id, "kind": kind, "after": after,
                                           "upto": after + most}).rows
    if not found:
        return None, None
    state = SearchState(int(found[0][0]), int(found[0][1]), int(found[0][2]))
    logged = [r[3:] for r in found if r[3] is not None]
    if not 0 <= state.seq - after <= most or len(logged) != state.seq - after:
        return state, None
    return state, _log_changes(logged)


def count_items(session: Session, tenant_id: str, kinds: Sequence[str]) -> int:
    """How many items of those kinds the tenant has (the ``(tenant_id, kind, …)`` index)."""
    return int(session.execute(
        select(func.count()).select_from(Item).where(
            Item.tenant_id == tenant_id, Item.kind.in_(list(kinds)))  # type: ignore[attr-defined]
    ).scalar_one())


SearchRow = tuple[int, int, str, str, str, str]
ROWS_PER_LOOK_UP = 500


def search_rows(session: Session, tenant_id: str, kind: str,
                ids: Sequence[int] | None = None) -> list[SearchRow]:
    """(id, number, title, search text, search body, status) of the tenant's items of a kind,
    by id: all of them, or those of ``ids`` that still exist. What an in-process search index
    holds; plain SQL rows (100,000 of them: no ORM objects on the way)."""
    columns = "id, number, title, search_text, search_body, status"
    where = "tenant_id = :tenant AND kind = :kind"
    batches: list[tuple[str, dict[str, Any]]] = []
    if ids is None:
        batches.append((f"SELECT {columns} FROM item WHERE {where} ORDER BY id",
                        {"tenant": tenant_id, "kind": kind}))
    else:
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), ROWS_PER_LOOK_UP):
            params: dict[str, Any] = {"tenant": tenant_id, "kind": kind}
            names = _in_list(params, "i", wanted[start:start + ROWS_PER_LOOK_UP])
            batches.append((f"SELECT {columns} FROM item WHERE {where} AND id IN ({names}) "
                            "ORDER BY id", params))
    out: list[SearchRow] = []
    for sql, params in batches:
        out.extend(map(_search_row, session.execute(text(sql), params).all()))
    return out


def _search_row(r: Any) -> SearchRow:
    return int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4] or ""), str(r[5])
