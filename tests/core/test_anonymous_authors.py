"""Anonymous authorship stays anonymous, and the author can still hear back.

Each rule is checked on the raw store (every row of every table) or on what a renderer and a
log would see, so that a regression that only hides the author in one view still fails.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, inspect, text

from core.anonymous import seal, unseal
from core.app import Hromada
from core.errors import Forbidden, InvalidInput
from core.export import export
from storage.db import Database, StoreConflict
from storage.models import Member, SealedRef
from tests.core.support import Everything, everything, submit

AUTHOR = "zoryana"
NAME = "Zoryana"
TENANT = "console:test"
MEMBER_COLUMNS = ("member_id", "author_id", "actor_id", "owner_id", "moderator_id", "giver_id",
                  "receiver_id")


@pytest.fixture
def logs():
    handler = Everything()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)


def raw_rows(db: Database) -> dict[str, list[dict[str, object]]]:
    """Every row of every table, as the database hands them back (no models in between)."""
    out: dict[str, list[dict[str, object]]] = {}
    with db.engine.connect() as conn:
        for table in inspect(db.engine).get_table_names():
            if table == "alembic_version":
                continue
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).mappings().all()
            out[table] = [dict(r) for r in rows]
    return out


def member_id_of(db: Database, user_id: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM member WHERE user_id = :u"),
                                {"u": user_id}).scalar_one())


def traces_of(db: Database, user_id: str, name: str) -> list[str]:
    """Where, outside the member's own row, the store still leads to them: their user id or
    name in any value, or their member id in any column that names a member."""
    mid = member_id_of(db, user_id)
    found = []
    for table, rows in raw_rows(db).items():
        for row in rows:
            if table == "member" and row["id"] == mid:
                continue
            for column, value in row.items():
                if isinstance(value, str) and (user_id.lower() in value.lower()
                                               or name.lower() in value.lower()):
                    found.append(f"{table}.{column}={value!r}")
                if column in MEMBER_COLUMNS and value == mid:
                    found.append(f"{table}.{column}={value!r}")
    return found


# -- drafts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("group", ["idea", "ask"])
def test_an_anonymous_draft_names_nobody(hromada, actor, db, group):
    author, bob = actor(AUTHOR), actor("bob")
    submit(hromada, bob, group, "Pay transparency bands for every role")
    prompt = hromada.run(author, group, "anon pay transparency bands for every role!")
    assert [a.action_id for a in prompt.actions] == ["dup.vote", "dup.submit"]
    drafts = raw_rows(db)["draft"]
    assert len(drafts) == 1 and drafts[0]["member_id"] is None and drafts[0]["anon_hash"]
    assert traces_of(db, AUTHOR, NAME) == []
    # only the one who wrote it can answer the prompt, proven by the keyed hash
    with pytest.raises(Forbidden):
        hromada.press(bob, "dup.submit", prompt.actions[1].value)
    posted = hromada.press(author, "dup.submit", prompt.actions[1].value)
    assert posted.item_id is not None and "anonymous" in posted.plain()
    assert raw_rows(db)["draft"] == []
    assert traces_of(db, AUTHOR, NAME) == []


def test_a_named_draft_still_names_its_member(hromada, actor, db):
    bob, carol = actor("bob"), actor("carol")
    submit(hromada, bob, "idea", "Pay transparency bands for every role")
    prompt = hromada.run(carol, "idea", "pay transparency bands for every role!")
    assert raw_rows(db)["draft"][0]["member_id"] == member_id_of(db, "carol")
    with pytest.raises(Forbidden):
        hromada.press(bob, "dup.submit", prompt.actions[1].value)


# -- the store's error messages -------------------------------------------------------------

def test_every_engine_hides_bound_parameters(db_url):
    database = Database(db_url)
    try:
        assert database.engine.hide_parameters is True
    finally:
        database.dispose()


def test_a_refused_write_logs_no_values(db, logs):
    """A unique rule refusing a write: neither the error nor its log line carries the values
    that were bound (a user id, a display name)."""
    log = logging.getLogger("storage.test")
    # Built, not written out: a traceback quotes the source lines it passes through.
    other, third = "Other " + "Secret", "Third " + "Secret"
    row = {"tenant_id": "console:secret", "user_id": "U-SECRET-42", "display_name": "Mira Secret",
           "skills": "", "interests": "", "former": False,
           "created_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC)}
    with db.uow() as session:
        from storage.models import Tenant

        session.add(Tenant(id="console:secret"))
    with db.engine.begin() as conn:
        conn.execute(insert(Member.__table__), row)  # type: ignore[attr-defined]
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(Member.__table__), {**row, "display_name": other})  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - the driver's error, wrapped by SQLAlchemy
        log.exception("refused")
        raw = str(exc)
    else:
        pytest.fail("the duplicate member was accepted")
    assert other not in raw  # SQLAlchemy's "[parameters: ...]" is hidden
    with pytest.raises(StoreConflict) as caught:
        with db.uow() as session:
            session.add(Member(tenant_id="console:secret", user_id="U-SECRET-42",
                               display_name=third))
    try:
        raise caught.value
    except StoreConflict:
        log.exception("store conflict")
    assert logs.lines
    for line in logs.lines:
        for value in (other, third, "U-SECRET-42"):
            if line.startswith("storage.test refused") and value == "U-SECRET-42":
                continue  # PostgreSQL's own DETAIL names the key; our own line must not
            assert value not in line, line


# -- where an anonymous card goes -------------------------------------------------------------

def small(actor_, size: int, channel: str = "C-side"):
    return replace(actor_, channel_size=size, channel_id=channel)


def test_an_anonymous_card_goes_to_the_main_channel_when_the_channel_is_small(hromada, actor):
    mod = actor("mod", admin=True)
    hromada.run(replace(mod, channel_id="C-main"), "digest", "here")
    author = actor(AUTHOR)
    reply = hromada.run(small(author, 4), "idea", "anon Pay transparency bands")
    assert reply.channel == "C-main" and reply.item_id is not None
    assert reply.private is not None
    note = reply.private.plain()
    assert "I-1 is posted anonymously in #C-main, the main channel" in note
    assert "fewer than 5 members" in note
    assert [a.action_id for a in reply.private.actions] == ["anon.hearback"]
    # a channel of k members or more keeps its card
    same = hromada.run(small(author, 5), "ask", "anon Why the reorg?")
    assert same.channel is None and same.item_id is not None
    assert same.private is not None and "Q-1 is posted anonymously." in same.private.plain()
    # the threshold follows the tenant's setting, never below 3
    hromada.run(mod, "hromada", "settings threshold 3")
    assert hromada.run(small(author, 3), "idea", "anon Standing desks").channel is None
    assert hromada.run(small(author, 2), "idea", "anon Free fruit").channel == "C-main"
    # named ideas are posted where they were asked, whatever the size
    assert hromada.run(small(author, 1), "idea", "Hackathon in May").channel is None


def test_without_a_main_channel_a_small_channel_gets_no_card(hromada, actor):
    author = actor(AUTHOR)
    reply = hromada.run(small(author, 2), "idea", "anon Pay transparency bands")
    assert reply.item_id is None and reply.channel is None and reply.private is None
    assert reply.visibility == "private"
    assert "I-1 is saved anonymously but not posted" in reply.plain()
    assert "no main channel yet" in reply.plain()
    # in the main channel itself, when it is small: not posted either
    mod = actor("mod", admin=True)
    hromada.run(replace(mod, channel_id="C-main"), "digest", "here")
    again = hromada.run(small(author, 2, "C-main"), "idea", "anon Remote Fridays")
    assert again.item_id is None and "this main channel has fewer than 5" in again.plain()


def test_submit_anyway_places_the_card_too(hromada, actor):
    mod, bob, author = actor("mod", admin=True), actor("bob"), actor(AUTHOR)
    hromada.run(replace(mod, channel_id="C-main"), "digest", "here")
    submit(hromada, bob, "idea", "Pay transparency bands for every role")
    prompt = hromada.run(small(author, 2), "idea", "anon pay transparency bands for every role!")
    posted = hromada.press(small(author, 2), "dup.submit", prompt.actions[1].value)
    assert posted.channel == "C-main"
    assert hromada.needs_audience("", action_id="dup.submit")
    assert hromada.needs_audience("idea", "anon x") and hromada.needs_audience("ask", "anon x")
    assert not hromada.needs_audience("idea", "list")


# -- hearing back ---------------------------------------------------------------------------

def opt_in(hromada: Hromada, author, text_: str = "anon Pay transparency bands") -> int:
    reply = hromada.run(author, "idea", text_)
    assert reply.private is not None
    button = reply.private.actions[0]
    done = hromada.press(author, button.action_id, button.value)
    assert "sealed reference" in done.plain() and "never shown, exported or logged" in (
        done.plain())
    assert reply.item_id is not None
    return reply.item_id


def test_the_round_trip_reaches_the_author_and_never_names_them(hromada, actor, db, logs):
    author, bob, mod = actor(AUTHOR), actor("bob"), actor("mod", admin=True)
    hromada.run(author, "idea", "list")
    item_id = opt_in(hromada, author)
    hromada.run(bob, "idea", "list")

    # a status change reaches the author, sealed: counted nowhere, named nowhere
    status = hromada.run(mod, "idea", "status 1 planned budget approved")
    sealed = [n for n in status.notices if n.sealed]
    assert [n.recipients for n in sealed] == [(AUTHOR,)]
    assert "is now planned" in sealed[0].text.plain()
    assert "People told: 0." in status.plain()

    # a moderator's reply reaches the author, who answers, still anonymous
    sent = hromada.run(mod, "idea", "reply I-1 Which teams should go first?")
    assert "anonymous author of I-1; you will not learn who they are" in sent.plain()
    [to_author] = sent.notices
    assert to_author.sealed and to_author.recipients == (AUTHOR,)
    assert "Which teams should go first?" in to_author.text.plain()
    assert "/idea reply I-1" in to_author.text.plain()
    answer = hromada.run(author, "idea", "reply 1 Support and sales first")
    [to_mod] = answer.notices
    assert to_mod.recipients == ("mod",) and not to_mod.sealed
    assert "The anonymous author of I-1" in to_mod.text.plain()
    assert "Support and sales first" in to_mod.text.plain()
    # the moderator answers again: the conversation goes on
    again = hromada.run(mod, "idea", "reply 1 Thanks, noted")
    assert again.notices[0].recipients == (AUTHOR,)

    # others may not join in; nothing any moderator sees names her
    with pytest.raises(Forbidden):
        hromada.run(bob, "idea", "reply 1 me too")
    for reply in (status, sent, answer, again, hromada.run(mod, "idea", "show 1")):
        visible = everything(reply) + "".join(
            n.text.plain() for n in reply.notices)
        assert AUTHOR not in visible.lower()
    with db.uow() as session:
        for fmt in ("csv", "json"):
            out = export(session, TENANT, fmt)
            assert AUTHOR not in out.lower() and "gAAAA" not in out

    # the store holds her user id only inside the sealed reference, never in plain text
    rows = raw_rows(db)
    [ref] = rows["sealed_ref"]
    assert ref["item_id"] == item_id and AUTHOR not in str(ref["token"]).lower()
    assert traces_of(db, AUTHOR, NAME) == []
    # and no log line carries her id, or the token
    token = str(ref["token"])
    assert all(AUTHOR not in line.lower() and token not in line for line in logs.lines)


def test_without_the_opt_in_nothing_links_item_and_author(hromada, actor, db):
    author, bob, mod = actor(AUTHOR), actor("bob"), actor("mod", admin=True)
    hromada.run(author, "idea", "list")
    reply = hromada.run(author, "idea", "anon Pay transparency bands")
    assert reply.private is not None and reply.private.actions  # offered, not pressed
    hromada.run(author, "ask", "anon Why the reorg?")
    hromada.run(bob, "idea", "list")
    status = hromada.run(mod, "idea", "status 1 reviewing")
    assert status.notices == []
    sent = hromada.run(mod, "idea", "reply I-1 Tell me more")
    assert sent.notices == [] and "did not ask to hear back" in sent.plain()
    sent = hromada.run(mod, "ask", "reply Q-1 Tell me more")
    assert sent.notices == [] and "did not ask to hear back" in sent.plain()
    # she cannot answer a conversation that never reached her
    with pytest.raises(InvalidInput):
        hromada.run(author, "idea", "reply 1 hello?")
    rows = raw_rows(db)
    assert rows["sealed_ref"] == [] and rows["reply_thread"] == []
    assert traces_of(db, AUTHOR, NAME) == []


def test_only_the_author_can_opt_in_and_stop(hromada, actor, db):
    author, bob = actor(AUTHOR), actor("bob")
    reply = hromada.run(author, "ask", "anon Why the reorg?")
    assert reply.private is not None
    button = reply.private.actions[0]
    with pytest.raises(Forbidden):
        hromada.press(bob, button.action_id, button.value)
    assert raw_rows(db)["sealed_ref"] == []
    done = hromada.press(author, button.action_id, button.value)
    assert "/ask reply Q-1" in done.plain()
    stop = done.actions[0]
    with pytest.raises(Forbidden):
        hromada.press(bob, stop.action_id, stop.value)
    hromada.press(author, stop.action_id, stop.value)
    assert raw_rows(db)["sealed_ref"] == []


def test_withdrawing_an_idea_erases_its_sealed_reference(hromada, actor, db):
    author = actor(AUTHOR)
    opt_in(hromada, author)
    assert len(raw_rows(db)["sealed_ref"]) == 1
    hromada.run(author, "idea", "withdraw I-1")
    assert raw_rows(db)["sealed_ref"] == []


def test_a_question_answer_reaches_the_anonymous_asker_who_opted_in(hromada, actor):
    author, mod = actor(AUTHOR), actor("mod", admin=True)
    reply = hromada.run(author, "ask", "anon Why the reorg?")
    assert reply.private is not None
    hromada.press(author, reply.private.actions[0].action_id, reply.private.actions[0].value)
    answered = hromada.run(mod, "ask", "answer Q-1 To ship faster")
    assert [n.recipients for n in answered.notices if n.sealed] == [(AUTHOR,)]
    assert "People told: 0." in answered.plain()


def test_named_authors_hear_moderators_and_answer_them(hromada, actor):
    bob, mod, carol = actor("bob"), actor("mod", admin=True), actor("carol")
    hromada.run(bob, "risk", "Vendor lock-in for payments")
    sent = hromada.run(mod, "risk", "reply R-1 Who owns the contract?")
    assert sent.notices[0].recipients == ("bob",) and not sent.notices[0].sealed
    assert "Mod (moderator) wrote to you about R-1" in sent.notices[0].text.plain()
    answer = hromada.run(bob, "risk", "reply R-1 Procurement does")
    assert answer.notices[0].recipients == ("mod",)
    assert "Bob of R-1" in answer.notices[0].text.plain()
    with pytest.raises(Forbidden):
        hromada.run(carol, "risk", "reply R-1 hi")


def test_forget_me_erases_the_sealed_reference(hromada, actor, db):
    author, mod = actor(AUTHOR), actor("mod", admin=True)
    opt_in(hromada, author)
    opt_in(hromada, author, "anon Remote Fridays")
    mine = hromada.run(author, "hromada", "mydata").plain()
    assert "Of those, you asked to hear back about" in mine and "gAAAA" not in mine
    hromada.run(mod, "idea", "reply 1 hello")  # a conversation the moderator started
    hromada.run(author, "hromada", "forget-me confirm")
    assert raw_rows(db)["sealed_ref"] == []
    assert hromada.run(mod, "idea", "status 1 planned").notices == []


def test_a_sealed_reference_opens_only_with_the_deployments_key_for_its_own_item():
    token = seal(b"key-one", TENANT, 7, AUTHOR)
    assert AUTHOR not in token
    assert unseal(b"key-one", SealedRef(item_id=7, tenant_id=TENANT, token=token)) == AUTHOR
    assert unseal(b"key-two", SealedRef(item_id=7, tenant_id=TENANT, token=token)) is None
    assert unseal(b"key-one", SealedRef(item_id=8, tenant_id=TENANT, token=token)) is None
    assert unseal(b"key-one", SealedRef(item_id=7, tenant_id="console:x", token=token)) is None


def test_libraries_never_log_request_bodies(monkeypatch):
    """At DEBUG, Slack's, Discord's and SQLAlchemy's loggers print request bodies and bound
    values (texts beside user ids): whatever our level, theirs stays at INFO or above."""
    from bots.runtime import QUIET_LIBRARIES, setup_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    before = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    try:
        setup_logging("DEBUG")
        for name in ("slack_sdk.web.async_base_client", "slack_bolt.App", "discord.http",
                     "sqlalchemy.engine.Engine", *QUIET_LIBRARIES):
            assert logging.getLogger(name).getEffectiveLevel() >= logging.INFO, name
        assert logging.getLogger("sqlalchemy.engine.Engine").getEffectiveLevel() >= (
            logging.WARNING)
        assert logging.getLogger("core.app").getEffectiveLevel() == logging.DEBUG
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in before.items():
            logging.getLogger(name).setLevel(old)
