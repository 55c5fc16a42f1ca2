"""Anonymous authors on Slack, end to end (real Bolt, the fake Web API): a small channel's
anonymous card goes to the main channel, and an author who opted in hears back by DM and
answers, while nothing a moderator receives names them."""

from __future__ import annotations

import json

from core.app import Hromada
from tests.bots.slack.harness import SlackHarness, block_text, buttons, user_id
from tests.core.test_anonymous_authors import raw_rows, traces_of

ALICE = user_id("alice")


def leaks_alice(slack: SlackHarness) -> list[str]:
    """Outbound calls that name Alice, other than looking her up and writing to her DM."""
    out = []
    for call in slack.calls:
        text = json.dumps(call.params, ensure_ascii=False)
        if ALICE not in text and "Alice" not in text:
            continue
        if call.method == "users.info" or (call.method == "conversations.open"
                                           and call.params.get("users") == ALICE):
            continue
        if call.method == "chat.postMessage" and call.params.get("channel") == "D" + ALICE:
            continue
        out.append(f"{call.method} {text}")
    return out


async def test_a_small_channels_anonymous_card_goes_to_the_main_channel(hromada: Hromada):
    async with SlackHarness.running(hromada) as slack:
        slack.fake.workspaces["T1"].channel_sizes["CSMALL"] = 3
        slack.add_user("boss", admin=True)
        await slack.command("boss", "/digest", "here", channel="CMAIN")
        answer = await slack.command("alice", "/idea", "anon Pay transparency bands",
                                     channel="CSMALL")
        assert slack.posted("CSMALL") == []
        [card] = slack.posted("CMAIN")
        assert "I-1" in card.text and "Pay transparency bands" in card.text
        assert "Alice" not in block_text(card.blocks)
        said = block_text(answer.body["blocks"])
        assert "I-1 is posted anonymously in <#CMAIN>, the main channel" in said
        assert "fewer than 5 members" in said
        assert [c.params.get("channel") for c in slack.calls_of("conversations.info")] == [
            "CSMALL"]
        # a channel big enough keeps its card; a named idea never asks for the size
        await slack.command("alice", "/idea", "anon Remote Fridays", channel="C1")
        assert "Remote Fridays" in slack.posted("C1")[-1].text
        await slack.command("alice", "/idea", "Hackathon in May", channel="CSMALL")
        assert "Hackathon in May" in slack.posted("CSMALL")[-1].text
        assert len(slack.calls_of("conversations.info")) == 2


async def test_without_a_main_channel_the_card_is_not_posted(hromada: Hromada):
    async with SlackHarness.running(hromada) as slack:
        slack.fake.workspaces["T1"].channel_sizes["CSMALL"] = 2
        answer = await slack.command("alice", "/idea", "anon Pay transparency bands",
                                     channel="CSMALL")
        assert slack.calls_of("chat.postMessage") == []
        assert "I-1 is saved anonymously but not posted" in block_text(answer.body["blocks"])


async def test_an_anonymous_author_hears_back_and_answers(hromada: Hromada):
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("boss", admin=True)
        answer = await slack.command("alice", "/idea", "anon Pay transparency bands")
        [card] = slack.posted("C1")
        [hear] = buttons(answer.body["blocks"])
        assert hear["text"]["text"] == "Hear back privately"
        said = block_text(answer.body["blocks"])
        assert "only then Hromada keeps a sealed reference" in said
        await slack.press("alice", hear)
        done = slack.calls_of("response_url")[-1].params
        assert "you will hear back about I-1" in done["text"]
        assert done.get("replace_original") is True  # the offer is replaced, not repeated
        await slack.react("bob", "C1", card.ts, "+1")

        await slack.command("boss", "/idea", "status I-1 planned budget approved")
        [status_dm] = slack.dms("alice")
        assert "is now planned" in status_dm.params["text"]
        assert any("is now planned" in c.params["text"] for c in slack.dms("bob"))

        sent = await slack.command("boss", "/idea", "reply I-1 Which teams go first?")
        assert "anonymous author of I-1" in block_text(sent.body["blocks"])
        reply_dm = slack.dms("alice")[-1].params["text"]
        assert "Which teams go first?" in reply_dm and "/idea reply I-1" in reply_dm

        back = await slack.command("alice", "/idea", "reply I-1 Support first, please")
        assert "without your name" in block_text(back.body["blocks"])
        [to_boss] = slack.dms("boss")
        assert "The anonymous author of I-1" in to_boss.params["text"]
        assert "Support first, please" in to_boss.params["text"]

        assert leaks_alice(slack) == []
        rows = raw_rows(hromada.db)
        assert len(rows["sealed_ref"]) == 1
        assert traces_of(hromada.db, ALICE, "Alice") == []


async def test_without_the_opt_in_the_moderator_cannot_reach_the_author(hromada: Hromada):
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("boss", admin=True)
        await slack.command("alice", "/idea", "anon Pay transparency bands")
        await slack.command("boss", "/idea", "status I-1 reviewing")
        sent = await slack.command("boss", "/idea", "reply I-1 Tell me more")
        assert "did not ask to hear back" in block_text(sent.body["blocks"])
        assert slack.dms("alice") == []
        assert leaks_alice(slack) == []
        assert raw_rows(hromada.db)["sealed_ref"] == []
        assert traces_of(hromada.db, ALICE, "Alice") == []
