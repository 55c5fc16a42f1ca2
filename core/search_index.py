"""In-process search indexes: one per store, tenant and kind, checked against the store per query.

The store's trigram index (FTS5 / pg_trgm) costs several milliseconds a query; a tenant's
titles (and the words of its bodies) of one kind fit in memory up to ``MEMORY_LIMIT`` items,
where a Python trigram index picks the candidates in well under a millisecond. Every query
first reads the store's ``search_state`` (per kind, counters kept by store triggers: inserts,
and a version bumped by title, search text, search body and status changes and deletes; one
primary-key look-up). New inserts by any process are loaded incrementally (only ids above the
highest held, and only when exactly as many arrived as were counted); anything else reloads
the kind. So several processes, each with its own index, stay correct.

Assumption: a unit of work does not search after it inserted items and then roll back (the
index would hold the rolled-back rows until the kind changes again); use cases search first.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Sequence
from itertools import chain, takewhile
from operator import itemgetter
from typing import Any

from sqlmodel import Session

from storage import repos

MEMORY_LIMIT = 30_000  # items of the asked kinds in one tenant; above it the store's index serves
SCAN_NEWEST = 5000  # a query too short for trigrams compares the newest items, as the store does


class KindIndex:
    """The searchable state of one tenant's items of one kind: titles, texts, statuses, trigrams."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: tuple[int, int] | None = None  # (inserts, version) the rows reflect
        self.size_hint: tuple[int, tuple[int, int]] | None = None  # (count, at state)
        self._reset()

    def _reset(self) -> None:
        self.ids: list[int] = []
        self.texts: list[str] = []
        self.bodies: list[str] = []
        self.words: dict[str, list[int]] = {}  # body word (dictionary form) -> positions
        self.statuses: list[str] = []
        self.lengths: list[int] = []
        self.grams: dict[str, list[int]] = {}
        self.exact: dict[str, tuple[int, int]] = {}  # lower-case title -> (number, id), lowest

    def size(self, session: Session, tenant_id: str, kind: str, state: tuple[int, int]) -> int:
        """How many items the kind has: what is held plus the inserts since, else counted."""
        if self.state is not None and state[1] == self.state[1] and state[0] >= self.state[0]:
            return len(self.ids) + state[0] - self.state[0]
        if self.size_hint is None or self.size_hint[1][1] != state[1]:
            self.size_hint = (repos.count_items(session, tenant_id, [kind]), state)
        count, (inserts, _) = self.size_hint
        return count + max(0, state[0] - inserts)

    def refresh(self, session: Session, tenant_id: str, kind: str,
                state: tuple[int, int]) -> None:
        """Bring the index to the store's state: new rows only when nothing else changed."""
        if state == self.state:
            return
        if self.state is not None and state[1] == self.state[1] and state[0] > self.state[0]:
            after = self.ids[-1] if self.ids else 0
            rows = repos.search_rows(session, tenant_id, kind, after_id=after)
            if len(rows) == state[0] - self.state[0]:
                self._add(rows)
                self.state = state
                return
        # Something changed under the rows already held, or inserts arrived out of id order
        # or between the two queries: reload the kind. A commit landing between the state
        # and the rows only costs another reload on the next query.
        rows = repos.search_rows(session, tenant_id, kind)
        self._reset()
        self._add(rows)
        self.state = state
        self.size_hint = None

    def _add(self, rows: Sequence[tuple[int, int, str, str, str, str]]) -> None:
        for item_id, number, title, search_text, search_body, status in rows:
            pos = len(self.ids)
            self.ids.append(item_id)
            self.texts.append(search_text)
            self.bodies.append(search_body)
            for word in search_body.split():
                self.words.setdefault(word, []).append(pos)
            self.statuses.append(status)
            self.lengths.append(len(search_text))
            for gram in repos.trigrams(search_text):
                self.grams.setdefault(gram, []).append(pos)
            key = title.strip().lower()
            held = self.exact.get(key)
            if held is None or number < held[0]:
                self.exact[key] = (number, item_id)

    def candidates(self, query: str, grams: Sequence[str], exclude: Sequence[str],
                   limit: int) -> dict[int, tuple[str, str]]:
        """Up to ``limit`` items sharing the most trigrams with the query, closest length first
        among ties (what bm25 favours too); a query without trigrams takes the newest items."""
        excluded = set(exclude)
        if not grams:
            picked = [p for p in range(len(self.ids) - 1, -1, -1)
                      if self.statuses[p] not in excluded][:SCAN_NEWEST]
            return {self.ids[p]: (self.texts[p], self.bodies[p]) for p in picked}
        counts = Counter(chain.from_iterable(self.grams.get(g, ()) for g in grams))
        ordered = sorted(counts.items(), key=itemgetter(1), reverse=True)
        if excluded:
            statuses = self.statuses
            ordered = [pair for pair in ordered if statuses[pair[0]] not in excluded]
        if len(ordered) <= limit:
            picked = [p for p, _ in ordered]
        else:
            edge = ordered[limit - 1][1]
            picked = [p for p, _ in takewhile(lambda pair: pair[1] > edge, ordered)]
            ties = [p for p, _ in takewhile(lambda pair: pair[1] == edge, ordered[len(picked):])]
            lengths, length = self.lengths, len(query)
            ties.sort(key=lambda p: abs(lengths[p] - length))
            picked.extend(ties[: limit - len(picked)])
        return {self.ids[p]: (self.texts[p], self.bodies[p]) for p in picked}

    def body_candidates(self, words: Sequence[str], exclude: Sequence[str],
                        limit: int) -> dict[int, tuple[str, str]]:
        """Up to ``limit`` items whose body holds the most of the query's words."""
        counts = Counter(chain.from_iterable(self.words.get(w, ()) for w in words))
        excluded = set(exclude)
        picked = [p for p, _ in sorted(counts.items(), key=itemgetter(1), reverse=True)
                  if self.statuses[p] not in excluded][:limit]
        return {self.ids[p]: (self.texts[p], self.bodies[p]) for p in picked}


