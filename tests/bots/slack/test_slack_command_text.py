"""Slash command text as the member wrote it: Slack's escaping and markup undone in one place
(``bots.slack.command_text``), checked as a pure function and end to end through real Bolt."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bots.slack.command_text import command_text
from core.app import Hromada
from storage.culture import Kudos
from storage.models import Item, Member
from tests.bots.slack.harness import SlackHarness

CHANNELS = {"teamwork": "C0TEAMWRK", "general": "C0GENERAL", "dev-ops": "C0DEVOPS"}
USERS = {"ann": "U0ANN", "bob.k": "U0BOBK", "olena": "W0OLENA"}


def slack_escapes(text: str) -> str:
    """What Slack does to text: ``&``, ``<``, ``>`` as entities, always."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# A line is words and mentions; Slack wraps the mentions it recognises (should_escape: true).
PLAIN = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="@#"),
                max_size=20)
PIECE = st.one_of(
    PLAIN.map(lambda t: (slack_escapes(t), t)),
    st.sampled_from(sorted(CHANNELS)).map(lambda n: (f"<#{CHANNELS[n]}|{n}>", f"#{n}")),
    st.sampled_from(sorted(USERS)).map(lambda n: (f"<@{USERS[n]}|{n}>", f"<@{USERS[n]}|{n}>")),
)


@given(st.text())
def test_plain_text_comes_back_exactly(text):
    assert command_text(slack_escapes(text)) == text


@given(st.lists(PIECE, max_size=8))
def test_lines_with_mentions_come_back_as_written(pieces):
    sent = " ".join(p[0] for p in pieces)
    assert command_text(sent) == " ".join(p[1] for p in pieces)


@given(st.text())
def test_nothing_the_member_typed_becomes_markup(text):
    """A ``<`` typed by the member arrives as ``&lt;``: it is text, never a mention."""
    out = command_text(slack_escapes(text))
    assert out.count("<@") == text.count("<@")


@pytest.mark.parametrize(("sent", "read"), [
    ("<@U0ANN|ann> <#C0TEAMWRK|teamwork> thanks &amp; cheers",
     "<@U0ANN|ann> #teamwork thanks & cheers"),
    ("<@U0ANN> for the &lt;b&gt; tag", "<@U0ANN> for the <b> tag"),
    ("&amp;lt; stays typed", "&lt; stays typed"),
    ("<!here> and <!channel> and <!everyone|everyone>", "@here and @channel and @everyone"),
    ("<!subteam^S0DEV|@devs> please", "@devs please"),
    ("see <https://wiki.example.com/vpn|wiki.example.com/vpn>", "see wiki.example.com/vpn"),
    ("see <https://example.com/a?b=1&amp;c=2>", "see https://example.com/a?b=1&c=2"),
    ("<mailto:it@example.com|it@example.com>", "it@example.com"),
    ("<#C0GENERAL>", "#C0GENERAL"),
    ("<@U0X|two words>", "<@U0X>"),
    ("<#C0Q|q&amp;a>", "#q&a"),
])
def test_what_slack_sends_reads_as_typed(sent, read):
    assert command_text(sent) == read


# What Slack sent for "/kudos @ann #teamwork thanks & cheers" when a #teamwork channel exists.
KUDOS = "<@U0ANN|ann> <#C0TEAMWRK|teamwork> thanks &amp; cheers"
PING = re.compile(r"<[@!][^>]*>")


async def test_kudos_with_a_channel_named_like_the_value(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("ann")
        resp = await slack.command("alice", "/kudos", KUDOS)
        assert resp.body is None or "There is no value" not in str(resp.body), resp.body
        with hromada.db.uow() as session:
            [kudos] = session.execute(select(Kudos)).scalars().all()
            receiver = session.get(Member, kudos.receiver_id)
            assert receiver is not None and receiver.user_id == "U0ANN"
            assert (kudos.value, kudos.message) == ("teamwork", "thanks & cheers")
        [posted] = slack.posted("C1")
        assert "#teamwork" in posted.text and "thanks &amp; cheers" in posted.text


async def test_escaped_text_is_stored_and_matched_unescaped(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "Q&amp;A sessions &lt;monthly&gt; with "
                                              "<@U0ANN|ann> &amp; <!here>")
        with hromada.db.uow() as session:
            [item] = session.execute(select(Item)).scalars().all()
            assert item.title == "Q&A sessions <monthly> with @ann & @here"
        [posted] = slack.posted("C1")
        assert not PING.findall(posted.text)  # stored as words, shown as words: no ping
        found = await slack.command("bob", "/idea", "search Q&amp;A sessions")
        assert "I-1" in str(found.body)
        # a subcommand reads the same way: /risk owner with Slack's mention
        await slack.command("alice", "/risk", "Only one person &amp; no runbook")
        await slack.command("alice", "/risk", "owner R-1 <@U0ANN|ann>")
        with hromada.db.uow() as session:
            risk = session.execute(select(Item).where(Item.kind == "risk")).scalar_one()
            owner = session.get(Member, risk.owner_id)
            assert risk.title == "Only one person & no runbook"
            assert owner is not None and owner.user_id == "U0ANN"
