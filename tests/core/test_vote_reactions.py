"""Votes follow the reactions a member holds, told apart as the platforms tell them apart:
👍 and 👍🏽 (Slack ``+1::skin-tone-4``) and a Discord super-reaction are separate reactions, so
removing one while another stays keeps the vote; clearing an emoji takes exactly its votes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import items
from core.votes import family_keys, reaction_key
from storage.models import VoteReaction
from tests.bots.store_checks import count
from tests.core.support import CHANNEL, message_id, react, submit


def tally(hromada, item: int) -> tuple[int, int]:
    from storage import repos

    with hromada.db.uow() as session:
        return repos.tally(session, "console:test", item)


@pytest.mark.parametrize(
    ("name", "burst", "key"),
    [
        ("+1", False, "up"), ("thumbsup", False, "up"), ("👍", False, "up"),
        ("👍\ufe0f", False, "up"), ("+1::skin-tone-2", False, "up:tone-2"),
        ("👍🏻", False, "up:tone-2"), ("👍🏽", False, "up:tone-4"),
        (":thumbsup::skin-tone-6:", False, "up:tone-6"), ("👍🏿", False, "up:tone-6"),
        ("👍", True, "up:burst"), ("👍🏽", True, "up:tone-4:burst"),
        ("-1", False, "down"), ("👎🏼", False, "down:tone-3"),
        ("books", False, None), ("heart", False, None), ("🏽", False, None),
    ],
)
def test_reaction_keys(name, burst, key):
    assert reaction_key(name, burst=burst) == key


def test_family_is_the_emoji_normal_and_super():
    assert family_keys("👍") == ["up", "up:burst"]
    assert family_keys("👍🏽") == ["up:tone-4", "up:tone-4:burst"]
    assert family_keys("📚") == []


@pytest.mark.parametrize(("plain", "toned"), [("+1", "+1::skin-tone-2"), ("👍", "👍🏽")])
def test_removing_a_skin_tone_while_the_plain_one_stays_keeps_the_vote(hromada, actor, plain,
                                                                      toned):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    assert react(hromada, bob, item, plain) is True
    react(hromada, bob, item, toned)
    assert tally(hromada, item) == (1, 0)  # two reactions, one vote
    assert react(hromada, bob, item, toned, added=False) is False
    assert tally(hromada, item) == (1, 0)
    assert react(hromada, bob, item, plain, added=False) is True
    assert tally(hromada, item) == (0, 0)
    # and the other way round
    react(hromada, bob, item, toned)
    react(hromada, bob, item, plain)
    react(hromada, bob, item, plain, added=False)
    assert tally(hromada, item) == (1, 0)
    react(hromada, bob, item, toned, added=False)
    assert tally(hromada, item) == (0, 0)
    assert count(hromada, VoteReaction) == 0


def test_a_super_reaction_is_a_reaction_of_its_own(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    kw = {"channel_id": CHANNEL, "message_id": message_id(item), "emoji": "👍"}
    assert hromada.react(bob, added=True, **kw) is True
    assert hromada.react(bob, added=True, burst=True, **kw) is True  # held apart, same vote
    assert tally(hromada, item) == (1, 0)
    assert hromada.react(bob, added=False, burst=True, **kw) is False
    assert tally(hromada, item) == (1, 0)
    assert hromada.react(bob, added=False, **kw) is True
    assert tally(hromada, item) == (0, 0)


def test_up_and_down_both_held_the_latest_held_decides(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    react(hromada, bob, item, "+1")
    react(hromada, bob, item, "-1")
    assert tally(hromada, item) == (0, 1)
    assert react(hromada, bob, item, "-1", added=False) is True  # 👍 is still held
    assert tally(hromada, item) == (1, 0)
    react(hromada, bob, item, "-1")
    react(hromada, bob, item, "+1::skin-tone-5")
    react(hromada, bob, item, "+1::skin-tone-5", added=False)
    assert tally(hromada, item) == (0, 1)  # 👎 was added after 👍


def test_adding_a_held_reaction_again_changes_nothing(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    react(hromada, bob, item, "+1")
    react(hromada, bob, item, "-1")
    assert react(hromada, bob, item, "+1") is False  # still held: not a new, later reaction
    assert tally(hromada, item) == (0, 1)


def test_the_same_emoji_on_two_messages_of_one_item(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    hromada.attach_message("console:test", item, "digest-channel", "digest-msg")
    react(hromada, bob, item, "+1")
    hromada.react(bob, channel_id="digest-channel", message_id="digest-msg", emoji="+1",
                  added=True)
    assert tally(hromada, item) == (1, 0)
    hromada.react(bob, channel_id="digest-channel", message_id="digest-msg", emoji="+1",
                  added=False)
    assert tally(hromada, item) == (1, 0)  # the card still carries bob's 👍
    react(hromada, bob, item, "+1", added=False)
    assert tally(hromada, item) == (0, 0)


def test_a_vote_from_before_reactions_were_kept_is_still_removed(hromada, actor):
    """Votes stored before the reactions table have no reaction rows: removal works as before."""
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    react(hromada, bob, item, "+1")
    with hromada.db.uow() as session:
        session.query(VoteReaction).delete()
    assert react(hromada, bob, item, "-1", added=False) is False
    assert react(hromada, bob, item, "+1", added=False) is True
    assert tally(hromada, item) == (0, 0)


def test_clearing_an_emoji_takes_its_votes_and_only_those(hromada, actor):
    alice, bob, carol, dan, erin = (actor(n) for n in ("alice", "bob", "carol", "dan", "erin"))
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    msg = message_id(item)
    react(hromada, bob, item, "👍")
    hromada.react(carol, channel_id=CHANNEL, message_id=msg, emoji="👍", added=True, burst=True)
    react(hromada, dan, item, "👍")
    react(hromada, dan, item, "👍🏽")  # dan keeps a vote through his other skin tone
    react(hromada, erin, item, "👎")
    assert tally(hromada, item) == (3, 1)
    changed = hromada.clear_reactions("console:test", channel_id=CHANNEL, message_id=msg,
                                      emoji="👍", event_key="clear-1")
    assert changed == 2
    assert tally(hromada, item) == (1, 1)
    # a re-delivered clear after new reactions must not take them
    react(hromada, bob, item, "👍")
    assert hromada.clear_reactions("console:test", channel_id=CHANNEL, message_id=msg,
                                   emoji="👍", event_key="clear-1") == 0
    assert tally(hromada, item) == (2, 1)
    # not a vote emoji: nothing; then remove-all takes bob's 👍, dan's 👍🏽 and erin's 👎
    assert hromada.clear_reactions("console:test", channel_id=CHANNEL, message_id=msg,
                                   emoji="📚") == 0
    assert hromada.clear_reactions("console:test", channel_id=CHANNEL, message_id=msg) == 3
    assert tally(hromada, item) == (0, 0)
    assert count(hromada, VoteReaction) == 0


def test_clearing_keeps_votes_no_reaction_carries(hromada, actor):
    """A vote cast with a button ("vote for I-1 instead") is not a reaction: a clear keeps it."""
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    from core import votes

    with hromada.context(bob) as ctx:
        from storage import repos

        row = repos.item_by_id(ctx.session, ctx.tenant_id, item)
        assert row is not None
        votes.apply(ctx, row, 1, added=True, event_key=None)
    assert hromada.clear_reactions("console:test", channel_id=CHANNEL,
                                   message_id=message_id(item)) == 0
    assert tally(hromada, item) == (1, 0)
    # and a clear on a message that stands for no item changes nothing
    assert hromada.clear_reactions("console:test", channel_id=CHANNEL, message_id="nope") == 0


# -- against a model: reactions held per member, clears included ------------------------

PEOPLE = ["p0", "p1", "p2"]
# (emoji, burst) -> (which reaction, its vote), told apart as Discord tells them apart
KINDS = {("👍", False): ("up", 1), ("👍", True): ("up*", 1), ("👍🏽", False): ("up4", 1),
         ("👎", False): ("down", -1), ("👎", True): ("down*", -1)}
FAMILY = {"👍": {"up", "up*"}, "👍🏽": {"up4"}, "👎": {"down", "down*"}}
MESSAGES = ["card", "digest"]
STEP = st.one_of(
    st.tuples(st.just("react"), st.sampled_from(PEOPLE), st.sampled_from(sorted(KINDS)),
              st.sampled_from(MESSAGES), st.booleans()),
    st.tuples(st.just("clear"), st.sampled_from(["👍", "👍🏽", "👎", None]),
              st.sampled_from(MESSAGES)),
)
_runs = iter(range(10**6))


def test_reactions_and_clears_match_a_model(hromada, actor):
    people = {p: actor(p) for p in PEOPLE}
    author = actor("author")

    @settings(max_examples=120, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(steps=st.lists(STEP, max_size=25))
    def check(steps) -> None:
        run = next(_runs)
        with hromada.context(author) as ctx:  # no duplicate check: titles look alike
            item = items.create(ctx, "idea", f"Model idea {run}").id or 0
        channels = {m: (f"ch-{m}", f"{m}-{run}") for m in MESSAGES}
        for channel_id, msg in channels.values():
            hromada.attach_message("console:test", item, channel_id, msg)
        held: dict[str, list[tuple[str, str]]] = {p: [] for p in PEOPLE}
        for step in steps:
            if step[0] == "react":
                _, who, (emoji, burst), message, added = step
                channel_id, msg = channels[message]
                hromada.react(people[who], channel_id=channel_id, message_id=msg, emoji=emoji,
                              added=added, burst=burst)
                entry = (message, KINDS[(emoji, burst)][0])
                if added and entry not in held[who]:
                    held[who].append(entry)
                elif not added and entry in held[who]:
                    held[who].remove(entry)
            else:
                _, emoji, message = step
                channel_id, msg = channels[message]
                hromada.clear_reactions("console:test", channel_id=channel_id, message_id=msg,
                                        emoji=emoji)
                for who in PEOPLE:
                    held[who] = [(m, k) for m, k in held[who]
                                 if m != message or (emoji is not None
                                                     and k not in FAMILY[emoji])]
        value = {k: v for k, v in KINDS.values()}
        votes = [value[h[-1][1]] for h in held.values() if h]
        assert tally(hromada, item) == (sum(v > 0 for v in votes), sum(v < 0 for v in votes))

    check()
