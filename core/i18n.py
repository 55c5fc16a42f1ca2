"""Translations through gettext catalogs (``core/locale/<lang>/LC_MESSAGES/*.po``).

The ``.po`` files are compiled in memory on first use, so a translator adds a language by
adding files, without a build step or a code change. A language may be split over several
catalogs (one per feature); they are merged.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "hromada"
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def available_languages() -> list[str]:
    found = {p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/*.po")}
    return sorted(found | {DEFAULT_LANGUAGE})


@cache
def translations(language: str) -> gettext.NullTranslations:
    files = sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))
    if not files:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    merged: gettext.NullTranslations | None = None
    for po in files:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        part = gettext.GNUTranslations(buf)
        if merged is None:
            merged = part
        else:
            merged.add_fallback(part)
    assert merged is not None
    return merged


@cache
def _known(language: str) -> str:
    """The language if it has catalogs, else the default: read once per process (every
    command asks, and a glob of the locale directory per command showed in the profile)."""
    return language if language in available_languages() else DEFAULT_LANGUAGE


def gettext_for(language: str) -> gettext.NullTranslations:
    return translations(_known(language))
