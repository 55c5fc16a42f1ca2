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
    holding the query's words join the candidates either way.
    """
    q = Query.of(query)
    if not q.lemmas:
        return []
    if indexes is None:
        indexes = search_index.fresh(session, tenant_id, kinds)
    if indexes is not None:
        pool = search_index.pool(indexes, q.lemmas, q.grams(), q.words, exclude=exclude,
                                 candidates=candidates)
        return rerank(q, pool, limit, cutoff)
    titles = dict(repos.search_candidates(session, tenant_id, kinds, q.lemmas,
                                          limit=candidates, exclude=exclude, strict=True))
    found = rerank(q, {i: (t, "") for i, t in titles.items()}, limit, cutoff)
    if not found or found[0][1] < CONFIDENT:
        titles.update(repos.search_candidates(session, tenant_id, kinds, q.lemmas,
                                              limit=candidates, exclude=exclude))
        found = rerank(q, {i: (t, "") for i, t in titles.items()}, limit, cutoff)
    pool: dict[int, tuple[str, str]] = {i: (t, "") for i, t in titles.items()}
    # A body scores BODY_WEIGHT times the share of query words it holds: it can only enter
    # when it holds enough of them for the cutoff, and ``limit`` titles above it are not yet
    # found (the duplicate check's cutoff is above any body score: no body look-up at all).
    least = math.ceil(len(q.words) * cutoff / BODY_WEIGHT - 1e-9)
    if (q.words and least <= len(q.words)
            and sum(s >= BODY_WEIGHT for _, s in found) < limit):
        for item_id, text, body in repos.body_candidates(session, tenant_id, kinds, q.words,
                                                         least=least, limit=candidates // 2,
                                                         exclude=exclude):
            pool[item_id] = (text, body)
        found = rerank(q, pool, limit, cutoff)
    return found


def rerank(q: Query, pool: Mapping[int, tuple[str, str]], limit: int,
           cutoff: float) -> list[tuple[int, float]]:
    """Score each candidate: the best of WRatio on the title text (lemmatised query and as
    typed), the share of query words the title holds, and the share its body holds (lower)."""
    if not pool:
        return []
    texts = {key: text for key, (text, _) in pool.items()}
    scores = {int(key): float(s) for _, s, key in process.extract(
        q.lemmas, texts, scorer=fuzz.WRatio, processor=None, limit=None)}
    if q.plain != q.lemmas:
        for _, s, key in process.extract(q.plain, texts, scorer=fuzz.WRatio, processor=None,
                                          limit=None, score_cutoff=cutoff):
            scores[int(key)] = max(scores.get(int(key), 0.0), float(s))
    if q.words:
        n = len(q.words)
        for key, (text, body) in pool.items():
            title_words = set(text.split())
            best = TITLE_WORDS * sum(w in title_words for w in q.words) / n
            if body and best < BODY_WEIGHT:
                body_words = set(body.split())
                best = max(best, BODY_WEIGHT * sum(w in body_words for w in q.words) / n)
            if best > scores.get(key, 0.0):
                scores[key] = best
    found = sorted(((k, s) for k, s in scores.items() if s >= cutoff),
                   key=lambda pair: pair[1], reverse=True)
    return found[:limit]
