"""The lazy unit of work (``Database.unit``): driver statements and the ORM session it makes on
demand share one transaction; nothing a use case changed is lost, nothing a failed one did stays.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storage import repos
from storage.db import Database, StoreConflict
from storage.models import Alias, Counter, Item, Member, SnippetFeedback, Tenant

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def items(db: Database, tenant: str = "a") -> list[tuple[int, str]]:
    with db.uow() as session:
        return [(i.number, i.title) for i in session.execute(
            select(Item).where(Item.tenant_id == tenant).order_by(Item.number)).scalars()]


def counter(db: Database, tenant: str = "a") -> int | None:
    with db.uow() as session:
        found = session.get(Counter, (tenant, "idea"))
        return found.last if found else None


def new_item(session: object, tenant: str, title: str) -> Item:
    number = repos.next_number(session, tenant, "idea")  # type: ignore[arg-type]
    return repos.insert_item(session, tenant_id=tenant, kind="idea",  # type: ignore[arg-type]
                             number=number, title=title, search_text=title.lower(),
                             created_at=NOW, updated_at=NOW)


@pytest.fixture
def tenant_a(db: Database) -> Database:
    with db.uow() as session:
        repos.ensure_tenant(session, "a")
        repos.ensure_member(session, "a", "u1", "Old Name")
    return db


def test_driver_statements_commit_without_a_session(tenant_a):
    with tenant_a.unit() as unit:
        tenant, member = repos.ensure_tenant_member(unit, "a", "u1", "Old Name", now=NOW)
        item = new_item(unit, "a", "Dark mode")
        assert unit._session is None  # the common path never made one
        assert (tenant.id, member.user_id, item.number) == ("a", "u1", 1)
    assert items(tenant_a) == [(1, "Dark mode")]
    assert counter(tenant_a) == 1


def test_a_failure_rolls_back_driver_and_session_writes_alike(tenant_a):
    with pytest.raises(RuntimeError):
        with tenant_a.unit() as unit:
            new_item(unit, "a", "Dark mode")  # driver statements
            unit.add(Item(tenant_id="a", kind="idea", number=99, title="ORM row",
                          search_text="orm row", created_at=NOW, updated_at=NOW))
            unit.flush()  # the session, made now, writes in the same transaction
            assert unit._session is not None
            raise RuntimeError("use case failed after both")
    assert items(tenant_a) == []
    assert counter(tenant_a) in (None, 0)
    with tenant_a.unit() as unit:
        assert new_item(unit, "a", "Next").number == 1  # the rolled-back number comes back


def test_a_changed_object_is_written_though_no_session_was_made(tenant_a):
    with tenant_a.unit() as unit:
        _, member = repos.ensure_tenant_member(unit, "a", "u1", "New Name", now=NOW)
        assert member.display_name == "New Name"
        assert unit._session is None
    with tenant_a.uow() as session:
        stored = session.execute(select(Member).where(Member.user_id == "u1")).scalar_one()
        assert stored.display_name == "New Name"


def test_held_objects_are_the_sessions_own_once_it_is_made(tenant_a):
    with tenant_a.unit() as unit:
        tenant, member = repos.ensure_tenant_member(unit, "a", "u1", "Old Name", now=NOW)
        item = new_item(unit, "a", "Dark mode")
        assert unit.get(Tenant, "a") is tenant
        assert unit.get(Member, member.id) is member
        assert repos.item_by_ref(unit, "a", "idea", 1) is item  # type: ignore[arg-type]
        item.title = "Dark mode everywhere"  # a change after the session was made is flushed
    assert items(tenant_a) == [(1, "Dark mode everywhere")]


def test_a_refused_unique_rule_is_a_conflict_and_nothing_stays(tenant_a):
    with pytest.raises(StoreConflict):
        with tenant_a.unit() as unit:
            new_item(unit, "a", "First")
            repos.insert_item(unit, tenant_id="a", kind="idea", number=1,  # type: ignore[arg-type]
                              title="Same number", search_text="same number",
                              created_at=NOW, updated_at=NOW)
    assert items(tenant_a) == []
    with tenant_a.unit() as unit:
        assert new_item(unit, "a", "First").number == 1


def test_units_in_threads_hand_out_each_number_once(tenant_a):
    def worker(_: int) -> list[int]:
        numbers = []
        for n in range(6):
            with tenant_a.unit() as unit:
                numbers.append(new_item(unit, "a", f"t{n}").number)
        return numbers

    with ThreadPoolExecutor(3) as pool:  # a worker's error is raised here
        got = [n for numbers in pool.map(worker, range(3)) for n in numbers]
    assert sorted(got) == list(range(1, 19))
    with tenant_a.uow() as session:
        assert session.execute(select(func.count()).select_from(Item)).scalar_one() == 18


# -- reads by id on the driver (``items_by_ids``, ``snippets_by_ids``, ``alias_item``) --------


def _orm_items(db: Database, tenant: str, ids: list[int]) -> dict[int, tuple[str, str]]:
    with db.uow() as session:
        return {i.id: (i.title, i.status) for i in session.execute(
            select(Item).where(Item.tenant_id == tenant, Item.id.in_(ids))).scalars()}


@pytest.mark.parametrize("count", [1, 3, 16, 17, 64, 65, 150])
def test_items_by_ids_reads_what_the_orm_reads(tenant_a, count):
    with tenant_a.uow() as session:
        repos.ensure_tenant(session, "b")
    with tenant_a.unit() as unit:
        mine = [new_item(unit, "a", f"Idea {n}").id for n in range(count)]
        theirs = new_item(unit, "b", "Not yours").id
    # Repeats, another tenant's id and a missing one are asked for too.
    asked = mine[::-1] + mine[:2] + [theirs, 10_000]
    with tenant_a.unit() as unit:
        got = repos.items_by_ids(unit, "a", asked)
        assert unit._session is None
        assert {i: (it.title, it.status) for i, it in got.items()} == _orm_items(
            tenant_a, "a", asked)
        assert len(got) == count and theirs not in got
        again = repos.items_by_ids(unit, "a", mine[:1])
        assert again[mine[0]] is got[mine[0]]  # one object per row in a unit
    assert repos.items_by_ids(unit, "a", []) == {}


def test_items_by_ids_sees_what_the_session_has_not_written_yet(tenant_a):
    with tenant_a.unit() as unit:
        first, second = new_item(unit, "a", "Keep"), new_item(unit, "a", "Drop")
    with tenant_a.uow() as session:
        kept, gone = session.get(Item, first.id), session.get(Item, second.id)
        session.delete(gone)  # nothing written yet
        kept.title = "Kept, renamed"
        got = repos.items_by_ids(session, "a", [first.id, second.id])
        assert list(got) == [first.id]  # the pending delete is flushed first
        assert got[first.id] is kept and got[first.id].title == "Kept, renamed"


def test_snippets_by_ids_carry_their_feedback_and_alias_item_finds_the_owner(tenant_a):
    with tenant_a.unit() as unit:
        helped, plain = new_item(unit, "a", "VPN setup"), new_item(unit, "a", "Printer")
    with tenant_a.uow() as session:
        session.add(SnippetFeedback(item_id=helped.id, tenant_id="a", helpful=3))
        session.add(Alias(tenant_id="a", item_id=helped.id, name="vpn"))
    with tenant_a.unit() as unit:
        got = repos.snippets_by_ids(unit, "a", [plain.id, helped.id])
        assert {i: n for i, (_, n) in got.items()} == {helped.id: 3, plain.id: 0}
        assert repos.alias_item(unit, "a", "VPN") == helped.id
        assert repos.alias_item(unit, "a", "printer") is None
        assert repos.alias_item(unit, "b", "vpn") is None  # another tenant's name
        assert unit._session is None
