"""The weekly digest of a big tenant against the bare SQL query for its top-ideas section.

Tenant: 10,000 ideas, 1,000,000 votes over a year (about 19,000 in the digest's week), 2,000
members in 8 departments, plus risks, snippets, questions, status changes, pulses and kudos.
Every timed build draws its picture afresh, as the weekly run does (a fresh picture directory
per build: no picture reused from disk). Baseline, same run, same store: the top-ideas
aggregate alone on its best index (ix_vote_tenant_created, with INDEXED BY on SQLite) plus the
same drawing (``core.digest._picture`` with the inputs the build drew from, into a fresh
directory). The query and the build are each timed as a caller runs them: a connection from
the pool (a pre-ping on PostgreSQL), the statements, the transaction's end. Target: the digest
within 1.5× that baseline. The planner trap (the same aggregate
grouped by plain ``item_id``, no index hint, on SQLite) is measured once with its plan, and the
plans of every vote query the digest runs are printed (EXPLAIN on both dialects).

The cost curve: the same tenant at 10,000 ideas / 1,000,000 votes, and with ``--full`` at
100,000 ideas / 10,000,000 votes on PostgreSQL (votes generated server-side with
generate_series; the large size takes minutes to set up, so it is not in ``make bench``).

    .venv/bin/python bench/bench_digest.py            # SQLite, then PostgreSQL if reachable
    .venv/bin/python bench/bench_digest.py --sqlite   # SQLite only
    .venv/bin/python bench/bench_digest.py --pg       # PostgreSQL only (HROMADA_TEST_DATABASE_URL
                                                      # or postgresql+psycopg://postgres@127.0.0.1)
    .venv/bin/python bench/bench_digest.py --pg --full  # and the 100k / 10M point of the curve
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import reachable, store, summary, timed  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from core import digest as digest_module  # noqa: E402
from core import schedule  # noqa: E402
from core.digest import build_digest, top_ideas  # noqa: E402
from storage.culture import Kudos, PulseAnswer  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Counter, Item, Member, StatusChange, Tenant  # noqa: E402

TENANT = "bench:main"
OTHER = "bench:other"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
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


def populate(db: Database, n_ideas: int = N_IDEAS, n_votes: int = N_VOTES) -> None:
    """Bulk Core inserts; votes generated in Python (SQLite) or by the server (PostgreSQL,
    generate_series): seeded, so every run is the same."""
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
        counts = {"idea": n_ideas, "risk": 60, "snippet": 300, "question": 120, "pulse": 8}
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
            {"tenant_id": TENANT, "item_id": rng.randint(1, n_ideas), "old_status": "new",
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
    # Every idea gets a skewed share of distinct members, over the year.
    weights = [1.0 / (1 + (i % 500)) ** 0.5 for i in range(n_ideas)]
    scale = n_votes / sum(weights)
    if not db.is_sqlite:
        _generate_votes(db, n_ideas, scale)
    else:
        votes: list[tuple[str, int, int, int, datetime]] = []
        members = list(range(1, N_MEMBERS + 1))
        for i, w in enumerate(weights):
            k = min(N_MEMBERS, round(w * scale))
            for m in rng.sample(members, k):
                votes.append((TENANT, i + 1, m, 1 if rng.random() < 0.8 else -1, when(rng)))
        _insert_votes(db, votes[:n_votes])
    with db.engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM vote")).scalar_one()
    print(f"populated: {n:,} votes, {n_ideas:,} ideas in {time.perf_counter() - t0:.1f} s")
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def _generate_votes(db: Database, n_ideas: int, scale: float) -> None:
    """PostgreSQL makes the votes itself: idea i (ids 1..n_ideas are the ideas) gets
    round(scale / sqrt(1 + i % 500)) distinct members, 80 % up, spread over the year."""
    with db.engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.2026)"))
        conn.execute(text("""
            INSERT INTO vote (tenant_id, item_id, member_id, value, created_at)
            SELECT :t, i, ((i * 7919 + j) % :m) + 1,
                   CASE WHEN random() < 0.8 THEN 1 ELSE -1 END,
                   CAST(:end AS timestamptz) - random() * interval '364 days'
            FROM generate_series(1, :n) AS i,
                 LATERAL generate_series(0, LEAST(:m, round(:scale / sqrt(1 + i % 500))::int)
                                            - 1) AS j"""),
            {"t": TENANT, "m": N_MEMBERS, "end": END, "n": n_ideas, "scale": scale})


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
    raise ValueError("PostgreSQL generates its votes (_generate_votes)")


def _runs(fn, seconds: float = 6.0, at_most: int = 40) -> list[float]:  # type: ignore[no-untyped-def]
    """Interleaved-friendly repeats: at least 5, until ``seconds`` are spent. ``fn`` returns
    the seconds it counts (its set-up and clean-up left out)."""
    out: list[float] = []
    start = time.perf_counter()
    while len(out) < 5 or (time.perf_counter() - start < seconds and len(out) < at_most):
        out.append(fn())
    return out


def _clocked(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _in_fresh_dir(parent: Path, fn) -> float:  # type: ignore[no-untyped-def]
    """Time ``fn(directory)`` with a new, empty picture directory: nothing drawn before."""
    folder = Path(tempfile.mkdtemp(dir=parent))
    try:
        t0 = time.perf_counter()
        fn(folder)
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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


def measure(db: Database, n_ideas: int, n_votes: int) -> tuple[float, float, float]:
    """Populate, time, print; (bare query, drawing, digest) medians in seconds."""
    print(f"store: {db.engine.dialect.name}, {n_ideas:,} ideas / {n_votes:,} votes")
    populate(db, n_ideas, n_votes)
    with db.uow() as session:
        tenant = session.get(Tenant, TENANT)
        assert tenant is not None
        period = schedule.current_period(tenant, END + timedelta(hours=1))
    params = {"t": TENANT, "s": period.start, "e": period.end}
    if db.is_sqlite:
        params = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
                  for k, v in params.items()}
    bare_sql = BARE_SQLITE if db.is_sqlite else BARE_PG
    with db.engine.connect() as conn:
        in_week = conn.execute(text(
            "SELECT COUNT(*) FROM vote WHERE tenant_id = :t AND created_at >= :s "
            "AND created_at < :e"), params).scalar_one()
    print(f"period {period.key}: {in_week:,} votes in the week")
    built_at = period.end + timedelta(minutes=1)  # when the scheduler builds it

    # The inputs the build draws its picture from, captured once, for the baseline's drawing.
    drawn: list[tuple[object, ...]] = []
    real_picture = digest_module._picture

    def capture(*args: object) -> Path | None:
        drawn.append(args[:-1])
        return real_picture(*args)  # type: ignore[arg-type]

    with tempfile.TemporaryDirectory() as images_dir:
        digest_module._picture = capture  # type: ignore[assignment]
        try:
            with db.uow() as session:
                reply = build_digest(session, TENANT, period, image_dir=Path(images_dir),
                                     now=built_at)
        finally:
            digest_module._picture = real_picture  # type: ignore[assignment]
    assert reply.image is not None and len(drawn) == 1, "the big tenant's digest has a picture"
    picture_args = drawn[0]

    # Each side is timed as a caller runs it, like the digest's own unit of work: a connection
    # from the pool (a pre-ping on PostgreSQL), the statements, the transaction's end.
    def bare() -> float:
        def run() -> None:
            with db.engine.connect() as conn:
                conn.execute(text(bare_sql), params).all()
        return _clocked(run)

    def section() -> float:
        def run() -> None:
            with db.uow() as session:
                top_ideas(session, TENANT, period)
        return _clocked(run)

    def trap() -> None:
        with db.engine.connect() as conn:
            conn.execute(text(TRAP_SQLITE), params).all()

    with tempfile.TemporaryDirectory() as parent_dir:
        parent = Path(parent_dir)

        def draw() -> float:
            return _in_fresh_dir(parent, lambda d: real_picture(*picture_args, d))  # type: ignore[arg-type]

        def digest() -> float:
            def build(folder: Path) -> None:
                with db.uow() as session:
                    assert build_digest(session, TENANT, period, image_dir=folder,
                                        now=built_at).image is not None
            return _in_fresh_dir(parent, build)

        bare()
        rounds: dict[str, list[float]] = {"bare": [], "draw": [], "section": [], "digest": []}
        for _ in range(3):  # interleaved, so load on the machine hits all alike
            rounds["bare"] += _runs(bare, 2.0)
            rounds["draw"] += _runs(draw, 1.0)
            rounds["section"] += _runs(section, 1.0)
            rounds["digest"] += _runs(digest, 2.0)
    if db.is_sqlite:
        with db.engine.connect() as conn:
            plan = conn.execute(text("EXPLAIN QUERY PLAN " + TRAP_SQLITE), params).all()
        print(f"plain GROUP BY item_id, no hint: {timed(trap) * 1000:8.1f} ms once, plan: "
              + " | ".join(str(r[-1]) for r in plan))
    print(f"bare top-ideas query : {summary(rounds['bare'])}  ({len(rounds['bare'])} runs)")
    print(f"the same drawing     : {summary(rounds['draw'])}  (picture drawn and written)")
    print(f"top-ideas section    : {summary(rounds['section'])}")
    print(f"whole digest build   : {summary(rounds['digest'])}  "
          f"({len(rounds['digest'])} runs, picture drawn afresh every time)")
    for name, pick in (("medians", statistics.median), ("minimums", min)):
        base = pick(rounds["bare"]) + pick(rounds["draw"])
        print(f"ratio vs bare query + drawing ({name}): whole digest "
              f"{pick(rounds['digest']) / base:.2f}× (target ≤ 1.5×); top-ideas section vs the "
              f"bare query {pick(rounds['section']) / pick(rounds['bare']):.2f}×")
    plans(db, period)
    return (statistics.median(rounds["bare"]), statistics.median(rounds["draw"]),
            statistics.median(rounds["digest"]))



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL only")
    parser.add_argument("--sqlite", action="store_true", help="SQLite only")
    parser.add_argument("--full", action="store_true",
                        help="add 100,000 ideas / 10,000,000 votes on PostgreSQL (minutes)")
    args = parser.parse_args()
    curve: list[tuple[str, int, int, tuple[float, float, float]]] = []
    if not args.pg:
        with store(None) as db:
            curve.append(("sqlite", N_IDEAS, N_VOTES, measure(db, N_IDEAS, N_VOTES)))
    if not args.sqlite:
        pg_url = os.environ.get("HROMADA_TEST_DATABASE_URL") or DEFAULT_PG
        if not reachable(pg_url):
            print("PostgreSQL: skipped (not reachable)")
        else:
            sizes = [(N_IDEAS, N_VOTES)] + ([(10 * N_IDEAS, 10 * N_VOTES)] if args.full else [])
            for n_ideas, n_votes in sizes:
                with store(pg_url) as db:
                    curve.append(("postgresql", n_ideas, n_votes,
                                  measure(db, n_ideas, n_votes)))
    print("cost curve (medians): store, ideas / votes: bare query, drawing, whole digest")
    for dialect, n_ideas, n_votes, (bare, draw, digest) in curve:
        print(f"  {dialect:10s} {n_ideas:>7,} / {n_votes:>10,}: {bare * 1000:7.1f} ms, "
              f"{draw * 1000:5.1f} ms, {digest * 1000:7.1f} ms  "
              f"({digest / (bare + draw):.2f}× bare + drawing)")


if __name__ == "__main__":
    main()
