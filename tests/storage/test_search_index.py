"""The in-process search index follows the store's change log in place (migration 0022).

What another process writes (inserts, status changes, retitles, deletes, raw SQL too) reaches
this process's index as the rows of the logged ids only, never as a reload of the kind; a
reload happens only when the log cannot say what changed (pruned, or the store went back), and
a large kind is built (or compacted) beside the index that serves, then swapped in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import text

from core import search_index
from core.search import Query, body_text, normalise, ranked
from storage import repos
from storage.db import Database
from storage.models import Item

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TENANT = "t1"
TITLES = [
    "How to reset the VPN token on macOS",
    "Who owns the staging database in Kyiv office",
    "Expense report checklist for contractors",
    "Як налаштувати токен VPN у львівському офісі",
    "Маршрут до укриття у київському офісі",
]


def add(db: Database, titles: list[str], *, tenant: str = TENANT, body: str = "") -> list[int]:
    with db.uow() as session:
        repos.ensure_tenant(session, tenant)
        ids = []
        for title in titles:
            item = repos.add(session, Item(
                tenant_id=tenant, kind="snippet", number=repos.next_number(session, tenant,
                                                                            "snippet"),
                title=title, search_text=normalise(title), search_body=body_text(body),
                status="published", created_at=NOW, updated_at=NOW))
            ids.append(item.id or 0)
        return ids


def top(db: Database, query: str, **kw: object) -> list[int]:
    with db.uow() as session:
        return [i for i, _ in ranked(session, TENANT, ["snippet"], query, **kw)]  # type: ignore[arg-type]


def index_of(db: Database) -> search_index.KindIndex:
    return search_index._index(db.engine, TENANT, "snippet")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every read of index rows: None for a whole kind, else the ids asked for."""
    seen: list[object] = []
    real, real_catch_up = repos.search_rows, repos.search_catch_up

    def spy(session, tenant_id, kind, ids=None):  # type: ignore[no-untyped-def]
        seen.append(None if ids is None else sorted(ids))
        return real(session, tenant_id, kind, ids)

    def catch_up(session, tenant_id, kind, **kw):  # type: ignore[no-untyped-def]
        found = real_catch_up(session, tenant_id, kind, **kw)
        if found is not None:
            seen.append(sorted(found[0]))
        return found

    real_since = repos.search_since

    def since(session, tenant_id, kind, **kw):  # type: ignore[no-untyped-def]
        state, found = real_since(session, tenant_id, kind, **kw)
        if found is not None and found[0]:
            seen.append(sorted(found[0]))
        return state, found

    monkeypatch.setattr(repos, "search_rows", spy)
    monkeypatch.setattr(repos, "search_catch_up", catch_up)
    monkeypatch.setattr(repos, "search_since", since)
    return seen


@pytest.fixture
def writer(db_url: str) -> Iterator[Database]:
    """Another process's engine on the same store."""
    other = Database(db_url)
    yield other
    other.dispose()


def test_changes_by_another_process_are_applied_in_place(db, writer, reads):
    ids = add(db, TITLES)
    assert top(db, "vpn tokn macos")[0] == ids[0]
    assert reads == [None]  # the first build reads the kind once
    [new] = add(writer, ["Parking permit renewal"], body="Форма лежить на рецепції")
    with writer.uow() as session:
        session.execute(text("UPDATE item SET status = 'archived' WHERE id = :id"),
                        {"id": ids[1]})
        retitled = "Guest Wi-Fi password rotation"
        session.execute(text("UPDATE item SET title = :t, search_text = :s WHERE id = :id"),
                        {"t": retitled, "s": normalise(retitled), "id": ids[2]})
        session.execute(text("DELETE FROM item WHERE id = :id"), {"id": ids[4]})
    assert top(db, "parkng permit")[0] == new
    assert top(db, "рецепції") == [new]  # its body words are in the index too
    assert ids[1] not in top(db, "staging database kyiv", exclude=("archived",))
    assert ids[1] in top(db, "staging database kyiv")
    assert top(db, "guest wifi pasword")[0] == ids[2]
    assert ids[2] not in top(db, "expense report checklist")
    assert ids[4] not in top(db, "маршрут до укриття")
    with db.uow() as session:
        indexes = search_index.fresh(session, TENANT, ["snippet"])
        assert indexes is not None
        assert search_index.exact_title(indexes, retitled.upper()) == ids[2]
        assert search_index.exact_title(indexes, TITLES[2]) is None
        assert search_index.exact_title(indexes, TITLES[4]) is None
    # Never the whole kind again: only the logged ids were read.
    assert reads[0] is None and all(r is not None for r in reads[1:])
    assert sorted(set().union(*reads[1:])) == sorted([new, ids[1], ids[2], ids[4]])


