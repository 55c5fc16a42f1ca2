"""Small helpers shared by the core tests: reading replies, voting, snapshotting the store."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from sqlalchemy import inspect, text

from core.app import Hromada
from core.context import Actor
from core.replies import Reply
from core.text import Rich, Segment
from storage.db import Database

CHANNEL = "C-test"


def segments(reply: Reply) -> Iterator[Segment]:
    """Every rich segment a renderer would see: title, text, fields, lines and notices."""
    riches: list[Rich | None] = [reply.title, reply.text]
    riches += [f.value for f in reply.fields]
    riches += [ln.text for ln in reply.lines]
    riches += [n.text for n in reply.notices]
    for rich in riches:
        if rich is not None:
            yield from rich.parts


def everything(reply: Reply) -> str:
    """All visible words of a reply and its notices, buttons included."""
    out = [reply.plain()]
    out += [n.text.plain() for n in reply.notices]
    out += [f"{a.label} {a.action_id} {a.value}" for a in reply.actions]
    return "\n".join(out)


def message_id(item_id: int) -> str:
    return f"msg-{item_id}"


def post(hromada: Hromada, reply: Reply, tenant_id: str = "console:test") -> int:
    """What an adapter does after posting a public card: reactions on it now reach the item."""
    assert reply.item_id is not None, reply.plain()
    hromada.attach_message(tenant_id, reply.item_id, CHANNEL, message_id(reply.item_id))
    return reply.item_id


def react(hromada: Hromada, who: Actor, item_id: int, emoji: str = "+1", *, added: bool = True,
          key: str | None = None) -> bool:
    return hromada.react(who, channel_id=CHANNEL, message_id=message_id(item_id), emoji=emoji,
                         added=added, event_key=key)


def submit(hromada: Hromada, who: Actor, group: str, text: str) -> int:
    """Submit and post an item's card; fails loudly when a duplicate prompt comes back."""
    reply = hromada.run(who, group, text)
    return post(hromada, reply, who.tenant_id)


_TABLES: dict[str, list[str]] = {}


def tables(db: Database) -> list[str]:
    """The application's tables (the schema is fixed during a test run, so asked once)."""
    if db.url not in _TABLES:
        names = inspect(db.engine).get_table_names()
        _TABLES[db.url] = sorted(n for n in names
                                 if n != "alembic_version" and not n.startswith("item_fts"))
    return _TABLES[db.url]


def snapshot(db: Database) -> dict[str, object]:
    """Every row of every table, in a stable order: compare before and after an operation.

    On PostgreSQL each table is folded into a digest of its rows in one round trip.
    """
    out: dict[str, object] = {}
    names = tables(db)
    with db.engine.connect() as conn:
        if not db.is_sqlite:
            sql = " UNION ALL ".join(
                f"SELECT '{n}', count(*), md5(coalesce(string_agg(t::text, '|' "
                f"ORDER BY t::text), '')) FROM \"{n}\" t" for n in names)
            return {r[0]: (r[1], r[2]) for r in conn.execute(text(sql)).all()}
        for name in names:
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


class Everything(logging.Handler):
    """Keeps every record of every logger, formatted with its arguments and extras.

    Our loggers run at DEBUG; SQLAlchemy keeps its own default (WARNING), as in production,
    where echoing SQL would print bound parameters by design.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        extras = {k: v for k, v in record.__dict__.items()
                  if k not in logging.LogRecord("", 0, "", 0, "", None, None).__dict__}
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {text} {extras!r}")
