"""Ukrainian search over 100,000 snippets: inflected queries with a typo, against bare rapidfuzz.

Snippets: Ukrainian titles from the shared templates (``_common.make_titles``) and short
Ukrainian bodies, stored as the app stores them (lemmatised ``search_text`` and
``search_body``). Queries: a known title with its nouns and adjectives moved to another case
by pymorphy3 ("заявку на відпустку" -> "заявкою на відпустці"), then one typo. Ours:
``core.search.ranked`` (the in-process index, built before the timed loops; its build time and
memory are printed), the whole ``/kb search`` command, and, for comparison, ``ranked`` through
the store's own indexes (FTS5 / pg_trgm), as a tenant above ``MEMORY_LIMIT`` is served.
Baseline, same run, same queries, every one of them: ``rapidfuzz.process.extract(query,
titles, scorer=WRatio, limit=5, score_cutoff=MATCH_THRESHOLD)`` over every title as written,
and the same over titles normalised once beforehand (a kinder baseline); the same cutoff as
ours.

    .venv/bin/python bench/bench_search_uk.py                 # SQLite, 100,000 snippets
    .venv/bin/python bench/bench_search_uk.py --snippets 20000
    .venv/bin/python bench/bench_search_uk.py --pg            # PostgreSQL (or set
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

from _common import UK_NOUNS, UK_VERBS, make_titles, now, store, typo  # noqa: E402
from _search_common import (  # noqa: E402
    GcPauses,
    figures,
    index_figures,
    pct,
    populate,
    recall,
    store_option,
)
from rapidfuzz import fuzz, process  # noqa: E402

from core import search_index  # noqa: E402
from core.app import Hromada  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.context import Actor  # noqa: E402
from core.refs import format_ref  # noqa: E402
from core.search import MATCH_THRESHOLD, ranked  # noqa: E402
from storage import lemmas  # noqa: E402

TENANT = "bench:uk"
BODIES = [
    "Спершу {verb} {noun}, потім напишіть у канал підтримки.",
    "Відповідальний за {noun} допоможе, якщо {verb} не вдається.",
    "Наставник покаже, як {verb} {noun}; інструкція є у вікі.",
    "Перед тим як {verb} {noun}, погодьте це з керівником.",
    "Якщо {noun} не працює, створіть заявку в HR-системі.",
]
CASES = ("gent", "datv", "ablt", "loct")


def make_bodies(n: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(BODIES).format(verb=rng.choice(UK_VERBS), noun=rng.choice(UK_NOUNS))
            for _ in range(n)]


def inflect(rng: random.Random, title: str) -> str:
    """The title with its known nouns and adjectives in another case, as people write them."""
    morph = lemmas._analyzer()
    out = []
    for word in title.split():
        core = word.strip("?:,.()")
        parse = morph.parse(core.lower())[0] if len(core) >= 4 else None
        if parse is not None and morph.word_is_known(core.lower()) and (
                parse.tag.POS in ("NOUN", "ADJF")):
            moved = parse.inflect({rng.choice(CASES)})
            if moved is not None:
                new = moved.word if core.islower() else moved.word.capitalize()
                word = word.replace(core, new)
        out.append(word)
    return " ".join(out)


def queries(titles: list[str], n: int, seed: int = 9) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    out: list[tuple[str, int]] = []
    while len(out) < n:
        idx = rng.randrange(len(titles))
        moved = inflect(rng, titles[idx])
        if moved.lower() == titles[idx].lower():
            continue
        out.append((typo(rng, moved, 1), idx))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snippets", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200,
                    help="queries; ours and both baselines run every one of them")
    store_option(ap)
    args = ap.parse_args()
    started = time.perf_counter()

    titles = make_titles(args.snippets, ukrainian_share=1.0)
    bodies = make_bodies(len(titles))
    qs = queries(titles, args.queries)
    print("sample queries: " + " · ".join(f"{q!r} -> {titles[i]!r}" for q, i in qs[:3]))
    pauses = GcPauses()

    with store(args.pg) as db:
        t0 = time.perf_counter()
        id_to_index = populate(db, TENANT, titles, bodies, language="uk")
        index_to_id = {v: k for k, v in id_to_index.items()}
        print(f"store: {db.engine.dialect.name}, {len(titles):,} Ukrainian snippets loaded "
              f"(lemmatised) in {time.perf_counter() - t0:.1f} s")
        print(index_figures(db, TENANT, len(titles)))
        hromada = Hromada(db, secret=b"bench", clock=ManualClock(now()))
        actor = Actor(TENANT, "reader", "Reader")
        for q, _ in qs[:5]:  # warm up: statement compilation, page cache
            with db.uow() as session:
                ranked(session, TENANT, ["snippet"], q, limit=5)

        with pauses.on():
            ours_t: list[float] = []
            ours_hit: list[bool] = []
            for q, idx in qs:
                t = time.perf_counter()
                with db.uow() as session:
                    found = ranked(session, TENANT, ["snippet"], q, limit=5)
                ours_t.append(time.perf_counter() - t)
                ours_hit.append(index_to_id[idx] in [i for i, _ in found])

            cmd_t: list[float] = []
            cmd_hit: list[bool] = []
            for q, idx in qs:
                t = time.perf_counter()
                reply = hromada.run(actor, "kb", f"search {q}")
                cmd_t.append(time.perf_counter() - t)
                cmd_hit.append(format_ref("snippet", idx + 1)
                               in [ln.ref for ln in reply.lines[:5]])

        # For comparison: the store's own indexes, as a tenant above MEMORY_LIMIT is served.
        held, search_index.MEMORY_LIMIT = search_index.MEMORY_LIMIT, 0
        try:
            store_t: list[float] = []
            store_hit: list[bool] = []
            for q, idx in qs:
                t = time.perf_counter()
                with db.uow() as session:
                    found = ranked(session, TENANT, ["snippet"], q, limit=5)
                store_t.append(time.perf_counter() - t)
                store_hit.append(index_to_id[idx] in [i for i, _ in found])
        finally:
            search_index.MEMORY_LIMIT = held

    # The baseline as written: bare WRatio over the titles, every query, the same cutoff.
    base_t: list[float] = []
    base_hit: list[bool] = []
    for q, idx in qs:
        t = time.perf_counter()
        found = process.extract(q, titles, scorer=fuzz.WRatio, limit=5,
                                score_cutoff=MATCH_THRESHOLD)
        base_t.append(time.perf_counter() - t)
        base_hit.append(idx in [k for _, _, k in found])
    # A kinder baseline: titles normalised once beforehand (lower case, no punctuation).
    plain_titles = [lemmas.plain(t) for t in titles]
    norm_t: list[float] = []
    norm_hit: list[bool] = []
    for q, idx in qs:
        t = time.perf_counter()
        found = process.extract(lemmas.plain(q), plain_titles, scorer=fuzz.WRatio,
                                processor=None, limit=5, score_cutoff=MATCH_THRESHOLD)
        norm_t.append(time.perf_counter() - t)
        norm_hit.append(idx in [k for _, _, k in found])

    ours_mean = statistics.fmean(ours_t)
    ratio = statistics.fmean(base_t) / ours_mean
    print(f"queries: {len(qs)} inflected Ukrainian titles with one typo, all of them run by "
          f"every path; score cutoff {MATCH_THRESHOLD:.0f} for all")
    print(f"baseline  process.extract WRatio  : {figures(base_t)} · "
          f"recall@5 {recall(base_hit):.3f}")
    print(f"baseline  same, titles normalised : {figures(norm_t)} · "
          f"recall@5 {recall(norm_hit):.3f}")
    print(f"ours      ranked (in-process index): {figures(ours_t)} · "
          f"recall@5 {recall(ours_hit):.3f}")
    print(f"ours      /kb search command       : {figures(cmd_t)} · "
          f"recall@5 {recall(cmd_hit):.3f}")
    print(f"ours      ranked, store's indexes  : {figures(store_t)} · "
          f"recall@5 {recall(store_hit):.3f} (a tenant above MEMORY_LIMIT)")
    print(f"gc during the timed loops: {pauses.summary()}")
    print(f"ratio ranked search: {ratio:6.1f}x faster than the baseline by means "
          f"({pct(base_t, 50) / pct(ours_t, 50):.1f}x by medians; target >= 20x, "
          f"recall@5 >= 0.95); {statistics.fmean(norm_t) / ours_mean:.1f}x against the "
          f"normalised baseline")
    print(f"ratio /kb search   : {statistics.fmean(base_t) / statistics.fmean(cmd_t):6.1f}x; "
          f"store's indexes: {statistics.fmean(base_t) / statistics.fmean(store_t):.1f}x")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
