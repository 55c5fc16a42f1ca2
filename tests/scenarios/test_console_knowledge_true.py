"""Knowledge that stays true, piped into the real ``hromada chat``: a saved message edited and
deleted, the clock moved past verify-days, the weekly reminder (once), /kb stale, /kb verify."""

from __future__ import annotations

from pathlib import Path

from tests.scenarios.console import Step, check_in_order, run_program, tenant_name

STORY: list[Step] = [
    ("as Olena", ["(you are now Olena)"]),
    ("save Deploys freeze on Fridays after 15:00", ["K-1", "(message m1)"]),
    ("edit m1 Deploys freeze on Fridays after 13:00", ["(edited m1; snippets that followed: 1)"]),
    ("edit m9 nothing here", ["(edited m9; snippets that followed: 0)"]),
    ("edit m1", ["! Say which message and its new words", "Usage: edit <message> <text>"]),
    ("/kb show K-1", ["after 13:00", "/kb history K-1"]),
    ("/kb history K-1", ["Earlier versions of K-1", "after 15:00"]),
    ("delete m1", ["(deleted m1; snippets that say so: 1)"]),
    ("/kb show K-1", ["The message this was saved from was deleted on"]),
    ("/kb stale", ["Every snippet is within its verify-by date."]),
    ("as Lead --admin", ["(you are now Lead)"]),
    ("/hromada settings verify-days 30", ["30 days after they were last verified"]),
    ("clock +31d", ["(clock is now", "→ DM to Olena: Your snippets that need a look",
                    "K-1 “Deploys freeze on Fridays after 13:00”"]),
    ("clock +1h", ["(clock is now"]),
    ("/kb stale", ["Snippets that need a look (1):", "K-1", "Olena"]),
    ("/kb search deploys", ["stale"]),
    ("as Bohdan", ["(you are now Bohdan)"]),
    ("/kb onboarding", ["onboarding"]),
    ("/kb verify K-1", ["! Only the owner of K-1 or a moderator"]),
    ("as Olena", ["(you are now Olena)"]),
    ("/kb owner K-1 @Bohdan", ["Bohdan now owns K-1"]),
    ("as Bohdan", ["(you are now Bohdan)"]),
    ("/kb verify K-1", ["K-1 is verified; next look by"]),
    ("/kb stale", ["Every snippet is within its verify-by date."]),
]


def test_knowledge_stays_true_on_the_console(db_url: str, tmp_path: Path) -> None:
    script = "\n".join(line for line, _ in STORY) + "\n"
    out = run_program(["chat", "--as", "Lead", "--admin", "--tenant", tenant_name("true")],
                      script, db_url=db_url, tmp_path=tmp_path)
    check_in_order(out, STORY)
    assert out.count("Your snippets that need a look") == 1, out  # once that week
