"""The scheduler's minute tick with 10,000 tenants of which none is due: its store time.

10,000 tenants (Slack, Discord and console), each with a digest channel, a random weekly
schedule in one of several zones, its stored due time as the scheduler leaves it after a run,
and ten weeks of settled digest claims (100,000 ``job_claim`` rows). At a minute when none is
due, ``DigestRunner.tick`` is timed as ``hromada serve`` runs it, and the time its statements
spent in the store is summed from SQLAlchemy's cursor events. Target: ≤ 50 ms of store time.

Baseline, same run, same store: one bare indexed query for due tenants
(``SELECT id FROM tenant WHERE digest_due_at <= :now``). Also printed: the tick as it was before
the stored due time (every tenant read and its schedule worked out in Python, then its claims
looked up), and the plans of the due query on the dialect.

    .venv/bin/python bench/bench_tick.py          # SQLite, then PostgreSQL when reachable
    .venv/bin/python bench/bench_tick.py --sqlite # SQLite only
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import reachable, store  # noqa: E402
from sqlalchemy import event, insert, or_, select, text  # noqa: E402

from bots.delivery import Deliveries  # noqa: E402
from bots.scheduler import DigestRunner  # noqa: E402
from core import schedule  # noqa: E402
from core.app import Hromada  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.replies import Notice, Reply  # noqa: E402
from storage import digests  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.digests import JobClaim  # noqa: E402
from storage.models import Tenant  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
N_TENANTS, WEEKS = 10_000, 10
NOW = datetime(2026, 3, 4, 10, 17, tzinfo=UTC)  # a Wednesday: nobody's digest is due now
ZONES = ("UTC", "Europe/Kyiv", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
TARGET_MS = 50.0


class NeverPosts:
    """A delivery the tick must never call: nothing is due."""

    def __init__(self, platform: str) -> None:
        self.platform = platform

    async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> str:
        raise AssertionError(f"{tenant_id} was not due")

    async def post_picture(self, tenant_id: str, channel_id: str, message_id: str,
                           reply: Reply) -> None:
        raise AssertionError(f"{tenant_id} was not due")

    async def notify(self, tenant_id: str, notices: list[Notice]) -> list[str]:
        raise AssertionError(f"{tenant_id} was not due")


def populate(db: Database) -> None:
    rng = random.Random(20261204)
    tenants, claims = [], []
    for i in range(N_TENANTS):
        tid = f"{('slack', 'discord', 'console')[i % 3]}:{i:06d}"
        weekday = rng.choice((0, 0, 0, 1, 4))  # Mondays mostly, never Wednesday
        hhmm = f"{rng.randint(7, 11):02d}:{rng.choice((0, 15, 30, 45)):02d}"
        zone = rng.choice(ZONES)
        last = schedule.latest_occurrence(weekday, hhmm, zone, NOW)
        tenants.append({
            "id": tid, "name": tid, "language": "en", "anonymity_k": 5,
            "company_values": "teamwork", "moderators": "", "moderator_roles": "",
            "digest_channel": "C1", "digest_weekday": weekday, "digest_time": hhmm,
            "digest_tz": zone, "digest_enabled": True, "created_at": NOW - timedelta(days=400),
            "digest_due_at": schedule.next_occurrence(weekday, hhmm, zone, NOW),
            "retention_days": 30, "verify_days": 90})
        for w in range(WEEKS):
            end = last - timedelta(weeks=w)
            key = schedule.period_ending(end, zone).key
            claims.append({"tenant_id": tid, "job": schedule.DIGEST_JOB, "period_key": key,
                           "status": digests.POSTED, "owner": "bench", "attempts": 1,
                           "lease_until": end + timedelta(minutes=10), "claimed_at": end,
                           "done_at": end, "message_id": f"C1:{w}", "reached": "",
                           "picture_tries": 0, "error": ""})
    with db.engine.begin() as conn:
        conn.execute(insert(Tenant), tenants)
        conn.execute(insert(JobClaim), claims)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def old_due(db: Database, now: datetime) -> list[tuple[str, schedule.Period]]:
    """The due query before the stored due time: every tenant's schedule in Python."""
    with db.uow() as session:
        stmt = select(Tenant).where(Tenant.digest_enabled.is_(True),  # type: ignore[attr-defined]
                                    Tenant.digest_channel.is_not(None),  # type: ignore[union-attr]
                                    Tenant.uninstalled_at.is_(None))  # type: ignore[union-attr]
        candidates = []
        for tenant in session.execute(stmt).scalars():
            period = schedule.current_period(tenant, now)
            created = tenant.created_at
            if created.tzinfo is None:
                created = created.replace(tzinfo=UTC)
            if period.end >= created:
                candidates.append((tenant.id, period))
        held = digests.blocked(session, job=schedule.DIGEST_JOB,
                               pairs=[(t, p.key) for t, p in candidates], now=now)
        return [(t, p) for t, p in candidates if (t, p.key) not in held]


