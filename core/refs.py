"""Item references: ``I-12``, accepted as ``12``, ``i12``, ``I12``, ``#12``."""

from __future__ import annotations

import re

from core.errors import InvalidInput
from core.i18n import N_

PREFIX = {"idea": "I", "risk": "R", "snippet": "K", "question": "Q", "pulse": "P"}
KIND_OF = {v: k for k, v in PREFIX.items()}
_REF = re.compile(r"^#?([A-Za-z])?-?(\d{1,9})$")


def format_ref(kind: str, number: int) -> str:
    return f"{PREFIX[kind]}-{number}"


def looks_like_ref(raw: str) -> bool:
    """Whether a word is written as a reference of some kind (``I-3``, ``12``, ``X-1``)."""
    return bool(_REF.match(raw.strip()))


def parse_ref(kind: str, raw: str) -> int:
    """The number of a reference of the given kind; a wrong letter is bad input."""
    m = _REF.match(raw.strip())
    if not m:
        raise InvalidInput(N_("{raw} is not a reference like {example}."), raw=raw[:20],
                           example=format_ref(kind, 12))
    letter, number = m.group(1), int(m.group(2))
    if letter and letter.upper() != PREFIX[kind]:
        raise InvalidInput(N_("{raw} is not a reference like {example}."), raw=raw[:20],
                           example=format_ref(kind, 12))
    if number < 1:
        raise InvalidInput(N_("Reference numbers start at 1."))
    return number
