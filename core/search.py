"""Fuzzy matching: a trigram prefilter in the store, then a rapidfuzz rerank here."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from sqlmodel import Session

from storage import repos

DUPLICATE_THRESHOLD = 86.0
MATCH_THRESHOLD = 60.0
SUGGEST_THRESHOLD = 40.0


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces: done once at write time, never per query row."""
    return " ".join(default_process(text).split())


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
) -> list[tuple[int, float]]:
    """Item ids best matching the query, best first, with their scores (0-100)."""
    q = normalise(query)
    if not q:
        return []
    pool = repos.search_candidates(session, tenant_id, kinds, q, limit=candidates, exclude=exclude)
    if not pool:
        return []
    choices = dict(pool)
    found = process.extract(q, choices, scorer=fuzz.WRatio, processor=None, limit=limit,
                            score_cutoff=cutoff)
    return [(int(key), float(score)) for _, score, key in found]
