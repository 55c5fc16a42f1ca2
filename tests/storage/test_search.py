"""Fuzzy search (the in-process index, and the store's FTS5 / pg_trgm) and the vote hot path.

The same tests run on both stores and, for ranking, on both candidate sources: typo queries
in English and Ukrainian find their snippet, tenants never see each other's items, short
queries still answer, the in-process index follows changes made through another instance on
the same store, and the reaction path keeps one vote per member with its idempotency key.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from core import search_index
from core.app import Hromada
from core.search import normalise, ranked
from storage import repos
from storage.db import Database
from storage.models import Item, Member

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

TITLES = [
    "How to reset the VPN token on macOS",
    "Who owns the staging database in Kyiv office",
    "Expense report checklist for contractors",
    "Step by step: rotate SSH key and API key",
    "Troubleshooting the CI pipeline before release",
    "Policy: book meeting room for the data team",
    "Як налаштувати токен VPN у львівському офісі",
    "Хто відповідає за генератор під час блекаутів",
    "Чекліст: заявка на відпустку для новачків",
    "Крок за кроком: оновити сертифікат TLS і запис DNS",
    "Маршрут до укриття у київському офісі",
    "Як замовити ноутбук для стажистів",
]

# (query with one or two typos, index of the title it comes from)
TYPOS = [
    ("How to rest the VPN tokne on macOS", 0),  # deletion + swap
    ("Who owns the stagign databse in Kyiv office", 1),
    ("Expens report checklist for contrcators", 2),
    ("Troubleshootnig the CI piepline before release", 4),
    ("Як налаштуват токен VPN у львівськму офісі", 6),  # Cyrillic deletions
    ("Хто відповідає за генератр під час блекаутів", 7),
    ("Чекліст: заявка на відпусткку для новачків", 8),  # insertion
    ("Маршрут до укритя у киівському офісі", 10),
    ("Як замовти ноутбук для стажистів", 11),
]


def add_items(db: Database, tenant: str, titles: list[str], *, kind: str = "snippet",
              status: str = "published") -> list[int]:
    with db.uow() as session:
        repos.ensure_tenant(session, tenant)
        ids = []
        for title in titles:
            number = repos.next_number(session, tenant, kind)
            item = repos.add(session, Item(tenant_id=tenant, kind=kind, number=number,
                                           title=title, search_text=normalise(title),
                                           status=status, created_at=NOW, updated_at=NOW))
            ids.append(item.id or 0)
        return ids


def filler(n: int) -> list[str]:
    """Near-miss titles that share most words with the real ones: the hard case."""
    places = ["in Lviv office", "for interns", "on Windows", "у харківському хабі", "з дому"]
    verbs = ["renew", "install", "order", "замовити", "перевірити"]
    out = []
    for i in range(n):
        out.append(f"How to {verbs[i % 5]} the VPN token {places[(i // 5) % 5]} #{i}")
        out.append(f"Як {verbs[(i + 2) % 5]} токен VPN {places[(i + 1) % 5]} №{i}")
    return out


@pytest.fixture(params=["memory", "store"])
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Rank through the in-process index, or force the store's index (a tenant too large)."""
    if request.param == "store":
        monkeypatch.setattr(search_index, "MEMORY_LIMIT", -1)
    return str(request.param)


both_paths = pytest.mark.usefixtures("search_path")


@pytest.fixture
def corpus(db: Database) -> tuple[Database, list[int]]:
    ids = add_items(db, "t1", TITLES)
    add_items(db, "t1", filler(60))
    return db, ids


@pytest.mark.parametrize(("query", "index"), TYPOS)
@both_paths
def test_typo_queries_find_their_snippet_first(corpus, query, index):
    db, ids = corpus
    with db.uow() as session:
        found = ranked(session, "t1", ["snippet"], query, limit=10)
    assert found, query
    assert found[0][0] == ids[index]


@both_paths
def test_heavy_typos_still_found_by_the_thorough_pass(corpus):
    """Every long word damaged: the cheap pass misses it, the thorough pass finds it."""
    db, ids = corpus
    query = "Hwo ownz the stagnig databsae in Kiyv ofice"
    with db.uow() as session:
        strict = repos.search_candidates(session, "t1", ["snippet"], normalise(query),
                                         strict=True)
        assert ids[1] not in [i for i, _ in strict]
        found = ranked(session, "t1", ["snippet"], query, limit=10, cutoff=40)
    assert ids[1] in [i for i, _ in found[:3]]


