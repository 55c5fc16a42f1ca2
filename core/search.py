"""Fuzzy matching over lemmatised text: candidates from an index, then a rapidfuzz rerank here.

Titles, aliases and tags are stored in ``search_text`` and bodies in ``search_body``, every word
in its dictionary form (``storage.lemmas``, at write time); a query is lemmatised the same way,
so "відпусткою" finds "Як подати заявку на відпустку". Typos are left to the trigram index and
WRatio. Titles outrank bodies: a body match scores at most ``BODY_WEIGHT``, below any title
holding every query word (``TITLE_WORDS``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from sqlmodel import Session

from core import search_index
from storage import lemmas, repos

DUPLICATE_THRESHOLD = 86.0
MATCH_THRESHOLD = 60.0
SUGGEST_THRESHOLD = 40.0
TITLE_WORDS = 95.0  # a title holding every word of the query, in any form and order
BODY_WEIGHT = 75.0  # a body holding every word of the query: found, but below the titles
WORD_MIN = 3  # shorter words ("як", "на", "of") say nothing about a snippet


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces, every word in its dictionary form: done once at
    write time for stored text, never per query row."""
    return lemmas.lemmatise(text)


def body_text(body: str) -> str:
    """What ``search_body`` stores for a body: its distinct dictionary forms."""
    return lemmas.body_words(body)


@dataclass(frozen=True)
class Query:
    """A query in the forms the indexes compare: lemmatised, as typed, and its key words."""

    lemmas: str
    plain: str
    words: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Query:
        plain = lemmas.plain(text)
        lemmatised = " ".join(lemmas.lemma(w) for w in plain.split())
        words = tuple(w for w in dict.fromkeys(lemmatised.split()) if len(w) >= WORD_MIN)
        return cls(lemmatised, plain, words)

    def grams(self) -> list[str]:
        """Trigrams of both forms: a typo the lemmatiser could not place still shares them."""
        return list(dict.fromkeys(repos.trigrams(self.lemmas) + repos.trigrams(self.plain)))


CONFIDENT = 90.0  # a first-pass match this close ends the search: a typo or two, no more
Pool = Mapping[int, tuple[str, int]]  # id -> (search text, how many query words its body holds)


