"""Knowledge search and the duplicate check at 1k, 10k and 100k snippets, against bare rapidfuzz.

Ours: ``core.search.ranked`` (the in-process index of ``core.search_index``, checked against
the store before each query), the whole ``/kb search`` command, and the duplicate prompt of
``/kb add``, one unit of work per query. Baseline, same run, same queries, ALL of them:
``rapidfuzz.process.extract(query, titles, scorer=WRatio, limit=10,
score_cutoff=MATCH_THRESHOLD)`` over every title, normalised once beforehand (lower case, no
punctuation: the kindest bare baseline), with the same score cutoff as ours (the duplicate
check's cutoff for the duplicate baseline). Queries are known titles (English and Ukrainian)
with 1-2 typos; recall@10 counts the source title among the results.

Also printed per size: the index's cold build time and its memory per 10,000 items
(tracemalloc), the garbage collector's pauses during the query loops, and the same queries
while another process (its own engine on the same store) inserts, archives and retitles
snippets between them: the index follows in place, with no reload in the request.

    .venv/bin/python bench/bench_search.py                      # SQLite; 1k, 10k, 100k
    .venv/bin/python bench/bench_search.py --sizes 10000 --queries 100
    .venv/bin/python bench/bench_search.py --pg                 # PostgreSQL (or set
                                                                # HROMADA_BENCH_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import make_titles, now, store, typo_queries  # noqa: E402
from _search_common import (  # noqa: E402
    GcPauses,
    churn,
    figures,
    index_figures,
    pct,
    populate,
    recall,
    store_option,
)
from rapidfuzz import fuzz, process  # noqa: E402

from core import items  # noqa: E402
from core.app import Hromada  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.context import Actor  # noqa: E402
from core.refs import format_ref  # noqa: E402
from core.search import DUPLICATE_THRESHOLD, MATCH_THRESHOLD, ranked  # noqa: E402
from storage import lemmas  # noqa: E402
from storage.db import Database  # noqa: E402

TENANT = "bench:main"
OTHER = "bench:other"


def run_size(size: int, args: argparse.Namespace) -> dict[str, float]:
    titles = make_titles(size)
    rng = random.Random(11)
    other = [titles[rng.randrange(len(titles))] for _ in range(max(1, size // 10))]
    queries = typo_queries(titles, args.queries)
    out: dict[str, float] = {}
    pauses = GcPauses()

    with store(args.pg) as db:
        t0 = time.perf_counter()
        id_to_index = populate(db, TENANT, titles, titles)
        populate(db, OTHER, other, other)
        index_to_id = {v: k for k, v in id_to_index.items()}
        print(f"\n== {size:,} snippets, {db.engine.dialect.name} (+{len(other):,} in another "
              f"tenant), loaded in {time.perf_counter() - t0:.1f} s; {len(queries)} typo "
              f"queries (1-2 edits, Latin and Cyrillic) ==")
        print(index_figures(db, TENANT, size))
        hromada = Hromada(db, secret=b"bench", clock=ManualClock(now()))
        actor = Actor(TENANT, "reader", "Reader")
        for q, _ in queries[:5]:  # warm up: statement compilation, page cache
            with db.uow() as session:
                ranked(session, TENANT, ["snippet"], q, limit=10)

        with pauses.on():
            ours_t, ours_hit = [], []
            for q, idx in queries:
                t = time.perf_counter()
                with db.uow() as session:
                    found = ranked(session, TENANT, ["snippet"], q, limit=10)
                ours_t.append(time.perf_counter() - t)
                ours_hit.append(index_to_id[idx] in [i for i, _ in found])

            cmd_t, cmd_hit = [], []
            for q, idx in queries:
                t = time.perf_counter()
                reply = hromada.run(actor, "kb", f"search {q}")
                cmd_t.append(time.perf_counter() - t)
                refs = {line.ref for line in reply.lines}
                if reply.title is not None:
                    refs.add(reply.title.plain().split(" · ")[0].split()[-1])
                cmd_hit.append(format_ref("snippet", idx + 1) in refs)

            dup_t, dup_hit = [], []
            for q, idx in queries:
                t = time.perf_counter()
                with hromada.context(actor) as ctx:
                    prompt = items.duplicate_prompt(ctx, "snippet", q, {"title": q},
                                                    open_statuses_excluded=("archived",))
                dup_t.append(time.perf_counter() - t)
                refs = {line.ref for line in prompt.lines} if prompt else set()
                dup_hit.append(format_ref("snippet", idx + 1) in refs)

        # The same queries while another process writes: inserts, status changes, retitles.
        writer = Database(db.url)
        try:
            step = churn(writer, TENANT, size, random.Random(5), titles)
            busy_t, writes = [], 0
            for n, (q, _) in enumerate(queries, 1):
                writes += bool(step(n))
                t = time.perf_counter()
                with db.uow() as session:
                    ranked(session, TENANT, ["snippet"], q, limit=10)
                busy_t.append(time.perf_counter() - t)
            # A burst: 100 inserts, 25 status changes and 10 retitles, then one query.
            for n in range(100):
                step(5 * (n + 1))
            t = time.perf_counter()
            with db.uow() as session:
                ranked(session, TENANT, ["snippet"], queries[0][0], limit=10)
            burst = time.perf_counter() - t
        finally:
            writer.dispose()

    # The baselines: bare rapidfuzz over every title, every query, the same cutoffs.
    plain_titles = [lemmas.plain(t) for t in titles]
    base_t, base_hit = [], []
    for q, idx in queries:
        t = time.perf_counter()
        found = process.extract(lemmas.plain(q), plain_titles, scorer=fuzz.WRatio,
                                processor=None, limit=10, score_cutoff=MATCH_THRESHOLD)
        base_t.append(time.perf_counter() - t)
        base_hit.append(idx in [k for _, _, k in found])
    dup_base_t, dup_base_hit = [], []
    for q, idx in queries:
        t = time.perf_counter()
        found = process.extract(lemmas.plain(q), plain_titles, scorer=fuzz.WRatio,
                                processor=None, limit=3, score_cutoff=DUPLICATE_THRESHOLD)
        dup_base_t.append(time.perf_counter() - t)
        dup_base_hit.append(idx in [k for _, _, k in found])

    def ratio(base: list[float], ours: list[float]) -> str:
        return (f"{statistics.fmean(base) / statistics.fmean(ours):6.1f}x by means, "
                f"{pct(base, 50) / pct(ours, 50):6.1f}x by medians")

    print(f"baseline  WRatio, all titles, cutoff {MATCH_THRESHOLD:.0f} : {figures(base_t)} · "
          f"recall@10 {recall(base_hit):.3f}")
    print(f"ours      ranked                    : {figures(ours_t)} · "
          f"recall@10 {recall(ours_hit):.3f}")
    print(f"ours      /kb search command        : {figures(cmd_t)} · "
          f"recall@10 {recall(cmd_hit):.3f}")
    print(f"baseline  duplicate, cutoff {DUPLICATE_THRESHOLD:.0f}      : {figures(dup_base_t)} · "
          f"recall@3 {recall(dup_base_hit):.3f}")
    print(f"ours      duplicate prompt          : {figures(dup_t)} · "
          f"recall@3 {recall(dup_hit):.3f}")
    print(f"ours      ranked, another process writing ({writes} of {len(queries)} queries "
          f"after a write): {figures(busy_t)}")
    print(f"ours      first query after 100 inserts, 25 status changes, 10 retitles: "
          f"{burst * 1000:.1f} ms (in place, no reload)")
    print(f"gc during the timed loops: {pauses.summary()}")
    print(f"ratio ranked search   : {ratio(base_t, ours_t)} faster than the baseline")
    print(f"ratio /kb search      : {ratio(base_t, cmd_t)} faster")
    print(f"ratio duplicate check : {ratio(dup_base_t, dup_t)} faster")
    out.update(ours50=pct(ours_t, 50), ours99=pct(ours_t, 99), cmd50=pct(cmd_t, 50),
               cmd99=pct(cmd_t, 99), busy99=pct(busy_t, 99), base50=pct(base_t, 50),
               ratio=statistics.fmean(base_t) / statistics.fmean(ours_t),
               recall=recall(ours_hit), base_recall=recall(base_hit))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000",
                    help="snippet counts in the searched tenant, comma-separated")
    ap.add_argument("--queries", type=int, default=200,
                    help="typo queries; ours and the baseline run every one of them")
    store_option(ap)
    args = ap.parse_args()
    started = time.perf_counter()
    curve = {size: run_size(size, args) for size in (int(s) for s in args.sizes.split(","))}
    print("\nhow it grows (ranked search, ms; the baseline scans every title):")
    print("   snippets   ours p50   ours p99  /kb p50  /kb p99  writing p99  baseline p50"
          "    ratio  recall (baseline)")
    for size, f in curve.items():
        print(f"{size:11,} {f['ours50']:10.2f} {f['ours99']:10.2f} {f['cmd50']:8.2f} "
              f"{f['cmd99']:8.2f} {f['busy99']:12.2f} {f['base50']:13.1f} {f['ratio']:7.1f}x"
              f"  {f['recall']:.3f} ({f['base_recall']:.3f})")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