@both_paths
def test_case_and_punctuation_do_not_matter(corpus):
    db, ids = corpus
    with db.uow() as session:
        upper = ranked(session, "t1", ["snippet"], "ЯК НАЛАШТУВАТИ ТОКЕН VPN!", limit=3)
        plain = ranked(session, "t1", ["snippet"], "як налаштувати токен vpn", limit=3)
    assert upper[0][0] == plain[0][0] == ids[6]


@both_paths
def test_search_stays_inside_the_tenant(db):
    """Another tenant full of the same titles neither leaks in nor crowds the answer out."""
    mine = add_items(db, "t1", TITLES[:3])
    add_items(db, "t2", TITLES * 30 + filler(100))
    with db.uow() as session:
        for query, index in TYPOS[:3]:
            found = ranked(session, "t1", ["snippet"], query, limit=10, cutoff=0,
                           candidates=20)
            assert found[0][0] == mine[index]
            assert {i for i, _ in found} <= set(mine)
        strict = repos.search_candidates(session, "t1", ["snippet"], "vpn token macos",
                                         strict=True, limit=5)
        loose = repos.search_candidates(session, "t1", ["snippet"], "vpn token macos", limit=5)
        assert {i for i, _ in strict + loose} <= set(mine)
        assert ranked(session, "t3", ["snippet"], TITLES[0]) == []


@both_paths
def test_short_queries(corpus):
    db, ids = corpus
    with db.uow() as session:
        vpn = ranked(session, "t1", ["snippet"], "VPN", limit=100)
        assert ids[0] in {i for i, _ in vpn} and ids[6] in {i for i, _ in vpn}
        tls = ranked(session, "t1", ["snippet"], "tls", limit=5)
        assert tls[0][0] == ids[9]
        # two letters: too short for trigrams, the newest items are scanned instead
        assert ranked(session, "t1", ["snippet"], "ci", limit=5, cutoff=0)
        assert ranked(session, "t1", ["snippet"], "  ?! ", limit=5) == []


@both_paths
def test_kinds_and_excluded_statuses_are_respected(db):
    snippet = add_items(db, "t1", ["Guest Wi-Fi password rotation"])[0]
    idea = add_items(db, "t1", ["Guest Wi-Fi password rotation"], kind="idea")[0]
    archived = add_items(db, "t1", ["Guest Wi-Fi password rotaton"], status="archived")[0]
    with db.uow() as session:
        found = ranked(session, "t1", ["snippet"], "guest wifi pasword rotation", cutoff=0,
                       exclude=("archived",))
        assert {i for i, _ in found} == {snippet}
        both = ranked(session, "t1", ["snippet", "idea"], "guest wi-fi password rotation")
        assert {i for i, _ in both} == {snippet, idea, archived}


@both_paths
def test_duplicate_cutoff_keeps_only_close_titles(corpus):
    db, ids = corpus
    with db.uow() as session:
        close = ranked(session, "t1", ["snippet"], "Expense report checklist for contractor",
                       limit=3, cutoff=86)
        far = ranked(session, "t1", ["snippet"], "Quarterly planning offsite agenda",
                     limit=3, cutoff=86)
    assert [i for i, _ in close] == [ids[2]]
    assert far == []


# -- the in-process index follows the store -------------------------------------------------


def test_index_follows_changes_made_through_another_instance(hromada, actor, db, db_url, clock):
    """Two instances on one store stand for two processes: what one writes, the other's
    next query sees (new snippet, new alias, archived status, deleted item)."""
    me = actor("alice", admin=True)
    other = Hromada(Database(db_url), secret=b"test-secret", clock=clock)
    try:
        hromada.run(me, "kb", "add How to reset the VPN token | Ask IT. #it")
        assert [ln.ref for ln in hromada.run(me, "kb", "search vpn tokn").lines] == ["K-1"]
        other.run(me, "kb", "add Parking permit renewal | Form at the desk.")
        found = hromada.run(me, "kb", "search parkng permit")
        assert [ln.ref for ln in found.lines] == ["K-2"]
        exact = hromada.run(me, "kb", "search PARKING permit renewal")
        assert exact.title is not None and "K-2" in exact.title.plain()
        other.run(me, "kb", "alias K-2 zebra crossing pass")
        assert [ln.ref for ln in hromada.run(me, "kb", "search zebra crosing").lines] == ["K-2"]
        with other.db.uow() as session:
            session.execute(text("UPDATE item SET status = 'archived' WHERE number = 2"))
        with db.uow() as session:
            kept = ranked(session, "console:test", ["snippet"], "parking permit renewal",
                          exclude=("archived",))
            assert kept == []
        with other.db.uow() as session:
            session.execute(text("DELETE FROM tag"))
            session.execute(text("DELETE FROM alias"))
            session.execute(text("DELETE FROM item WHERE number = 1"))
        assert "K-1" not in {ln.ref for ln in hromada.run(me, "kb", "search vpn tokn").lines}
    finally:
        other.db.dispose()