def ranked(
    session: Session,
    tenant_id: str,
    kinds: Sequence[str],
    query: str,
    *,
    limit: int = 10,
    cutoff: float = MATCH_THRESHOLD,
    exclude: Sequence[str] = (),
    candidates: int = 200,
    indexes: Sequence[tuple[search_index.KindIndex, str]] | None = None,
) -> list[tuple[int, float]]:
    """Item ids best matching the query, best first, with their scores (0-100).

    While the tenant's items of those kinds fit in memory, the in-process index
    (``core.search_index``, checked against the store first; ``indexes`` when the caller
    already has them) picks the candidates. Otherwise the store's cheap pass (items sharing
    whole words, or nearly the whole query); when its best match is not ``CONFIDENT``, the
    thorough trigram pass joins in, so heavy typos and short queries are still found. Bodies
    holding enough of the query's words join the candidates either way, unless ``limit``
    titles already score above any body.
    """
    q = Query.of(query)
    if not q.lemmas:
        return []
    if indexes is None:
        indexes = search_index.fresh(session, tenant_id, kinds)
    # A body scores BODY_WEIGHT times the share of query words it holds: it can only enter
    # when it holds ``least`` of them, and ``limit`` titles above it are not yet found (the
    # duplicate check's cutoff is above any body score: no body look-up at all).
    least = math.ceil(len(q.words) * cutoff / BODY_WEIGHT - 1e-9)

    def bodies_wanted(scores: Mapping[int, float]) -> bool:
        return bool(q.words) and least <= len(q.words) and sum(
            s >= BODY_WEIGHT for s in scores.values()) < limit

    if indexes is not None:
        # Below the cutoff a body's share cannot lift a score (the duplicate check): its
        # words are not counted at all.
        pool = search_index.titles(indexes, len(q.lemmas),
                                   search_index.query_codes(q.lemmas, q.plain),
                                   q.words if cutoff <= BODY_WEIGHT else (),
                                   exclude=exclude, limit=candidates)
        scores = score(q, pool, cutoff)
        if bodies_wanted(scores):
            add_bodies(q, scores, pool, search_index.bodies(
                indexes, q.words, least=least, exclude=exclude, limit=candidates // 2), cutoff)
        return best(scores, limit)
    titles = {i: (t, 0) for i, t in repos.search_candidates(
        session, tenant_id, kinds, q.lemmas, limit=candidates, exclude=exclude, strict=True)}
    scores = score(q, titles, cutoff)
    if not scores or max(scores.values()) < CONFIDENT:
        loose = {i: (t, 0) for i, t in repos.search_candidates(
            session, tenant_id, kinds, q.lemmas, limit=candidates, exclude=exclude)
            if i not in titles}
        scores.update(score(q, loose, cutoff))
        titles.update(loose)
    if bodies_wanted(scores):
        found = {item_id: (text, held(q, body)) for item_id, text, body in repos.body_candidates(
            session, tenant_id, kinds, q.words, least=least, limit=candidates // 2,
            exclude=exclude)}
        add_bodies(q, scores, titles, found, cutoff)
    return best(scores, limit)


def held(q: Query, body: str) -> int:
    """How many of the query's words the (stored, lemmatised) body holds."""
    words = set(body.split())
    return sum(w in words for w in q.words)


def score(q: Query, pool: Pool, cutoff: float) -> dict[int, float]:
    """The candidates scoring at least ``cutoff``, in pool order: the best of WRatio on the
    title text (the query lemmatised and as typed), the share of query words the title holds,
    and the share its body holds (lower)."""
    if not pool:
        return {}
    keys = list(pool)
    texts = [pool[k][0] for k in keys]
    typed = [q.lemmas] if q.plain == q.lemmas else [q.lemmas, q.plain]
    # Scores under the cutoff are dropped in the end whatever they are: WRatio may stop early.
    fuzzy = process.cdist(typed, texts, scorer=fuzz.WRatio, processor=None,
                          score_cutoff=cutoff, dtype=np.float64, workers=1).max(axis=0)
    out: dict[int, float] = {}
    n = len(q.words)
    spaced = [f" {w} " for w in q.words]
    if not n:
        return {k: float(s) for k, s in zip(keys, fuzzy.tolist(), strict=True) if s >= cutoff}
    words_at, body_at = TITLE_WORDS / n, BODY_WEIGHT / n
    for key, text, s in zip(keys, texts, fuzzy.tolist(), strict=True):
        # A whole word of the title, without splitting it into a set (``map`` keeps the
        # count in C: this loop runs for every candidate of every query).
        held = sum(map(f" {text} ".__contains__, spaced))
        s = max(s, words_at * held, body_at * pool[key][1])
        if s >= cutoff:
            out[key] = float(s)
    return out


def add_bodies(q: Query, scores: dict[int, float], scored: Pool, bodies: Pool,
               cutoff: float) -> None:
    """Body candidates join the scores: new ones scored in full, those already scored as
    titles lifted by their body's share of the query words."""
    scores.update(score(q, {k: v for k, v in bodies.items() if k not in scored}, cutoff))
    for key, (_, count) in bodies.items():
        if key in scored and q.words:
            s = max(scores.get(key, 0.0), BODY_WEIGHT * count / len(q.words))
            if s >= cutoff:
                scores[key] = s


def best(scores: Mapping[int, float], limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best, best first; ties keep the candidates' order."""
    return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)[:limit]


def rerank(q: Query, pool: Pool, limit: int, cutoff: float) -> list[tuple[int, float]]:
    """Score a pool of candidates and keep the ``limit`` best."""
    return best(score(q, pool, cutoff), limit)