_STORES: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], KindIndex]] = (
    weakref.WeakKeyDictionary())
_STORES_LOCK = threading.Lock()


def _index(session: Session, tenant_id: str, kind: str) -> KindIndex:
    engine = session.get_bind()
    with _STORES_LOCK:
        indexes = _STORES.setdefault(engine, {})
        index = indexes.get((tenant_id, kind))
        if index is None:
            index = indexes[(tenant_id, kind)] = KindIndex()
        return index


def fresh(session: Session, tenant_id: str,
          kinds: Sequence[str]) -> list[tuple[KindIndex, str]] | None:
    """Up-to-date indexes for the tenant's kinds, or None when there are too many items to
    hold in memory: the caller asks the store's index then."""
    state = repos.search_state(session, tenant_id, kinds)
    out = [(_index(session, tenant_id, kind), kind) for kind in dict.fromkeys(kinds)]
    total = 0
    for index, kind in out:
        with index.lock:
            total += index.size(session, tenant_id, kind, state.get(kind, (0, 0)))
    if total > MEMORY_LIMIT:
        for index, _ in out:  # the tenant outgrew memory: let go of what was held
            with index.lock:
                if index.state is not None:
                    index.state = None
                    index._reset()
        return None
    for index, kind in out:
        with index.lock:
            index.refresh(session, tenant_id, kind, state.get(kind, (0, 0)))
    return out


def pool(indexes: Sequence[tuple[KindIndex, str]], query: str, grams: Sequence[str],
         words: Sequence[str], *, exclude: Sequence[str],
         candidates: int) -> dict[int, tuple[str, str]]:
    """Candidates for the rerank, id -> (search text, search body): titles sharing the most
    trigrams with the (lemmatised) query, and bodies holding the most of its words."""
    out: dict[int, tuple[str, str]] = {}
    for index, _ in indexes:
        with index.lock:
            if words:
                out.update(index.body_candidates(words, exclude, candidates // 2))
            out.update(index.candidates(query, grams, exclude, candidates))
    return out


def exact_title(indexes: Sequence[tuple[KindIndex, str]], title: str) -> int | None:
    """The id of the lowest-numbered item titled ``title`` up to case (Cyrillic too), if any."""
    wanted = title.strip().lower()
    best: tuple[int, int] | None = None
    for index, _ in indexes:
        with index.lock:
            held = index.exact.get(wanted)
        if held is not None and (best is None or held[0] < best[0]):
            best = held
    return best[1] if best else None
