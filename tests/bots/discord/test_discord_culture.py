"""Issue 6's culture features end to end on Discord: the real discord.py client against the
loopback fake Discord. Pulses, leadership Q&A, kudos, people, coffee pairing, stats, mydata
and forget-me, as members would use them."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from bots.scheduler import CoffeeRunner
from storage import repos
from storage.culture import Kudos, PulseAnswer
from storage.models import Item, Member, Vote
from tests.bots.discord.harness import Answer, DiscordHarness, embed_text
from tests.bots.store_checks import count

# What Discord can turn into a ping: <@id>, <@!id>, <@&role>, @everyone, @here.
PING = re.compile(r"<@[!&]?\d+>|@everyone|@here")




def score(h: DiscordHarness, kind: str, number: int) -> int:
    with h.hromada.db.uow() as session:
        item = repos.item_by_ref(session, h.tenant, kind, number)
        assert item is not None
        up, down = repos.tally(session, h.tenant, item.id or 0)
        return up - down


def private(answer: Answer) -> str:
    """What the member alone sees; fails when the answer was not ephemeral."""
    assert answer.ephemeral, answer.callback.body
    return answer.text


async def moderator(h: DiscordHarness, k: int) -> dict:
    boss = h.user("boss", admin=True)
    done = await h.command(boss, "hromada settings threshold", {"k": k})
    assert str(k) in private(done)
    return boss


async def department(h: DiscordHarness, user: dict, name: str) -> None:
    said = await h.command(user, "people me department", {"name": name})
    assert name in private(said)


# -- pulses -------------------------------------------------------------------------------


async def test_pulse_buttons_replace_answers_and_results_wait_for_k(
        discord_h: DiscordHarness) -> None:
    h = discord_h
    boss = await moderator(h, 3)
    alice, bob, carol, dan = (h.user(n) for n in ("alice", "bob", "carol", "dan"))
    for member in (alice, bob, carol):
        await department(h, member, "Engineering")

    refused = await h.command(bob, "pulse ask new", {"question": "Do you feel heard?"})
    assert "Only moderators" in private(refused)
    assert count(h.hromada, Item) == 0 and h.posted_messages() == []

    asked = await h.command(boss, "pulse ask new",
                            {"question": "How clear are our goals this quarter?"})
    assert "Posted P-1 in this channel." in private(asked)
    [card] = h.posted_messages()
    assert "P-1" in embed_text(card) and "How clear are our goals" in embed_text(card)
    assert list(h.buttons(card)) == ["1", "2", "3", "4", "5"]

    first = await h.click(alice, card, "4")
    assert "your answer to P-1 is 4" in private(first)
    assert first.callback.body["type"] == 4  # a new private message, not an edit of the card
    again = await h.click(alice, card, "2")
    assert "now 2 (was 4)" in private(again)
    await h.click(bob, card, "4")
    assert count(h.hromada, PulseAnswer) == 2  # alice's second answer replaced her first
    assert not h.fake.rest("PATCH", f"/channels/{h.channel}/messages/{card['id']}")

    below = private(await h.command(dan, "pulse results", {"ref": "P-1"}))
    assert "P-1 is still open" in below and "fewer than 3 answers" in below
    assert "average" not in below

    typed = await h.command(carol, "pulse answer", {"ref": "P-1", "value": 5})
    assert "your answer to P-1 is 5" in private(typed)  # the command answers privately
    open_view = private(await h.command(dan, "pulse results", {"ref": "P-1"}))
    assert "at least 3 answers" in open_view and "average" not in open_view
    assert count(h.hromada, PulseAnswer) == 3

    closed = await h.command(boss, "pulse close", {"ref": "P-1"})
    assert "P-1 is closed" in private(closed)
    reached = private(await h.command(dan, "pulse results", {"ref": "P-1"}))
    assert "Overall: 3 answers, average 3.7" in reached  # 2, 4 and 5
    assert "Engineering: 3 answers, average 3.7" in reached
    assert "not enough answers yet" not in reached
    assert len(h.posted_messages()) == 1  # nothing else went public


async def test_a_keycap_reaction_on_a_pulse_card_answers_nothing(
        discord_h: DiscordHarness) -> None:
    """Reactions are public and show who reacted: a raw reaction frame never answers a pulse."""
    h = discord_h
    boss = await moderator(h, 3)
    alice, bob = h.user("alice"), h.user("bob")
    asked = await h.command(boss, "pulse ask template", {"template": "enps"})
    card = h.last_card()
    text = embed_text(card)
    assert "only you see the confirmation" in text
    assert "Reactions on this message are public and do not count as answers" in text
    await h.click(alice, card, "4")
    assert count(h.hromada, PulseAnswer) == 1
    calls = len(h.fake.calls)
    for member in (alice, bob):
        for emoji in ("1\ufe0f\u20e3", "5\ufe0f\u20e3", "3\u20e3"):
            await h.react(member, h.channel, card["id"], emoji)
            await h.react(member, h.channel, card["id"], emoji, added=False)
    assert count(h.hromada, PulseAnswer) == 1  # the count did not move
    assert h.fake.calls[calls:] == []  # and the bot said nothing to anyone
    # The bot never puts reactions on a pulse card itself.
    assert not [c for c in h.fake.calls if "/reactions/" in c.path], asked
    shown = private(await h.command(bob, "pulse results", {"ref": "P-1"}))
    assert "Your answer" not in shown and "fewer than 3 answers" in shown


# -- leadership Q&A -----------------------------------------------------------------------


async def test_questions_upvoted_by_reactions_and_answers_reach_asker_and_voters(
        discord_h: DiscordHarness) -> None:
    h = discord_h
    boss = h.user("boss", admin=True)
    alice, bob, carol, dan, erin = (h.user(n) for n in ("alice", "bob", "carol", "dan", "erin"))
    first = await h.command(erin, "ask question", {"text": "Is the office moving next year?"})
    assert "Posted Q-1 in this channel." in private(first)
    q1 = h.last_card()
    await h.command(alice, "ask question", {"text": "Why do we run two ticket systems?"})
    q2 = h.last_card()
    assert "Q-2" in embed_text(q2) and "Why do we run two ticket systems?" in embed_text(q2)
    for member in (bob, carol):
        await h.react(member, h.channel, q2["id"], "👍")
    await h.react(dan, h.channel, q1["id"], "👍")
    assert (score(h, "question", 1), score(h, "question", 2)) == (1, 2)

    listed = private(await h.command(dan, "ask list", {}))
    assert "Open questions, most voted first" in listed
    assert listed.index("Q-2") < listed.index("Q-1")  # 2 votes before 1, not by age

    refused = await h.command(bob, "ask answer", {"ref": "Q-2", "text": "Because we can"})
    assert "Only moderators" in private(refused)
    assert not h.fake.rest("POST", "/users/@me/channels")

    posts = len(h.posted_messages())
    await h.command(boss, "ask answer", {"ref": "Q-2", "text": "We merge them in May @everyone"})
    assert len(h.posted_messages()) == posts + 1
    answer = h.last_card()
    assert "We merge them in May" in embed_text(answer)
    assert "@everyone" not in embed_text(answer)
    for member in (alice, bob, carol):  # the asker and both upvoters, once each
        [dm] = h.dms(member)
        assert "Q-2" in dm and "We merge them in May" in dm and "@everyone" not in dm
    assert h.dms(dan) == [] and h.dms(erin) == [] and h.dms(boss) == []
    answered = private(await h.command(dan, "ask list", {"which": "answered"}))
    assert "Q-2" in answered and "Q-1" not in answered


# -- kudos --------------------------------------------------------------------------------


async def test_kudos_ping_only_the_receiver(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, bob, carol = h.user("alice"), h.user("bob"), h.user("carol")
    given = await h.command(alice, "kudos", {
        "member": bob, "value": "#teamwork",
        "message": f"fixed the build with me @everyone @here <@{carol['id']}> <!channel>"})
    assert "Posted in this channel." in private(given)
    [post] = h.posted()
    body = post.body
    # The bot's own mention of the receiver is the only one that may ping, and only them.
    assert body["content"] == f"<@{bob['id']}>"
    assert body["allowed_mentions"]["parse"] == []
    assert [str(u) for u in body["allowed_mentions"].get("users", [])] == [bob["id"]]
    assert not body["allowed_mentions"].get("roles")
    shown = embed_text(body)
    assert "#teamwork" in shown and "fixed the build with me" in shown
    assert PING.findall(json.dumps(body, ensure_ascii=False)) == [f"<@{bob['id']}>"] * 2

    near = await h.command(alice, "kudos", {"member": bob, "value": "teamwok",
                                            "message": "thanks"})
    assert "There is no value #teamwok. Did you mean #teamwork?" in private(near)
    own = await h.command(alice, "kudos", {"member": alice, "value": "care", "message": "me"})
    assert "Kudos are for someone else" in private(own)
    assert count(h.hromada, Kudos) == 1 and len(h.posted()) == 1


# -- people -------------------------------------------------------------------------------


async def test_people_profiles_and_a_fuzzy_find(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, bob, carol, erin = (h.user(n) for n in ("alice", "bob", "carol", "erin"))
    said = await h.command(alice, "people me skills", {"skills": "Python, PostgreSQL"})
    assert "Your skills: Python, PostgreSQL." in private(said)
    await h.command(alice, "people me department", {"name": "Engineering"})
    await h.command(alice, "people me location", {"name": "Kyiv"})
    await h.command(bob, "people me skills", {"skills": "negotiation, python scripting"})
    await h.command(carol, "people me skills", {"skills": "illustration"})
    found = private(await h.command(erin, "people find", {"query": "pyton"}))
    assert "People for pyton:" in found
    assert "Alice — Engineering · Kyiv" in found and "(matches Python)" in found
    assert "(matches python scripting)" in found
    assert found.index("Alice") < found.index("Bob")
    assert "Carol" not in found
    mine = private(await h.command(alice, "people me show", {}))
    assert "Python, PostgreSQL" in mine and "Kyiv" in mine
    assert h.posted_messages() == []


# -- coffee -------------------------------------------------------------------------------


async def test_coffee_round_introduces_everyone_by_direct_message(
        discord_h: DiscordHarness) -> None:
    h = discord_h
    members = [h.user(n) for n in ("alice", "bob", "carol", "dan", "erin")]
    for member, dept in zip(members, ("Eng", "Eng", "Sales", "Sales", "Support"), strict=True):
        await department(h, member, dept)
        assert "You are in" in private(await h.command(member, "coffee join", {}))
    runner = CoffeeRunner(h.hromada, h.deliveries)
    assert await runner.tick() == {h.tenant: 5}

    groups = []
    for member in members:
        [dm] = h.dms(member)  # one introduction each
        assert "Coffee this week" in dm
        ids = frozenset(re.findall(r"<@(\d+)>", dm))
        assert member["id"] in ids
        groups.append(ids)
    distinct = set(groups)
    assert sorted(len(g) for g in distinct) == [2, 3]  # one triple: five people
    assert set().union(*distinct) == {m["id"] for m in members}
    for call in h.fake.rest("POST", "/channels/"):
        if call.path.split("/")[2] in {str(c) for c in h.fake.dm_channels}:
            assert call.body["allowed_mentions"]["parse"] == []

    before = len(h.fake.calls)
    assert await runner.tick() == {}  # this week's round ran: nothing more is sent
    assert h.fake.calls[before:] == []
    status = private(await h.command(members[0], "coffee status", {}))
    assert "You take part in coffee pairing." in status and "Last match" in status


# -- stats, mydata, forget-me -------------------------------------------------------------


async def test_stats_answer_privately(discord_h: DiscordHarness) -> None:
    h = discord_h
    await moderator(h, 3)
    alice, bob, carol = h.user("alice"), h.user("bob"), h.user("carol")
    for member, idea in ((alice, "Standing desks in room 4"),
                         (bob, "A shared calendar for the meeting rooms"),
                         (carol, "Fresh fruit on Fridays")):
        await department(h, member, "Engineering")
        await h.command(member, "idea submit", {"text": idea})
    posted = len(h.posted_messages())
    stats = private(await h.command(carol, "hromada stats", {}))
    assert "Participation, week of 2026-03-02" in stats
    assert "Engineering: contributors 3" in stats
    assert len(h.posted_messages()) == posted


async def test_mydata_then_forget_me_erases_the_name_and_keeps_every_tally(
        discord_h: DiscordHarness) -> None:
    h = discord_h
    boss = await moderator(h, 3)
    alice, bob, carol = h.user("alice"), h.user("bob"), h.user("carol")
    await h.command(alice, "people me skills", {"skills": "Python, PostgreSQL"})
    await department(h, alice, "Engineering")
    await department(h, bob, "Engineering")
    await h.command(alice, "idea submit", {"text": "Quiet hours on Wednesday mornings"})
    mine = h.last_card()
    await h.command(bob, "idea submit", {"text": "A second monitor for everyone who asks"})
    bobs = h.last_card()
    await h.react(bob, h.channel, mine["id"], "👍")
    await h.react(carol, h.channel, mine["id"], "👍")
    await h.react(alice, h.channel, bobs["id"], "👍")
    await h.command(alice, "kudos", {"member": bob, "value": "care",
                                     "message": "thanks for the review"})
    await h.command(boss, "pulse ask new", {"question": "Do you feel heard?"})
    pulse = h.last_card()
    await h.click(alice, pulse, "4")
    await h.click(bob, pulse, "2")
    await h.command(alice, "coffee join", {})
    posts = len(h.posted())

    data = private(await h.command(alice, "hromada mydata", {}))
    for piece in ("Alice", alice["id"], "Python, PostgreSQL", "Engineering", "I-1",
                  "Quiet hours on Wednesday mornings", "Items you wrote: 1", "Your votes: 1",
                  "I-2", "Your pulse answers (stored without your name): 1", "P-1", "#care",
                  "thanks for the review", "Coffee pairing: taking part"):
        assert piece in data, piece
    assert len(h.posted()) == posts  # privately, nothing in the channel

    results = private(await h.command(boss, "pulse results", {"ref": "P-1"}))

    def tallies() -> tuple[int, ...]:
        return (score(h, "idea", 1), score(h, "idea", 2), count(h.hromada, PulseAnswer),
                count(h.hromada, Kudos), count(h.hromada, Vote))

    assert tallies() == (2, 1, 2, 1, 3)
    kept = tallies()

    explained = await h.command(alice, "hromada forget-me", {})
    text = private(explained)
    assert "This erases your name" in text and "/hromada forget-me confirm" in text
    assert "Erase my data" in h.buttons(explained)
    with h.hromada.db.uow() as session:  # explaining changed nothing
        assert session.execute(select(func.count()).select_from(Member).where(
            Member.display_name == "Alice")).scalar_one() == 1

    done = await h.command(alice, "hromada forget-me", {"confirm": "confirm"})
    assert "Done: your profile is erased and 1 items now show a former member" in private(done)

    before = len(h.fake.calls)
    replies = [
        await h.command(bob, "idea show", {"ref": "I-1"}),
        await h.command(bob, "idea list", {}),
        await h.command(bob, "hromada mydata", {}),
        await h.command(bob, "people find", {"query": "python"}),
        await h.command(boss, "pulse results", {"ref": "P-1"}),
        await h.command(boss, "hromada stats", {}),
        await h.command(bob, "coffee status", {}),
        await h.command(boss, "idea search", {"query": "quiet hours"}),
    ]
    shown = "\n".join(private(r) for r in replies)
    assert "a former member" in shown  # I-1 and bob's kudos now read like this
    assert "Quiet hours on Wednesday mornings" in shown and "Alice" not in shown
    for call in h.fake.calls[before:]:
        sent = json.dumps({"path": call.path, "body": call.body}, ensure_ascii=False)
        for needle in ("Alice", alice["id"]):
            assert needle not in sent, call
    assert "Nobody lists python" in private(replies[3])
    assert private(replies[4]) == results  # the pulse's numbers did not move
    assert tallies() == kept
    with h.hromada.db.uow() as session:
        assert session.execute(select(func.count()).select_from(Member).where(
            Member.display_name == "Alice")).scalar_one() == 0


async def test_a_ukrainian_server_hears_the_culture_features_in_ukrainian(
        discord_h: DiscordHarness) -> None:
    h = discord_h
    boss = h.user("boss", admin=True)
    alice, bob = h.user("alice"), h.user("bob")
    await h.command(boss, "hromada settings language", {"language": "uk"})
    await h.command(boss, "pulse ask new", {"question": "Чи чують вас у команді?"})
    card = h.last_card()
    assert "Відповідайте кнопками: підтвердження бачите лише ви" in embed_text(card)
    assert "P-1" in private(await h.click(alice, card, "4"))
    results = private(await h.command(bob, "pulse results", {"ref": "P-1"}))
    assert "P-1 ще відкрите" in results and "відповідей: менше ніж 5" in results
    await h.command(boss, "pulse close", {"ref": "P-1"})
    results = private(await h.command(bob, "pulse results", {"ref": "P-1"}))
    assert "ще замало відповідей" in results
    near = await h.command(alice, "kudos", {"member": bob, "value": "teamwok",
                                            "message": "дякую"})
    assert "Можливо, ви мали на увазі #teamwork?" in private(near)
    for member in (alice, bob):
        await h.command(member, "coffee join", {})
    await CoffeeRunner(h.hromada, h.deliveries).tick()
    for member, other in ((alice, bob), (bob, alice)):
        [dm] = h.dms(member)
        assert "Кава цього тижня" in dm and f"<@{other['id']}>" in dm