def test_index_reloads_when_inserts_arrive_out_of_id_order(db, db_url):
    """PostgreSQL hands out ids before commit: a lower id may commit after a higher one."""
    [first] = add_items(db, "t1", ["Guest Wi-Fi password rotation"])
    other = Database(db_url)
    try:
        with db.uow() as session:
            assert [i for i, _ in ranked(session, "t1", ["snippet"], "guest wifi")] == [first]
        for offset, title in ((10, "Guest badge for visitors"), (5, "Guest parking at night")):
            with other.uow() as session:
                session.add(Item(id=first + offset, tenant_id="t1", kind="snippet",
                                 number=first + offset, title=title,
                                 search_text=normalise(title), status="published",
                                 created_at=NOW, updated_at=NOW))
            with db.uow() as session:
                found = {i for i, _ in ranked(session, "t1", ["snippet"], title)}
                assert first + offset in found
    finally:
        other.dispose()


def test_index_keeps_tenants_apart(db):
    """Same titles in two tenants: each tenant's index holds and finds only its own."""
    mine = add_items(db, "t1", TITLES[:4])
    theirs = add_items(db, "t2", TITLES[:4])
    with db.uow() as session:
        for n, title in enumerate(TITLES[:4]):
            assert ranked(session, "t1", ["snippet"], title)[0][0] == mine[n]
            assert ranked(session, "t2", ["snippet"], title)[0][0] == theirs[n]
        indexes = search_index.fresh(session, "t1", ["snippet"])
        assert indexes is not None
        assert search_index.exact_title(indexes, TITLES[1].upper()) == mine[1]
        assert search_index.exact_title(indexes, "no such title") is None


def test_a_tenant_outgrowing_memory_is_served_by_the_store(db, monkeypatch):
    mine = add_items(db, "t1", TITLES[:3])
    monkeypatch.setattr(search_index, "MEMORY_LIMIT", 4)
    with db.uow() as session:
        assert search_index.fresh(session, "t1", ["snippet"]) is not None
        assert ranked(session, "t1", ["snippet"], TITLES[0])[0][0] == mine[0]
    more = add_items(db, "t1", TITLES[3:6])
    with db.uow() as session:
        assert search_index.fresh(session, "t1", ["snippet"]) is None
        assert ranked(session, "t1", ["snippet"], TITLES[4])[0][0] == more[1]
        assert ranked(session, "t1", ["snippet"], TITLES[1])[0][0] == mine[1]


# -- the reaction hot path --------------------------------------------------------------


def test_vote_target_finds_item_and_member_in_one_look_up(db):
    [item_id] = add_items(db, "t1", ["Dark mode"], kind="idea", status="new")
    add_items(db, "t2", ["Dark mode"], kind="idea", status="new")
    with db.uow() as session:
        repos.attach_message(session, "t1", item_id, "C1", "m1")
        repos.ensure_member(session, "t1", "u1", "Olena")
    for bare in (db.engine.begin, lambda: repos.hot_transaction(db.engine)):
        with bare() as conn:
            assert repos.vote_target(conn, "t1", "C1", "m1", "u1", "Olena") is not None
            # a new member needs a Session to be created: a bare connection says so
            assert repos.vote_target(conn, "t1", "C1", "m1", "u2", "Taras") is None
            # the message belongs to t1 only
            assert repos.vote_target(conn, "t2", "C1", "m1", "u1", "Olena") is None
    with db.uow() as session:
        found = repos.vote_target(session, "t1", "C1", "m1", "u2", "Taras")
        assert found is not None and found[:3] == (item_id, "idea", "new")
        taras = repos.member_by_user(session, "t1", "u2")
        assert taras is not None and found[3] == taras.id
    with repos.hot_transaction(db.engine) as hot:  # a new display name is kept, same id
        again = repos.vote_target(hot, "t1", "C1", "m1", "u2", "Taras S.")
        assert again == found
    with db.uow() as session:
        names = session.execute(select(Member.display_name).where(
            Member.tenant_id == "t1", Member.user_id == "u2")).scalars().all()
        assert names == ["Taras S."]


