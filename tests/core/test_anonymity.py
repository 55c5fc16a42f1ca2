"""An anonymous idea's author appears in no reply, notice, export or log line, to anyone."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from core.export import export
from tests.core.support import everything, post, react, submit

AUTHOR_ID = "zoryana"
AUTHOR_NAME = "Zoryana"


def leaks(text: str) -> bool:
    low = text.lower()
    return AUTHOR_ID in low or AUTHOR_NAME.lower() in low


@pytest.fixture
def cli_env(db_url: str, tmp_path, monkeypatch):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setenv("HROMADA_DATABASE_URL", db_url)
    monkeypatch.setenv("HROMADA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HROMADA_LOG_LEVEL", "DEBUG")
    monkeypatch.chdir(tmp_path)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_anonymous_author_never_shows(hromada, actor, all_logs, cli_env, clock):
    author = actor(AUTHOR_ID)
    assert author.display_name == AUTHOR_NAME
    bob, carol, mod = actor("bob"), actor("carol"), actor("mod", admin=True)
    replies = []

    def run(who, group, text):
        reply = hromada.run(who, group, text)
        replies.append(reply)
        return reply

    # the author is known to the tenant (she once ran a command), then submits anonymously
    run(author, "idea", "list")
    first = run(author, "idea", "anon Pay transparency bands for every role")
    anon = post(hromada, first)
    other = submit(hromada, bob, "idea", "Quarterly hackathon with prizes")
    # a second anonymous idea goes through the duplicate prompt and "submit anyway"
    prompt = run(author, "idea", "anon pay transparency bands for every role!")
    assert prompt.actions, prompt.plain()
    second = hromada.press(author, "dup.submit", prompt.actions[1].value)
    replies.append(second)
    post(hromada, second)
    third = run(author, "idea", "anon Remote Fridays for the whole company")
    post(hromada, third)

    for who in (bob, carol, mod):
        react(hromada, who, anon)
    react(hromada, author, other)
    for who in (author, bob, mod):
        for text in ("list", "list top", "list new", "list new 1", "show 1", "show 3",
                     "search transparency bands", "search pay"):
            run(who, "idea", text)
    replies.append(hromada.run(mod, "idea", "show 1"))

    run(mod, "idea", "status 1 reviewing worth a look")
    run(mod, "idea", "status 3 planned")
    run(mod, "idea", "merge 3 into 1")
    run(mod, "idea", "merge 2 into 4")
    run(author, "idea", "withdraw 4")
    for who in (author, bob, mod):
        for text in ("show 1", "show 3", "show 4", "list merged", "list withdrawn",
                     "list reviewing"):
            run(who, "idea", text)
    # the summaries that mention ideas: next week's digest, statistics, members' own data
    from datetime import timedelta

    clock.advance(timedelta(days=7))
    digest = run(mod, "digest", "preview")
    assert "Pay transparency" in digest.plain()
    run(mod, "hromada", "stats")
    run(bob, "hromada", "mydata")
    from core.errors import Forbidden

    with pytest.raises(Forbidden) as exc:
        hromada.run(bob, "idea", "withdraw 1")
    replies.append(hromada.error_reply("console:test", exc.value))

    for reply in replies:
        assert not leaks(everything(reply)), everything(reply)
        for notice in reply.notices:
            # she voted on I-2, so she hears about I-2; never about her own anonymous ideas
            if notice.item_id != other:
                assert AUTHOR_ID not in notice.recipients
    shown = hromada.run(bob, "idea", "show 1").plain()
    assert "From: anonymous" in shown and "Score: +3" in shown

    with hromada.db.uow() as session:
        for fmt in ("csv", "json"):
            out = export(session, "console:test", fmt)
            assert "anonymous" in out and "Pay transparency" in out
            assert not leaks(out), out

    from bots.cli import app

    for fmt in ("csv", "json"):
        result = CliRunner().invoke(app, ["export", "--tenant", "test", "--format", fmt])
        assert result.exit_code == 0, result.output
        assert "Pay transparency" in result.stdout
        assert not leaks(result.output)
        logging.getLogger().addHandler(all_logs)  # the CLI set up logging afresh
        logging.getLogger().setLevel(logging.DEBUG)

    assert all_logs.lines, "logging was not captured"
    leaked = [line for line in all_logs.lines if leaks(line)]
    assert leaked == []


def test_the_store_keeps_only_a_keyed_hash(hromada, actor, db):
    from sqlalchemy import select

    from storage.models import Draft, Item, StatusChange

    author, mod = actor(AUTHOR_ID), actor("mod", admin=True)
    hromada.run(author, "idea", "anon Pay transparency bands for every role")
    hromada.run(author, "idea", "anon Remote Fridays for the whole company")
    hromada.run(author, "idea", "withdraw 2")
    hromada.run(mod, "idea", "status 1 planned")
    with db.uow() as session:
        items = list(session.execute(select(Item)).scalars())
        assert all(i.author_id is None and i.anonymous and i.anon_hash for i in items)
        assert all(AUTHOR_ID not in (i.anon_hash or "") for i in items)
        from storage import repos

        author_member = repos.member_by_user(session, "console:test", AUTHOR_ID)
        assert author_member is not None
        changes = list(session.execute(select(StatusChange)).scalars())
        assert changes and all(c.actor_id != author_member.id for c in changes)
        assert list(session.execute(select(Draft)).scalars()) == []


def test_an_unanswered_anonymous_prompt_does_not_stay(hromada, actor, db, clock):
    """A duplicate prompt's draft names its member: it is answerable for a day, then gone."""
    from datetime import timedelta

    from sqlalchemy import select

    from core.errors import NotFound
    from storage.models import Draft

    author, bob = actor(AUTHOR_ID), actor("bob")
    submit(hromada, bob, "idea", "Pay transparency bands for every role")
    prompt = hromada.run(author, "idea", "anon pay transparency bands for every role")
    assert prompt.actions
    clock.advance(timedelta(hours=25))
    with pytest.raises(NotFound):
        hromada.press(author, "dup.submit", prompt.actions[1].value)
    # the next prompt in the tenant sweeps the old draft away
    hromada.run(bob, "idea", "Pay transparency bands for every role!")
    with db.uow() as session:
        from storage import repos

        bob_member = repos.member_by_user(session, "console:test", "bob")
        drafts = list(session.execute(select(Draft)).scalars())
        assert bob_member is not None
        assert [d.member_id for d in drafts] == [bob_member.id]
