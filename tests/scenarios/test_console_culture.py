"""A team's culture story piped into the real ``hromada chat``: pulses, leadership Q&A, kudos,
people, coffee pairing, participation stats, mydata and forget-me, in English and Ukrainian.

The whole output is checked in order; then the export is read to make sure no pulse answer and
no erased member can be found in it. Runs on SQLite and, with HROMADA_TEST_DATABASE_URL, on
PostgreSQL (a fresh tenant per run keeps stories apart).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.scenarios.console import (
    Step,
    check_in_order,
    dm_recipients,
    run_program,
    tenant_name,
)

PEOPLE = ("Oksana", "Bohdan", "Yurii", "Dmytro")

ENGLISH: list[Step] = [
    ("/hromada settings threshold 2", ["! The threshold cannot be below 3"]),
    ("/hromada settings threshold 3", ["Groups smaller than 3 are never shown."]),
    ("as Oksana", ["(you are now Oksana)"]),
    ("/people me department Engineering", ["Your department is now Engineering."]),
    ("/people me location Kyiv", ["Your location is now Kyiv."]),
    ("/people me skills Python, PostgreSQL", ["Your skills: Python, PostgreSQL."]),
    ("/coffee join", ["☕ You are in"]),
    ("as Bohdan", ["(you are now Bohdan)"]),
    ("/people me department Sales", ["Your department is now Sales."]),
    ("/people me skills negotiation, python scripting", ["Your skills: negotiation, python "
                                                         "scripting."]),
    ("/coffee join", ["☕ You are in"]),
    ("as Yurii", ["(you are now Yurii)"]),
    ("/people me department Engineering", ["Your department is now Engineering."]),
    ("/coffee join", ["☕ You are in"]),
    ("as Dmytro", ["(you are now Dmytro)"]),
    ("/people me department Support", ["Your department is now Support."]),
    ("/coffee join", ["☕ You are in"]),
    ("/pulse ask Do you feel heard?", ["! Only moderators can do that"]),
    ("as Lead --admin", ["(you are now Lead)"]),
    ("/pulse ask template enps", [
        "[#general] 📊 P-1 · How likely are you to recommend us as a place to work?",
        "only you see the confirmation", "Reactions on this message are public and do not "
        "count as answers", "[1] 1", "[5] 5", "(press <n>)"]),
    ("as Oksana", ["(you are now Oksana)"]),
    ("press 4", ["Thanks, your answer to P-1 is 4."]),
    ("/pulse answer P-1 5", ["Your answer to P-1 is now 5 (was 4)."]),
    ("as Bohdan", ["(you are now Bohdan)"]),
    ("/pulse answer P-1 2", ["Thanks, your answer to P-1 is 2."]),
    ("/pulse answer P-1 9", ["! value must be from 1 to 5.", "Usage: /pulse answer"]),
    ("as Yurii", ["(you are now Yurii)"]),
    ("react four P-1", ["(reacted four on P-1: no change)"]),  # public: answers nothing
    ("/pulse list", ["• P-1 How likely", "(fewer than 3 answers · open)"]),
    ("/pulse answer P-1 4", ["Thanks, your answer to P-1 is 4."]),
    ("as Dmytro", ["(you are now Dmytro)"]),
    ("/pulse answer 1 3", ["Thanks, your answer to P-1 is 3."]),
    ("/pulse results P-1", ["📊 P-1", "P-1 is still open", "So far: at least 3 answers.",
                            "Your answer: 3", "in steps of 3"]),
    ("/ask Why do we run two ticket systems?", [
        "[#general] ❓ Q-1 · Why do we run two ticket systems?", "From: Dmytro"]),
    ("as Bohdan", ["(you are now Bohdan)"]),
    ("react +1 Q-1", ["(reacted +1 on Q-1)"]),
    ("/ask anon Is the office moving next year?", ["❓ Q-2 · Is the office moving next year?",
                                                   "From: anonymous"]),
    ("/ask list", ["Open questions, most voted first:",
                   "• Q-1 Why do we run two ticket systems? (+1 · open)",
                   "• Q-2 Is the office moving next year? (+0 · open)"]),
    ("/ask answer Q-1 Merging them", ["! Only moderators can do that"]),
    ("/kudos @Oksana #teamwok thanks", ["! There is no value #teamwok. Did you mean #teamwork?"]),
    ("/kudos @Oksana #teamwork fixed the invoices with me <!channel>", [
        "[#general] 🎉 Kudos to @Oksana for #teamwork from Bohdan: fixed the invoices with me "
        "<!channel>"]),
    ("/kudos @Bohdan #care me", ["! Kudos are for someone else"]),
    ("/people find pyton", ["People for pyton:", "• Oksana — Engineering · Kyiv",
                            "(matches Python)", "• Bohdan — Sales", "(matches python scripting)"]),
    ("as Lead --admin", ["(you are now Lead)"]),
    ("/pulse close P-1", ["P-1 is closed."]),
    ("/pulse results P-1", ["📊 P-1", "Overall: 4 answers, average 3.5",
                            "• Engineering: not enough answers yet",
                            "• Sales: not enough answers yet",
                            "• Support: not enough answers yet",
                            "Groups with fewer than 3 answers are not shown."]),
    ("/pulse list", ["• P-1 How likely", "(4 answers · closed)"]),
    ("/ask answer Q-1 We merge them into one in May.", [
        "[#general] Q-1 “Why do we run two ticket systems?” is answered: We merge them into one "
        "in May.", "People told: 2."]),
    ("/coffee pair", ["☕ Coffee round", "2 introductions sent.", "☕ Coffee this week:"]),
    ("/coffee pair", ["This week's coffee round", "already ran."]),
    ("clock +7d", ["(clock is now"]),
    ("/coffee pair", ["2 introductions sent."]),
    ("/hromada stats", ["Participation, week of", "Overall: contributors <3 (last week 3)",
                        "• Sales: not enough people yet", "Groups and numbers under 3 are hidden"]),
    ("as Oksana", ["(you are now Oksana)"]),
    ("/coffee status", ["You take part in coffee pairing.", "Taking part: 4", "Last match:"]),
    ("/hromada mydata", ["Everything Hromada holds about you (only you see this):",
                         "Name: Oksana", "Department: Engineering", "Location: Kyiv",
                         "Skills: Python, PostgreSQL", "Coffee pairing: taking part",
                         # P-1 is closed: its answers are sealed, none leads to her any more.
                         "Your pulse answers (stored without your name): 0",
                         "Kudos given and received: 1",
                         "Bohdan → you #teamwork", "Coffee matches: 2"]),
    ("/hromada forget-me", ["This erases your name", "/hromada forget-me confirm",
                            "[1] Erase my data"]),
    ("press 1", ["Done: your profile is erased"]),
    ("as Bohdan", ["(you are now Bohdan)"]),
    ("/pulse results P-1", ["Overall: 4 answers, average 3.5",
                            "• Engineering: not enough answers yet"]),
    ("/people find pyton", ["People for pyton:", "• Bohdan — Sales"]),
    ("/ask list answered", ["• Q-1 Why do we run two ticket systems? (+1 · answered)"]),
]


def test_english_culture_story(db_url: str, tmp_path: Path) -> None:
    tenant = tenant_name("culture")
    script = "\n".join(cmd for cmd, _ in ENGLISH) + "\n"
    out = run_program(["chat", "--as", "Lead", "--admin", "--tenant", tenant], script,
                      db_url=db_url, tmp_path=tmp_path)
    check_in_order(out, ENGLISH)
    # Q-1's answer reached its asker and its upvoter, one message each, nobody else.
    assert dm_recipients(out, "is answered: We merge them") == [{"Dmytro", "Bohdan"}]
    # Coffee introductions: four people, two pairs per round, never the same pair twice.
    intros = [frozenset(r) for r in dm_recipients(out, "Coffee this week")]
    assert len(intros) == 4 and len(set(intros)) == 4
    assert all(len(r) == 2 for r in intros)
    # After forget-me, nothing names Oksana: not the replies, not the export.
    after = out[out.index("Done: your profile is erased"):]
    assert "Oksana" not in after
    exported = run_program(["export", "--tenant", tenant, "--format", "json"], "",
                           db_url=db_url, tmp_path=tmp_path)
    data = json.loads(exported)
    refs = {row["ref"]: row for row in data["items"]}
    assert "Oksana" not in exported and "oksana" not in exported
    # The pulse is exported as an item asked by the moderator; no answer, no answerer in it.
    assert refs["P-1"]["author"] == "Lead"
    for name in PEOPLE[1:]:
        assert name not in json.dumps(refs["P-1"])
    assert refs["Q-2"]["author"] == "anonymous"


UKRAINIAN: list[Step] = [
    ("/hromada settings language uk", ["українською"]),
    ("/pulse ask template mission", ["📊 P-1 · Наскільки добре ви розумієте нашу місію?",
                                     "Нове опитування. Відповідайте кнопками",
                                     "Реакції на це повідомлення бачать усі"]),
    ("press 3", ["Дякуємо, ваша відповідь на P-1: 3."]),
    ("/pulse results P-1", ["P-1 ще відкрите", "Поки що: відповідей: менше ніж 5."]),
    ("/pulse close P-1", ["P-1 закрито."]),
    ("/pulse results P-1", ["Загалом: ще замало відповідей",
                            "Групи, де менше ніж 5 відповідей, не показуються."]),
    ("as Taras", ["(тепер ви — Taras)"]),
    ("/people me skills кераміка, Go", ["Ваші навички: кераміка, Go."]),
    ("/kudos @Lead #care дякую за підтримку", [
        "🎉 Подяка для @Lead за #care від Taras: дякую за підтримку"]),
    ("/ask Коли буде наступна загальна зустріч?", [
        "❓ Q-1 · Коли буде наступна загальна зустріч?"]),
    ("/coffee join", ["☕ Ви з нами"]),
    ("as Lead --admin", ["(тепер ви — Lead)"]),
    ("/coffee join", ["☕ Ви з нами"]),
    ("/ask answer Q-1 У п'ятницю о 16:00.", ["На Q-1 «Коли буде наступна загальна зустріч?» є "
                                              "відповідь: У п'ятницю о 16:00."]),
    ("/coffee pair", ["☕ Кавовий раунд", "☕ Кава цього тижня:"]),
    ("/people find керамика", ["Люди за запитом керамика:", "Taras"]),
    ("/hromada stats", ["Участь, тиждень від", "ще замало людей"]),
    ("/hromada mydata", ["Усе, що Громада зберігає про вас (це бачите лише ви):",
                         "Кавові пари: 1"]),
    ("/hromada forget-me", ["Буде стерто ваше ім'я", "[1] Стерти мої дані"]),
]


def test_ukrainian_culture_story(db_url: str, tmp_path: Path) -> None:
    tenant = tenant_name("kultura")
    script = "\n".join(cmd for cmd, _ in UKRAINIAN) + "\n"
    out = run_program(["chat", "--as", "Lead", "--admin", "--tenant", tenant], script,
                      db_url=db_url, tmp_path=tmp_path)
    check_in_order(out, UKRAINIAN)