def test_a_rolled_back_write_leaves_no_gap_in_the_log(db, reads):
    add(db, TITLES[:2])
    top(db, "vpn")
    with pytest.raises(RuntimeError), db.uow() as session:
        session.add(Item(tenant_id=TENANT, kind="snippet", number=99, title="Rolled back",
                         search_text="rolled back", created_at=NOW, updated_at=NOW))
        session.flush()
        raise RuntimeError("boom")
    [kept] = add(db, ["Kept after the rollback"])
    assert top(db, "kept after rollback")[0] == kept
    assert top(db, "rolled back", cutoff=90) == []
    assert reads.count(None) == 1


@pytest.mark.parametrize("damage", [
    ["DELETE FROM item_fts_change"],  # pruned: the log no longer reaches back
    # the store went back (restored from a backup, truncated): behind the index now
    ["DELETE FROM item_fts_change", "UPDATE item_fts_version SET seq = 0"],
])
def test_when_the_log_cannot_say_what_changed_the_kind_is_reloaded(db, writer, reads, damage):
    ids = add(db, TITLES)
    top(db, "vpn")
    [new] = add(writer, ["Parking permit renewal"])
    with writer.uow() as session:
        session.execute(text("DELETE FROM item WHERE id = :id"), {"id": ids[0]})
        for statement in damage:
            session.execute(text(statement))
    add(writer, ["Office badge for visitors"])
    assert top(db, "parkng permit")[0] == new
    assert ids[0] not in top(db, "reset the vpn token on macos")
    assert reads.count(None) == 2


def test_a_bulk_import_is_a_rebuild_not_a_replay(db, writer, reads, monkeypatch):
    monkeypatch.setattr(search_index, "CATCH_UP", 2)
    add(db, TITLES)
    top(db, "vpn")
    one = add(writer, ["Parking permit renewal"])
    assert top(db, "parkng permit")[0] == one[0]
    assert reads[-1] == one  # one change: replayed
    bulk = add(writer, ["Office badge for visitors", "Guest Wi-Fi password", "Kitchen rota"])
    assert top(db, "kitchn rota")[0] == bulk[2]
    assert reads[-1] is None and reads.count(None) == 2  # three changes: a rebuild


def test_a_large_kind_is_built_aside_while_the_store_answers(db, monkeypatch):
    ids = add(db, TITLES)
    monkeypatch.setattr(search_index, "SYNC_BUILD", 2)
    gate, started = threading.Event(), threading.Event()
    real = repos.search_rows

    def slow(session, tenant_id, kind, ids=None):  # type: ignore[no-untyped-def]
        if ids is None:
            started.set()
            assert gate.wait(30)
        return real(session, tenant_id, kind, ids)

    monkeypatch.setattr(repos, "search_rows", slow)
    try:
        with db.uow() as session:
            assert search_index.fresh(session, TENANT, ["snippet"]) is None
        assert started.wait(30)
        # Meanwhile the store's own index answers, as correct as ever.
        assert top(db, "vpn tokn macos")[0] == ids[0]
        with db.uow() as session:
            assert search_index.fresh(session, TENANT, ["snippet"]) is None
    finally:
        gate.set()
        index_of(db).wait()
    with db.uow() as session:
        indexes = search_index.fresh(session, TENANT, ["snippet"])
        assert indexes is not None
        assert search_index.exact_title(indexes, TITLES[3]) == ids[3]
    assert top(db, "vpn tokn macos")[0] == ids[0]


