"""Every reply text has a Ukrainian translation, and a tenant switched to uk is answered in it.

The extraction here is the reusable tool: ``python -m tests.core.test_i18n`` prints the msgids
that still lack a Ukrainian translation, with where they are used.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from core.context import Actor
from core.errors import HromadaError
from core.i18n import LOCALE_DIR, gettext_for

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("core", "bots")
# ``ctx._("…")``, ``ctx.t("…")``, ``N_("…")``, and gettext's own names (``tr.gettext("…")``).
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "N_": None, "t": None}
# The foundation: its msgids live in core/locale/uk/LC_MESSAGES/hromada.po.
FOUNDATION = (
    "core/admin.py", "core/app.py", "core/commands.py", "core/context.py", "core/errors.py",
    "core/i18n.py", "core/ideas.py", "core/items.py", "core/knowledge.py", "core/refs.py",
    "core/registry.py", "core/replies.py", "core/risks.py", "core/search.py", "core/text.py",
    "core/votes.py", "core/demo.py", "core/export.py", "core/clock.py", "core/config.py",
    "bots/console/chat.py", "bots/console/render.py", "bots/cli.py",
)


def extract_msgids(paths: Iterable[Path]) -> dict[str, list[str]]:
    """msgid -> the places (path:line) that use it, for every marked string in these files."""
    found: dict[str, list[str]] = {}
    for path in paths:
        for lineno, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
        ):
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                found.setdefault(msgid, []).append(f"{path.relative_to(ROOT)}:{lineno}")
    return found


def source_files(roots: Iterable[str] = SOURCES) -> list[Path]:
    return sorted(p for r in roots for p in (ROOT / r).rglob("*.py"))


def placeholders(text: str) -> set[str] | None:
    """The {names} a template fills; None when it is not a valid template."""
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError:
        return None


def catalog_entries(language: str = "uk") -> dict[str, str]:
    """msgid -> msgstr over every catalog of the language (non-empty, non-fuzzy entries).

    Entries with a context (``msgctxt``, e.g. Discord command names) are another key in
    gettext, so they never stand in for a reply text.
    """
    out: dict[str, str] = {}
    for po in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.string \
                    and not message.fuzzy and message.context is None:
                out.setdefault(message.id, str(message.string))
    return out


def problems(msgids: dict[str, list[str]], language: str = "uk") -> list[str]:
    """One line per msgid with no translation, or whose translation changes the placeholders."""
    tr = gettext_for(language)
    known = catalog_entries(language)
    out = []
    for msgid, where in sorted(msgids.items(), key=lambda kv: kv[1][0]):
        translated = tr.gettext(msgid)
        if translated == msgid and msgid not in known:
            out.append(f"untranslated {msgid!r}  ({where[0]})")
        elif placeholders(translated) != placeholders(msgid):
            out.append(f"placeholders differ {msgid!r} -> {translated!r}  ({where[0]})")
    return out


def test_extraction_finds_every_form_of_marking() -> None:
    found = extract_msgids([ROOT / "core/ideas.py", ROOT / "core/items.py",
                            ROOT / "core/app.py"])
    assert "New idea" in found  # ctx.t(N_("…"))
    assert "Score" in found  # ctx._("…")
    assert "in-progress" in found  # N_("…") on a bare status
    assert "Usage: {usage}" in found  # tr.gettext("…")


def test_every_msgid_has_a_ukrainian_translation() -> None:
    """All of core/ and bots/: fails while any feature's catalog lags behind its code."""
    missing = problems(extract_msgids(source_files()))
    assert not missing, f"{len(missing)} msgids need Ukrainian:\n" + "\n".join(missing)


def test_foundation_msgids_have_ukrainian_translations() -> None:
    paths = [ROOT / p for p in FOUNDATION if (ROOT / p).exists()]
    missing = problems(extract_msgids(paths))
    assert not missing, f"{len(missing)} foundation msgids need Ukrainian:\n" + "\n".join(missing)


def test_catalog_entries_keep_their_placeholders() -> None:
    broken = [f"{msgid!r} -> {msgstr!r}" for msgid, msgstr in catalog_entries().items()
              if placeholders(msgstr) != placeholders(msgid)]
    assert not broken, "\n".join(broken)


def _error_text(hromada, tenant_id: str, call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(HromadaError) as info:
        call()
    return hromada.error_reply(tenant_id, info.value).plain()


def test_switching_a_tenant_to_ukrainian_and_back(hromada, actor) -> None:  # type: ignore[no-untyped-def]
    alice, bob = actor("alice", admin=True), actor("bob")
    hromada.run(alice, "idea", "Dark mode for the wiki")
    assert hromada.run(alice, "hromada", "settings language uk").plain() == (
        "Відтепер я відповідаю українською.")

    card = hromada.run(bob, "idea", "Тихі години в середу").plain()
    assert "Нова ідея" in card and "Від: Bob" in card
    listed = hromada.run(bob, "idea", "list").plain()
    assert "Ідеї (спершу найновіші), сторінка 1:" in listed
    assert "I-1 Dark mode for the wiki (+0 · нова)" in listed
    assert "Що робить кожна команда." in hromada.run(bob, "hromada", "help").plain()
    shown = hromada.run(alice, "idea", "status I-1 planned").plain()
    assert "I-1 «Dark mode for the wiki» тепер має статус «заплановано» (був «нова»)." in shown

    # Errors and usage lines are Ukrainian too.
    bad_ref = _error_text(hromada, alice.tenant_id, lambda: hromada.run(bob, "idea", "show X-1"))
    assert bad_ref == "X-1 — не посилання на кшталт I-12.\nВикористання: /idea show <ref>"
    refused = _error_text(hromada, alice.tenant_id,
                          lambda: hromada.run(bob, "idea", "status I-2 done"))
    assert refused.startswith("Це можуть лише модератори")
    not_found = _error_text(hromada, alice.tenant_id, lambda: hromada.run(bob, "kb", "show 9"))
    assert not_found == "K-9 не існує."
    assert "Вибачте" in hromada.apology(alice.tenant_id, "abc123").plain()

    assert hromada.run(alice, "hromada", "settings language en").plain() == (
        "From now on I answer in English.")
    assert "Ideas (newest first), page 1:" in hromada.run(bob, "idea", "list").plain()
    back = _error_text(hromada, alice.tenant_id, lambda: hromada.run(bob, "idea", "show X-1"))
    assert back == "X-1 is not a reference like I-12.\nUsage: /idea show <ref>"


def test_other_tenants_keep_their_language(hromada, actor) -> None:  # type: ignore[no-untyped-def]
    hromada.run(actor("alice", admin=True), "hromada", "settings language uk")
    other = actor("carol", tenant="console:other")
    assert "No ideas here yet" in hromada.run(other, "idea", "list").plain()


def test_cyrillic_names_and_titles_match_whatever_the_case(hromada, actor) -> None:  # type: ignore[no-untyped-def]
    olena = actor("olena", admin=True)
    oksana = Actor(olena.tenant_id, "oksana", "Оксана")
    hromada.run(olena, "kb", "add Відпустка | Заявку погоджує керівник")
    assert hromada.run(olena, "kb", "Відпустка").plain().startswith("📚 K-1 · Відпустка")
    hromada.run(oksana, "risk", "Ціни на хмару ростуть")
    assert "now owns R-1" in hromada.run(olena, "risk", "owner R-1 @Оксана").plain()


if __name__ == "__main__":
    for line in problems(extract_msgids(source_files())):
        print(line)
