"""Fuzzy matching: a trigram prefilter in the store, then a rapidfuzz rerank here."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from sqlmodel import Session

from core import search_index
from storage import repos

DUPLICATE_THRESHOLD = 86.0
MATCH_THRESHOLD = 60.0
SUGGEST_THRESHOLD = 40.0


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces: done once at write time, never per query row."""
    return " ".join(default_process(text).split())


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
    thorough trigram pass joins in, so heavy typos and short queries are still found.
    """
    q = normalise(query)
    if not q:
        return []
    if indexes is None:
        indexes = search_index.fresh(session, tenant_id, kinds)
    if indexes is not None:
        return search_index.search(indexes, q, limit=limit, cutoff=cutoff, exclude=exclude,
                                   candidates=candidates)
    pool = dict(repos.search_candidates(session, tenant_id, kinds, q, limit=candidates,
                                        exclude=exclude, strict=True))
    found = _rerank(q, pool, limit, cutoff)
    if not found or found[0][1] < CONFIDENT:
        pool.update(repos.search_candidates(session, tenant_id, kinds, q, limit=candidates,
                                            exclude=exclude))
        found = _rerank(q, pool, limit, cutoff)
    return found


def _rerank(q: str, pool: dict[int, str], limit: int, cutoff: float) -> list[tuple[int, float]]:
    if not pool:
        return []
    found = process.extract(q, pool, scorer=fuzz.WRatio, processor=None, limit=limit,
                            score_cutoff=cutoff)
    return [(int(key), float(score)) for _, score, key in found]
