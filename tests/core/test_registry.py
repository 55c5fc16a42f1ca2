"""The one command registry: declaration checks, text parsing, typed options, usage, help."""

from __future__ import annotations

import pytest

import core.app  # noqa: F401 - registers every command
from core.commands import REGISTRY
from core.errors import InvalidInput
from core.registry import MAX_TEXT, MemberArg, P, Param, Registry, parse_member
from core.replies import Reply


def echo(ctx, **kw):  # pragma: no cover - never called, the parser is under test
    return Reply(text=None)


@pytest.fixture
def reg() -> Registry:
    """Group ``t`` has a default (``say``); group ``s`` the same commands and no default."""
    r = Registry()
    for g, default in (("t", "say"), ("s", None)):
        r.group(g, "test group", default=default)
        r.command(f"{g} say", Param("text", P.TEXT), help="say")(echo)
        r.command(f"{g} me skills", Param("skills", P.TEXT), help="skills")(echo)
        r.command(f"{g} me", help="me")(echo)
        r.command(f"{g} move", Param("ref", P.REF, ref_kind="idea"), Param("into", P.LITERAL),
                  Param("target", P.REF, ref_kind="idea"), help="move")(echo)
        r.command(f"{g} rate", Param("n", P.INT, minimum=1, maximum=5),
                  Param("how", P.CHOICE, choices=("up", "down"), required=False),
                  help="rate")(echo)
        r.command(f"{g} add", Param("title", P.TEXT, until="|"), Param("body", P.TEXT),
                  Param("tags", P.TAGS, required=False), help="add")(echo)
        r.command(f"{g} give", Param("who", P.MEMBER), Param("why", P.TEXT, required=False),
                  help="give")(echo)
    return r


def test_declarations_are_checked():
    r = Registry()
    r.group("g", "help")
    with pytest.raises(ValueError):
        r.group("g", "again")
    with pytest.raises(ValueError):
        r.group("Bad Name", "help")
    with pytest.raises(ValueError):
        Param("Bad Name", P.TEXT)
    with pytest.raises(ValueError):
        Param("pick", P.CHOICE)
    with pytest.raises(ValueError):
        r.command("g Sub", help="x")
    with pytest.raises(ValueError):
        r.command("g sub", Param("a", P.WORD), Param("a", P.WORD), help="x")
    r.command("g sub", help="x")(echo)
    with pytest.raises(ValueError):
        r.command("g sub", help="x")(echo)
    with pytest.raises(KeyError):
        r.command("nogroup sub", help="x")


def test_default_subcommand_and_longest_match(reg):
    cmd, args = reg.parse("t", "hello there")
    assert cmd.name == "say" and args == {"text": "hello there"}
    cmd, args = reg.parse("/t", "ME Skills python, go")
    assert cmd.name == "me skills" and args == {"skills": "python, go"}
    cmd, args = reg.parse("t", "me")
    assert cmd.name == "me" and args == {}
    # the first word names a subcommand only when it is one
    cmd, args = reg.parse("t", "meet the team")
    assert cmd.name == "say"


def test_missing_and_unexpected_text_give_the_usage(reg):
    with pytest.raises(InvalidInput) as exc:
        reg.parse("t", "")
    assert exc.value.usage and "/t <text>" in exc.value.usage
    with pytest.raises(InvalidInput) as exc:
        reg.parse("s", "me extra words")
    assert exc.value.usage == "/s me"
    assert exc.value.message == "Unexpected text: {text}"
    with pytest.raises(InvalidInput) as exc:
        reg.parse("nope", "x")
    assert exc.value.params["name"] == "nope"


def test_literal_words_and_refs(reg):
    _, args = reg.parse("t", "move I-3 INTO i4")
    assert args == {"ref": 3, "target": 4}
    with pytest.raises(InvalidInput) as exc:
        reg.parse("t", "move 3 onto 4")
    assert exc.value.usage == "/t move <ref> into <target>"
    for bad in ("move R-3 into 4", "move 0 into 4", "move x into 4", "move 1234567890 into 4"):
        with pytest.raises(InvalidInput):
            reg.parse("s", bad)


def test_int_and_choice_bounds(reg):
    assert reg.parse("t", "rate 5 UP")[1] == {"n": 5, "how": "up"}
    assert reg.parse("t", "rate 1")[1] == {"n": 1, "how": None}
    for bad in ("rate 0", "rate 6", "rate 2.5", "rate two", "rate 3 sideways"):
        with pytest.raises(InvalidInput) as exc:
            reg.parse("s", bad)
        assert exc.value.usage == "/s rate <n> [up|down]"


def test_separator_and_trailing_tags(reg):
    _, args = reg.parse("t", "add VPN access | ask #it-help first #Onboarding #it")
    assert args == {"title": "VPN access", "body": "ask #it-help first",
                    "tags": ["onboarding", "it"]}
    _, args = reg.parse("t", "add A | b #x #x")
    assert args["tags"] == ["x"]
    _, args = reg.parse("t", "add A | b")
    assert args["tags"] == []
    with pytest.raises(InvalidInput) as exc:
        reg.parse("s", "add no separator here")
    assert exc.value.params["sep"] == "|"