def test_dead_entries_are_compacted_aside_while_the_index_serves(db, writer, monkeypatch):
    ids = add(db, TITLES)
    top(db, "vpn")
    monkeypatch.setattr(search_index, "DEAD_MIN", 0)
    monkeypatch.setattr(search_index, "DEAD_SHARE", 0.0)
    gate = threading.Event()
    real = search_index._Data.build

    def held_build(rows):  # type: ignore[no-untyped-def]
        assert gate.wait(30)
        return real(rows)

    monkeypatch.setattr(search_index._Data, "build", staticmethod(held_build))
    index = index_of(db)
    try:
        with writer.uow() as session:
            session.execute(text("DELETE FROM item WHERE id = :id"), {"id": ids[0]})
        assert ids[0] not in top(db, "reset the vpn token on macos")
        # The compaction waits aside; the index it will replace keeps answering.
        assert index.data is not None and index.data.dead == 1
        assert top(db, "staging databse")[0] == ids[1]
    finally:
        gate.set()
        index.wait()
    assert index.data is not None and index.data.dead == 0 and index.data.size == 4
    assert top(db, "staging databse")[0] == ids[1]
    assert ids[0] not in top(db, "reset the vpn token on macos")


def test_small_segments_merge_and_large_ones_merge_aside(db, monkeypatch):
    monkeypatch.setattr(search_index, "INLINE_MERGE", 2)
    monkeypatch.setattr(search_index, "MAX_SEGMENTS", 3)
    monkeypatch.setattr(search_index, "TAIL", 0)  # each insert a segment of its own
    first = add(db, TITLES[:1])
    top(db, "vpn")
    index = index_of(db)
    added = []
    teams = ["payments", "search", "mobile", "billing", "platform", "support", "growth",
             "security", "analytics", "design", "infra", "onboarding"]
    for team in teams:  # one insert per query: a segment each
        added += add(db, [f"On-call rotation of the {team} team"])
        assert top(db, f"on-call rotaton {team}")[0] == added[-1]
        index.wait()
        assert index.data is not None and len(index.data.segments) <= 4
    assert top(db, "reset the vpn token")[0] == first[0]
    assert index.data.size == 13 and index.data.dead == 0


def test_the_index_holds_no_titles_yet_finds_them_exactly(db):
    """Titles are matched by two keyed hashes, not held as text: equal titles (any case)
    match, and titles that only look alike do not."""
    ids = add(db, ["Маршрут до укриття", "Маршрут до укриття ", "VPN: how-to"])
    with db.uow() as session:
        indexes = search_index.fresh(session, TENANT, ["snippet"])
        assert indexes is not None
        assert search_index.exact_title(indexes, "  МАРШРУТ ДО УКРИТТЯ") == ids[0]
        assert search_index.exact_title(indexes, "vpn: how-to") == ids[2]
        assert search_index.exact_title(indexes, "vpn how to") is None
        assert search_index.exact_title(indexes, "Маршрут до укриття!") is None


