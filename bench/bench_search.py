"""Knowledge search and the duplicate check over 100,000 snippets, against bare rapidfuzz.

Our path: the store's trigram prefilter (FTS5 on SQLite, pg_trgm on PostgreSQL) and a WRatio
rerank (``core.search.ranked``), the whole ``/kb search`` command, and the duplicate prompt of
``/kb add``. Baseline, same run, same queries: ``rapidfuzz.process.extract(query, titles,
scorer=WRatio, limit=10)`` over every title in memory. Queries are known titles with 1-2 typos.

    .venv/bin/python bench/bench_search.py            # SQLite
    .venv/bin/python bench/bench_search.py --pg        # PostgreSQL (HROMADA_TEST_DATABASE_URL
                                                       # or postgresql+psycopg://postgres@127.0.0.1)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import make_titles, now, store, summary, typo_queries  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from core import items  # noqa: E402
from core.app import Hromada  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.context import Actor  # noqa: E402
from core.refs import format_ref  # noqa: E402
from core.search import DUPLICATE_THRESHOLD, normalise, ranked  # noqa: E402
from storage import repos  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Counter, Item, Member, Tenant  # noqa: E402

TENANT = "bench:main"
OTHER = "bench:other"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def populate(db: Database, titles: list[str], other: list[str]) -> dict[int, int]:
    """Bulk insert through SQLAlchemy Core; the FTS triggers (or the GIN index) keep up.

    Returns item id -> index of its title, for the main tenant.
    """
    when = now()
    with db.engine.begin() as conn:
        for tid in (TENANT, OTHER):
            conn.execute(insert(Tenant.__table__), [{  # type: ignore[attr-defined]
                "id": tid, "name": tid, "language": "en", "anonymity_k": 5,
                "company_values": "", "moderators": "", "moderator_roles": "",
                "digest_channel": None, "digest_weekday": 0, "digest_time": "09:00",
                "digest_tz": "UTC", "digest_enabled": True, "created_at": when}])
            conn.execute(insert(Member.__table__), [{  # type: ignore[attr-defined]
                "tenant_id": tid, "user_id": "author", "display_name": "Author", "skills": "",
                "interests": "", "former": False, "created_at": when}])
        for tid, batch in ((TENANT, titles), (OTHER, other)):
            rows = [{
                "tenant_id": tid, "kind": "snippet", "number": n, "title": t, "body": t,
                "search_text": normalise(t), "author_id": None, "anonymous": False,
                "status": "published", "created_at": when, "updated_at": when,
            } for n, t in enumerate(batch, 1)]
            for i in range(0, len(rows), 5000):
                conn.execute(insert(Item.__table__), rows[i:i + 5000])  # type: ignore[attr-defined]
            conn.execute(insert(Counter.__table__),  # type: ignore[attr-defined]
                         [{"tenant_id": tid, "kind": "snippet", "last": len(batch)}])
        ids = conn.execute(select(Item.id, Item.number).where(Item.tenant_id == TENANT)).all()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE item")
    return {int(i): int(n) - 1 for i, n in ids}


def plans(db: Database, queries: list[str]) -> list[str]:
    """The store's query plans for the candidate look-ups of a search (both passes)."""
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "item_fts" in statement or "search_text %" in statement or "<%" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        for q in queries:
            with db.uow() as session:
                repos.search_candidates(session, TENANT, ["snippet"], normalise(q),
                                        strict=True)
                repos.search_candidates(session, TENANT, ["snippet"], normalise(q))
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    out = []
    with db.engine.connect() as conn:
        for n, (statement, parameters) in enumerate(seen):
            pass_ = "cheap pass" if n % 2 == 0 else "thorough pass"
            if db.engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET pg_trgm.similarity_threshold = "
                                     f"{repos.STRICT_SIMILARITY}")
                conn.exec_driver_sql("SET pg_trgm.word_similarity_threshold = "
                                     f"{repos.LOOSE_WORD_SIMILARITY}")
                rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
                steps = [r[0].strip() for r in rows if "Scan" in r[0]]
            else:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                            parameters).all()
                steps = [str(r[-1]) for r in rows if "SCAN" in r[-1] or "SEARCH" in r[-1]]
            out.append(f"plan ({queries[n // 2]!r}, {pass_}): " + " | ".join(steps))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snippets", type=int, default=100_000)
    ap.add_argument("--other-tenant", type=int, default=10_000,
                    help="snippets in a second tenant (copies of titles): tenant filtering")
    ap.add_argument("--queries", type=int, default=300, help="typo queries for our path")
    ap.add_argument("--baseline-queries", type=int, default=50,
                    help="of those, how many also run through the full-scan baseline (~0.6 s each)")
    ap.add_argument("--pg", nargs="?", const=os.environ.get("HROMADA_TEST_DATABASE_URL")
                    or DEFAULT_PG, default=None, help="PostgreSQL URL (admin database)")
    args = ap.parse_args()
    started = time.perf_counter()

    titles = make_titles(args.snippets)
    rng = random.Random(11)
    other = [titles[rng.randrange(len(titles))] for _ in range(args.other_tenant)]
    queries = typo_queries(titles, args.queries)
    nbase = min(args.baseline_queries, len(queries))

    with store(args.pg) as db:
        t0 = time.perf_counter()
        id_to_index = populate(db, titles, other)
        index_to_id = {v: k for k, v in id_to_index.items()}
        print(f"store: {db.engine.dialect.name}, {len(titles):,} snippets "
              f"(+{len(other):,} in another tenant) loaded in {time.perf_counter() - t0:.1f} s")
        hromada = Hromada(db, secret=b"bench", clock=ManualClock(now()))
        actor = Actor(TENANT, "reader", "Reader")

        # Warm the caches once (first statement compilation, page cache).
        for q, _ in queries[:5]:
            with db.uow() as session:
                ranked(session, TENANT, ["snippet"], q, limit=10)
        for line in plans(db, [queries[0][0], "vpn tokn"]):
            print(line)

        # 1. Our ranked search: prefilter + rerank, one unit of work per query.
        ours_t: list[float] = []
        ours_hit: list[bool] = []
        for q, idx in queries:
            t = time.perf_counter()
            with db.uow() as session:
                found = ranked(session, TENANT, ["snippet"], q, limit=10)
            ours_t.append(time.perf_counter() - t)
            ours_hit.append(index_to_id[idx] in [i for i, _ in found])

        # 2. The whole /kb search command through the facade (exact look-ups, rerank, reply).
        cmd_t: list[float] = []
        cmd_hit: list[bool] = []
        for q, idx in queries:
            t = time.perf_counter()
            reply = hromada.run(actor, "kb", f"search {q}")
            cmd_t.append(time.perf_counter() - t)
            refs = {line.ref for line in reply.lines}
            cmd_hit.append(format_ref("snippet", idx + 1) in refs)

        # 3. The duplicate check of /kb add: a prompt that must list the source snippet.
        dup_t: list[float] = []
        dup_hit: list[bool] = []
        for q, idx in queries:
            t = time.perf_counter()
            with hromada.context(actor) as ctx:
                prompt = items.duplicate_prompt(ctx, "snippet", q, {"title": q},
                                                open_statuses_excluded=("archived",))
            dup_t.append(time.perf_counter() - t)
            refs = {line.ref for line in prompt.lines} if prompt else set()
            dup_hit.append(format_ref("snippet", idx + 1) in refs)

    # 4. The baseline: bare rapidfuzz over every title, on the first ``nbase`` queries.
    base_t: list[float] = []
    base_hit: list[bool] = []
    for q, idx in queries[:nbase]:
        t = time.perf_counter()
        found = process.extract(q, titles, scorer=fuzz.WRatio, limit=10)
        base_t.append(time.perf_counter() - t)
        base_hit.append(idx in [k for _, _, k in found])
    dup_base_t: list[float] = []
    dup_base_hit: list[bool] = []
    for q, idx in queries[: max(1, nbase // 2)]:
        t = time.perf_counter()
        found = process.extract(q, titles, scorer=fuzz.WRatio, limit=3,
                                score_cutoff=DUPLICATE_THRESHOLD)
        dup_base_t.append(time.perf_counter() - t)
        dup_base_hit.append(idx in [k for _, _, k in found])

    def recall(hits: list[bool]) -> float:
        return sum(hits) / len(hits)

    base_mean = statistics.fmean(base_t)
    print(f"queries: {len(queries)} typo queries (1-2 edits, Latin and Cyrillic); "
          f"baseline on the first {nbase}")
    print(f"baseline  process.extract WRatio : {summary(base_t)} · "
          f"recall@10 {recall(base_hit):.3f}")
    print(f"ours      ranked (prefilter+WRatio): {summary(ours_t)} · "
          f"recall@10 {recall(ours_hit):.3f} "
          f"(on the baseline's {nbase}: {recall(ours_hit[:nbase]):.3f})")
    print(f"ours      /kb search command      : {summary(cmd_t)} · "
          f"recall@10 {recall(cmd_hit):.3f}")
    print(f"baseline  duplicate (cutoff {DUPLICATE_THRESHOLD:.0f})   : {summary(dup_base_t)} · "
          f"recall@3 {recall(dup_base_hit):.3f}")
    print(f"ours      duplicate prompt        : {summary(dup_t)} · "
          f"recall@3 {recall(dup_hit):.3f}")
    print(f"ratio ranked search  : {base_mean / statistics.fmean(ours_t[:nbase]):6.1f}x faster "
          f"than the baseline (target >= 20x, recall@10 >= 0.95)")
    print(f"ratio /kb search     : {base_mean / statistics.fmean(cmd_t[:nbase]):6.1f}x faster")
    print(f"ratio duplicate check: "
          f"{statistics.fmean(dup_base_t) / statistics.fmean(dup_t[:len(dup_base_t)]):6.1f}x "
          f"faster")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
