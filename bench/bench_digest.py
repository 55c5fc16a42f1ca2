"""The weekly digest of a big tenant against the bare SQL query for its top-ideas section.

Tenant: 10,000 ideas, 1,000,000 votes over a year (about 19,000 in the digest's week), 2,000
members in 8 departments, plus risks, snippets, questions, status changes, pulses and kudos.
Baseline, same run, same store: the top-ideas aggregate alone on its best index
(ix_vote_tenant_created, with INDEXED BY on SQLite). Ours: ``core.digest.build_digest``, every
section and the picture. Target: the digest within 1.5× the bare query. The planner trap (the
same aggregate grouped by plain ``item_id``, no index hint, on SQLite) is measured once with
its plan, and the plans of the digest's vote queries are printed.

    .venv/bin/python bench/bench_digest.py            # SQLite
    .venv/bin/python bench/bench_digest.py --pg       # PostgreSQL (HROMADA_TEST_DATABASE_URL
                                                      # or postgresql+psycopg://postgres@127.0.0.1)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import store, summary, timed  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from core import schedule  # noqa: E402
from core.digest import build_digest, top_ideas  # noqa: E402
from storage.culture import Kudos, PulseAnswer  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Counter, Item, Member, StatusChange, Tenant  # noqa: E402

TENANT = "bench:main"
OTHER = "bench:other"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
END = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the digest's period ends here (a Monday)
YEAR = timedelta(days=364)
N_IDEAS, N_VOTES, N_MEMBERS = 10_000, 1_000_000, 2_000
DEPARTMENTS = ["Engineering", "Sales", "Support", "People", "Finance", "Design", "Data", "Legal"]

BARE_SQLITE = """
SELECT item_id, SUM(value) AS net, COUNT(*) AS n
FROM vote INDEXED BY ix_vote_tenant_created
WHERE tenant_id = :t AND created_at >= :s AND created_at < :e
GROUP BY item_id ORDER BY net DESC, n DESC LIMIT 5"""
BARE_PG = """
SELECT item_id, SUM(value) AS net, COUNT(*) AS n
FROM vote
WHERE tenant_id = :t AND created_at >= :s AND created_at < :e
GROUP BY item_id ORDER BY net DESC, n DESC LIMIT 5"""
TRAP_SQLITE = """
SELECT item_id, SUM(value) AS net, COUNT(*) AS n
FROM vote
WHERE tenant_id = :t AND created_at >= :s AND created_at < :e
GROUP BY item_id ORDER BY net DESC, n DESC LIMIT 5"""


def when(rng: random.Random) -> datetime:
    return END - timedelta(seconds=rng.uniform(0, YEAR.total_seconds()))


def populate(db: Database) -> None:
    """Bulk Core inserts (COPY for votes on PostgreSQL): seeded, so every run is the same."""
    rng = random.Random(20261130)
    t0 = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(insert(Tenant), [
            {"id": tid, "name": tid, "language": "en", "anonymity_k": 5,
             "company_values": "teamwork,craft", "moderators": "", "moderator_roles": "",
             "digest_channel": "C1", "digest_weekday": 0, "digest_time": "09:00",
             "digest_tz": "UTC", "digest_enabled": True, "created_at": END - 2 * YEAR}
            for tid in (TENANT, OTHER)])
        conn.execute(insert(Member), [
            {"id": i, "tenant_id": TENANT, "user_id": f"U{i}", "display_name": f"Member {i}",
             "department": DEPARTMENTS[i % len(DEPARTMENTS)], "location": None, "skills": "",
             "interests": "", "former": False, "created_at": END - 2 * YEAR}
            for i in range(1, N_MEMBERS + 1)])
        rows = []
        next_id = 1
        counts = {"idea": N_IDEAS, "risk": 60, "snippet": 300, "question": 120, "pulse": 8}
        for kind, n in counts.items():
            for number in range(1, n + 1):
                rows.append({
                    "id": next_id, "tenant_id": TENANT, "kind": kind, "number": number,
                    "title": f"{kind} {number}: make the {rng.choice(DEPARTMENTS)} week better",
                    "body": "", "search_text": "", "author_id": rng.randint(1, N_MEMBERS),
                    "anonymous": False, "anon_hash": None,
                    "status": {"risk": "open", "snippet": "published",
                               "question": "open", "pulse": "closed"}.get(kind, "new"),
                    "merged_into_id": None,
                    "likelihood": rng.randint(1, 5) if kind == "risk" else None,
                    "impact": rng.randint(1, 5) if kind == "risk" else None,
                    "owner_id": None, "source_link": None, "source_author": None,
                    "answer": None, "position": None, "created_at": when(rng),
                    "updated_at": END})
                next_id += 1
        conn.execute(insert(Item), rows)
        conn.execute(insert(Counter), [{"tenant_id": TENANT, "kind": k, "last": n}
                                       for k, n in counts.items()])
        conn.execute(insert(StatusChange), [
            {"tenant_id": TENANT, "item_id": rng.randint(1, N_IDEAS), "old_status": "new",
             "new_status": rng.choice(["reviewing", "planned", "done"]), "note": "",
             "actor_id": 1, "created_at": when(rng)} for _ in range(2_000)])
        pulses = [r["id"] for r in rows if r["kind"] == "pulse"]
        # The digest shows closed pulses only: each was closed at some time in the year.
        conn.execute(insert(StatusChange), [
            {"tenant_id": TENANT, "item_id": p, "old_status": "open", "new_status": "closed",
             "note": "", "actor_id": 1, "created_at": when(rng)} for p in pulses])
        conn.execute(insert(PulseAnswer), [
            {"tenant_id": TENANT, "item_id": p, "answer_key": f"k{p}-{m}",
             "value": rng.randint(1, 5), "department": DEPARTMENTS[m % 8]}
            for p in pulses for m in range(1, 301)])
        conn.execute(insert(Kudos), [
            {"tenant_id": TENANT, "giver_id": rng.randint(1, N_MEMBERS),
             "receiver_id": rng.randint(1, N_MEMBERS), "value": rng.choice(["teamwork", "craft"]),
             "message": "thanks", "created_at": when(rng)} for _ in range(5_000)])
    # 1,000,000 votes: every idea gets a skewed share of distinct members, over the year.
    votes: list[tuple[str, int, int, int, datetime]] = []
    weights = [1.0 / (1 + (i % 500)) ** 0.5 for i in range(N_IDEAS)]
    scale = N_VOTES / sum(weights)
    members = list(range(1, N_MEMBERS + 1))
    for i, w in enumerate(weights):
        k = min(N_MEMBERS, round(w * scale))
        for m in rng.sample(members, k):
            votes.append((TENANT, i + 1, m, 1 if rng.random() < 0.8 else -1, when(rng)))
    votes = votes[:N_VOTES]
    _insert_votes(db, votes)
    with db.engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM vote")).scalar_one()
    print(f"populated: {n:,} votes, {N_IDEAS:,} ideas in {time.perf_counter() - t0:.1f} s")
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def _insert_votes(db: Database, votes: list[tuple[str, int, int, int, datetime]]) -> None:
    if db.is_sqlite:
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.executemany(
                "INSERT INTO vote (tenant_id, item_id, member_id, value, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(t, i, m, v, c.strftime("%Y-%m-%d %H:%M:%S.%f")) for t, i, m, v, c in votes])
            raw.commit()
        finally:
            raw.close()
        return
    raw = db.engine.raw_connection()
    try:
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            with cur.copy("COPY vote (tenant_id, item_id, member_id, value, created_at) "
                          "FROM STDIN") as copy:
                for row in votes:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _runs(fn, seconds: float = 6.0, at_most: int = 40) -> list[float]:  # type: ignore[no-untyped-def]
    """Interleaved-friendly repeats: at least 5, until ``seconds`` are spent."""
    out: list[float] = []
    start = time.perf_counter()
    while len(out) < 5 or (time.perf_counter() - start < seconds and len(out) < at_most):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def plans(db: Database, period: schedule.Period) -> None:
    """EXPLAIN of every vote query the digest runs, captured as it runs them."""
    captured: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if "vote" in statement and not statement.startswith("EXPLAIN"):
            captured.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        with db.uow() as session:
            build_digest(session, TENANT, period, now=period.end + timedelta(minutes=1))
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    with db.engine.connect() as conn:
        for sql, params in captured:
            first = " ".join(sql.split())[:90]
            rows = conn.exec_driver_sql(prefix + sql, params).all()  # type: ignore[arg-type]
            print(f"  plan of: {first}…")
            for r in rows:
                print("     ", r[-1] if db.is_sqlite else r[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", action="store_true", help="run on PostgreSQL")
    args = parser.parse_args()
    pg_url = None
    if args.pg:
        pg_url = os.environ.get("HROMADA_TEST_DATABASE_URL") or DEFAULT_PG
    with store(pg_url) as db, tempfile.TemporaryDirectory() as images_dir:
        print(f"store: {db.engine.dialect.name}")
        populate(db)
        with db.uow() as session:
            tenant = session.get(Tenant, TENANT)
            assert tenant is not None
            period = schedule.current_period(tenant, END + timedelta(hours=1))
        params = {"t": TENANT, "s": period.start, "e": period.end}
        if db.is_sqlite:
            params = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
                      for k, v in params.items()}
        bare_sql = BARE_SQLITE if db.is_sqlite else BARE_PG

        def trap() -> None:
            with db.engine.connect() as conn:
                conn.execute(text(TRAP_SQLITE), params).all()
        with db.engine.connect() as conn:
            in_week = conn.execute(text(
                "SELECT COUNT(*) FROM vote WHERE tenant_id = :t AND created_at >= :s "
                "AND created_at < :e"), params).scalar_one()
        print(f"period {period.key}: {in_week:,} votes in the week")

        def bare() -> None:
            with db.engine.connect() as conn:
                conn.execute(text(bare_sql), params).all()

        built_at = period.end + timedelta(minutes=1)  # when the scheduler builds it

        def digest() -> None:
            with db.uow() as session:
                build_digest(session, TENANT, period, image_dir=Path(images_dir), now=built_at)

        def section() -> None:
            with db.uow() as session:
                top_ideas(session, TENANT, period)

        bare()
        cold = timed(digest)  # first build: counts 9 weeks, draws and writes the picture
        rounds: dict[str, list[float]] = {"bare": [], "section": [], "digest": []}
        for _ in range(3):  # interleaved, so load on the machine hits all three alike
            rounds["bare"] += _runs(bare, 2.0)
            rounds["section"] += _runs(section, 1.0)
            rounds["digest"] += _runs(digest, 2.0)
        if db.is_sqlite:
            with db.engine.connect() as conn:
                plan = conn.execute(text("EXPLAIN QUERY PLAN " + TRAP_SQLITE), params).all()
            print(f"plain GROUP BY item_id, no hint: {timed(trap) * 1000:8.1f} ms once, plan: "
                  + " | ".join(str(r[-1]) for r in plan))
        print(f"first digest build (cold: 9 weeks counted, picture drawn): {cold * 1000:.1f} ms")
        print(f"bare top-ideas query : {summary(rounds['bare'])}  ({len(rounds['bare'])} runs)")
        print(f"top-ideas section    : {summary(rounds['section'])}")
        print(f"whole digest build   : {summary(rounds['digest'])}  "
              f"({len(rounds['digest'])} runs)")
        for name, pick in (("medians", statistics.median), ("minimums", min)):
            base = pick(rounds["bare"])
            print(f"ratio vs bare ({name}): section {pick(rounds['section']) / base:.2f}×, "
                  f"whole digest {pick(rounds['digest']) / base:.2f}×  (target ≤ 1.5×)")
        plans(db, period)


if __name__ == "__main__":
    main()
