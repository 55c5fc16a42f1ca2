"""Answers where questions are asked, piped into the real ``hromada chat``: a moderator
watches the channel, a newcomer's question gets a snippet, "This answered it" counts once,
"Not it" offers a colleague, an unrelated question gets nothing, and the week's gaps show to
moderators only once enough people asked."""

from __future__ import annotations

from pathlib import Path

from tests.scenarios.console import Step, check_in_order, run_program, tenant_name

STORY: list[Step] = [
    ("/hromada settings threshold 3", ["3"]),
    ("/kb add VPN for contractors | Contractors get VPN access from the IT portal",
     ["Saved as K-1"]),
    ("post How do contractors get VPN access?", ["(posted in #console)"]),
    ("/kb watch here", ["From now on, a question asked in this channel"]),
    ("as Ann", ["(you are now Ann)"]),
    ("/people me skills vpn, contractors", ["vpn, contractors"]),
    ("/kb watch off", ["! Only moderators"]),
    ("as Bohdan", ["(you are now Bohdan)"]),
    ("post How do contractors get VPN access?",
     ["(posted in #console)", "Saved knowledge that may answer this:", "K-1",
      "[1] This answered it", "[2] Not it"]),
    ("press 1", ["Glad it helped. K-1 will rank higher"]),
    ("post how do contractors get vpn?", ["Saved knowledge that may answer this:"]),
    ("press 2", ["Colleagues who list this", "Ann", "📚 on the reply that helps"]),
    ("post Where is the zebra meeting room?", ["(posted in #console)"]),
    ("post Deploy went fine.", ["(posted in #console)"]),
    ("/kb gaps", ["! Only moderators"]),
    ("as Olena", ["(you are now Olena)"]),
    ("post where is the zebra meeting room", ["(posted in #console)"]),
    ("/kb zebra meeting room", ["Nothing found for zebra meeting room"]),
    ("as Lead", ["(you are now Lead)"]),
    ("/kb gaps", ["No knowledge gaps to show"]),
    ("as Taras", ["(you are now Taras)"]),
    ("post Where's the Zebra meeting room?", ["(posted in #console)"]),
    ("as Lead", ["(you are now Lead)"]),
    ("/kb gaps", ["This week", "zebra meeting room ×3"]),
    ("/digest preview", ["Knowledge gaps (moderators only)", "zebra meeting room ×3"]),
    ("channel random", ["(#random)"]),
    ("post How do contractors get VPN access?", ["(posted in #random)"]),
    ("/kb watch", ["#console"]),
]


def test_answers_where_questions_are_asked_on_the_console(db_url: str, tmp_path: Path) -> None:
    script = "\n".join(line for line, _ in STORY) + "\n"
    out = run_program(["chat", "--as", "Lead", "--admin", "--tenant", tenant_name("watch")],
                      script, db_url=db_url, tmp_path=tmp_path)
    check_in_order(out, STORY)
    # nothing offered before the channel was watched, in #random, or to a statement
    assert out.count("Saved knowledge that may answer this:") == 2, out


def test_the_greeting_names_post(db_url: str, tmp_path: Path) -> None:
    out = run_program(["serve"], "post How do I get VPN access?\n", db_url=db_url,
                      tmp_path=tmp_path)
    assert "save <text> · post <text> · join <name> · clock +7d" in out
    assert "(posted in #console)" in out
