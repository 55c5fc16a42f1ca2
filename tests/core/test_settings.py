"""Per-tenant settings and permissions: moderators, roles, threshold, values, language."""

from __future__ import annotations

import pytest

from core.errors import Forbidden, InvalidInput, NotFound
from storage.models import Tenant
from tests.core.support import snapshot

SETTING_LINES = [
    "settings language uk",
    "settings threshold 7",
    "settings values teamwork, care",
    "settings moderators add <@bob>",
    "settings roles Leads",
    "demo",
]


def tenant(db, tenant_id: str = "console:test") -> Tenant:
    with db.uow() as session:
        found = session.get(Tenant, tenant_id)
        assert found is not None
        return found


def test_members_are_refused_with_the_reason_and_nothing_changes(hromada, actor, db):
    alice = actor("alice")
    hromada.run(alice, "hromada", "settings")
    before = snapshot(db)
    for line in SETTING_LINES:
        with pytest.raises(Forbidden) as exc:
            hromada.run(alice, "hromada", line)
        reply = hromada.error_reply("console:test", exc.value)
        assert reply.error
        assert "server admins" in reply.plain() and "/hromada settings" in reply.plain()
        who = "Only workspace or server admins" if line.split()[1:2] in (["moderators"],
                                                                       ["roles"]) \
            else "Only moderators"
        assert who in reply.plain(), line
    assert snapshot(db) == before


def test_show_settings_defaults(hromada, actor):
    text = hromada.run(actor("alice"), "hromada", "settings").plain()
    assert "Language: en" in text
    assert "Anonymity threshold: 5" in text
    assert "Company values: teamwork, ownership, curiosity, craft, care" in text
    assert "Moderators: —" in text


def test_moderators_added_and_removed(hromada, actor, db):
    admin, bob = actor("boss", admin=True), actor("bob")
    hromada.run(bob, "idea", "Dark mode for the wiki")
    with pytest.raises(Forbidden):
        hromada.run(bob, "idea", "status 1 planned")
    reply = hromada.run(admin, "hromada", "settings moderators add <@bob|Bob>")
    assert "Bob is now a moderator" in reply.plain()
    hromada.run(admin, "hromada", "settings moderators add @bob")  # by name, no duplicate
    assert tenant(db).moderators == "bob"
    assert "is now planned" in hromada.run(bob, "idea", "status 1 planned").plain()
    # who moderates is the admins' call: a moderator from settings cannot name more
    hromada.run(actor("carol"), "idea", "list")
    with pytest.raises(Forbidden) as exc:
        hromada.run(bob, "hromada", "settings moderators add @Carol")
    assert "Only workspace or server admins" in hromada.error_reply(
        "console:test", exc.value).plain()
    hromada.run(admin, "hromada", "settings moderators add @Carol")
    assert tenant(db).moderators == "bob,carol"
    assert "Moderators: bob, carol" in hromada.run(bob, "hromada", "settings").plain()
    reply = hromada.run(admin, "hromada", "settings moderators remove <@bob>")
    assert "Bob is no longer a moderator" in reply.plain()
    with pytest.raises(Forbidden):
        hromada.run(bob, "idea", "status 1 done")
    with pytest.raises(NotFound):
        hromada.run(admin, "hromada", "settings moderators add @nobody")
    with pytest.raises(InvalidInput):
        hromada.run(admin, "hromada", "settings moderators promote <@bob>")


def test_moderators_are_per_tenant(hromada, actor):
    admin = actor("boss", admin=True)
    hromada.run(admin, "hromada", "settings moderators add <@bob>")
    elsewhere = actor("bob", tenant="console:other")
    with pytest.raises(Forbidden):
        hromada.run(elsewhere, "hromada", "settings threshold 3")


def test_roles_make_moderators_case_insensitively(hromada, actor, db):
    admin = actor("boss", admin=True)
    lead = actor("lena", roles=("team LEADS", "everyone"))
    with pytest.raises(Forbidden):
        hromada.run(lead, "hromada", "settings threshold 3")
    reply = hromada.run(admin, "hromada", "settings roles @Team Leads, Moderators")
    assert "Moderator roles: Team Leads, Moderators" in reply.plain()
    assert tenant(db).moderator_roles == "Team Leads,Moderators"
    assert "Groups smaller than 3" in hromada.run(lead, "hromada", "settings threshold 3").plain()
    assert "Moderator roles: Team Leads, Moderators" in hromada.run(lead, "hromada",
                                                                    "settings").plain()


def test_threshold_is_bounded(hromada, actor, db):
    admin = actor("boss", admin=True)
    for bad in ("settings threshold 1", "settings threshold 51", "settings threshold five",
                "settings threshold"):
        with pytest.raises(InvalidInput) as exc:
            hromada.run(admin, "hromada", bad)
        assert exc.value.usage == "/hromada settings threshold <k>"
    hromada.run(admin, "hromada", "settings threshold 3")
    assert tenant(db).anonymity_k == 3
    hromada.run(admin, "hromada", "settings threshold 50")
    assert tenant(db).anonymity_k == 50


def test_values_are_normalised(hromada, actor, db):
    admin = actor("boss", admin=True)
    reply = hromada.run(admin, "hromada", "settings values #Teamwork, care, , CARE, Craft")
    assert "Company values: teamwork, care, craft." in reply.plain()
    assert tenant(db).company_values == "teamwork,care,craft"
    for bad in ("settings values , ,", "settings values " + "x" * 41):
        with pytest.raises(InvalidInput):
            hromada.run(admin, "hromada", bad)
    assert tenant(db).company_values == "teamwork,care,craft"


def test_language_switch_is_per_tenant(hromada, actor, db):
    admin = actor("boss", admin=True)
    english = hromada.run(admin, "hromada", "settings language en").plain()
    assert "From now on I answer in English." in english
    with pytest.raises(InvalidInput):
        hromada.run(admin, "hromada", "settings language klingon")
    ukrainian = hromada.run(admin, "hromada", "settings language UK").plain()
    assert tenant(db).language == "uk"
    assert ukrainian != english
    assert hromada.language("console:test") == "uk"
    assert hromada.language("console:other") == "en"
    other = hromada.run(actor("zed", tenant="console:other"), "idea", "list").plain()
    assert "No ideas here yet" in other


def test_settings_text_is_user_text(hromada, actor):
    from core.text import UserText

    admin = actor("boss", admin=True)
    reply = hromada.run(admin, "hromada", "settings values <!channel>, @everyone")
    assert any(isinstance(p, UserText) and "<!channel>" in p.text for p in reply.text.parts)
    assert not any(isinstance(p, str) and "<!channel>" in p for p in reply.text.parts)


def test_demo_is_for_moderators_and_loads_once(hromada, actor):
    admin = actor("boss", admin=True)
    from core.demo import IDEAS, RISKS, SNIPPETS

    first = hromada.run(admin, "hromada", "demo").plain()
    assert f"Demo loaded: {len(IDEAS)} ideas, {len(RISKS)} risks, {len(SNIPPETS)} snippets" in first
    assert "Demo loaded: 0 ideas" in hromada.run(admin, "hromada", "demo").plain()
    assert len(hromada.run(admin, "idea", "list").lines) == min(len(IDEAS), 10)
    onboarding = [f"K-{n}" for n, s in enumerate(SNIPPETS, 1) if "onboarding" in s[2]]
    assert [ln.ref for ln in hromada.run(admin, "kb", "onboarding").lines] == onboarding
