"""The command line reads the way people write: a subcommand word applies only when the rest of
the line parses as that subcommand; otherwise the line is the command's default."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.app  # noqa: F401 - registers every command
from core.commands import REGISTRY
from core.errors import HromadaError, InvalidInput
from core.i18n import gettext_for
from core.refs import looks_like_ref
from core.registry import WORD_CONTEXT
from tests.core.support import snapshot

DEFAULTED = sorted(g.name for g in REGISTRY.groups.values()
                   if g.default and any(c.words for c in g.commands))


def subcommand_words(group: str) -> list[str]:
    """The words that name a subcommand other than the default (``/idea submit x`` is x),
    in English and in Ukrainian."""
    g = REGISTRY.groups[group]
    english = {" ".join(c.words[:n]) for c in g.commands if c.name != g.default
               for n in range(1, len(c.words) + 1)}
    uk = gettext_for("uk")
    ukrainian = {" ".join(uk.pgettext(WORD_CONTEXT, w) for w in phrase.split())
                 for phrase in english}
    return sorted(english | ukrainian)


def default_of(group: str) -> tuple[str, ...]:
    g = REGISTRY.groups[group]
    return (group, *(g.default or "").split())


# Words people write, in both languages; none of them is a reference or a mention.
WORD = st.one_of(
    st.sampled_from(["updates", "should", "be", "weekly", "of", "things", "we", "need", "me",
                     "the", "vpn", "responsibilities", "unclear", "top", "new", "done", "into",
                     "анонімно", "статус", "список", "оновлення", "щотижня", "речей", "&",
                     "Q&A", "—", "…", "planned", "ідея", "top-10", "2-factor", "#it"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzабвгґдеєжзиіїйклмнопрстуфхцчшщьюя'-",
            min_size=1, max_size=10),
).filter(lambda w: not looks_like_ref(w) and not w.startswith("@"))


@pytest.mark.parametrize("group", DEFAULTED)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_sentence_that_starts_with_a_subcommand_word_is_never_an_error(group, data):
    """Either the subcommand parses the rest, or the whole line is the default; no error."""
    word = data.draw(st.sampled_from(subcommand_words(group)), label="word")
    rest = data.draw(st.lists(WORD, min_size=1, max_size=6).map(" ".join), label="rest")
    casing = data.draw(st.sampled_from([str, str.capitalize, str.upper]), label="casing")
    line = f"{casing(word)} {rest}"
    cmd, args = REGISTRY.parse(group, line)
    if cmd.path == default_of(group):
        assert list(args.values()) == [line], (line, args)
    else:
        n = len(cmd.words)
        assert cmd.parse(line.split(None, n)[n] if len(line.split()) > n else "") == args


@pytest.mark.parametrize("group", DEFAULTED)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_a_subcommand_followed_by_a_reference_is_never_taken_as_the_default(group, data):
    """``/idea status I-3 finished`` is a mistyped status change, not an idea."""
    cmd = data.draw(st.sampled_from([c for c in REGISTRY.groups[group].commands
                                     if c.params and c.params[0].ref_kind]), label="cmd")
    ref = data.draw(st.sampled_from(["I-3", "3", "r12", "K-7", "#4", "X-1", "q2"]), label="ref")
    rest = data.draw(st.lists(WORD, max_size=4).map(" ".join), label="rest")
    line = " ".join(filter(None, [cmd.name, ref, rest]))
    try:
        found, _ = REGISTRY.parse(group, line)
    except InvalidInput as exc:
        assert exc.usage and exc.usage.startswith(f"/{group} {cmd.name}"), (line, exc.usage)
        return
    assert found.path != default_of(group), line


CASES = [
    ("idea", "status I-1 done", ("idea", "status")),
    ("idea", "status updates should be weekly", ("idea", "submit")),
    ("idea", "Status updates should be weekly", ("idea", "submit")),
    ("idea", "list top", ("idea", "list")),
    ("idea", "list of things we need", ("idea", "submit")),
    ("idea", "merge the two standups into one", ("idea", "submit")),
    ("idea", "withdraw from the conference sponsorship", ("idea", "submit")),
    ("idea", "anon feedback forms for managers", ("idea", "anon")),
    ("idea", "статус оновлень щотижня", ("idea", "submit")),
    ("kb", "show K-1", ("kb", "show")),
    ("kb", "show me the vpn", ("kb", "search")),
    ("kb", "tag rules for the wiki", ("kb", "search")),
    ("kb", "add a printer on the 3rd floor", ("kb", "search")),
    ("risk", "owner R-1 @ann", ("risk", "owner")),
    ("risk", "owner responsibilities unclear", ("risk", "add")),
    ("risk", "rate limits on the payments API", ("risk", "add")),
    ("risk", "status page is down half the time", ("risk", "add")),
    ("ask", "answer rates on the survey: why so low?", ("ask", "question")),
    ("ask", "list the salary bands?", ("ask", "question")),
    ("ask", "show Q-1", ("ask", "show")),
    # Ukrainian command words (the names Discord shows) read the same way.
    ("idea", "статус I-1 зроблено", ("idea", "status")),
    ("idea", "статус оновлень щотижня", ("idea", "submit")),
    ("idea", "список найпопулярніші", ("idea", "list")),
    ("idea", "список речей для офісу", ("idea", "submit")),
    ("kb", "показати K-1", ("kb", "show")),
    ("kb", "показати мені vpn", ("kb", "search")),
    ("risk", "власник R-1 @ann", ("risk", "owner")),
    ("risk", "власник процесу не визначений", ("risk", "add")),
    ("risk", "статус R-1 закрито", ("risk", "status")),
    ("ask", "відповісти Q-1 Так, навесні.", ("ask", "answer")),
]


@pytest.mark.parametrize(("group", "line", "path"), CASES, ids=[c[1] for c in CASES])
def test_plain_sentences_through_the_core(hromada, actor, group, line, path):
    alice, mod = actor("alice"), actor("mod", admin=True)
    hromada.run(alice, "idea", "Dark mode for the wiki")
    hromada.run(alice, "risk", "The build server may run out of disk")
    hromada.run(alice, "kb", "add VPN access | Ask IT for a token")
    hromada.run(alice, "ask", "When is the next all-hands?")
    hromada.run(actor("ann"), "idea", "list")
    assert REGISTRY.parse(group, line)[0].path == path
    reply = hromada.run(mod, group, line)
    if path[1] in ("submit", "add", "question"):
        assert line in reply.plain()  # stored as written


@pytest.mark.parametrize(("group", "line"), [
    ("idea", "anon"), ("idea", "status"), ("idea", "status I-1 finished"), ("kb", "tag"),
    ("idea", "merge 1 onto 2"), ("risk", "rate R-1 9 9"), ("kb", "add Title |"),
    ("risk", "owner R-1"), ("pulse", "answer P-1 7"), ("coffee", "pair now"),
    ("idea", "анонімно"), ("idea", "статус I-1 готово"), ("risk", "оцінити R-1 9 9"),
])
def test_lines_plainly_meant_as_a_subcommand_get_its_usage_and_write_nothing(
        hromada, actor, db, group, line):
    mod = actor("mod", admin=True)
    hromada.run(mod, "idea", "Dark mode for the wiki")
    before = snapshot(db)
    with pytest.raises(HromadaError) as exc:
        hromada.run(mod, group, line)
    assert isinstance(exc.value, InvalidInput) and exc.value.usage, line
    assert snapshot(db) == before


def test_a_mention_in_free_text_reads_as_the_name_it_shows():
    """Stored as people read it; a member parameter still gets the id."""
    assert REGISTRY.parse("idea", "Pair <@U0ANN|ann> with <@U0BOB> on it")[1] == {
        "text": "Pair @ann with <@U0BOB> on it"}
    _, args = REGISTRY.parse("risk", "owner R-1 <@U0ANN|ann>")
    assert (args["member"].user_id, args["member"].name) == ("U0ANN", "ann")
