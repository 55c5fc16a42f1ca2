"""Vote ingestion through the core against raw sqlite3 inserts, one transaction per vote each.

Ours: ``Hromada.react`` on messages that stand for ideas, 👍 from many members, each call one
unit of work with the idempotency key (the platform's event id) claimed first; then the same
events delivered again (must change nothing) and some votes taken back. Baseline, same run:
``INSERT`` into the same ``vote`` table with the stdlib ``sqlite3``, one transaction per row,
WAL and ``synchronous=NORMAL`` like our engine.

    .venv/bin/python bench/bench_votes.py [--votes 5000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import now, store  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from core.app import Hromada  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.context import Actor  # noqa: E402
from storage.models import Counter, Item, ItemMessage, Member, Vote  # noqa: E402

TENANT = "bench:votes"
IDEAS = 50
BLOCK = 250


def seed_ideas(hromada: Hromada) -> None:
    """Ideas with a message each that stands for them (as after posting an idea card)."""
    when = now()
    with hromada.context(Actor(TENANT, "author", "Author")) as ctx:
        author = ctx.member.id
    with hromada.db.engine.begin() as conn:
        for n in range(1, IDEAS + 1):
            item_id = conn.execute(insert(Item.__table__).returning(Item.__table__.c.id), [{  # type: ignore[attr-defined]
                "tenant_id": TENANT, "kind": "idea", "number": n, "title": f"Idea {n}",
                "body": "", "search_text": f"idea {n}", "author_id": author, "anonymous": False,
                "status": "new", "created_at": when, "updated_at": when}]).scalar_one()
            conn.execute(insert(ItemMessage.__table__), [{  # type: ignore[attr-defined]
                "tenant_id": TENANT, "channel_id": "C1", "message_id": f"m{n}",
                "item_id": item_id}])
        conn.execute(insert(Counter.__table__),  # type: ignore[attr-defined]
                     [{"tenant_id": TENANT, "kind": "idea", "last": IDEAS}])


class RawVotes:
    """The baseline: bare sqlite3 on a copy of the seeded store, one INSERT and COMMIT a vote."""

    def __init__(self, path: Path, item_ids: list[int], member_ids: list[int]) -> None:
        self.con = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            self.con.execute(f"PRAGMA {pragma}")
        self.con.execute("DELETE FROM vote")
        self.pairs = [(i, m) for m in member_ids for i in item_ids]
        self.done = 0
        self.when = now().isoformat(sep=" ")

    def insert(self, rows: int) -> None:
        for item_id, member_id in self.pairs[self.done : self.done + rows]:
            self.con.execute("BEGIN")
            self.con.execute(
                "INSERT INTO vote (tenant_id, item_id, member_id, value, created_at) "
                "VALUES (?, ?, ?, ?, ?)", (TENANT, item_id, member_id, 1, self.when))
            self.con.execute("COMMIT")
        self.done += rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--votes", type=int, default=5000)
    args = ap.parse_args()
    started = time.perf_counter()
    voters = max(1, args.votes // IDEAS)
    votes = voters * IDEAS
    events = [(f"u{m}", f"m{1 + n}", f"Ev{m}-{n}") for m in range(voters) for n in range(IDEAS)]
    actors = {f"u{m}": Actor(TENANT, f"u{m}", f"Member {m}") for m in range(voters)}

    with store(None) as db:
        hromada = Hromada(db, secret=b"bench", clock=ManualClock(now()))
        seed_ideas(hromada)
        for actor in actors.values():  # members exist, as after their first command
            with hromada.context(actor):
                pass
        # Warm up: statement caches, page cache (then taken back).
        for user, msg, key in events[:20]:
            hromada.react(actors[user], channel_id="C1", message_id=msg, emoji="+1",
                          added=True, event_key="warm-" + key)
            hromada.react(actors[user], channel_id="C1", message_id=msg, emoji="+1",
                          added=False, event_key="warm-off-" + key)

        # Ours and the baseline take turns in blocks, so a busy machine slows both alike.
        src = sqlite3.connect(Path(db.engine.url.database or ""))
        raw_path = Path(db.engine.url.database or "").with_name("raw.db")
        with sqlite3.connect(raw_path) as dst:
            src.backup(dst)
        src.close()
        with db.engine.connect() as conn:
            item_ids = list(conn.execute(select(Item.id).where(Item.tenant_id == TENANT)
                                         .order_by(Item.id)).scalars())
            member_ids = list(conn.execute(
                select(Member.id).where(Member.tenant_id == TENANT, Member.user_id != "author")
                .order_by(Member.id)).scalars())
        raw = RawVotes(raw_path, item_ids, member_ids)
        ours_s = raw_s = 0.0
        changed = 0
        for start in range(0, votes, BLOCK):
            block = events[start : start + BLOCK]
            t = time.perf_counter()
            for user, msg, key in block:
                changed += hromada.react(actors[user], channel_id="C1", message_id=msg,
                                         emoji="+1", added=True, event_key=key)
            ours_s += time.perf_counter() - t
            t = time.perf_counter()
            raw.insert(len(block))
            raw_s += time.perf_counter() - t
        ours = votes / ours_s
        raw_rate = votes / raw_s
        raw_stored = raw.con.execute("SELECT count(*) FROM vote").fetchone()[0]
        raw.con.close()

        t = time.perf_counter()
        repeated = 0
        for user, msg, key in events:
            repeated += hromada.react(actors[user], channel_id="C1", message_id=msg,
                                      emoji="+1", added=True, event_key=key)
        redelivered = votes / (time.perf_counter() - t)

        removals = events[: votes // 5]
        t = time.perf_counter()
        removed = 0
        for user, msg, key in removals:
            removed += hromada.react(actors[user], channel_id="C1", message_id=msg,
                                     emoji="+1", added=False, event_key="off-" + key)
        unvote = len(removals) / (time.perf_counter() - t)

        with db.engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(Vote)).scalar_one()

    assert changed == votes and repeated == 0 and removed == len(removals)
    assert stored == votes - len(removals) and raw_stored == votes
    print(f"votes: {votes:,} (👍 from {voters} members on {IDEAS} ideas), SQLite, "
          f"one transaction each")
    print(f"raw sqlite3 INSERT+COMMIT        : {raw_rate:9,.0f} votes/s")
    print(f"ours Hromada.react (new votes)   : {ours:9,.0f} votes/s")
    print(f"ours re-delivered events (no-op) : {redelivered:9,.0f} events/s")
    print(f"ours removals                    : {unvote:9,.0f} votes/s")
    print(f"ratio ours/raw: {ours / raw_rate:.2f}x (target >= 0.25x)")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