def test_aside_merges_leave_the_large_segment_alone_until_the_rest_adds_up(db, monkeypatch):
    """Each merge costs what it merges: new segments merge among themselves, and into the
    large one only once they are a quarter of its size."""
    monkeypatch.setattr(search_index, "INLINE_MERGE", 1)  # no merges in the request
    monkeypatch.setattr(search_index, "MAX_SEGMENTS", 2)
    monkeypatch.setattr(search_index, "TAIL", 0)  # each insert a segment of its own
    add(db, [f"Runbook {n}: restart the {word} service" for n, word in enumerate(
        ["billing", "search", "mobile", "payments", "platform"] * 4)])
    top(db, "runbook")
    index = index_of(db)
    assert index.data is not None
    base = index.data.segments[0]
    sizes = []
    for word in ["alpha", "bravo", "charlie", "delta", "echo"]:
        [new] = add(db, [f"Escalation path {word}"])
        assert top(db, f"escalaton path {word}")[0] == new
        index.wait()
        sizes.append([s.size for s in index.data.segments])
    assert sizes == [[20, 1], [20, 2], [20, 3], [20, 4], [25]]
    assert index.data.segments[0] is not base


def test_new_entries_wait_in_the_tail_and_answer_as_a_fresh_build(db, writer, monkeypatch):
    """Inserts go to a tail in plain Python that becomes a segment every ``TAIL`` entries;
    entries changed or deleted while in the tail, or after, answer as a fresh build of the
    same rows does, for trigrams, body words, excluded statuses and exact titles alike."""
    monkeypatch.setattr(search_index, "TAIL", 3)
    add(db, TITLES)
    top(db, "vpn")
    index = index_of(db)
    teams = ["payments", "search", "mobile", "billing", "platform", "support", "growth"]
    queries = ["on-call rotaton", "vpn tokn", "payments team", "укриття", "рецепції форма",
               "rotation"]

    def same_as_fresh() -> None:
        with db.uow() as session:
            indexes = search_index.fresh(session, TENANT, ["snippet"])
            assert indexes is not None
            built = search_index._Data.build(repos.search_rows(session, TENANT, "snippet"))
        data = indexes[0][0].data
        assert data is not None
        live = data.ids.view()[data.alive.view()]
        assert sorted(live.tolist()) == sorted(built.ids.view().tolist())  # each item once

        def shared(index: search_index._Data, grams: object) -> dict[int, int]:
            counts = index._counts(grams, "grams")  # type: ignore[arg-type]
            alive = index.alive.view()
            return {int(i): int(c) for i, c, a in zip(index.ids.view(), counts, alive,
                                                       strict=False) if a}

        for query in queries:
            q = Query.of(query)
            grams = search_index.query_codes(q.lemmas, q.plain)
            keys = search_index.word_keys(q.words)
            assert len(grams)
            assert shared(data, grams) == shared(built, grams), query
            for exclude in ((), ("archived",)):
                found = dict(data.titles(len(query), grams, keys, exclude, 100))
                assert found == dict(built.titles(len(query), grams, keys, exclude, 100))
                assert found or query == "рецепції форма", query  # bodies only
                assert (dict(data.bodies(keys, 1, exclude, 100))
                        == dict(built.bodies(keys, 1, exclude, 100))), query
        for title in [*TITLES, *(f"On-call rotation of the {t} team" for t in teams)]:
            assert data.exact(title) == built.exact(title), title

    added = []
    for n, team in enumerate(teams):
        added += add(writer, [f"On-call rotation of the {team} team"],
                     body="Форма лежить на рецепції" if n % 2 else "")
        same_as_fresh()
        assert index.data is not None and index.data.tail.size == (n + 1) % 3
        with db.uow() as session:  # body words in the tail count as in a segment
            indexes = search_index.fresh(session, TENANT, ["snippet"])
            assert indexes is not None
        q = Query.of("рецепції форма")
        held = search_index.bodies(indexes, list(q.words), least=2, exclude=(), limit=100)
        assert sorted(held) == sorted(added[1::2])
    with writer.uow() as session:  # the newest entry changes: held, not new
        session.execute(text("UPDATE item SET status = 'archived' WHERE id = :id"),
                        {"id": added[-1]})
    same_as_fresh()
    with writer.uow() as session:  # the tail's entries change: retitled, gone
        session.execute(text("UPDATE item SET title = :t, search_text = :s WHERE id = :id"),
                        {"t": "Guest Wi-Fi", "s": normalise("Guest Wi-Fi"), "id": added[-2]})
        session.execute(text("DELETE FROM item WHERE id = :id"), {"id": added[0]})
    queries.append("guest wifi")
    same_as_fresh()
    assert top(db, "guest wi-fi")[0] == added[-2]
    assert added[0] not in top(db, "payments team")


