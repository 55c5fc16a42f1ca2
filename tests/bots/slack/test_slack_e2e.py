"""The Slack adapter end to end: real Bolt under uvicorn, the fake Web API, signed requests."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from core.app import Hromada
from storage.models import Item
from tests.bots.slack.harness import SlackHarness, block_text, buttons, user_id
from tests.bots.store_checks import count, score


async def test_submit_posts_a_bot_message_that_stands_for_the_idea(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        ack = await slack.command("alice", "/idea", "Quiet hours on Wednesday mornings")
        assert ack.status == 200
        assert ack.body is None  # public: acked empty, then posted as the bot
        [msg] = slack.posted("C1")
        assert "I-1" in msg.text and "Quiet hours on Wednesday mornings" in msg.text
        assert "Alice" in block_text(msg.blocks)
        # The message stands for I-1: a 👍 on it is a vote.
        await slack.react("bob", "C1", msg.ts, "+1")
        assert score(hromada, "idea", 1) == 1


async def test_thumbs_by_two_members_and_a_removal_make_the_tally(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "Standing desks in room 4")
        ts = slack.posted("C1")[-1].ts
        await slack.react("bob", "C1", ts, "+1")
        await slack.react("carol", "C1", ts, "+1::skin-tone-3")
        await slack.react("dan", "C1", ts, "-1")
        assert score(hromada, "idea", 1) == 1
        await slack.react("dan", "C1", ts, "-1", added=False)
        await slack.react("bob", "C1", ts, "+1", added=False)
        assert score(hromada, "idea", 1) == 1
        shown = await slack.command("erin", "/idea", "show I-1")
        assert "+1 (👍 1 · 👎 0)" in shown.body["text"]


async def test_the_same_event_delivered_twice_counts_once(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "A shared team calendar")
        ts = slack.posted("C1")[-1].ts
        await slack.react("bob", "C1", ts, "+1", event_id="EvVOTE1")
        await slack.react("bob", "C1", ts, "+1", added=False, event_id="EvUNVOTE1")
        # Slack retries the first event; re-applying it would bring the removed vote back.
        again = await slack.react("bob", "C1", ts, "+1", event_id="EvVOTE1", retry_num=1)
        assert again.status == 200
        assert score(hromada, "idea", 1) == 0
        said = slack.say("carol", "C2", "Deploys freeze on Fridays after 15:00")
        await slack.react("dan", "C2", said, "books", event_id="EvBOOK1")
        await slack.react("dan", "C2", said, "books", event_id="EvBOOK1", retry_num=1)
        await slack.react("dan", "C2", said, "books", event_id="EvBOOK1", retry_num=2)
        with hromada.db.uow() as session:
            kinds = session.execute(select(Item.kind, func.count()).group_by(Item.kind)).all()
        assert dict(kinds) == {"idea": 1, "snippet": 1}
        assert len([m for m in slack.posted("C2") if m.thread_ts == said]) == 1


async def test_books_on_a_plain_message_saves_a_snippet_found_by_kb(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        said = slack.say("carol", "C7", "VPN: use vpn2.example.com when vpn1 is slow")
        await slack.react("dan", "C7", said, "books")
        [answer] = [m for m in slack.posted("C7") if m.thread_ts == said]
        assert "K-1" in answer.text
        permalink = f"https://t1.slack.example/archives/C7/p{said.replace('.', '')}"
        assert permalink in answer.text
        assert slack.calls_of("conversations.history")
        found = await slack.command("erin", "/kb", "vpn2")
        text = block_text(found.body["blocks"])
        assert "K-1" in text and "VPN" in text
        shown = await slack.command("erin", "/kb", "show K-1")
        assert permalink in shown.body["text"]
        assert "Carol" in shown.body["text"]  # who said it first


async def test_books_on_a_thread_reply_reads_it_from_the_thread(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        root = slack.say("carol", "C3", "How do we rotate the API keys?")
        reply = slack.say("dan", "C3", "Run make rotate-keys, then restart the workers",
                          thread_ts=root)
        await slack.react("erin", "C3", reply, "books")
        assert slack.calls_of("conversations.replies")
        [answer] = [m for m in slack.posted("C3") if m.thread_ts == root]
        assert "K-1" in answer.text and "rotate-keys" in answer.text


async def test_warning_on_a_message_registers_a_risk_that_collects_votes(
        hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        said = slack.say("carol", "C4", "Only one person knows how billing exports work")
        await slack.react("dan", "C4", said, "warning")
        [card] = [m for m in slack.posted("C4") if m.thread_ts == said]
        assert "R-1" in card.text
        await slack.react("erin", "C4", card.ts, "+1")
        assert score(hromada, "risk", 1) == 1


async def test_message_shortcut_saves_like_books(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        said = slack.say("carol", "C5", "Office wifi password is on the fridge")
        ack = await slack.shortcut("dan", "C5", said)
        assert ack.status == 200
        [answer] = [m for m in slack.posted("C5") if m.thread_ts == said]
        assert "K-1" in answer.text
        found = await slack.command("dan", "/kb", "wifi password")
        assert "K-1" in block_text(found.body["blocks"])


async def test_duplicate_prompt_buttons_vote_instead_or_submit_anyway(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "Dark mode for the internal wiki")
        prompt = await slack.command("bob", "/idea", "Dark mode for the internal wiki!")
        assert prompt.body["response_type"] == "ephemeral"
        vote, anyway = buttons(prompt.body["blocks"])
        assert "I-1" in vote["text"]["text"]
        assert vote["action_id"] != anyway["action_id"]  # Block Kit wants them unique
        await slack.press("bob", vote)
        assert score(hromada, "idea", 1) == 1
        [replaced] = [c for c in slack.calls_of("response_url")
                      if c.params.get("replace_original")]
        assert "I-1" in replaced.params["text"]

        prompt = await slack.command("carol", "/idea", "Dark mode for internal wiki")
        _, anyway = buttons(prompt.body["blocks"])
        await slack.press("carol", anyway)
        posted = slack.posted("C1")
        assert "I-2" in posted[-1].text
        # The new message stands for I-2.
        await slack.react("dan", "C1", posted[-1].ts, "+1")
        assert score(hromada, "idea", 2) == 1
        # Nobody else can answer carol's prompt.
        prompt = await slack.command("carol", "/idea", "Dark mode for the wiki, internal")
        _, anyway = buttons(prompt.body["blocks"])
        await slack.press("dan", anyway)
        assert "Only the member who submitted" in slack.calls_of("response_url")[-1].params[
            "text"]
        assert count(hromada, Item) == 2


async def test_status_change_tells_author_and_each_voter_once(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("boss", admin=True)
        await slack.command("alice", "/idea", "Bike racks at the back entrance")
        ts = slack.posted("C1")[-1].ts
        for name in ("bob", "carol", "alice"):
            await slack.react(name, "C1", ts, "+1")
        await slack.react("carol", "C1", ts, "-1")  # changes her vote; still one voter
        refused = await slack.command("bob", "/idea", "status I-1 planned")
        assert "Only moderators" in refused.body["text"]
        assert not slack.calls_of("conversations.open")

        done = await slack.command("boss", "/idea", "status I-1 planned Budget approved")
        assert "planned" in done.body["text"]
        opened = [c.params["users"] for c in slack.calls_of("conversations.open")]
        assert sorted(opened) == sorted(user_id(n) for n in ("alice", "bob", "carol"))
        for name in ("alice", "bob", "carol"):
            [dm] = slack.dms(name)
            assert "planned" in dm.params["text"] and "Budget approved" in dm.params["text"]
        assert not slack.dms("boss")


async def test_status_buttons_on_show_for_moderators(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("owner", owner=True)
        await slack.command("alice", "/idea", "Monthly demo day")
        ts = slack.posted("C1")[-1].ts
        await slack.react("bob", "C1", ts, "+1")
        plain = await slack.command("bob", "/idea", "show I-1")
        assert not buttons(plain.body["blocks"])
        shown = await slack.command("owner", "/idea", "show I-1")
        by_label = {b["text"]["text"]: b for b in buttons(shown.body["blocks"])}
        await slack.press("owner", by_label["done"])
        assert len(slack.dms("alice")) == 1 and len(slack.dms("bob")) == 1
        again = await slack.command("owner", "/idea", "show I-1")
        assert "done" in again.body["text"]


async def test_anonymous_idea_shows_no_author_in_any_outbound_call(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("boss", admin=True)
        await slack.command("alice", "/hromada", "help")  # alice is known before she posts
        before = len(slack.calls)
        await slack.command("alice", "/idea", "anon Salaries bands should be published")
        ts = slack.posted("C1")[-1].ts
        await slack.react("bob", "C1", ts, "+1")
        await slack.command("boss", "/idea", "show I-1")
        await slack.command("boss", "/idea", "status I-1 reviewing")
        await slack.command("bob", "/idea", "list")
        await slack.open_home("boss")
        after = slack.calls[before:]
        assert any("Salaries bands" in c.dump() for c in after)
        for call in after:
            dumped = call.dump()
            assert "UALICE" not in dumped and "Alice" not in dumped, call
        assert not slack.dms("alice")
        assert len(slack.dms("bob")) == 1


async def test_mentions_in_user_text_never_ping(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea",
                            "Ping <!channel> <!here|here> <@UBOB> and @everyone & @here now")
        [msg] = slack.posted("C1")
        for text in (msg.text, block_text(msg.blocks)):
            assert "<!channel>" not in text and "<!here" not in text and "<@UBOB>" not in text
            assert "@everyone" not in text and "@here" not in text
            assert "channel" in text and "&amp;" in text  # shown as words, never a ping
        listed = await slack.command("bob", "/idea", "list")
        for text in (listed.body["text"], block_text(listed.body["blocks"])):
            assert "<!channel>" not in text and "@everyone" not in text


async def test_refusals_bad_input_and_unknown_buttons_answer_briefly(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        bad = await slack.command("alice", "/idea", "show R-9")
        assert "Usage: /idea show &lt;ref&gt;" in bad.body["text"]
        missing = await slack.command("alice", "/idea", "show I-9")
        assert "I-9" in missing.body["text"]
        odd = {"action_id": "hromada:0:nonsense", "text": {"type": "plain_text", "text": "x"},
               "value": "1"}
        await slack.press("alice", odd)
        assert "not known" in slack.calls_of("response_url")[-1].params["text"]
        assert count(hromada, Item) == 0


async def test_bad_signature_and_stale_timestamp_are_refused_with_no_change(
        hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        from urllib.parse import urlencode

        body = urlencode(slack.command_fields("alice", "/idea", "Free lunch on Fridays"))
        headers = slack.signed_headers(body, content_type="application/x-www-form-urlencoded")
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
        assert (await slack.post_raw(body, headers)).status == 401
        stale = int(time.time()) - 6 * 60
        refused = await slack.command("alice", "/idea", "Free lunch on Fridays", timestamp=stale)
        assert refused.status == 401
        # A correct signature over a different body is refused as well.
        headers = slack.signed_headers(body, content_type="application/x-www-form-urlencoded")
        assert (await slack.post_raw(body + "x", headers)).status == 401
        assert count(hromada, Item) == 0
        assert not slack.calls_of("chat.postMessage", "users.info")
        ok = await slack.command("alice", "/idea", "Free lunch on Fridays")
        assert ok.status == 200 and count(hromada, Item) == 1


async def test_rate_limited_post_is_retried(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.fake.fail_next("chat.postMessage", status=429, retry_after=0)
        await slack.command("alice", "/idea", "Retry me politely")
        assert len(slack.calls_of("chat.postMessage")) == 2
        [msg] = slack.posted("C1")
        await slack.react("bob", "C1", msg.ts, "+1")
        assert score(hromada, "idea", 1) == 1


async def test_not_in_channel_answers_privately(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "Posting where I am not", channel="CNOTHERE")
        [private] = slack.calls_of("response_url")
        assert "I-1" in private.params["text"] and "/invite" in block_text(
            private.params["blocks"])


async def test_app_home_lists_own_items_top_ideas_and_open_questions(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "Pair programming Fridays")
        await slack.command("alice", "/idea", "anon Fewer status meetings")
        await slack.command("bob", "/idea", "A quiet room")
        first, _, third = slack.posted("C1")
        await slack.react("carol", "C1", third.ts, "+1")
        await slack.react("dan", "C1", third.ts, "+1")
        await slack.react("carol", "C1", first.ts, "+1")
        await slack.open_home("alice")
        [published] = slack.calls_of("views.publish")
        assert published.params["user_id"] == user_id("alice")
        text = block_text(published.params["view"]["blocks"])
        own = text.split("Your items")[1].split("Top ideas this week")[0]
        assert "Pair programming" in own and "Fewer status" not in own
        top = text.split("Top ideas this week")[1].split("Open questions")[0]
        assert top.index("A quiet room") < top.index("Pair programming")
        assert "Open questions" in text


async def test_health_reports_store_and_slack(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        status, state = await slack.health()
        assert status == 200 and state == {"store": True, "migrations": True, "slack": True}


async def test_slow_answers_ack_empty_and_follow_through_response_url(
        hromada: Hromada, monkeypatch: Any) -> None:
    import bots.slack.app as slack_app

    monkeypatch.setattr(slack_app, "ACK_BUDGET", 0.0)  # as if the core were always busy
    async with SlackHarness.running(hromada) as slack:
        fields = slack.command_fields("alice", "/kb", "onboarding")
        from urllib.parse import urlencode

        body = urlencode(fields)
        ack = await slack.post_raw(body, slack.signed_headers(
            body, content_type="application/x-www-form-urlencoded"))
        assert ack.status == 200 and not ack.body
        [later] = slack.calls_of("response_url")
        assert later.params["response_type"] == "ephemeral"
        assert "onboarding" in later.params["text"]


async def test_a_refused_post_is_answered_with_an_apology_and_a_ref(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("bob")
        from bots.slack.app import SERVER_ERROR_RETRIES

        for _ in range(1 + SERVER_ERROR_RETRIES):  # down through slack_sdk's retries too
            slack.fake.fail_next("chat.postMessage", status=500)
        await slack.command("alice", "/kudos", "<@UBOB|bob> #teamwork for the release")
        await slack.settle()
        [sorry] = slack.calls_of("response_url")
        assert "Sorry" in sorry.params["text"] and "ref" in sorry.params["text"]


async def test_a_ukrainian_workspace_gets_a_ukrainian_home_tab(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("boss", admin=True)
        await slack.command("boss", "/hromada", "settings language uk")
        await slack.command("alice", "/idea", "Менше нарад по п'ятницях")
        await slack.open_home("alice")
        text = block_text(slack.calls_of("views.publish")[-1].params["view"]["blocks"])
        assert "Ваші записи" in text and "Відкриті запитання" in text
        assert "Менше нарад" in text