@pytest.mark.parametrize(("line", "path"), [
    ("move on to the next thing", ("t", "say")),       # not a ref: a sentence
    ("move 1234567890 into 4", ("t", "say")),          # too long to be a ref
    ("rate my manager", ("t", "say")),
    ("rate 6 sideways", ("t", "say")),                  # ints out of range: a sentence
    ("add no separator here", ("t", "say")),
    ("me and my team", ("t", "say")),
    ("Me skills matter more than titles", ("t", "me", "skills")),  # any text is skills
    ("give cookies to everyone", ("t", "give")),        # a bare word is a member name
    ("rate 5 up", ("t", "rate")),
    ("move I-3 into 4", ("t", "move")),
])
def test_a_subcommand_word_applies_only_when_the_line_parses_as_it(reg, line, path):
    cmd, args = reg.parse("t", line)
    assert cmd.path == path, line
    if path == ("t", "say"):
        assert args == {"text": line}  # the whole line, as written


@pytest.mark.parametrize(("line", "message"), [
    ("move", "Missing {name}."),                        # the word alone: its usage
    ("move 3 onto 4", "Expected the word {word}."),       # begins with a ref: meant as move
    ("move X-3 into 4", "{raw} is not a reference like {example}."),
    ("add Title |", "Missing {name}."),                # holds the separator: meant as add
    ("me skills", "Missing {name}."),
])
def test_a_line_plainly_meant_as_the_subcommand_gets_its_usage(reg, line, message):
    with pytest.raises(InvalidInput) as exc:
        reg.parse("t", line)
    assert exc.value.message == message
    assert exc.value.usage and exc.value.usage.startswith("/t " + line.split()[0])


def test_nul_characters_are_dropped(reg):
    """PostgreSQL text cannot hold NUL; it never reaches the store."""
    assert reg.parse("t", "hel\x00lo")[1] == {"text": "hello"}
    with pytest.raises(InvalidInput):
        reg.parse("s", "say \x00")
    cmd = reg.find(("t", "give"))
    assert cmd.bind({"who": "<@U1|A\x00B>", "why": "\x00x"}) == {"who": MemberArg("U1", "AB"),
                                                                "why": "x"}


def test_long_member_tokens_reach_the_store_never(hromada, actor, db):
    from tests.core.support import snapshot

    mod = actor("mod", admin=True)
    hromada.run(mod, "risk", "The build server may run out of disk")
    before = snapshot(db)
    for line in ("owner 1 <@" + "A" * 150 + ">", "owner 1 <@U1|" + "n" * 300 + ">"):
        with pytest.raises(InvalidInput):
            hromada.run(mod, "risk", line)
    assert snapshot(db) == before
    from core.context import Actor

    # a platform may send a display name longer than the column: it is cut, not refused
    long_name = Actor("console:test", "u-long", "N" * 500, is_admin=True)
    reply = hromada.run(long_name, "risk", "owner 1 @" + "N" * 200)
    assert "N" * 200 in reply.plain()


def test_text_length_is_bounded(reg):
    assert reg.parse("t", "x" * MAX_TEXT)[1]["text"] == "x" * MAX_TEXT
    with pytest.raises(InvalidInput):
        reg.parse("t", "x" * (MAX_TEXT + 1))


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("<@U123|alice>", MemberArg("U123", "alice")),
        ("<@U123>", MemberArg("U123", None)),
        ("<@81234>", MemberArg("81234", None)),
        ("<@!81234>", MemberArg("81234", None)),
        ("@olena.k", MemberArg(None, "olena.k")),
        ("taras", MemberArg(None, "taras")),
    ],
)
def test_member_tokens(token, expected):
    assert parse_member(token) == expected


def test_bad_member_tokens():
    for bad in ("<#C123>", "two words", "<@>", "@", "<@" + "U" * 101 + ">",
                "<@U1|" + "n" * 201 + ">", "@" + "x" * 201, "<@" + "1" * 101 + ">"):
        with pytest.raises(InvalidInput):
            parse_member(bad)


def test_bind_typed_options_has_the_same_checks(reg):
    cmd = reg.find(("t", "rate"))
    assert cmd.bind({"n": 3}) == {"n": 3, "how": None}
    assert cmd.bind({"n": "4", "how": "Down"}) == {"n": 4, "how": "down"}
    for bad in ({"n": 9}, {}, {"n": 1, "other": 2}, {"n": 1, "how": "left"}):
        with pytest.raises(InvalidInput):
            cmd.bind(bad)
    move = reg.find(("t", "move"))
    assert [p.name for p in move.options] == ["ref", "target"]
    assert move.bind({"ref": "I-2", "target": 5}) == {"ref": 2, "target": 5}
    give = reg.find(("t", "give"))
    assert give.bind({"who": MemberArg("U1", "A")})["who"] == MemberArg("U1", "A")
    add = reg.find(("t", "add"))
    assert add.bind({"title": "A", "body": "b", "tags": ["#X", "y"]})["tags"] == ["x", "y"]


