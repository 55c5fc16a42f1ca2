"""In-process search indexes: one per store, tenant and kind, kept in step with the store.

The store's trigram index (FTS5 / pg_trgm) costs 10-20 ms a query at 100,000 items. Here a
tenant's search texts (titles, aliases, tags) and body words of one kind sit in a few numpy
arrays: inverted lists of trigram codes and of word hashes, texts joined into one string per
segment, one array per column (ids, numbers, statuses, ...). Picking a query's candidates is
a handful of vectorised operations (about a millisecond at 100,000 items), and the garbage
collector has tens of objects to walk, not millions.

Several processes stay correct: every query first reads the store's ``search_state`` (one
primary-key look-up). When its change number moved, the ids the store logged since
(``item_fts_change``, migration 0022) are reloaded, and only those: an insert appends, a
status change is set in place, a changed title or body marks the old entry dead and appends
the new one, a deleted item is marked dead. New entries go to a tail held in plain Python
(an insert is a few dictionary appends, not a segment build and merge); every ``TAIL`` of them
become a segment, and small segments merge as they grow; large merges run in a background
thread and are swapped in when done. A full build
(first use; an index further behind than the log reaches, or than ``CATCH_UP`` changes, as
after a bulk import; the store going back) runs in the request only for a small kind
(``SYNC_BUILD``); a larger kind is built in a background thread while the store's own index
answers (correct, slower), then swapped in. Dead entries are compacted the same way, aside,
while the index keeps serving.

Assumption: a unit of work does not search after it inserted items and then roll back (the
index would hold the rolled-back rows); use cases search first.
"""

from __future__ import annotations

import bisect
import logging
import sys
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlmodel import Session

from storage import repos
from storage.repos import SearchRow, SearchState

log = logging.getLogger(__name__)

MEMORY_LIMIT = 300_000  # items of the asked kinds in one tenant; above it the store's index serves
SYNC_BUILD = 10_000  # items: a kind this small is (re)built in the request that needs it
SCAN_NEWEST = 5000  # a query too short for trigrams compares the newest items, as the store does
INLINE_MERGE = 4096  # items: new segments merge in the request up to this size
MAX_SEGMENTS = 8  # more segments than this: they merge into one in a background thread
TAIL = 64  # the newest entries held in plain Python before they become a segment
FEW_PICKED = 64  # picked entries sliced one by one; more: each part slices its own at once
CATCH_UP = 2000  # changes replayed in a request; further behind, the index is rebuilt
DEAD_MIN = 5000  # dead entries (changed or deleted items) before a compaction is worth it
DEAD_SHARE = 0.25  # ... and their share of all entries
NOTHING = SearchState(0, 0, 0)

# (the seq they follow, the changed ids and their rows) as ``repos.search_since`` reads them
Known = tuple[int, tuple[list[int], list[SearchRow]] | None]
Ints = npt.NDArray[np.int64]
Positions = npt.NDArray[np.int32]
_NO_POSITIONS: Positions = np.zeros(0, dtype=np.int32)


def gram_codes(grams: Sequence[str]) -> Ints:
    """Trigrams as the index holds them: three 21-bit code points in one integer."""
    return np.array([(ord(g[0]) << 42) | (ord(g[1]) << 21) | ord(g[2]) for g in grams],
                    dtype=np.int64)


def query_codes(*texts: str) -> Ints:
    """``gram_codes`` of the trigrams of these texts' words (``repos.trigrams``), each once,
    computed from the code points without making the trigram strings."""
    codes: dict[int, None] = {}
    for word in dict.fromkeys(" ".join(texts).split()):  # the lemmas and as typed: mostly alike
        o = list(map(ord, word))
        for a, b, c in zip(o, o[1:], o[2:], strict=False):
            codes[(a << 42) | (b << 21) | c] = None
    return np.fromiter(codes, dtype=np.int64, count=len(codes))


def word_keys(words: Sequence[str]) -> Ints:
    """Words as the index holds them: Python's (keyed, per-process) string hash."""
    return np.array([hash(w) for w in words], dtype=np.int64)


