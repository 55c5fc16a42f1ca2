"""forget-me touches the member's own rows and structured mentions of them, never substrings of
other people's words."""

from __future__ import annotations

from storage.models import Item, StatusChange
from tests.core.support import submit

TENANT = "console:test"


def _notes(hromada) -> list[str]:
    with hromada.db.uow() as session:
        return [c.note for c in session.query(StatusChange).order_by(StatusChange.id)]


def test_forget_me_leaves_other_peoples_words_containing_the_name(hromada, actor):
    ann, bob, boss = actor("ann"), actor("bob"), actor("boss", admin=True)
    hromada.run(ann, "people", "me skills maps")
    idea = submit(hromada, bob, "idea", "Annual planning in the open, with Ann's notes")
    submit(hromada, bob, "risk", "Annual budget overrun")
    hromada.run(boss, "idea", f"status {idea} reviewing Annual planning review with Ann")
    hromada.run(bob, "risk", "owner R-1 @ann")
    hromada.save_message(bob, text="Annual report template", link="console://m/1",
                         source_author="Ann")
    hromada.save_message(bob, text="Annotated map", link="console://m/2",
                         source_author="Annabel")

    hromada.press(ann, "forget-me.confirm", "confirm")

    notes = _notes(hromada)
    assert "Annual planning review with Ann" in notes  # a moderator's words, as written
    assert "owner: former member" in notes  # the bot's own structured mention of her
    assert not any(n == "owner: Ann" for n in notes)
    assert not any("former memberual" in n for n in notes)
    with hromada.db.uow() as session:
        titles = {i.title for i in session.query(Item).filter_by(tenant_id=TENANT)}
        sources = {i.title: i.source_author for i in session.query(Item)
                   .filter_by(tenant_id=TENANT, kind="snippet")}
    assert "Annual planning in the open, with Ann's notes" in titles
    assert "Annual budget overrun" in titles
    assert sources["Annual report template"] == "former member"
    assert sources["Annotated map"] == "Annabel"


def test_forget_me_scrubs_the_owner_note_in_ukrainian_too(hromada, actor):
    ann, bob, boss = actor("ann"), actor("bob"), actor("boss", admin=True)
    hromada.run(ann, "people", "me skills maps")
    hromada.run(boss, "hromada", "settings language uk")
    submit(hromada, bob, "risk", "Annual budget overrun")
    hromada.run(bob, "risk", "owner R-1 @ann")
    owner_note = [n for n in _notes(hromada) if "Ann" in n]
    assert owner_note and owner_note[0] != "owner: Ann"
    hromada.run(ann, "hromada", "forget-me confirm")
    assert not any("Ann" in n for n in _notes(hromada))