def test_the_real_registry_is_consistent():
    seen = set()
    for cmd in REGISTRY.commands:
        assert cmd.path not in seen
        seen.add(cmd.path)
        assert cmd.help, cmd.path
        assert cmd.usage().startswith(f"/{cmd.group}")
        required_after_optional = False
        optional_seen = False
        for p in cmd.params:
            if not p.required and p.kind is not P.TAGS:
                optional_seen = True
            elif optional_seen and p.kind is not P.TAGS:
                required_after_optional = True
        assert not required_after_optional, cmd.path
    for group in REGISTRY.groups.values():
        assert group.help
        if group.default is not None:
            assert any(c.name == group.default for c in group.commands), group.name


def test_product_grammar_parses():
    cases = {
        ("idea", "Dark mode please"): ("idea", "submit"),
        ("idea", "anon Pay bands"): ("idea", "anon"),
        ("idea", "list top"): ("idea", "list"),
        ("idea", "list in-progress 2"): ("idea", "list"),
        ("idea", "status I-12 in-progress shipping soon"): ("idea", "status"),
        ("idea", "merge 3 into I-4"): ("idea", "merge"),
        ("risk", "Servers in one region"): ("risk", "add"),
        ("risk", "rate R-3 4 5"): ("risk", "rate"),
        ("risk", "owner r3 <@U1|sam>"): ("risk", "owner"),
        ("risk", "status 3 mitigating on it"): ("risk", "status"),
        ("kb", "vpn access"): ("kb", "search"),
        ("kb", "add VPN | ask IT #onboarding"): ("kb", "add"),
        ("kb", "alias K-7 vpn"): ("kb", "alias"),
        ("kb", "tag 7 #onboarding #it"): ("kb", "tag"),
        ("hromada", "settings threshold 7"): ("hromada", "settings", "threshold"),
        ("hromada", "settings moderators add <@U9>"): ("hromada", "settings", "moderators"),
        ("hromada", "help idea"): ("hromada", "help"),
    }
    for (group, text), path in cases.items():
        cmd, _ = REGISTRY.parse(group, text)
        assert cmd.path == path, (group, text)


def test_invoke_with_typed_options(hromada, actor):
    alice = actor("alice")
    reply = hromada.invoke(alice, ("idea", "submit"), {"text": "Dark mode for the wiki"})
    assert "I-1" in reply.plain()
    assert "Dark mode" in hromada.invoke(alice, ("idea", "show"), {"ref": "i1"}).plain()
    with pytest.raises(InvalidInput) as exc:
        hromada.invoke(alice, ("idea", "show"), {"ref": "R-1"})
    assert exc.value.usage == "/idea show <ref>"
    with pytest.raises(InvalidInput):
        hromada.invoke(alice, ("idea", "fly"), {})
    with pytest.raises(InvalidInput):
        hromada.invoke(alice, ("idea", "show"), {"ref": "1", "extra": "x"})


def test_help_lists_every_command_and_marks_moderator_ones(hromada, actor):
    reply = hromada.run(actor("alice"), "hromada", "help")
    text = reply.plain()
    for cmd in REGISTRY.commands:
        group = REGISTRY.groups[cmd.group]
        assert cmd.usage(default=cmd.name == group.default) in text
    status_line = next(ln.text.plain() for ln in reply.lines if "/idea status" in ln.text.plain())
    assert "🔒" in status_line
    idea_only = hromada.run(actor("alice"), "hromada", "help /idea").plain()
    assert "/idea merge" in idea_only and "/risk matrix" not in idea_only
    with pytest.raises(InvalidInput):
        hromada.run(actor("alice"), "hromada", "help nothing")


def test_unknown_subcommand_of_a_group_without_default(hromada, actor):
    with pytest.raises(InvalidInput) as exc:
        hromada.run(actor("alice"), "hromada", "fly away")
    assert exc.value.usage and "/hromada help [topic]" in exc.value.usage


@pytest.mark.parametrize(
    ("group", "line"),
    [
        ("idea", "show 1 <!channel>"),
        ("idea", "show 1 @everyone"),
        ("risk", "owner 1 @here-and-now"),
        ("hromada", "help <!here>"),
        ("risk", "rate 1 2 3 <@U123> @everyone"),
        ("kb", "alias 1 <!channel>"),
    ],
)
def test_error_replies_keep_user_text_inert(hromada, actor, group, line):
    """What a member typed comes back in an error as UserText, never as bot wording."""
    from core.errors import HromadaError
    from core.text import UserText

    mod = actor("mod", admin=True)
    hromada.run(mod, "risk", "The build server may run out of disk")
    hromada.run(mod, "kb", "add VPN | Ask IT")
    hromada.run(mod, "kb", "alias 1 <!channel>") if group == "kb" else None
    with pytest.raises(HromadaError) as exc:
        hromada.run(mod, group, line)
    reply = hromada.error_reply("console:test", exc.value)
    marks = ("<!channel>", "@everyone", "<@U123>", "<!here>", "@here")
    bare = [p for p in reply.text.parts if isinstance(p, str)]
    assert not any(m in p for p in bare for m in marks), reply.text
    assert any(isinstance(p, UserText) for p in reply.text.parts), reply.text