def _gram_pairs(texts: Sequence[str], first: int) -> tuple[Ints, Positions]:
    """(code, position) of every trigram inside a word of each text, in position order: the
    trigrams ``repos.trigrams`` gives, computed for all texts at once."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    chars = np.frombuffer((" ".join(texts) + "   ").encode("utf-32-le"), dtype=np.uint32)
    a, b, c = chars[:-2], chars[1:-1], chars[2:]
    inside = np.flatnonzero((a > 32) & (b > 32) & (c > 32))
    codes = ((a[inside].astype(np.int64) << 42) | (b[inside].astype(np.int64) << 21)
             | c[inside].astype(np.int64))
    owner = np.repeat(np.arange(first, first + len(texts), dtype=np.int32), lengths + 1)
    return codes, owner[inside]


def _word_pairs(bodies: Sequence[str], first: int) -> tuple[Ints, Positions]:
    """(word key, position) of every word of each body, in position order."""
    words = " ".join(bodies).split()
    # Stored bodies are words joined by single spaces (``storage.lemmas.body_words``): counting
    # spaces is enough, and one split for all bodies beats one per body.
    counts = np.fromiter((b.count(" ") + 1 if b else 0 for b in bodies), dtype=np.int64,
                         count=len(bodies))
    if int(counts.sum()) != len(words):  # spaced otherwise: count them the slow way
        counts = np.fromiter((len(b.split()) for b in bodies), dtype=np.int64,
                             count=len(bodies))
    keys = np.array(list(map(hash, words)), dtype=np.int64)
    owner = np.repeat(np.arange(first, first + len(bodies), dtype=np.int32), counts)
    return keys, owner


@dataclass(frozen=True, eq=False)
class _Postings:
    """An inverted list: each key (sorted) with the positions holding it (ascending)."""

    keys: Ints
    starts: Ints
    positions: Positions

    @classmethod
    def of(cls, keys: Ints, positions: Positions) -> _Postings:
        """From (key, position) pairs whose positions ascend within each key (pairs given in
        position order, or the pairs of segments in position order); a pair twice counts once.
        The sort is stable, so already sorted runs merge in linear time."""
        order = np.argsort(keys, kind="stable")
        keys, positions = keys[order], positions[order]
        if len(keys):
            keep = np.ones(len(keys), dtype=bool)
            keep[1:] = (keys[1:] != keys[:-1]) | (positions[1:] != positions[:-1])
            keys, positions = keys[keep], positions[keep]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        starts = np.append(np.flatnonzero(first), len(keys)).astype(np.int64)
        return cls(keys[first], starts, positions)

    @classmethod
    def merge(cls, parts: Sequence[_Postings]) -> _Postings:
        """One inverted list from several, given in position order."""
        keys = np.concatenate([np.repeat(p.keys, np.diff(p.starts)) for p in parts])
        return cls.of(keys, np.concatenate([p.positions for p in parts]))

    def lists(self, wanted: Ints) -> list[Positions]:
        """The position lists of those of the wanted keys that occur (run bounds read as
        Python ints: indexing numpy scalars one by one costs more than the slices)."""
        if not len(self.keys) or not len(wanted):
            return []
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        at = at[self.keys[at] == wanted]
        positions, starts = self.positions, self.starts
        return [positions[a:b] for a, b in zip(starts[at].tolist(), starts[at + 1].tolist(),
                                                strict=True)]

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.starts.nbytes + self.positions.nbytes)


@dataclass(frozen=True, eq=False)
class _Segment:
    """Entries ``first`` .. ``first + size - 1``, immutable: their trigrams, body words and
    search texts (one string plus end offsets)."""

    first: int
    size: int
    grams: _Postings
    words: _Postings
    texts: str
    text_ends: Ints

    @classmethod
    def build(cls, first: int, texts: Sequence[str], bodies: Sequence[str]) -> _Segment:
        return cls(first, len(texts), _Postings.of(*_gram_pairs(texts, first)),
                   _Postings.of(*_word_pairs(bodies, first)), "".join(texts), _ends(texts))

    @classmethod
    def merge(cls, parts: Sequence[_Segment]) -> _Segment:
        """One segment from consecutive ones."""
        return cls(parts[0].first, sum(p.size for p in parts),
                   _Postings.merge([p.grams for p in parts]),
                   _Postings.merge([p.words for p in parts]),
                   "".join(p.texts for p in parts), _joined_ends([p.text_ends for p in parts]))

    def text(self, pos: int) -> str:
        i = pos - self.first
        return self.texts[self.text_ends.item(i - 1) if i else 0:self.text_ends.item(i)]

    def texts_at(self, picked: Ints) -> list[str]:
        """The search texts at these positions, sliced in one pass (the rerank's pool)."""
        i = picked - self.first
        ends = self.text_ends[i]
        starts = np.where(i > 0, self.text_ends[np.maximum(i - 1, 0)], 0)
        texts = self.texts
        return [texts[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]

    @property
    def nbytes(self) -> int:
        return (self.grams.nbytes + self.words.nbytes + sys.getsizeof(self.texts)
                + self.text_ends.nbytes)


def _text_codes(text: str) -> list[int]:
    """The trigram codes of one text, as ``_gram_pairs`` makes them (no space or control
    character inside)."""
    o = list(map(ord, text))
    return [(a << 42) | (b << 21) | c for a, b, c in zip(o, o[1:], o[2:], strict=False)
            if a > 32 and b > 32 and c > 32]


class _DictPostings(dict[int, list[int]]):
    """The tail's inverted list: key -> positions holding it (ascending, each once)."""

    def lists(self, wanted: Ints) -> list[Positions]:
        hits = [self[k] for k in wanted.tolist() if k in self]
        if not hits:
            return []
        return [np.fromiter(chain.from_iterable(hits), dtype=np.int32)]


class _Tail:
    """Entries ``first`` .. ``first + size - 1``: the newest, at most ``TAIL`` of them, in
    Python objects an insert appends to; answering like a segment."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.texts: list[str] = []
        self.bodies: list[str] = []
        self.grams = _DictPostings()
        self.words = _DictPostings()

    @property
    def size(self) -> int:
        return len(self.texts)

    def append(self, text: str, body: str) -> None:
        pos = self.first + len(self.texts)
        self.texts.append(text)
        self.bodies.append(body)
        for postings, keys in ((self.grams, _text_codes(text)), (self.words,
                                                                 map(hash, body.split()))):
            for key in dict.fromkeys(keys):
                held = postings.get(key)
                if held is None:
                    postings[key] = [pos]
                else:
                    held.append(pos)

    def text(self, pos: int) -> str:
        return self.texts[pos - self.first]

    def texts_at(self, picked: Ints) -> list[str]:
        first, texts = self.first, self.texts
        return [texts[p - first] for p in picked.tolist()]

    def segment(self) -> _Segment:
        return _Segment.build(self.first, self.texts, self.bodies)

    @property
    def nbytes(self) -> int:
        return sum(map(sys.getsizeof, self.texts)) + sum(map(sys.getsizeof, self.bodies))


def _ends(texts: Sequence[str]) -> Ints:
    return np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))


def _joined_ends(parts: Sequence[Ints]) -> Ints:
    shifted, offset = [], 0
    for ends in parts:
        shifted.append(ends + offset)
        offset += int(ends[-1]) if len(ends) else 0
    return np.concatenate(shifted)


def title_key(title: str) -> str:
    """What an exact title look-up compares: the title up to case and outer spaces."""
    return title.strip().lower()


def title_hashes(title: str) -> tuple[int, int]:
    """Two independent 64-bit hashes of a title key (Python's string hash is keyed SipHash, a
    different random key per process): equal titles match, different ones practically never
    (2^-128), so the index need not hold the titles themselves."""
    key = title_key(title)
    return hash(key), hash("\x00" + key)


class _Column:
    """A growable numpy array: amortised appends, in-place updates, a view of what is filled."""

    def __init__(self, dtype: Any) -> None:
        self.data = np.zeros(64, dtype=dtype)
        self.n = 0

    def extend(self, values: Sequence[Any]) -> None:
        if len(values) == 1 and self.n < len(self.data):
            # One value (the usual catch-up: one new item): written in place, no array made.
            self.data[self.n] = values[0]
            self.n += 1
            return
        array = np.asarray(values, dtype=self.data.dtype)
        need = self.n + len(array)
        if need > len(self.data):
            grown = np.zeros(max(need, 2 * len(self.data)), dtype=self.data.dtype)
            grown[:self.n] = self.data[:self.n]
            self.data = grown
        self.data[self.n:need] = array
        self.n = need

    def view(self) -> Any:
        return self.data[:self.n]


class _Data:
    """The entries of one index: segments plus one column per field, by position. An item's
    entry is dead once the item changed (its new state is a new entry) or went away."""

    def __init__(self) -> None:
        self.segments: list[_Segment] = []
        self.tail = _Tail(0)
        self.top_id = 0  # the highest id held: a newer one is surely not held yet
        self.ids = _Column(np.int64)
        self.numbers = _Column(np.int32)
        self.statuses = _Column(np.int16)
        self.alive = _Column(np.bool_)
        self.lengths = _Column(np.int32)
        self.title_keys = _Column(np.int64)  # ``title_hashes``: exact look-ups
        self.title_checks = _Column(np.int64)
        self.body_keys = _Column(np.int64)  # hash of the search body: was it changed?
        self.status_codes: dict[str, int] = {}
        self.dead = 0

    @classmethod
    def build(cls, rows: Sequence[SearchRow]) -> _Data:
        data = cls()
        data.add(rows)
        return data

    @property
    def size(self) -> int:
        return self.ids.n

    @property
    def live(self) -> int:
        return self.size - self.dead

    def add(self, rows: Sequence[SearchRow]) -> None:
        if not rows:
            return
        titles = [title_hashes(r[2]) for r in rows]
        texts = [r[3] for r in rows]
        if self.tail.size + len(rows) <= TAIL:
            for row in rows:
                self.tail.append(row[3], row[4])
            self._extend(rows, titles, texts)
            if self.tail.size >= TAIL:
                self._freeze()
            return
        self._freeze()  # the tail's entries, then these, as segments
        self.segments.append(_Segment.build(self.size, texts, [r[4] for r in rows]))
        self._extend(rows, titles, texts)
        self.tail = _Tail(self.size)
        self._merge_small()

    def _freeze(self) -> None:
        """The tail becomes a segment."""
        if self.tail.size:
            self.segments.append(self.tail.segment())
            self.tail = _Tail(self.tail.first + self.tail.size)
            self._merge_small()

    def _merge_small(self) -> None:
        """Small neighbours merge now; a few large ones wait for a merge aside."""
        segs = self.segments
        while (len(segs) >= 2 and segs[-2].size <= 2 * segs[-1].size
               and segs[-2].size + segs[-1].size <= INLINE_MERGE):
            segs[-2:] = [_Segment.merge(segs[-2:])]

    def _extend(self, rows: Sequence[SearchRow], titles: list[tuple[int, int]],
                texts: list[str]) -> None:
        self.top_id = max(self.top_id, max(r[0] for r in rows))
        self.ids.extend([r[0] for r in rows])
        self.numbers.extend([r[1] for r in rows])
        self.statuses.extend([self._status(r[5]) for r in rows])
        self.alive.extend([True] * len(rows))
        self.lengths.extend([len(t) for t in texts])
        self.title_keys.extend([t[0] for t in titles])
        self.title_checks.extend([t[1] for t in titles])
        self.body_keys.extend([hash(r[4]) for r in rows])

    def _status(self, status: str) -> int:
        return self.status_codes.setdefault(status, len(self.status_codes))

    def parts(self) -> list[_Segment | _Tail]:
        """The segments, then the tail when it holds entries: every position, in order."""
        return [*self.segments, self.tail] if self.tail.size else list(self.segments)

    def segment(self, pos: int) -> _Segment | _Tail:
        parts = self.parts()
        return parts[bisect.bisect_right([s.first for s in parts], pos) - 1]

    def apply(self, rows: Sequence[SearchRow], changed: Sequence[int]) -> None:
        """Bring the changed items to their rows as read now (no row: deleted, or no longer
        of this tenant and kind)."""
        held: dict[int, int] = {}
        if min(changed, default=0) <= self.top_id:  # not only new items: find the held ones
            ids, alive = self.ids.view(), self.alive.view()
            held_at = np.flatnonzero(np.isin(ids, np.array(changed, dtype=np.int64)) & alive)
            held = {int(ids[p]): int(p) for p in held_at}
        byid = {r[0]: r for r in rows}
        added: list[SearchRow] = []
        for item_id in changed:
            row, pos = byid.get(item_id), held.get(item_id)
            if pos is not None:
                if row is not None and self._same_text(pos, row):
                    self.statuses.data[pos] = self._status(row[5])
                    self.numbers.data[pos] = row[1]
                    continue
                self.alive.data[pos] = False
                self.dead += 1
            if row is not None:
                added.append(row)
        self.add(added)

    def _same_text(self, pos: int, row: SearchRow) -> bool:
        return (self.segment(pos).text(pos) == row[3]
                and (int(self.title_keys.data[pos]), int(self.title_checks.data[pos]))
                == title_hashes(row[2]) and int(self.body_keys.data[pos]) == hash(row[4]))

    def _counts(self, wanted: Ints, field: str) -> Any:
        lists = [x for seg in self.parts() for x in getattr(seg, field).lists(wanted)]
        return np.bincount(np.concatenate(lists) if lists else _NO_POSITIONS,
                           minlength=self.size)

    def _usable(self, exclude: Sequence[str]) -> Any:
        usable = self.alive.view().copy()
        codes = [self.status_codes[s] for s in exclude if s in self.status_codes]
        if codes:
            usable &= ~np.isin(self.statuses.view(), codes)
        return usable

    def _entries(self, picked: Any, body: Any) -> dict[int, tuple[str, int]]:
        """id -> (search text, body words held) of the picked positions, in their order."""
        parts = self.parts()
        if len(parts) == 1:
            texts = parts[0].texts_at(picked)
        elif len(picked) <= FEW_PICKED:  # a rerank's pool: one look-up each is cheapest
            firsts = [s.first for s in parts]
            texts = [parts[bisect.bisect_right(firsts, p) - 1].text(p) for p in picked.tolist()]
        else:  # each part slices its own positions in one pass
            firsts = np.array([s.first for s in parts], dtype=np.int64)
            owner = np.searchsorted(firsts, picked, side="right") - 1
            texts = [""] * len(picked)
            for o in np.unique(owner).tolist():
                at = np.flatnonzero(owner == o)
                for i, text in zip(at.tolist(), parts[o].texts_at(picked[at]), strict=True):
                    texts[i] = text
        held = body[picked].tolist() if body is not None else [0] * len(texts)
        return dict(zip(self.ids.view()[picked].tolist(), zip(texts, held, strict=True),
                        strict=True))

    def titles(self, length: int, grams: Ints, words: Ints, exclude: Sequence[str],
               limit: int) -> dict[int, tuple[str, int]]:
        """Up to ``limit`` entries sharing the most trigrams with the query, closest length
        first among ties (what bm25 favours too), best first; a query without trigrams takes
        the newest items. Each with how many of the query's words its body holds."""
        usable = self._usable(exclude)
        body = self._counts(words, "words") if len(words) else None
        if not len(grams):
            picked = np.flatnonzero(usable)
            if len(picked) > SCAN_NEWEST:
                ids = self.ids.view()[picked]
                picked = picked[np.argpartition(-ids, SCAN_NEWEST - 1)[:SCAN_NEWEST]]
            picked = picked[np.argsort(-self.ids.view()[picked], kind="stable")]
            return self._entries(picked, body)
        counts = self._counts(grams, "grams")
        counts[~usable] = 0
        # Only entries sharing at least as many trigrams as the ``limit``-th best can make it:
        # a histogram of the counts says how many that is, without sorting 100,000 of them.
        at_least = np.cumsum(np.bincount(counts)[::-1])[::-1]
        enough = np.flatnonzero(at_least[1:] >= limit)
        picked = np.flatnonzero(counts >= (int(enough[-1]) + 1 if len(enough) else 1))
        gap = np.minimum(np.abs(self.lengths.view()[picked] - length), 0xFFFF)
        key = counts[picked] * 0x10000 - gap
        if len(picked) > limit:
            top = np.argpartition(-key, limit - 1)[:limit]
            picked, key = picked[top], key[top]
        return self._entries(picked[np.argsort(-key, kind="stable")], body)

    def bodies(self, words: Ints, least: int, exclude: Sequence[str],
               limit: int) -> dict[int, tuple[str, int]]:
        """Up to ``limit`` entries whose body holds at least ``least`` of the query's words,
        those holding the most first."""
        body = self._counts(words, "words")
        body[~self._usable(exclude)] = 0
        picked = np.flatnonzero(body >= max(1, least))
        if len(picked) > limit:
            picked = picked[np.argpartition(-body[picked], limit - 1)[:limit]]
        return self._entries(picked[np.argsort(-body[picked], kind="stable")], body)

    def exact(self, title: str) -> tuple[int, int] | None:
        """(number, id) of the lowest-numbered live entry titled ``title`` up to case."""
        key, check = title_hashes(title)
        hits = np.flatnonzero((self.title_keys.view() == key) & self.alive.view())
        found = [(int(self.numbers.data[p]), int(self.ids.data[p])) for p in hits
                 if int(self.title_checks.data[p]) == check]
        return min(found) if found else None

    @property
    def nbytes(self) -> int:
        columns = (self.ids, self.numbers, self.statuses, self.alive, self.lengths,
                   self.title_keys, self.title_checks, self.body_keys)
        return (sum(s.nbytes for s in self.parts())
                + sum(c.data.nbytes for c in columns))


class KindIndex:
    """One tenant's items of one kind in memory, and the store change it reflects."""

    def __init__(self, tenant_id: str, kind: str) -> None:
        self.tenant_id = tenant_id
        self.kind = kind
        self.lock = threading.Lock()
        self.data: _Data | None = None
        self.seq: int | None = None  # the store's change number the data reflects
        self.inserts = 0  # the store's insert count at ``seq``
        self.size_hint: tuple[int, int] | None = None  # (items counted, at seq)
        self.worker: threading.Thread | None = None  # a build or merge running aside

    def size(self, session: Session, state: SearchState) -> int:
        """How many items the kind has: what is held plus the inserts since, else counted."""
        with self.lock:
            if self.data is not None and self.seq is not None and state.seq >= self.seq:
                return self.data.live + max(0, state.inserts - self.inserts)
            if self.size_hint is None or self.size_hint[1] != state.seq:
                self.size_hint = (repos.count_items(session, self.tenant_id, [self.kind]),
                                  state.seq)
            return self.size_hint[0]

    def refresh(self, session: Session, state: SearchState, *, wait: bool = False,
                known: Known | None = None) -> bool:
        """Bring the index to the store's state; False while it is being built aside (the
        caller asks the store's index meanwhile). ``wait``: build now, whatever the size.
        ``known``: the changes since a seq, read with ``state`` (``repos.search_since``)."""
        with self.lock:
            if self.data is not None and self.seq is not None:
                if state.seq == self.seq:
                    return True
                if self.seq < state.seq <= self.seq + CATCH_UP and self._catch_up(
                        session, state, known[1] if known and known[0] == self.seq else None):
                    self._tidy(session)
                    return True
            # Never built, further behind than the log reaches or than is worth replaying in
            # a request (a bulk import), or the store went back.
            if self.data is not None:
                size = self.data.live
            else:
                size = self.size_hint[0] if self.size_hint else SYNC_BUILD + 1
            self.data, self.seq = None, None
            if wait or size <= SYNC_BUILD:
                rows = repos.search_rows(session, self.tenant_id, self.kind)
                self.data, self.seq, self.inserts = _Data.build(rows), state.seq, state.inserts
                return True
            self._aside(session, self._build_aside)
            return False

    def _catch_up(self, session: Session, state: SearchState,
                  found: tuple[list[int], list[SearchRow]] | None = None) -> bool:
        assert self.data is not None and self.seq is not None
        if found is None:  # not read with the state (or the log did not reach): ask the log
            found = repos.search_catch_up(session, self.tenant_id, self.kind, after=self.seq,
                                          upto=state.seq)
        if found is None:
            return False
        changed, rows = found
        self.data.apply(rows, changed)
        self.seq, self.inserts = state.seq, state.inserts
        return True

    def _tidy(self, session: Session) -> None:
        """Start a compaction or a merge aside when the entries call for one."""
        data = self.data
        assert data is not None
        if data.dead > max(DEAD_MIN, DEAD_SHARE * data.size):
            self._aside(session, self._build_aside)
        elif len(data.segments) > MAX_SEGMENTS:
            self._aside(session, self._merge_aside)

    def _aside(self, session: Session, work: Any) -> None:
        if self.worker is not None and self.worker.is_alive():
            return
        self.worker = threading.Thread(target=work, args=(session.get_bind(),), daemon=True,
                                       name=f"search-index-{self.kind}")
        self.worker.start()

    def _build_aside(self, engine: Any) -> None:
        """A full build in its own session; swapped in when done. The index it replaces (if
        any) serves meanwhile, and the log replay after the swap covers what changed since."""
        try:
            with Session(engine) as session:
                state = repos.search_state(session, self.tenant_id, [self.kind]).get(
                    self.kind, NOTHING)
                rows = repos.search_rows(session, self.tenant_id, self.kind)
            data = _Data.build(rows)
        except Exception:  # noqa: BLE001 - the store's index keeps answering; next query retries
            log.exception("search index build failed (%s)", self.kind)
            return
        with self.lock:
            self.data, self.seq, self.inserts = data, state.seq, state.inserts

    def _merge_aside(self, _engine: Any) -> None:
        """Merge the newer segments into one (and into the oldest, largest one only once
        they add up to a quarter of it: each merge costs what it merges)."""
        with self.lock:
            data = self.data
            if data is None:
                return
            parts = list(data.segments)
        first = 1 if 4 * sum(p.size for p in parts[1:]) < parts[0].size else 0
        parts = parts[first:]
        merged = _Segment.merge(parts)
        with self.lock:
            held = data.segments[first:first + len(parts)] if self.data is data else []
            if len(held) == len(parts) and all(a is b for a, b in zip(held, parts,
                                                                      strict=True)):
                data.segments[first:first + len(parts)] = [merged]

    def drop(self) -> None:
        with self.lock:
            self.data, self.seq = None, None

    def wait(self) -> None:
        """Until the work running aside (if any) is done: for benchmarks and tests."""
        worker = self.worker
        if worker is not None:
            worker.join()

    @property
    def nbytes(self) -> int:
        """What the index's arrays and strings take (its few Python objects aside)."""
        data = self.data
        return data.nbytes if data is not None else 0


_STORES: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], KindIndex]] = (
    weakref.WeakKeyDictionary())