def test_react_counts_one_vote_and_ignores_redelivery(hromada, actor, db):
    [item_id] = add_items(db, "console:test", ["Dark mode"], kind="idea", status="new")
    hromada.attach_message("console:test", item_id, "C1", "m1")
    newcomer = actor("newcomer")  # first contact: the slow path makes the member exist
    assert hromada.react(newcomer, channel_id="C1", message_id="m1", emoji="+1", added=True,
                         event_key="E1")
    assert not hromada.react(newcomer, channel_id="C1", message_id="m1", emoji="+1",
                             added=True, event_key="E1")
    assert hromada.react(newcomer, channel_id="C1", message_id="m1", emoji="-1", added=True,
                         event_key="E2")
    with db.uow() as session:
        assert repos.tally(session, "console:test", item_id) == (0, 1)
    assert hromada.react(newcomer, channel_id="C1", message_id="m1", emoji="-1", added=False,
                         event_key="E3")
    with db.uow() as session:  # 👍 is still held: the vote is back up
        assert repos.tally(session, "console:test", item_id) == (1, 0)
    assert hromada.react(newcomer, channel_id="C1", message_id="m1", emoji="+1", added=False,
                         event_key="E5")
    assert not hromada.react(newcomer, channel_id="C1", message_id="m404", emoji="+1",
                             added=True, event_key="E4")
    with db.uow() as session:
        assert repos.tally(session, "console:test", item_id) == (0, 0)
        # E4 hit no item, so its key was never claimed
        assert repos.claim_event(session, "console:test", "E4") is True


def test_exact_title_ignores_case_in_both_alphabets_and_stays_in_tenant(db):
    ids = add_items(db, "t1", ["Маршрут до укриття", "VPN: how-to", "C"])
    add_items(db, "t1", ["Маршрут до укриття (старий)"])
    other = add_items(db, "t2", ["Маршрут до укриття"])
    with db.uow() as session:
        found = repos.exact_title(session, "t1", "snippet", "МАРШРУТ ДО УКРИТТЯ")
        assert found is not None and found.id == ids[0]
        assert repos.exact_title(session, "t1", "snippet", "vpn: HOW-TO").id == ids[1]
        assert repos.exact_title(session, "t1", "snippet", "vpn how to") is None
        assert repos.exact_title(session, "t1", "snippet", "c").id == ids[2]
        assert repos.exact_title(session, "t2", "snippet", "маршрут до укриття").id == other[0]
        assert repos.exact_title(session, "t1", "idea", "маршрут до укриття") is None


def test_hot_transaction_is_one_transaction_and_reports_conflicts(db):
    """The driver-level path commits all or nothing and turns unique rules into conflicts."""
    from storage.db import StoreConflict

    [item_id] = add_items(db, "t1", ["Dark mode"], kind="idea", status="new")
    with db.uow() as session:
        member_id = repos.ensure_member(session, "t1", "u1", "Olena").id or 0
    with pytest.raises(RuntimeError), repos.hot_transaction(db.engine) as hot:
        assert repos.claim_event(hot, "t1", "E1") is True
        repos.upsert_vote(hot, "t1", item_id, member_id, 1, NOW)
        raise RuntimeError("boom")
    with repos.hot_transaction(db.engine) as hot:  # nothing of the failed one stayed
        assert repos.claim_event(hot, "t1", "E1") is True
        assert repos.claim_event(hot, "t1", "E1") is False
        assert repos.delete_vote(hot, "t1", item_id, member_id) == 0
    with pytest.raises(StoreConflict), repos.hot_transaction(db.engine) as hot:
        repos.upsert_vote(hot, "t1", item_id, 999_999, 1, NOW)  # no such member: FK refuses
