"""Shared by the search benchmarks: the store option, bulk loading, latency figures, the
garbage collector's pauses, the in-process index's build time and memory, and writes made by
another process while queries run."""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from _common import now
from sqlalchemy import insert, select, text, update

from core import search_index
from core.search import body_text, normalise
from storage.db import Database
from storage.models import Counter, Item, Member, Tenant

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def store_option(ap: argparse.ArgumentParser) -> None:
    """``--pg [URL]``: PostgreSQL (an admin database; a scratch one is made beside it). Without
    the flag, ``HROMADA_BENCH_DATABASE_URL`` chooses PostgreSQL too; otherwise SQLite."""
    env = os.environ.get("HROMADA_BENCH_DATABASE_URL")
    ap.add_argument("--pg", nargs="?", default=env,
                    const=env or os.environ.get("HROMADA_TEST_DATABASE_URL") or DEFAULT_PG,
                    help="PostgreSQL URL (admin database); default: HROMADA_BENCH_DATABASE_URL")


def populate(db: Database, tenant: str, titles: Sequence[str], bodies: Sequence[str], *,
             language: str = "en", number_from: int = 1) -> dict[int, int]:
    """Bulk insert through SQLAlchemy Core, stored as the app stores them (lemmatised search
    text and body words); the store's triggers and indexes keep up. Returns id -> index."""
    when = now()
    with db.engine.begin() as conn:
        exists = conn.execute(select(Tenant.id).where(Tenant.id == tenant)).first()
        if exists is None:
            conn.execute(insert(Tenant.__table__), [{  # type: ignore[attr-defined]
                "id": tenant, "name": tenant, "language": language, "anonymity_k": 5,
                "company_values": "", "moderators": "", "moderator_roles": "",
                "digest_channel": None, "digest_weekday": 0, "digest_time": "09:00",
                "digest_tz": "UTC", "digest_enabled": True, "created_at": when}])
            conn.execute(insert(Member.__table__), [{  # type: ignore[attr-defined]
                "tenant_id": tenant, "user_id": "author", "display_name": "Author",
                "skills": "", "interests": "", "former": False, "created_at": when}])
        rows = [{
            "tenant_id": tenant, "kind": "snippet", "number": n, "title": t, "body": b,
            "search_text": normalise(t), "search_body": body_text(b), "author_id": None,
            "anonymous": False, "status": "published", "created_at": when, "updated_at": when,
        } for n, (t, b) in enumerate(zip(titles, bodies, strict=True), number_from)]
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Item.__table__), rows[i:i + 5000])  # type: ignore[attr-defined]
        last = number_from + len(rows) - 1
        if exists is None:
            conn.execute(insert(Counter.__table__),  # type: ignore[attr-defined]
                         [{"tenant_id": tenant, "kind": "snippet", "last": last}])
        else:
            conn.execute(update(Counter.__table__).where(  # type: ignore[attr-defined]
                Counter.tenant_id == tenant, Counter.kind == "snippet").values(last=last))
        ids = conn.execute(select(Item.id, Item.number).where(
            Item.tenant_id == tenant, Item.number >= number_from)).all()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE item")
    return {int(i): int(n) - 1 for i, n in ids}


def pct(seconds: Sequence[float], p: float) -> float:
    """The ``p``-th percentile in milliseconds (nearest rank)."""
    ms = sorted(s * 1000 for s in seconds)
    return ms[min(len(ms) - 1, max(0, int(round(p / 100 * len(ms) + 0.5)) - 1))]


def figures(seconds: Sequence[float]) -> str:
    return (f"p50 {pct(seconds, 50):7.2f} ms · p99 {pct(seconds, 99):7.2f} ms · "
            f"max {max(seconds) * 1000:7.2f} ms · mean {statistics.fmean(seconds) * 1000:7.2f} ms")


def recall(hits: Sequence[bool]) -> float:
    return sum(hits) / len(hits) if hits else 0.0


class GcPauses:
    """Every collection the garbage collector makes while it is on, and how long it took."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._start = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append((int(info["generation"]), time.perf_counter() - self._start))

    @contextmanager
    def on(self) -> Iterator[GcPauses]:
        gc.callbacks.append(self._callback)
        try:
            yield self
        finally:
            gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        if not self.pauses:
            return "no collections"
        longest = max(s for _, s in self.pauses)
        full = sum(1 for g, _ in self.pauses if g == 2)
        return (f"{len(self.pauses)} collections ({full} full), longest {longest * 1000:.2f} ms, "
                f"total {sum(s for _, s in self.pauses) * 1000:.1f} ms")


def index_figures(db: Database, tenant: str, items: int) -> str:
    """Build the tenant's snippet index from cold (timed), then again under tracemalloc
    (its memory), and a reload in place after changes. Leaves the index built."""
    index = search_index._index(db.engine, tenant, "snippet")
    index.drop()
    t0 = time.perf_counter()
    with db.uow() as session:
        assert search_index.fresh(session, tenant, ["snippet"], wait=True) is not None
    build = time.perf_counter() - t0
    index.drop()
    gc.collect()
    tracked = len(gc.get_objects())
    tracemalloc.start()
    with db.uow() as session:
        search_index.fresh(session, tenant, ["snippet"], wait=True)
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    objects = len(gc.get_objects()) - tracked
    per10k = 10_000 / max(1, items)
    return (f"index: cold build {build * 1000:.0f} ms (rows read + arrays built); memory "
            f"{traced / 1e6 * per10k:.2f} MB per 10k items (tracemalloc), arrays "
            f"{index.nbytes / 1e6 * per10k:.2f} MB per 10k; +{objects} objects the garbage "
            f"collector tracks")


def churn(other: Database, tenant: str, base_number: int, rng: random.Random,
          titles: Sequence[str]) -> Callable[[int], str]:
    """Writes another process makes while we search (its own engine on the same store):
    step n inserts a snippet every 5th step, archives or restores one every 20th and
    retitles one every 50th. Returns the step function; it says what it did."""
    with other.engine.connect() as conn:
        ids = [int(r[0]) for r in conn.execute(select(Item.id).where(Item.tenant_id == tenant))]
    number = [base_number]

    def step(n: int) -> str:
        done = []
        with other.engine.begin() as conn:
            if n % 5 == 0:
                number[0] += 1
                title = f"{rng.choice(titles)} #{number[0]}"
                conn.execute(insert(Item.__table__), [{  # type: ignore[attr-defined]
                    "tenant_id": tenant, "kind": "snippet", "number": number[0],
                    "title": title, "body": title, "search_text": normalise(title),
                    "search_body": body_text(title), "author_id": None, "anonymous": False,
                    "status": "published", "created_at": now(), "updated_at": now()}])
                done.append("insert")
            if n % 20 == 0:
                conn.execute(text("UPDATE item SET status = CASE status WHEN 'published' "
                                  "THEN 'archived' ELSE 'published' END WHERE id = :id"),
                             {"id": rng.choice(ids)})
                done.append("status")
            if n % 50 == 0:
                title = rng.choice(titles) + " (v2)"
                conn.execute(text("UPDATE item SET title = :t, search_text = :s WHERE id = :id"),
                             {"t": title, "s": normalise(title), "id": rng.choice(ids)})
                done.append("title")
        return "+".join(done)

    return step
