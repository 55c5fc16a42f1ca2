"""Ukrainian search over 100,000 snippets: inflected queries with a typo, against bare rapidfuzz.

Snippets: Ukrainian titles from the shared templates (``_common.make_titles``) and short
Ukrainian bodies, stored as the app stores them (lemmatised ``search_text`` and
``search_body``). Queries: a known title with its nouns and adjectives moved to another case
by pymorphy3 ("заявку на відпустку" -> "заявкою на відпустці"), then one typo. Ours:
``core.search.ranked`` (the store's indexes at this size) and the whole ``/kb search`` command.
Baseline, same run, same queries: ``rapidfuzz.process.extract(query, titles, scorer=WRatio,
limit=5, score_cutoff=MATCH_THRESHOLD)`` over every title as written (as bench_search.py
does), and the same over titles normalised once beforehand (a kinder baseline).

    .venv/bin/python bench/bench_search_uk.py                 # SQLite, 100,000 snippets
    .venv/bin/python bench/bench_search_uk.py --snippets 20000
    .venv/bin/python bench/bench_search_uk.py --pg            # PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import UK_NOUNS, UK_VERBS, make_titles, now, store, summary, typo  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from core.app import Hromada  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.context import Actor  # noqa: E402
from core.refs import format_ref  # noqa: E402
from core.search import MATCH_THRESHOLD, body_text, normalise, ranked  # noqa: E402
from storage import lemmas  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Counter, Item, Member, Tenant  # noqa: E402

TENANT = "bench:uk"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
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


def populate(db: Database, titles: list[str], bodies: list[str]) -> dict[int, int]:
    """Bulk insert as the app would store them; returns item id -> title index."""
    when = now()
    with db.engine.begin() as conn:
        conn.execute(insert(Tenant.__table__), [{  # type: ignore[attr-defined]
            "id": TENANT, "name": TENANT, "language": "uk", "anonymity_k": 5,
            "company_values": "", "moderators": "", "moderator_roles": "",
            "digest_channel": None, "digest_weekday": 0, "digest_time": "09:00",
            "digest_tz": "UTC", "digest_enabled": True, "created_at": when}])
        conn.execute(insert(Member.__table__), [{  # type: ignore[attr-defined]
            "tenant_id": TENANT, "user_id": "author", "display_name": "Author", "skills": "",
            "interests": "", "former": False, "created_at": when}])
        rows = [{
            "tenant_id": TENANT, "kind": "snippet", "number": n, "title": t, "body": b,
            "search_text": normalise(t), "search_body": body_text(b), "author_id": None,
            "anonymous": False, "status": "published", "created_at": when, "updated_at": when,
        } for n, (t, b) in enumerate(zip(titles, bodies, strict=True), 1)]
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Item.__table__), rows[i:i + 5000])  # type: ignore[attr-defined]
        conn.execute(insert(Counter.__table__),  # type: ignore[attr-defined]
                     [{"tenant_id": TENANT, "kind": "snippet", "last": len(titles)}])
        ids = conn.execute(select(Item.id, Item.number).where(Item.tenant_id == TENANT)).all()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE item")
    return {int(i): int(n) - 1 for i, n in ids}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snippets", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--baseline-queries", type=int, default=40,
                    help="of those, how many also run through the full-scan baseline")
    ap.add_argument("--pg", nargs="?", const=os.environ.get("HROMADA_TEST_DATABASE_URL")
                    or DEFAULT_PG, default=None, help="PostgreSQL URL (admin database)")
    args = ap.parse_args()
    started = time.perf_counter()

    titles = make_titles(args.snippets, ukrainian_share=1.0)
    bodies = make_bodies(len(titles))
    qs = queries(titles, args.queries)
    nbase = min(args.baseline_queries, len(qs))
    print("sample queries: " + " · ".join(f"{q!r} -> {titles[i]!r}" for q, i in qs[:3]))

    with store(args.pg) as db:
        t0 = time.perf_counter()
        id_to_index = populate(db, titles, bodies)
        index_to_id = {v: k for k, v in id_to_index.items()}
        print(f"store: {db.engine.dialect.name}, {len(titles):,} Ukrainian snippets loaded "
              f"(lemmatised) in {time.perf_counter() - t0:.1f} s")
        hromada = Hromada(db, secret=b"bench", clock=ManualClock(now()))
        actor = Actor(TENANT, "reader", "Reader")
        for q, _ in qs[:5]:  # warm up: statement compilation, page cache
            with db.uow() as session:
                ranked(session, TENANT, ["snippet"], q, limit=5)

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
            cmd_hit.append(format_ref("snippet", idx + 1) in [ln.ref for ln in reply.lines[:5]])

    # The baseline as bench_search.py runs it: bare WRatio over the titles as written.
    base_t: list[float] = []
    base_hit: list[bool] = []
    for q, idx in qs[:nbase]:
        t = time.perf_counter()
        found = process.extract(q, titles, scorer=fuzz.WRatio, limit=5,
                                score_cutoff=MATCH_THRESHOLD)
        base_t.append(time.perf_counter() - t)
        base_hit.append(idx in [k for _, _, k in found])
    # A kinder baseline: titles normalised once beforehand (lower case, no punctuation).
    plain_titles = [lemmas.plain(t) for t in titles]
    norm_t: list[float] = []
    norm_hit: list[bool] = []
    for q, idx in qs[:nbase]:
        t = time.perf_counter()
        found = process.extract(lemmas.plain(q), plain_titles, scorer=fuzz.WRatio,
                                processor=None, limit=5, score_cutoff=MATCH_THRESHOLD)
        norm_t.append(time.perf_counter() - t)
        norm_hit.append(idx in [k for _, _, k in found])

    def recall(hits: list[bool]) -> float:
        return sum(hits) / len(hits)

    ours_mean = statistics.fmean(ours_t[:nbase])
    ratio = statistics.fmean(base_t) / ours_mean
    print(f"queries: {len(qs)} inflected Ukrainian titles with one typo; baseline on the "
          f"first {nbase}; score cutoff {MATCH_THRESHOLD:.0f} for both")
    print(f"baseline  process.extract WRatio : {summary(base_t)} · recall@5 {recall(base_hit):.3f}")
    print(f"baseline  same, titles normalised: {summary(norm_t)} · recall@5 {recall(norm_hit):.3f}")
    print(f"ours      ranked (lemmas+trigrams): {summary(ours_t)} · "
          f"recall@5 {recall(ours_hit):.3f} (on the baseline's {nbase}: "
          f"{recall(ours_hit[:nbase]):.3f})")
    print(f"ours      /kb search command      : {summary(cmd_t)} · "
          f"recall@5 {recall(cmd_hit):.3f}")
    print(f"ratio ranked search: {ratio:6.1f}x faster than the baseline "
          f"(target >= 20x, recall@5 >= 0.95); "
          f"{statistics.fmean(norm_t) / ours_mean:.1f}x against the normalised baseline")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
