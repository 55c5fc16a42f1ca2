"""Issue 6's culture features end to end on Slack: real Bolt under uvicorn, the fake Web API,
signed requests. Pulses, leadership Q&A, kudos, people, coffee pairing (group DMs), stats,
mydata and forget-me, as members would use them."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from bots.delivery import Deliveries
from bots.scheduler import CoffeeRunner
from core.app import Hromada
from storage.culture import Kudos, PulseAnswer
from storage.models import Item, Member, Vote
from tests.bots.slack.harness import Response, SlackHarness, block_text, buttons, user_id
from tests.bots.store_checks import count, score

# What Slack turns into a ping: <@U…>, <!channel>, <!here>, <!everyone>, <!subteam^…>.
PING = re.compile(r"<[@!][^>]*>")






def seen(resp: Response) -> str:
    """Everything a member reads in a private answer: its text fallback and its blocks."""
    assert isinstance(resp.body, dict), resp
    return resp.body.get("text", "") + "\n" + block_text(resp.body.get("blocks") or [])


def private(resp: Response) -> str:
    """The text of an answer that only the asker sees (ephemeral), failing if it was public."""
    assert resp.status == 200 and isinstance(resp.body, dict), resp
    assert resp.body.get("response_type") == "ephemeral", resp.body
    return seen(resp)


def last_response(slack: SlackHarness) -> dict[str, Any]:
    """The newest answer sent through a response_url (a button's answer)."""
    return slack.calls_of("response_url")[-1].params


def card_text(msg: Any) -> str:
    return msg.text + "\n" + block_text(msg.blocks)


async def admin(slack: SlackHarness, k: int) -> None:
    slack.add_user("boss", admin=True)
    done = await slack.command("boss", "/hromada", f"settings threshold {k}")
    assert f"{k}" in private(done)


# -- pulses -------------------------------------------------------------------------------


async def test_pulse_buttons_replace_answers_and_results_wait_for_k(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await admin(slack, 3)
        for name in ("alice", "bob", "carol"):
            await slack.command(name, "/people", "me department Engineering")

        refused = await slack.command("bob", "/pulse", "ask Do you feel heard?")
        assert "Only moderators" in private(refused)
        assert count(hromada, Item) == 0 and not slack.posted("C1")

        asked = await slack.command("boss", "/pulse", "ask How clear are our goals this quarter?")
        assert asked.status == 200 and asked.body is None  # public: posted as the bot
        [card] = slack.posted("C1")
        assert "P-1" in card.text and "How clear are our goals" in card_text(card)
        scale = buttons(card.blocks)
        assert [b["text"]["text"] for b in scale] == ["1", "2", "3", "4", "5"]
        by_label = {b["text"]["text"]: b for b in scale}

        await slack.press("alice", by_label["4"], message_ts=card.ts)
        first = last_response(slack)
        assert "your answer to P-1 is 4" in first["text"]
        assert first["response_type"] == "ephemeral"
        # The card stays in the channel for everyone: the answer is a new private message.
        assert not first.get("replace_original") and not first.get("delete_original")
        await slack.press("alice", by_label["2"], message_ts=card.ts)
        assert "now 2 (was 4)" in last_response(slack)["text"]
        await slack.press("bob", by_label["4"], message_ts=card.ts)
        assert count(hromada, PulseAnswer) == 2  # alice's second answer replaced her first

        below = private(await slack.command("dan", "/pulse", "results P-1"))
        assert "P-1 is still open" in below and "fewer than 3 answers" in below
        assert "average" not in below

        typed = private(await slack.command("carol", "/pulse", "answer P-1 5"))  # ephemeral
        assert "your answer to P-1 is 5" in typed
        open_view = private(await slack.command("dan", "/pulse", "results P-1"))
        assert "at least 3 answers" in open_view and "average" not in open_view
        assert count(hromada, PulseAnswer) == 3

        assert "P-1 is closed" in private(await slack.command("boss", "/pulse", "close P-1"))
        reached = private(await slack.command("dan", "/pulse", "results P-1"))
        assert "Overall: 3 answers, average 3.7" in reached  # 2, 4 and 5
        assert "Engineering: 3 answers, average 3.7" in reached
        assert "not enough answers yet" not in reached
        [still] = slack.posted("C1")  # nothing else went public
        assert still.ts == card.ts


async def test_pulse_results_hide_a_small_department(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await admin(slack, 3)
        for name, dept in (("alice", "Engineering"), ("bob", "Engineering"),
                           ("carol", "Sales"), ("dan", "Sales"), ("gus", "Sales"),
                           ("erin", "Support")):
            await slack.command(name, "/people", f"me department {dept}")
        await slack.command("boss", "/pulse", "ask Do you have what you need to do your job?")
        card = slack.posted("C1")[-1]
        by_label = {b["text"]["text"]: b for b in buttons(card.blocks)}
        for name, value in (("alice", "5"), ("bob", "4"), ("carol", "3"), ("dan", "1"),
                            ("gus", "2"), ("erin", "2")):
            await slack.press(name, by_label[value], message_ts=card.ts)
        await slack.command("boss", "/pulse", "close P-1")
        shown = private(await slack.command("boss", "/pulse", "results P-1"))
        assert "Overall: 6 answers, average 2.8" in shown
        assert "Support: not enough answers yet" in shown
        assert "Engineering: not enough answers yet" in shown
        # Support's one answer and Engineering's two are under k; hidden together they are 3,
        # so Sales can be shown without uncovering either.
        assert "Sales: 3 answers, average 2.0" in shown
        assert "4.5" not in shown


async def test_a_keycap_reaction_on_a_pulse_card_answers_nothing(hromada: Hromada) -> None:
    """Reactions are public and show who reacted: reaction_added never answers a pulse."""
    async with SlackHarness.running(hromada) as slack:
        await admin(slack, 3)
        await slack.command("boss", "/pulse", "ask template enps")
        card = slack.posted("C1")[-1]
        shown = card_text(card)
        assert "only you see the confirmation" in shown
        assert "Reactions on this message are public and do not count as answers" in shown
        await slack.press("alice", {b["text"]["text"]: b for b in buttons(card.blocks)}["4"],
                          message_ts=card.ts)
        assert count(hromada, PulseAnswer) == 1
        calls = len(slack.calls)
        for name in ("alice", "bob"):
            for emoji in ("one", "five", "three", "keycap_ten"):
                await slack.react(name, "C1", card.ts, emoji)
                await slack.react(name, "C1", card.ts, emoji, added=False)
        assert count(hromada, PulseAnswer) == 1  # the count did not move
        assert slack.calls[calls:] == []  # and the bot said nothing, to anyone
        assert not slack.calls_of("reactions.add")  # the bot never puts keycaps on a card
        bob = private(await slack.command("bob", "/pulse", "results P-1"))
        assert "Your answer" not in bob and "fewer than 3 answers" in bob


# -- leadership Q&A -----------------------------------------------------------------------


async def test_questions_upvoted_by_reactions_and_answers_reach_asker_and_voters(
        hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("boss", admin=True)
        first = await slack.command("erin", "/ask", "Is the office moving next year?")
        assert first.body is None
        q1 = slack.posted("C1")[-1]
        assert "Q-1" in q1.text
        await slack.command("alice", "/ask", "Why do we run two ticket systems?")
        q2 = slack.posted("C1")[-1]
        assert "Q-2" in q2.text and "Why do we run two ticket systems?" in card_text(q2)
        for name in ("bob", "carol"):
            await slack.react(name, "C1", q2.ts, "+1")
        await slack.react("dan", "C1", q1.ts, "+1")
        assert (score(hromada, "question", 1), score(hromada, "question", 2)) == (1, 2)

        listed = private(await slack.command("dan", "/ask", "list"))
        assert "Open questions, most voted first" in listed
        assert listed.index("Q-2") < listed.index("Q-1")  # 2 votes before 1, not by age

        refused = await slack.command("bob", "/ask", "answer Q-2 Because we can")
        assert "Only moderators" in private(refused)
        assert not slack.calls_of("conversations.open")

        done = await slack.command("boss", "/ask", "answer Q-2 We merge them in May <!channel>")
        assert done.body is None
        answer = slack.posted("C1")[-1]
        assert "We merge them in May" in card_text(answer)
        assert "<!channel>" not in card_text(answer)
        for name in ("alice", "bob", "carol"):  # the asker and both upvoters, once each
            [dm] = slack.dms(name)
            assert "Q-2" in dm.params["text"] and "We merge them in May" in dm.params["text"]
            assert "<!channel>" not in dm.params["text"]
        assert not slack.dms("dan") and not slack.dms("erin") and not slack.dms("boss")
        answered = private(await slack.command("dan", "/ask", "list answered"))
        assert "Q-2" in answered and "Q-1" not in answered


# -- kudos --------------------------------------------------------------------------------


async def test_kudos_ping_only_the_receiver(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.add_user("bob")
        slack.add_user("carol")
        given = await slack.command(
            "alice", "/kudos",
            "<@UBOB|bob> #teamwork fixed the build with me <!channel> <!here> @everyone "
            "<@UCAROL|carol>")
        assert given.status == 200 and given.body is None
        [post] = slack.posted("C1")
        for text in (post.text, block_text(post.blocks)):
            assert PING.findall(text) == ["<@UBOB>"], text  # the bot's own mention, only
            assert "#teamwork" in text and "fixed the build with me" in text
            assert "@everyone" not in text  # broken up with a word joiner
            assert "channel" in text and "@carol" in text  # shown as words, never a ping

        near = private(await slack.command("alice", "/kudos", "<@UBOB|bob> #teamwok thanks"))
        assert "There is no value #teamwok. Did you mean #teamwork?" in near
        own = private(await slack.command("alice", "/kudos", "<@UALICE|alice> #care me"))
        assert "Kudos are for someone else" in own
        assert count(hromada, Kudos) == 1 and len(slack.posted("C1")) == 1


# -- people -------------------------------------------------------------------------------


async def test_people_profiles_and_a_fuzzy_find(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        said = private(await slack.command("alice", "/people", "me skills Python, PostgreSQL"))
        assert "Your skills: Python, PostgreSQL." in said
        await slack.command("alice", "/people", "me department Engineering")
        await slack.command("alice", "/people", "me location Kyiv")
        await slack.command("bob", "/people", "me skills negotiation, python scripting")
        await slack.command("carol", "/people", "me skills illustration")
        found = private(await slack.command("erin", "/people", "find pyton"))
        assert "People for pyton:" in found
        assert "Alice — Engineering · Kyiv" in found and "(matches Python)" in found
        assert "(matches python scripting)" in found
        assert found.index("Alice") < found.index("Bob")
        assert "Carol" not in found
        mine = private(await slack.command("alice", "/people", "me"))
        assert "Python, PostgreSQL" in mine and "Kyiv" in mine
        assert not slack.posted("C1")


# -- coffee -------------------------------------------------------------------------------


async def test_coffee_round_introduces_each_group_in_one_group_dm(hromada: Hromada) -> None:
    deliveries = Deliveries()
    names = ("alice", "bob", "carol", "dan", "erin")
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        for name, dept in zip(names, ("Eng", "Eng", "Sales", "Sales", "Support"), strict=True):
            await slack.command(name, "/people", f"me department {dept}")
            joined = private(await slack.command(name, "/coffee", "join"))
            assert "You are in" in joined
        runner = CoffeeRunner(hromada, deliveries)
        sent = await runner.tick()
        await slack.settle()
        assert sent == {"slack:T1": 5}

        groups = slack.group_dms()
        members = [g for g, _ in groups]
        assert sorted(len(g) for g in members) == [2, 3]  # one triple: five people
        everyone = {user_id(n) for n in names}
        assert set().union(*members) == everyone and sum(len(g) for g in members) == 5
        for group, call in groups:
            opened = [c.params["users"] for c in slack.calls_of("conversations.open")
                      if set(c.params["users"].split(",")) == group]
            assert len(opened) == 1
            text = call.params["text"]
            assert "Coffee this week" in text
            assert sorted(PING.findall(text)) == sorted(f"<@{u}>" for u in group)
        assert not any(slack.dms(n) for n in names)  # no 1:1 copies

        before = len(slack.calls)
        assert await runner.tick() == {}  # this week's round ran: nothing more is sent
        await slack.settle()
        assert slack.calls[before:] == []

        status = private(await slack.command("alice", "/coffee", "status"))
        assert "You take part in coffee pairing." in status and "Last match" in status


async def test_a_refused_group_dm_falls_back_to_one_dm_each(hromada: Hromada) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        for name, dept in (("alice", "Eng"), ("bob", "Sales")):
            await slack.command(name, "/people", f"me department {dept}")
            await slack.command(name, "/coffee", "join")
        slack.fake.fail_next("conversations.open", status=200, error="missing_scope")
        assert await CoffeeRunner(hromada, deliveries).tick() == {"slack:T1": 2}
        await slack.settle()
        assert not slack.group_dms()
        for name, other in (("alice", "UBOB"), ("bob", "UALICE")):
            [dm] = slack.dms(name)
            assert "Coffee this week" in dm.params["text"] and f"<@{other}>" in dm.params["text"]


# -- stats, mydata, forget-me -------------------------------------------------------------


async def test_stats_answer_privately(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await admin(slack, 3)
        for name, idea in (("alice", "Standing desks in room 4"),
                           ("bob", "A shared calendar for the meeting rooms"),
                           ("carol", "Fresh fruit on Fridays")):
            await slack.command(name, "/people", "me department Engineering")
            await slack.command(name, "/idea", idea)
        posted = len(slack.posted("C1"))
        stats = private(await slack.command("carol", "/hromada", "stats"))
        assert "Participation, week of 2026-03-02" in stats
        assert "Engineering: contributors 3" in stats
        assert len(slack.posted("C1")) == posted


async def test_mydata_then_forget_me_erases_the_name_and_keeps_every_tally(
        hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await admin(slack, 3)
        await slack.command("alice", "/people", "me skills Python, PostgreSQL")
        await slack.command("alice", "/people", "me department Engineering")
        await slack.command("bob", "/people", "me department Engineering")
        await slack.command("alice", "/idea", "Quiet hours on Wednesday mornings")
        mine = slack.posted("C1")[-1]
        await slack.command("bob", "/idea", "A second monitor for everyone who asks")
        bobs = slack.posted("C1")[-1]
        await slack.react("bob", "C1", mine.ts, "+1")
        await slack.react("carol", "C1", mine.ts, "+1")
        await slack.react("alice", "C1", bobs.ts, "+1")
        await slack.command("alice", "/kudos", "<@UBOB|bob> #care thanks for the review")
        await slack.command("boss", "/pulse", "ask Do you feel heard?")
        pulse = slack.posted("C1")[-1]
        by_label = {b["text"]["text"]: b for b in buttons(pulse.blocks)}
        await slack.press("alice", by_label["4"], message_ts=pulse.ts)
        await slack.press("bob", by_label["2"], message_ts=pulse.ts)
        await slack.command("alice", "/coffee", "join")
        posts = len(slack.posted("C1"))

        data = private(await slack.command("alice", "/hromada", "mydata"))
        for piece in ("Alice", "UALICE", "Python, PostgreSQL", "Engineering", "I-1",
                      "Quiet hours on Wednesday mornings", "Items you wrote: 1", "Your votes: 1",
                      "I-2", "Your pulse answers (stored without your name): 1", "P-1",
                      "#care", "thanks for the review", "Coffee pairing*\ntaking part"):
            assert piece in data, piece
        assert len(slack.posted("C1")) == posts  # privately, nothing in the channel

        results = private(await slack.command("boss", "/pulse", "results P-1"))
        tallies = (score(hromada, "idea", 1), score(hromada, "idea", 2),
                   count(hromada, PulseAnswer), count(hromada, Kudos), count(hromada, Vote))
        assert tallies == (2, 1, 2, 1, 3)

        explained = await slack.command("alice", "/hromada", "forget-me")
        text = private(explained)
        assert "This erases your name" in text and "/hromada forget-me confirm" in text
        [erase] = buttons(explained.body["blocks"])
        assert erase["text"]["text"] == "Erase my data" and erase.get("style") == "danger"
        with hromada.db.uow() as session:  # explaining changed nothing
            assert session.execute(select(func.count()).select_from(Member).where(
                Member.display_name == "Alice")).scalar_one() == 1

        await slack.press("alice", erase)
        done = last_response(slack)
        assert "Done: your profile is erased and 1 items now show a former member" in done[
            "text"]
        assert done.get("replace_original") is True  # the private explanation is replaced

        before = len(slack.calls)
        replies = [
            await slack.command("bob", "/idea", "show I-1"),
            await slack.command("bob", "/idea", "list"),
            await slack.command("bob", "/hromada", "mydata"),
            await slack.command("bob", "/people", "find python"),
            await slack.command("boss", "/pulse", "results P-1"),
            await slack.command("boss", "/hromada", "stats"),
            await slack.command("bob", "/coffee", "status"),
            await slack.command("boss", "/idea", "search quiet hours"),
        ]
        shown = "\n".join(private(r) for r in replies)
        assert "a former member" in shown  # I-1 and bob's kudos now read like this
        assert "Quiet hours on Wednesday mornings" in shown
        assert "Alice" not in shown and "UALICE" not in shown
        for call in slack.calls[before:]:
            dumped = call.dump()
            assert "Alice" not in dumped and "UALICE" not in dumped, call
        assert "Nobody lists python" in private(replies[3])
        assert private(replies[4]) == results  # the pulse's numbers did not move
        assert (score(hromada, "idea", 1), score(hromada, "idea", 2),
                count(hromada, PulseAnswer), count(hromada, Kudos),
                count(hromada, Vote)) == tallies
        with hromada.db.uow() as session:
            assert session.execute(select(func.count()).select_from(Member).where(
                Member.display_name == "Alice")).scalar_one() == 0


async def test_a_ukrainian_workspace_hears_the_culture_features_in_ukrainian(
        hromada: Hromada) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        slack.add_user("boss", admin=True)
        await slack.command("boss", "/hromada", "settings language uk")
        await slack.command("boss", "/pulse", "ask Чи чують вас у команді?")
        card = slack.posted("C1")[-1]
        assert "Відповідайте кнопками: підтвердження бачите лише ви" in card_text(card)
        await slack.press("alice", buttons(card.blocks)[3], message_ts=card.ts)
        assert "P-1" in last_response(slack)["text"]
        results = private(await slack.command("bob", "/pulse", "results P-1"))
        assert "P-1 ще відкрите" in results and "відповідей: менше ніж 5" in results
        await slack.command("boss", "/pulse", "close P-1")
        results = private(await slack.command("bob", "/pulse", "results P-1"))
        assert "ще замало відповідей" in results
        near = private(await slack.command("alice", "/kudos", "<@UBOB|bob> #teamwok дякую"))
        assert "Можливо, ви мали на увазі #teamwork?" in near
        for name in ("alice", "bob"):
            await slack.command(name, "/coffee", "join")
        await CoffeeRunner(hromada, deliveries).tick()
        await slack.settle()
        [(group, intro)] = slack.group_dms()
        assert group == {"UALICE", "UBOB"} and "Кава цього тижня" in intro.params["text"]