@pytest.mark.parametrize("text_", ["on-call rotaton", "vpn tokn vpn", "a bc def", "",
                                   "укриття у київському офісі", "ʼїжак ґанок", "x\u00a0yz abcd"])
def test_query_codes_are_the_codes_of_the_query_trigrams(text_: str) -> None:
    q = Query.of(text_)
    expected = search_index.gram_codes(q.grams())
    assert search_index.query_codes(q.lemmas, q.plain).tolist() == expected.tolist()
    raw = search_index.gram_codes(list(dict.fromkeys(repos.trigrams(text_))))
    assert search_index.query_codes(text_).tolist() == raw.tolist()


def test_the_lists_hold_every_position_of_every_wanted_key() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        keys = rng.integers(0, 30, size=int(rng.integers(0, 300)))
        positions = np.sort(rng.integers(0, 100, size=len(keys))).astype(np.int32)
        postings = search_index._Postings.of(keys.astype(np.int64), positions)
        wanted = np.array(list(dict.fromkeys(rng.integers(0, 40, size=12).tolist())),
                          dtype=np.int64)
        brute = sorted(p for k, p in {(int(k), int(p)) for k, p in zip(keys, positions,
                                                                     strict=True)}
                       if k in set(wanted.tolist()))
        assert sorted(np.concatenate([[], *postings.lists(wanted)]).tolist()) == brute
        tail = search_index._DictPostings()
        for k, p in sorted({(int(k), int(p)) for k, p in zip(keys, positions, strict=True)},
                           key=lambda kp: kp[1]):
            tail.setdefault(k, []).append(p)
        assert sorted(np.concatenate([[], *tail.lists(wanted)]).tolist()) == brute


def test_the_state_and_the_changes_since_read_at_once_say_what_the_two_reads_say(db, writer):
    def both(after: int, most: int = 50) -> tuple[object, object]:
        with db.uow() as session:
            return repos.search_since(session, TENANT, "snippet", after=after, most=most)

    def apart(after: int, most: int = 50) -> tuple[object, object]:
        with db.uow() as session:
            state = repos.search_state(session, TENANT, ["snippet"]).get("snippet")
            if state is None:
                return None, None
            if not 0 <= state.seq - after <= most:
                return state, None
            return state, repos.search_catch_up(session, TENANT, "snippet", after=after,
                                                upto=state.seq)

    assert both(0) == (None, None)  # the kind was never written
    ids = add(db, TITLES)
    with db.uow() as session:
        start = repos.search_state(session, TENANT, ["snippet"])["snippet"].seq
    add(writer, ["Parking permit renewal"])
    with writer.uow() as session:
        session.execute(text("UPDATE item SET title = 'VPN', search_text = 'vpn' WHERE id = :i"),
                        {"i": ids[1]})
        session.execute(text("UPDATE item SET status = 'archived' WHERE id = :i"), {"i": ids[2]})
        session.execute(text("DELETE FROM item WHERE id = :i"), {"i": ids[0]})
    with db.uow() as session:
        now = repos.search_state(session, TENANT, ["snippet"])["snippet"].seq
    for after in range(now + 1):
        assert both(after) == apart(after), after
    assert both(start)[1] is not None and both(start)[1][0][-1] == ids[0]  # type: ignore[index]
    assert both(start, most=1)[1] is None  # more changes than asked for
    assert both(now) == (apart(now)[0], ([], []))  # current: nothing to replay
    with writer.uow() as session:
        session.execute(text("DELETE FROM item_fts_change WHERE seq = :s"), {"s": now})
    assert both(start)[1] is None and apart(start)[1] is None  # the log no longer reaches
