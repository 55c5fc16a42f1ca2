"""Search reads the whole snippet and speaks Ukrainian: word forms, bodies, tags, aliases, and
titles ranked above bodies, through the in-process index and through the store's indexes."""

from __future__ import annotations

import pytest

from core import search_index
from core.search import Query, normalise, ranked

SNIPPETS = [
    "Як подати заявку на відпустку | Заявку погоджує керівник у HR-системі",          # K-1
    "Перший тиждень у компанії | Наставник допомагає новачкам у перший місяць",       # K-2
    "Онбординг | Що прочитати в перший день #hr",                                      # K-3
    "Налаштування VPN | Завантажте клієнт з порталу",                                  # K-4
    "Доступ до пошти | Спершу налаштуйте VPN, потім пошту",                            # K-5
    "Звіти про витрати | Чеки йдуть у фінансовий бот #бухгалтерія",                    # K-6
    "Holiday schedule | Offices close on public holidays",                             # K-7
    "Портал для співробітників | Посилання є в закладках браузера",                   # K-8
]


@pytest.fixture(params=["memory", "store"])
def kb(request, hromada, actor, monkeypatch):
    """The same snippets searched through the in-process index, then through the store's."""
    if request.param == "store":
        monkeypatch.setattr(search_index, "MEMORY_LIMIT", 0)
    mod = actor("mod", admin=True)
    for line in SNIPPETS:
        reply = hromada.run(mod, "kb", f"add {line}")
        assert reply.actions == [], reply.plain()
    assert "also found as" in hromada.run(mod, "kb", "alias 1 канікули").plain()
    return hromada


def refs(kb, actor, query: str) -> list[str]:
    reply = kb.run(actor("alice"), "kb", f"search {query}")
    assert reply.title is None, reply.plain()  # a ranked list, not an exact hit
    return [line.ref for line in reply.lines]


@pytest.mark.parametrize("query", ["відпустки", "відпустку", "відпусткою", "Відпусткою!"])
def test_every_form_of_a_word_finds_the_title(kb, actor, query):
    assert refs(kb, actor, query)[0] == "K-1"


@pytest.mark.parametrize("form", ["відпустки", "відпустку", "відпусткою", "онбордингу",
                                  "holidays", "наставника"])
def test_a_form_scores_as_its_dictionary_form(kb, db, form):
    """Not merely close by characters: every form is the same word to search."""
    base = {"відпустки": "відпустка", "відпустку": "відпустка", "відпусткою": "відпустка",
            "онбордингу": "онбординг", "holidays": "holiday", "наставника": "наставник"}[form]
    with db.uow() as session:
        found = ranked(session, "console:test", ["snippet"], form)
        assert found and found == ranked(session, "console:test", ["snippet"], base)


def test_a_jargon_word_the_dictionary_lacks_still_finds_its_forms(kb, actor):
    assert refs(kb, actor, "онбордингу")[0] == "K-3"


def test_english_plurals(kb, actor):
    assert refs(kb, actor, "holidays")[0] == "K-7"


def test_a_word_only_in_a_body_is_found(kb, actor):
    assert refs(kb, actor, "наставника") == ["K-2"]
    assert refs(kb, actor, "наставників") == ["K-2"]


def test_tags_and_aliases_are_searched_in_any_form(kb, actor):
    assert refs(kb, actor, "бухгалтерії")[0] == "K-6"
    assert refs(kb, actor, "канікулах")[0] == "K-1"


def test_a_title_outranks_a_body(kb, actor):
    assert refs(kb, actor, "vpn")[:2] == ["K-4", "K-5"]
    assert refs(kb, actor, "порталі")[:2] == ["K-8", "K-4"]


def test_an_exact_title_or_alias_still_comes_first(kb, actor):
    assert "Налаштування VPN" in kb.run(actor("alice"), "kb", "search налаштування vpn").plain()
    reply = kb.run(actor("alice"), "kb", "search канікули")
    assert reply.title is not None and "Як подати заявку" in reply.plain()


def test_the_duplicate_check_matches_word_forms(kb, actor):
    reply = kb.run(actor("bob"), "kb", "add Заявки на відпустки | Як це зробити")
    assert reply.actions, reply.plain()
    assert [line.ref for line in reply.lines][:1] == ["K-1"]
    # a body word is not a duplicate: bodies never reach the duplicate threshold
    fresh = kb.run(actor("bob"), "kb", "add Наставник | Хто це")
    assert fresh.actions == [], fresh.plain()


def test_stored_text_is_in_dictionary_form():
    assert normalise("Як подати заявку на відпустку?") == "як подати заявка на відпустка"
    q = Query.of("Відпусткою, holidays")
    assert q.lemmas == "відпустка holiday" and q.plain == "відпусткою holidays"
    assert q.words == ("відпустка", "holiday")