_STORES_LOCK = threading.Lock()


def _index(engine: Any, tenant_id: str, kind: str) -> KindIndex:
    with _STORES_LOCK:
        indexes = _STORES.setdefault(engine, {})
        index = indexes.get((tenant_id, kind))
        if index is None:
            index = indexes[(tenant_id, kind)] = KindIndex(tenant_id, kind)
        return index


def fresh(session: Session, tenant_id: str, kinds: Sequence[str], *,
          wait: bool = False) -> list[tuple[KindIndex, str]] | None:
    """Up-to-date indexes for the tenant's kinds, or None when there are too many items to
    hold in memory, or a large index is still being built aside: the caller asks the store's
    index then. ``wait``: build now whatever the size (warming up, benchmarks)."""
    engine = session.get_bind()
    out = [(_index(engine, tenant_id, kind), kind) for kind in dict.fromkeys(kinds)]
    known: Known | None = None
    after = out[0][0].seq if len(out) == 1 else None
    if after is not None:  # one kind, held: its counters and the changes since, at once
        found, changes = repos.search_since(session, tenant_id, out[0][1], after=after,
                                            most=CATCH_UP)
        state = {out[0][1]: found} if found is not None else {}
        known = (after, changes)
    else:
        state = repos.search_state(session, tenant_id, kinds)
    total = sum(index.size(session, state.get(kind, NOTHING)) for index, kind in out)
    if total > MEMORY_LIMIT:
        for index, _ in out:  # the tenant outgrew memory: let go of what was held
            index.drop()
        return None
    ready = [index.refresh(session, state.get(kind, NOTHING), wait=wait, known=known)
             for index, kind in out]
    return out if all(ready) else None


