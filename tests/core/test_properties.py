"""Property tests: random command lines never crash nor half-write; votes match a simple model."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core.app  # noqa: F401 - registers every command
from core import items
from core.commands import REGISTRY
from core.errors import HromadaError
from core.registry import P
from tests.core.support import CHANNEL, snapshot

EXAMPLES = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def group_words(group: str) -> list[str]:
    """Every word the grammar of a group knows: subcommands, literals and choices."""
    words: set[str] = set()
    for cmd in REGISTRY.groups[group].commands:
        words.update(cmd.words)
        for p in cmd.params:
            if p.kind is P.LITERAL:
                words.add(p.name)
            words.update(p.choices)
    return sorted(words)


COMMON = [
    "I-1", "i1", "1", "2", "12", "#3", "R-1", "r2", "K-1", "Q-1", "P-1", "I-0", "X-9",
    "0", "-1", "5", "6", "999999999", "1099511627776", "2.5", "1e3",
    "|", "||", "#onboarding", "#it", "#", "#bad!", "<@U1|alice>", "<@bob>", "@carol",
    "<!channel>", "@everyone", "<!here>", "into", "anon", "top", "new", "confirm",
    "Пропозиція", "відпустка", "ідея", "🙂", "👍🏽", "\t", "\u200b", "ß", "ǅ", "İ", "09:30",
    "Europe/Kyiv", "monday", "teamwork", "", "\x00", "<@" + "U" * 150 + ">",
    "<@U2|" + "n" * 300 + ">", "@" + "x" * 300, "#" + "t" * 80, "y" * 400,
]


def lines(group: str) -> st.SearchStrategy[str]:
    token = st.one_of(
        st.sampled_from(group_words(group) + COMMON),
        st.text(max_size=12),
        st.integers(min_value=-(2**63), max_value=2**63).map(str),
    )
    return st.lists(token, max_size=8).map(" ".join)


@pytest.fixture
def seeded(hromada, actor):
    """A tenant with a few items of each kind, so refs in random lines often hit something."""
    alice, mod = actor("alice"), actor("mod", admin=True)
    hromada.run(alice, "idea", "Dark mode for the wiki")
    hromada.run(alice, "idea", "anon Pay transparency bands")
    hromada.run(alice, "risk", "The build server may run out of disk")
    hromada.run(mod, "kb", "add VPN access | Ask IT #onboarding")
    hromada.run(mod, "idea", "Quarterly hackathon with prizes")
    return hromada


@pytest.mark.parametrize("group", sorted(REGISTRY.groups))
def test_random_lines_never_crash_nor_half_write(seeded, actor, db, group):
    who_choices = [actor("alice"), actor("bob"), actor("mod", admin=True),
                   actor("lena", roles=("Leads",))]

    @EXAMPLES
    @given(line=lines(group), who=st.sampled_from(who_choices))
    def check(line: str, who) -> None:
        before = snapshot(db)
        try:
            seeded.run(who, group, line)
        except HromadaError as exc:
            assert exc.message
            assert snapshot(db) == before, f"/{group} {line!r} raised and left writes"
            reply = seeded.error_reply(who.tenant_id, exc)
            assert reply.error and reply.plain()

    check()


def _but_gaps(snap: dict[str, object]) -> dict[str, object]:
    """A store snapshot without the knowledge-gap counts a search that found nothing adds."""
    return {k: v for k, v in snap.items() if not k.startswith("knowledge_gap")}


@pytest.mark.parametrize("group", ["idea", "kb"])
def test_random_search_text_never_crashes_nor_writes(seeded, actor, db, group):
    """Any text as a search query: an answer, or a clean refusal; a search never writes
    (but counting a knowledge gap when ``/kb`` found nothing: core.gaps)."""
    alice = actor("alice")

    @EXAMPLES
    @given(text=st.text(min_size=1, max_size=60))
    def check(text: str) -> None:
        before = snapshot(db)
        try:
            reply = seeded.run(alice, group, f"search {text}")
        except HromadaError:
            assert snapshot(db) == before
            return
        assert reply.plain()
        assert _but_gaps(snapshot(db)) == _but_gaps(before)

    check()


def test_random_button_presses_never_crash_nor_half_write(seeded, actor, db):
    """Button values come back from the platform: forged or stale ones are refused cleanly."""
    who_choices = [actor("alice"), actor("mod", admin=True)]
    value = st.one_of(
        st.text(max_size=12),
        st.sampled_from(["1", "2", "1:1", "1:2", "999:1", ":", "I-1:planned", "I-1:merged",
                         "R-1:closed", "I-9:done", "1:", ":1", "-1", "0"]),
    )

    @EXAMPLES
    @given(action=st.sampled_from(["dup.submit", "dup.drop", "dup.vote", "status", "nope", ""]),
           value=value, who=st.sampled_from(who_choices))
    def check(action: str, value: str, who) -> None:
        before = snapshot(db)
        try:
            seeded.press(who, action, value)
        except HromadaError:
            assert snapshot(db) == before

    check()


def test_random_reactions_and_saves_never_crash(seeded, actor):
    alice = actor("alice")
    seeded.attach_ref("console:test", "idea", 1, CHANNEL, "card-1")

    @EXAMPLES
    @given(emoji=st.one_of(st.text(max_size=6), st.sampled_from(["+1", "-1", "👍🏽", "books"])),
           message=st.sampled_from(["card-1", "nothing", ""]), added=st.booleans(),
           key=st.one_of(st.none(), st.text(alphabet="AEvx0129-._", min_size=1, max_size=20)),
           text=st.text(max_size=80))
    def check(emoji: str, message: str, added: bool, key: str | None, text: str) -> None:
        changed = seeded.react(alice, channel_id=CHANNEL, message_id=message, emoji=emoji,
                               added=added, event_key=key)
        assert isinstance(changed, bool)
        try:
            seeded.save_message(alice, text=text, link=None, source_author=None,
                                event_key=key and f"save-{key}", as_risk=added)
        except HromadaError:
            pass

    check()


# -- votes against a model ---------------------------------------------------------------

MEMBERS = ["m0", "m1", "m2", "m3"]
# Each emoji as the platforms tell reactions apart: (which reaction, its vote). 👍 and +1 are
# one reaction; a skin tone makes another one.
REACTIONS = {"+1": ("up", 1), "👍": ("up", 1), "+1::skin-tone-3": ("up-3", 1),
             "-1": ("down", -1), "👎🏿": ("down-6", -1)}
EMOJIS = st.sampled_from(sorted(REACTIONS))
OP = st.one_of(
    st.tuples(st.just("vote"), st.sampled_from(MEMBERS), EMOJIS,
              st.booleans()),  # (kind, member, emoji, added)
    st.tuples(st.just("redeliver"), st.integers(min_value=0, max_value=50)),
    st.tuples(st.just("noise"), st.sampled_from(MEMBERS), EMOJIS,
              st.booleans()),  # the same member on another item: must not matter here
    st.tuples(st.just("keyless"), st.sampled_from(MEMBERS), EMOJIS,
              st.booleans()),  # a platform event without an id
)
_counter = itertools.count()


def test_vote_sequences_match_a_simple_model(hromada, actor):
    mod = actor("mod", admin=True)
    people = {m: actor(m) for m in MEMBERS}

    def new_item() -> int:
        with hromada.context(mod) as ctx:
            item = items.create(ctx, "idea", f"Property idea {next(_counter)}")
            return item.id or 0

    @EXAMPLES
    @given(ops=st.lists(OP, max_size=30))
    def check(ops) -> None:
        run = next(_counter)
        target, other = new_item(), new_item()
        hromada.attach_message("console:test", target, CHANNEL, f"t{target}")
        hromada.attach_message("console:test", other, CHANNEL, f"t{other}")
        held: dict[str, list[str]] = {}  # per member, the reactions held, oldest first
        seen: set[str] = set()
        delivered: list[tuple[str, str, str, bool]] = []  # (key, member, emoji, added)

        def apply_model(key: str | None, member: str, emoji: str, added: bool) -> None:
            if key is not None:
                if key in seen:
                    return
                seen.add(key)
            # The vote lasts while any reaction is held; the one added last decides it.
            reaction = REACTIONS[emoji][0]
            mine = held.setdefault(member, [])
            if added and reaction not in mine:
                mine.append(reaction)
            elif not added and reaction in mine:
                mine.remove(reaction)

        def react(item: int, key: str | None, member: str, emoji: str, added: bool) -> None:
            hromada.react(people[member], channel_id=CHANNEL, message_id=f"t{item}",
                          emoji=emoji, added=added, event_key=key)

        for n, op in enumerate(ops):
            if op[0] == "redeliver":
                if not delivered:
                    continue
                key, member, emoji, added = delivered[op[1] % len(delivered)]
                react(target, key, member, emoji, added)
                apply_model(key, member, emoji, added)
            elif op[0] == "vote":
                _, member, emoji, added = op
                key = f"ev-{run}-{n}"
                delivered.append((key, member, emoji, added))
                react(target, key, member, emoji, added)
                apply_model(key, member, emoji, added)
            elif op[0] == "keyless":
                _, member, emoji, added = op
                react(target, None, member, emoji, added)
                apply_model(None, member, emoji, added)
            else:
                _, member, emoji, added = op
                react(other, f"noise-{run}-{n}", member, emoji, added)
        with hromada.db.uow() as session:
            from storage import repos

            up, down = repos.tally(session, "console:test", target)
        votes = [dict(REACTIONS.values())[mine[-1]] for mine in held.values() if mine]
        assert (up, down) == (sum(v > 0 for v in votes), sum(v < 0 for v in votes))

    check()