class StoreClock:
    """Sums the time statements spend in the store (cursor execute to its return)."""

    def __init__(self, db: Database) -> None:
        self.total = 0.0
        self.statements = 0
        self._started: list[float] = []
        event.listen(db.engine, "before_cursor_execute", self._before)
        event.listen(db.engine, "after_cursor_execute", self._after)

    def _before(self, *_args: object) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_args: object) -> None:
        self.total += time.perf_counter() - self._started.pop()
        self.statements += 1


def measure(db: Database, rounds: int) -> None:
    populate(db)
    deliveries = Deliveries()
    for platform in ("slack", "discord", "console"):
        deliveries.add(NeverPosts(platform))
    clock = ManualClock(NOW)
    runner = DigestRunner(Hromada(db, secret=b"bench-secret", clock=clock), deliveries)
    bare_sql = text("SELECT id FROM tenant WHERE digest_due_at <= :now")

    def bare() -> None:
        with db.engine.connect() as conn:
            assert conn.execute(bare_sql, {"now": NOW}).all() == []

    meter = StoreClock(db)
    bare()
    assert asyncio.run(runner.tick()) == []  # warm: connections, statement caches
    ticks, stores, bares, statements = [], [], [], 0
    for _ in range(rounds):  # interleaved with the baseline, so load hits both alike
        t0 = time.perf_counter()
        bare()
        bares.append(time.perf_counter() - t0)
        meter.total, meter.statements = 0.0, 0
        t0 = time.perf_counter()
        assert asyncio.run(runner.tick()) == []
        ticks.append(time.perf_counter() - t0)
        stores.append(meter.total)
        statements = meter.statements
    t0 = time.perf_counter()
    assert old_due(db, NOW) == []
    old = time.perf_counter() - t0
    med = statistics.median
    print(f"  bare indexed due query : median {med(bares) * 1000:7.2f} ms")
    print(f"  tick, store time       : median {med(stores) * 1000:7.2f} ms, max "
          f"{max(stores) * 1000:.2f} ms ({statements} statements; target ≤ {TARGET_MS:.0f} ms: "
          f"{'met' if med(stores) * 1000 <= TARGET_MS else 'NOT met'})")
    print(f"  tick, whole (wall)     : median {med(ticks) * 1000:7.2f} ms "
          f"(asyncio.run and worker threads included)")
    print(f"  ratio tick store time / bare query: {med(stores) / med(bares):.2f}×")
    print(f"  before the stored due time (every schedule in Python): {old * 1000:.0f} ms once "
          f"= {old / med(stores):.0f}× the tick's store time now")
    t = Tenant.__table__.c  # type: ignore[attr-defined]
    due_stmt = select(t.id).where(t.digest_enabled.is_(True), t.digest_channel.is_not(None),
                                  t.uninstalled_at.is_(None),
                                  or_(t.digest_due_at.is_(None), t.digest_due_at <= NOW))
    sql = str(due_stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + sql).all()
    print("  plan of the due query: " + " | ".join(str(r[-1]) for r in rows))



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite only")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(f"scheduler tick: {N_TENANTS:,} tenants, none due, "
          f"{N_TENANTS * WEEKS:,} settled claims")
    with store(None) as db:
        print("store: sqlite")
        measure(db, args.rounds)
    if args.sqlite:
        return
    pg_url = os.environ.get("HROMADA_TEST_DATABASE_URL") or DEFAULT_PG
    if not reachable(pg_url):
        print("store: postgresql skipped (not reachable)")
        return
    with store(pg_url) as db:
        print("store: postgresql")
        measure(db, args.rounds)


if __name__ == "__main__":
    main()