def titles(indexes: Sequence[tuple[KindIndex, str]], length: int, codes: Ints,
           words: Sequence[str], *, exclude: Sequence[str],
           limit: int) -> dict[int, tuple[str, int]]:
    """Title candidates for the rerank, id -> (search text, how many of the query words its
    body holds), best first: those sharing the most trigrams (``query_codes``) with the
    query."""
    keys = word_keys(words)
    out: dict[int, tuple[str, int]] = {}
    for index, _ in indexes:
        with index.lock:
            if index.data is not None:
                out.update(index.data.titles(length, codes, keys, exclude, limit))
    return out


def bodies(indexes: Sequence[tuple[KindIndex, str]], words: Sequence[str], *, least: int,
           exclude: Sequence[str], limit: int) -> dict[int, tuple[str, int]]:
    """Body candidates, id -> (search text, how many of the words its body holds): bodies
    holding at least ``least`` of the (lemmatised) words, the most first."""
    keys = word_keys(words)
    out: dict[int, tuple[str, int]] = {}
    for index, _ in indexes:
        with index.lock:
            if index.data is not None:
                out.update(index.data.bodies(keys, least, exclude, limit))
    return out


def exact_title(indexes: Sequence[tuple[KindIndex, str]], title: str) -> int | None:
    """The id of the lowest-numbered item titled ``title`` up to case (Cyrillic too), if any."""
    best: tuple[int, int] | None = None
    for index, _ in indexes:
        with index.lock:
            held = index.data.exact(title) if index.data is not None else None
        if held is not None and (best is None or held < best):
            best = held
    return best[1] if best else None
