"""Every word the web templates show has a Ukrainian translation (the Python side is checked
by tests/core/test_i18n.py, which does not read templates)."""

from __future__ import annotations

import re
from pathlib import Path

from core.i18n import gettext_for
from tests.core.test_i18n import catalog_entries, placeholders

TEMPLATES = Path(__file__).resolve().parents[2] / "bots" / "web" / "templates"
MARKED = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""")
# Words passed to _() as values (statuses, sorts): each must be translated too.
VALUES = ("top", "new", "trending", "reviewing", "planned", "in-progress", "done", "declined",
          "merged", "withdrawn")


def template_msgids(directory: Path = TEMPLATES) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.html")):
        for m in MARKED.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(1) or m.group(2), path.name)
    return found


def test_the_extraction_sees_both_quotes() -> None:
    found = template_msgids()
    assert "Sign out" in found and "Search ideas" in found


def test_every_template_word_has_ukrainian() -> None:
    tr, known = gettext_for("uk"), catalog_entries("uk")
    missing = [f"{msgid!r} ({where})" for msgid, where in
               {**template_msgids(), **{v: "values" for v in VALUES}}.items()
               if tr.gettext(msgid) == msgid and msgid not in known
               or placeholders(tr.gettext(msgid)) != placeholders(msgid)]
    assert not missing, "\n".join(missing)
