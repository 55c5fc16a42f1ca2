"""Repositories over a real store: counters, tenant filtering, votes, tags, aliases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete

from storage import repos
from storage.db import Database
from storage.models import Alias, Item, StatusChange, Vote

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_item(session, tenant: str, kind: str = "idea", title: str = "x", **kw) -> Item:
    number = repos.next_number(session, tenant, kind)
    return repos.add(session, Item(tenant_id=tenant, kind=kind, number=number, title=title,
                                   search_text=title.lower(), created_at=NOW, updated_at=NOW,
                                   **kw))


@pytest.fixture
def two_tenants(db: Database) -> Database:
    with db.uow() as session:
        for tenant in ("a", "b"):
            repos.ensure_tenant(session, tenant)
            for user in ("u1", "u2", "u3"):
                repos.ensure_member(session, tenant, user, f"{user} of {tenant}")
    return db


def member(session, tenant: str, user: str) -> int:
    found = repos.member_by_user(session, tenant, user)
    assert found is not None and found.id is not None
    return found.id


def test_counters_count_per_tenant_and_kind(two_tenants):
    with two_tenants.uow() as session:
        got = [repos.next_number(session, t, k)
               for t, k in [("a", "idea"), ("a", "idea"), ("a", "risk"), ("b", "idea"),
                            ("a", "idea")]]
    assert got == [1, 2, 1, 1, 3]


def test_numbers_are_never_reused_after_a_delete(two_tenants):
    with two_tenants.uow() as session:
        ids = [make_item(session, "a", title=f"t{n}").id for n in range(3)]
    with two_tenants.uow() as session:
        session.execute(delete(Item).where(Item.id == ids[-1]))  # type: ignore[arg-type]
    with two_tenants.uow() as session:
        assert make_item(session, "a").number == 4


def test_a_rolled_back_number_never_shows(two_tenants):
    with pytest.raises(RuntimeError):
        with two_tenants.uow() as session:
            make_item(session, "a")
            raise RuntimeError("use case failed")
    with two_tenants.uow() as session:
        item = make_item(session, "a")
        assert repos.item_by_ref(session, "a", "idea", item.number) is item
        assert [i.number for i, _ in repos.list_items(session, "a", "idea")] == [item.number]


def test_concurrent_numbering_hands_out_each_number_once(two_tenants):
    got: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(8):
                with two_tenants.uow() as session:
                    n = make_item(session, "a").number
                with lock:
                    got.append(n)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(got) == list(range(1, 33))


def test_item_lookups_filter_by_tenant(two_tenants):
    with two_tenants.uow() as session:
        a_item = make_item(session, "a", title="Dark mode")
        b_item = make_item(session, "b", title="Dark mode")
        assert repos.item_by_ref(session, "a", "idea", 1) is a_item
        assert repos.item_by_ref(session, "b", "idea", 1) is b_item
        assert repos.item_by_id(session, "b", a_item.id or 0) is None
        assert set(repos.items_by_ids(session, "a", [a_item.id or 0, b_item.id or 0])) == {
            a_item.id}
        assert repos.exact_title(session, "a", "idea", "DARK MODE") is a_item
        assert repos.exact_title(session, "c", "idea", "dark mode") is None
        assert [i for i, _ in repos.list_items(session, "b", "idea")] == [b_item]
        assert [i for i, _ in repos.search_candidates(session, "b", ["idea"], "dark mode")] == [
            b_item.id]
        repos.attach_message(session, "a", a_item.id or 0, "C1", "m1")
        assert repos.item_for_message(session, "a", "C1", "m1") is a_item
        assert repos.item_for_message(session, "b", "C1", "m1") is None
        assert [m.item_id for m in repos.messages_for_item(session, "b", a_item.id or 0)] == []


def test_members_filter_by_tenant(two_tenants):
    with two_tenants.uow() as session:
        a1 = member(session, "a", "u1")
        b1 = member(session, "b", "u1")
        assert a1 != b1
        assert set(repos.members_by_ids(session, "a", [a1, b1])) == {a1}
        assert [m.id for m in repos.member_by_name(session, "b", "U1 OF B")] == [b1]
        assert repos.member_by_name(session, "b", "u1 of a") == []
        # ensure_member renames on a new display name and keeps the id
        again = repos.ensure_member(session, "a", "u1", "New Name")
        assert again.id == a1 and again.display_name == "New Name"


def test_votes_latest_wins_and_exact_removal(two_tenants):
    with two_tenants.uow() as session:
        item = make_item(session, "a").id or 0
        u1, u2 = member(session, "a", "u1"), member(session, "a", "u2")
        repos.upsert_vote(session, "a", item, u1, 1, NOW)
        repos.upsert_vote(session, "a", item, u1, -1, NOW)
        repos.upsert_vote(session, "a", item, u2, 1, NOW)
        assert repos.tally(session, "a", item) == (1, 1)
        assert repos.delete_vote(session, "a", item, u1, 1) == 0
        assert repos.delete_vote(session, "b", item, u1, -1) == 0
        assert repos.delete_vote(session, "a", item, u1, -1) == 1
        assert repos.tally(session, "a", item) == (1, 0)
        assert repos.tally(session, "b", item) == (0, 0)
        assert repos.voter_ids(session, "a", item) == [u2]
        assert repos.voter_ids(session, "b", item) == []


def test_move_votes_counts_each_voter_once(two_tenants):
    with two_tenants.uow() as session:
        src, dst = make_item(session, "a").id or 0, make_item(session, "a").id or 0
        u1, u2, u3 = (member(session, "a", u) for u in ("u1", "u2", "u3"))
        repos.upsert_vote(session, "a", src, u1, 1, NOW)  # only on the source: moves
        repos.upsert_vote(session, "a", src, u2, 1, NOW)  # on both: the target vote stays
        repos.upsert_vote(session, "a", dst, u2, -1, NOW)
        repos.upsert_vote(session, "a", src, u3, -1, NOW)  # moves with its value
        assert repos.move_votes(session, "a", src, dst) == 2
        assert repos.tally(session, "a", src) == (0, 0)
        assert repos.tally(session, "a", dst) == (1, 2)
        assert sorted(repos.voter_ids(session, "a", dst)) == sorted([u1, u2, u3])
        values = {v.member_id: v.value for v in session.query(Vote).filter(Vote.item_id == dst)}
        assert values == {u1: 1, u2: -1, u3: -1}


def test_move_votes_never_touches_another_tenant(two_tenants):
    with two_tenants.uow() as session:
        src, dst = make_item(session, "a").id or 0, make_item(session, "a").id or 0
        b1 = member(session, "b", "u1")
        # a stray row of tenant b pointing at a's item must stay where it is
        session.add(Vote(tenant_id="b", item_id=src, member_id=b1, value=1, created_at=NOW))
        session.flush()
        assert repos.move_votes(session, "a", src, dst) == 0
        assert repos.tally(session, "b", src) == (1, 0)


def test_tags_report_only_new_ones_and_order_onboarding(two_tenants):
    with two_tenants.uow() as session:
        k1 = make_item(session, "a", "snippet", "one")
        k2 = make_item(session, "a", "snippet", "two", position=1)
        k3 = make_item(session, "a", "snippet", "three")
        assert repos.add_tags(session, "a", k1.id or 0, ["onboarding", "it"]) == ["onboarding",
                                                                                "it"]
        assert repos.add_tags(session, "a", k1.id or 0, ["it", "hr"]) == ["hr"]
        repos.add_tags(session, "a", k2.id or 0, ["onboarding"])
        repos.add_tags(session, "a", k3.id or 0, ["onboarding"])
        k1.position, k3.position = 3, 2
        session.flush()
        assert repos.tags_of(session, "a", k1.id or 0) == ["hr", "it", "onboarding"]
        assert repos.tags_of(session, "b", k1.id or 0) == []
        assert repos.items_with_tag(session, "a", "onboarding") == [k2, k3, k1]
        assert repos.items_with_tag(session, "b", "onboarding") == []


def test_aliases_are_per_tenant(two_tenants):
    with two_tenants.uow() as session:
        k1 = make_item(session, "a", "snippet", "VPN access")
        repos.add(session, Alias(tenant_id="a", item_id=k1.id or 0, name="vpn"))
        owner = repos.alias_owner(session, "a", "VPN")
        assert owner is not None and owner.item_id == k1.id
        assert repos.alias_owner(session, "b", "vpn") is None
        assert repos.aliases_of(session, "a", k1.id or 0) == ["vpn"]
        assert repos.aliases_of(session, "b", k1.id or 0) == []


def test_history_is_per_item_in_order(two_tenants):
    with two_tenants.uow() as session:
        item = make_item(session, "a")
        for old, new in (("new", "reviewing"), ("reviewing", "planned")):
            repos.add(session, StatusChange(tenant_id="a", item_id=item.id or 0, old_status=old,
                                            new_status=new, created_at=NOW))
        assert [c.new_status for c in repos.history(session, "a", item.id or 0)] == [
            "reviewing", "planned"]
        assert repos.history(session, "b", item.id or 0) == []


def test_claim_event_once_per_tenant(two_tenants):
    with two_tenants.uow() as session:
        assert repos.claim_event(session, "a", "Ev1") is True
        assert repos.claim_event(session, "a", "Ev1") is False
        assert repos.claim_event(session, "b", "Ev1") is True
    with two_tenants.uow() as session:
        assert repos.claim_event(session, "a", "Ev1") is False
