"""A team's story piped into the real ``hromada chat`` program, in English and in Ukrainian.

Every idea, risk and knowledge command of PRODUCT.md is walked by several members, with the
console extras (``as``, ``react``, ``unreact``, ``save``, ``press``, ``clock``). The program's
whole output is checked in order: each expected answer must come after the previous one.
Runs on SQLite and, with HROMADA_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from tests.scenarios.console import (
    Step,
    check_in_order,
    dm_recipients,
    run_program,
    tenant_name,
)


def history_dates(output: str, marker: str) -> list[date]:
    """The dates of the status history lines that follow ``marker`` (an item's title line)."""
    block = output[output.rindex(marker):]
    return [date.fromisoformat(d) for d in re.findall(r"^• .*\((\d{4}-\d\d-\d\d)\)$", block,
                                                       flags=re.M)]


# -- the English story -------------------------------------------------------------------

ENGLISH: list[Step] = [
    ("/hromada help", ["Hromada: ideas, risks and knowledge, heard and kept.",
                       "/idea merge <ref> into <target> — Merge one idea into another",
                       "/kb add <title> | <body> [#tag ...]", "🔒 moderators only"]),
    ("/idea Dark mode for the wiki", ["[#general] 💡 I-1 · Dark mode for the wiki", "New idea",
                                      "From: Alice"]),
    # Alice is the only member so far: too few to hide among, so the card is not posted.
    ("/idea anon Free fruit on Fridays", ["💡 I-2 · Free fruit on Fridays",
                                          "I-2 is saved anonymously but not posted: this "
                                          "channel has fewer than 5 members",
                                          "From: anonymous", "[1] Hear back privately"]),
    ("as Bob", ["(you are now Bob)"]),
    ("/idea Dark mode for the wiki please", [
        "This looks close to what is already open:", "• I-1 Dark mode for the wiki (new)",
        "[1] Vote for I-1 instead", "[2] Submit anyway", "(press <n>)"]),
    ("press 1", ["Your vote went to I-1 instead."]),
    ("react +1 I-1", ["(reacted +1 on I-1)"]),
    ("/idea Standing desks for the support team", ["💡 I-3 · Standing desks for the support team",
                                                   "From: Bob"]),
    ("as Carol", ["(you are now Carol)"]),
    ("react +1 I-1", ["(reacted +1 on I-1)"]),
    ("react -1 I-2", ["(reacted -1 on I-2)"]),
    ("unreact -1 I-2", ["(removed -1 on I-2)"]),
    ("unreact -1 I-2", ["(removed -1 on I-2: no change)"]),
    ("/idea Dark mode for our wiki", ["This looks close to what is already open:",
                                      "[2] Submit anyway"]),
    ("press 2", ["[#general] 💡 I-4 · Dark mode for our wiki", "From: Carol"]),
    ("as Dave", ["(you are now Dave)"]),
    ("react +1 I-4", ["(reacted +1 on I-4)"]),
    ("/idea list top", ["Ideas (most voted first), page 1:",
                        "• I-1 Dark mode for the wiki (+2 · new)",
                        "• I-4 Dark mode for our wiki (+1 · new)"]),
    ("/idea list", ["Ideas (newest first), page 1:", "• I-4 Dark mode for our wiki",
                    "• I-3 Standing desks", "• I-2 Free fruit on Fridays (+0 · new)",
                    "• I-1 Dark mode for the wiki"]),
    ("/idea search dark wiki", ["Ideas matching dark wiki:", "Dark mode for"]),
    ("/idea search zebra crossing", ["No idea matches zebra crossing."]),
    ("as Bob", ["(you are now Bob)"]),
    ("react +1 I-4", ["(reacted +1 on I-4)"]),
    ("/idea status I-1 planned", ["! Only moderators can do that: workspace or server "
                                  "admins, and the members or roles named in /hromada "
                                  "settings."]),
    ("/idea merge I-4 into I-1", ["! Only moderators can do that"]),
    ("/idea withdraw I-2", ["! Only the author of I-2 can use /idea withdraw, and you did not "
                            "write it."]),
    ("as Alice", ["(you are now Alice)"]),
    ("/idea show I-2", ["💡 I-2 · Free fruit on Fridays\nFrom: anonymous\nScore: +0"]),
    ("/idea withdraw I-2", ["I-2 is withdrawn."]),
    ("/idea withdraw I-2", ["! I-2 is withdrawn; its status cannot change."]),
    ("/idea status I-1 planned Q3 roadmap", [
        "I-1 “Dark mode for the wiki” is now planned (was new). Q3 roadmap",
        "People told: 2."]),
    ("/idea status I-1 planned", ["! I-1 is already planned."]),
    ("/idea list planned", ["Ideas (planned), page 1:",
                            "• I-1 Dark mode for the wiki (+2 · planned)"]),
    ("/idea merge I-4 into I-1", [
        "I-4 was merged into I-1 “Dark mode for the wiki”; votes now count there. "
        "1 votes moved; I-1 now has +3 (👍 3 · 👎 0)."]),
    ("/idea merge I-1 into I-1", ["! An idea cannot be merged into itself."]),
    ("/idea status I-4 done", ["! I-4 is merged; its status cannot change."]),
    ("as Dave", ["(you are now Dave)"]),
    ("react +1 I-4", ["(reacted +1 on I-4: no change)"]),
    ("/idea show I-4", ["💡 I-4 · Dark mode for our wiki", "Status: merged", "Merged into: I-1",
                        "• new → merged: I-1"]),
    ("/idea list withdrawn", ["Ideas (withdrawn), page 1:",
                              "• I-2 Free fruit on Fridays (+0 · withdrawn)"]),
    # Bad input: a usage line, and nothing is written.
    ("/idea show X-1", ["! X-1 is not a reference like I-12.\n! Usage: /idea show <ref>"]),
    ("/idea status I-1 nonsense", [
        "! status must be one of: new, reviewing, planned, in-progress, done, declined.\n"
        "! Usage: /idea status <ref> <status> [note]"]),
    ("/idea merge 1 onto 2", ["! Expected the word into.\n"
                              "! Usage: /idea merge <ref> into <target>"]),
    ("/idea anon", ["! Missing text.\n! Usage: /idea anon <text>"]),
    ("/idea withdraw 99", ["! There is no I-99."]),
    ("/idea withdraw X-1", ["! X-1 is not a reference like I-12.\n! Usage: /idea withdraw <ref>"]),
    ("react +1 nothing", ["! Say which emoji and item: react +1 I-3.\n"
                          "! Usage: react <emoji> <ref>"]),
    ("press 9", ["! There is no such button.\n! Usage: press <n>"]),
    ("clock tomorrow", ["! Move the clock like clock +7d, +3h or -30m."]),
    ("bogus words", ["! Commands start with /, like /idea or /hromada help."]),
    ("/nosuch thing", ["! Unknown command /nosuch. Try /hromada help."]),
    ("/hromada demo", ["! Only moderators can do that"]),
    ("/idea Bike parking behind the office", ["💡 I-5 · Bike parking behind the office"]),
    ("react 👍 I-5", ["(reacted 👍 on I-5)"]),
    ("react 👎 I-5", ["(reacted 👎 on I-5)"]),
    ("/idea show I-5", ["Score: -1 (👍 0 · 👎 1)"]),
    ("unreact 👎 I-5", ["(removed 👎 on I-5)"]),
    ("react 🎉 I-5", ["(reacted 🎉 on I-5: no change)"]),
    # Risks.
    ("/risk Only one person knows how to renew the TLS certificates", [
        "[#general] ⚠️ R-1 · Only one person knows how to renew the TLS certificates",
        "New risk", "From: Dave", "React 👍 if you see it too.",
        "Rate it: /risk rate R-1 <likelihood 1-5> <impact 1-5>"]),
    ("as Bob", ["(you are now Bob)"]),
    ("/risk Only one person knows how to renew TLS certificates", [
        "This looks close to what is already open:",
        "• R-1 Only one person knows how to renew the TLS certificates (open)",
        "[1] Vote for R-1 instead"]),
    ("press 1", ["Your vote went to R-1 instead."]),
    ("/risk Support backlog grows faster than we hire", [
        "⚠️ R-2 · Support backlog grows faster than we hire"]),
    ("/risk rate R-2 3 3", ["R-2 is rated 3×3 = 9."]),
    # Bob only voted for R-1: he may not rate it, nor make himself its owner.
    ("/risk rate R-1 4 5", ["! Only the owner of R-1, who reported it, or a moderator can use "
                            "/risk rate; you are none of them."]),
    ("/risk owner R-1 @Bob", ["! Only the owner of R-1, who reported it, or a moderator can use "
                              "/risk owner; you are none of them."]),
    ("as Dave", ["(you are now Dave)"]),
    ("/risk rate R-1 4 5", ["[#general] R-1 is rated 4×5 = 20."]),
    ("/risk rate R-1 9 5", ["! likelihood must be from 1 to 5.\n"
                            "! Usage: /risk rate <ref> <likelihood> <impact>"]),
    ("/risk rate R-1 four", ["! likelihood must be a whole number."]),
    ("/risk owner R-1 @Carol", [
        "@Carol now owns R-1 “Only one person knows how to renew the TLS certificates”.",
        "→ DM to Carol: You now own R-1"]),
    ("/risk owner R-1 @nobody", ["! No single member is called nobody."]),
    ("as Bob", ["(you are now Bob)"]),
    ("/risk status R-1 closed", ["! Only the owner of R-1, who reported it, or a moderator can "
                                 "use /risk status; you are none of them."]),
    ("/risk status R-1 solved", ["! status must be one of: open, mitigating, accepted, closed."]),
    ("as Carol", ["(you are now Carol)"]),
    ("/risk status R-1 mitigating Runbook in progress", [
        "R-1 “Only one person knows how to renew the TLS certificates” is now mitigating "
        "(was open). Runbook in progress"]),
    ("/risk list", ["Open risks, the most serious first:",
                    "• R-1 Only one person knows how to renew the TLS certificates "
                    "(4×5 · mitigating)",
                    "• R-2 Support backlog grows faster than we hire (3×3 · open)"]),
    ("/risk matrix", ["Open risks by likelihood (rows) and impact (columns):",
                      " L\\I   1   2   3   4   5\n"
                      "   5   ·   ·   ·   ·   ·\n"
                      "   4   ·   ·   ·   ·   1\n"
                      "   3   ·   ·   1   ·   ·\n"]),
    ("/risk show R-1", ["⚠️ R-1 · Only one person knows how to renew the TLS certificates",
                        "Likelihood × impact: 4×5 = 20", "Status: mitigating", "Owner: Carol",
                        "I see it too: 1", "• open → mitigating: Runbook in progress"]),
    ("/risk status R-2 closed", ["! Only the owner of R-2, who reported it, or a moderator can "
                                 "use /risk status; you are none of them."]),
    ("as Bob", ["(you are now Bob)"]),
    ("/risk status R-2 closed", ["R-2 “Support backlog grows faster than we hire” is now closed "
                                 "(was open)."]),
    ("/risk matrix", ["   3   ·   ·   ·   ·   ·\n"]),
    ("/risk list", ["• R-1 Only one person"]),
    ("/risk show R-9", ["! There is no R-9."]),
    ("as Carol", ["(you are now Carol)"]),
    # Knowledge.
    ("/kb add VPN access | Ask IT for a token with your laptop serial #onboarding #it", [
        "[#general] Saved as K-1: VPN access", "Tags: #onboarding #it"]),
    ("/kb add Vacation requests | Your lead approves them in the HR system #onboarding", [
        "Saved as K-2: Vacation requests"]),
    ("/kb add VPN access | again", ["This looks close to what is already open:",
                                    "• K-1 VPN access (published)", "[1] Use K-1 instead"]),
    ("press 1", ["Fine, nothing new was saved."]),
    ("/kb tag K-2 #hr", ["K-2 is tagged #hr #onboarding."]),
    ("/kb tag K-2 hr!", ["! Missing tags.\n! Usage: /kb tag <ref> <#tag ...>"]),
    ("/kb alias K-1 remote network", ["K-1 is also found as remote network."]),
    ("/kb alias K-2 Remote Network", ["! The name remote network already belongs to K-1."]),
    ("/kb show K-1", ["📚 K-1 · VPN access\nAsk IT for a token with your laptop serial\n"
                      "Saved by: Carol", "Tags: #it #onboarding",
                      "Also known as: remote network"]),
    ("/kb VPN access", ["📚 K-1 · VPN access\nAsk IT for a token"]),
    ("/kb remote network", ["📚 K-1 · VPN access\nAsk IT for a token"]),
    ("/kb vpn acess", ["Knowledge matching vpn acess:", "• K-1 VPN access (published)"]),
    ("/kb vacant offices", ["Nothing close to vacant offices. Did you mean:",
                            "• K-2 Vacation requests (published)"]),
    ("/kb zzzz qqqq", ["Nothing found for zzzz qqqq. Save what you know with /kb add."]),
    ("/kb onboarding", ["Start here, in this order:", "• K-1 VPN access (1)",
                        "• K-2 Vacation requests (2)"]),
    # a subcommand word whose line does not parse as it: the line is a search
    ("/kb add no separator here", ["Nothing close to add no separator here."]),
    ("as Bob", ["(you are now Bob)"]),
    ("save Deploys happen on Tuesdays after the standup", [
        "[#general] Saved as K-3: Deploys happen on Tuesdays after the standup",
        "Source: console://"]),
    ("/kb show K-3", ["📚 K-3 · Deploys happen on Tuesdays after the standup",
                      "Saved by: Bob", "Originally said by: Bob"]),
    # A week later, a moderator moves the idea on with a button.
    ("clock +7d", ["(clock is now "]),
    ("as Alice", ["(you are now Alice)"]),
    ("/idea show I-1", ["Score: +3 (👍 3 · 👎 0)", "Status: planned",
                        "• new → planned: Q3 roadmap", "[1] reviewing", "(press <n>)"]),
    ("press 1", ["I-1 “Dark mode for the wiki” is now reviewing (was planned).",
                 "People told: 3."]),
    ("/idea show I-1", ["💡 I-1 · Dark mode for the wiki", "Status: reviewing",
                        "• new → planned: Q3 roadmap", "• planned → reviewing"]),
    ("/hromada demo", ["Demo loaded: 5 ideas, 3 risks, 4 snippets, 17 votes. "
                       "Try /idea list top, /risk matrix, /kb onboarding."]),
    ("/hromada demo", ["Demo loaded: 0 ideas, 0 risks, 0 snippets, 0 votes."]),
    ("/kb onboarding", ["• K-1 VPN access (1)", "• K-2 Vacation requests (2)",
                        "How to get VPN access", "Як подати заявку на відпустку"]),
    ("/idea list top", ["• I-9 Тихі години без зустрічей у середу до обіду (+5 · new)"]),
]


def test_english_console_story(db_url: str, tmp_path: Path) -> None:
    script = "\n".join(cmd for cmd, _ in ENGLISH) + "\n"
    out = run_program(["chat", "--as", "Alice", "--admin", "--tenant", tenant_name("story")],
                      script, db_url=db_url, tmp_path=tmp_path)
    check_in_order(out, ENGLISH)
    assert "Sorry, something went wrong" not in out
    # Piped input: no greeting, no prompt; the program ended at the end of its input.
    assert not out.startswith("Hromada console chat")

    # The loop is told: author and voters, each once, the actor left out.
    assert dm_recipients(out, "is now planned (was new)") == [{"Bob", "Carol"}]
    assert dm_recipients(out, "I-4 was merged into I-1") == [{"Carol", "Bob", "Dave"}]
    assert dm_recipients(out, "is now mitigating (was open)") == [{"Dave", "Bob"}]
    assert dm_recipients(out, "is now reviewing (was planned)") == [{"Bob", "Carol", "Dave"}]

    # The anonymous idea shows no author, to anyone.
    for line in out.splitlines():
        if "Free fruit" in line or "I-2" in line:
            assert "Alice" not in line, line

    # `clock +7d` moved the time the second status change was recorded at.
    first, second = history_dates(out, "💡 I-1 · Dark mode for the wiki\nFrom: Alice\n"
                                       "Score: +3 (👍 3 · 👎 0)\nStatus: reviewing")
    assert (second - first).days == 7


# -- the Ukrainian story -----------------------------------------------------------------

UKRAINIAN: list[Step] = [
    ("/hromada settings language uk", ["Відтепер я відповідаю українською."]),
    ("/hromada help idea", ["Громада: ідеї, ризики й знання — почуті та збережені.",
                            "/idea — Пропонуйте ідеї, голосуйте за них",
                            "/idea withdraw <ref> — Відкликати власну ідею.",
                            "🔒 лише для модераторів"]),
    ("/idea Тихі години без зустрічей у середу", [
        "[#general] 💡 I-1 · Тихі години без зустрічей у середу", "Нова ідея", "Від: Olena",
        "Реагуйте 👍, щоб підтримати, або 👎, якщо не згодні."]),
    ("/idea anon Безкоштовні фрукти по п'ятницях", [
        "I-2 збережено анонімно, але не опубліковано", "[1] Отримувати відповіді особисто"]),
    ("as Bohdan", ["(тепер ви — Bohdan)"]),
    ("/idea Тихі години без зустрічей у середу вранці", [
        "Це схоже на те, що вже відкрито:", "• I-1 Тихі години без зустрічей у середу (нова)",
        "[1] Проголосувати за I-1", "[2] Все одно надіслати", "(натисніть: press <n>)"]),
    ("press 1", ["Натомість ваш голос віддано за I-1."]),
    ("as Oksana", ["(тепер ви — Oksana)"]),
    ("/idea Тихі години без зустрічей щосереди", ["Це схоже на те, що вже відкрито:"]),
    ("press 2", ["💡 I-3 · Тихі години без зустрічей щосереди", "Від: Oksana"]),
    ("react +1 I-1", ["(реакція +1 на I-1)"]),
    ("react -1 I-2", ["(реакція -1 на I-2)"]),
    ("unreact -1 I-2", ["(знято -1 з I-2)"]),
    ("unreact -1 I-2", ["(знято -1 з I-2: без змін)"]),
    ("as Bohdan", ["(тепер ви — Bohdan)"]),
    ("react +1 I-3", ["(реакція +1 на I-3)"]),
    ("/idea list top", ["Ідеї (спершу найпопулярніші), сторінка 1:",
                        "• I-1 Тихі години без зустрічей у середу (+2 · нова)",
                        "• I-3 Тихі години без зустрічей щосереди (+1 · нова)"]),
    ("/idea list", ["Ідеї (спершу найновіші), сторінка 1:", "• I-3", "• I-2", "• I-1"]),
    ("/idea search тихі години", ["Ідеї за запитом тихі години:", "Тихі години без зустрічей"]),
    ("/idea search жирафа", ["Жодна ідея не відповідає запиту жирафа."]),
    ("/idea status I-1 planned", ["! Це можуть лише модератори: адміністратори робочого "
                                  "простору чи сервера, а також учасники або ролі, названі "
                                  "в /hromada settings."]),
    ("/idea withdraw I-2", ["! Лише автор I-2 може використати /idea withdraw, а ви цього не "
                            "писали."]),
    ("as Olena", ["(тепер ви — Olena)"]),
    ("/idea withdraw I-2", ["I-2 відкликано."]),
    ("/idea status I-1 in-progress Почали в березні", [
        "I-1 «Тихі години без зустрічей у середу» тепер має статус «у роботі» (був «нова»). "
        "Почали в березні", "Сповіщено людей: 2."]),
    ("/idea status I-1 in-progress", ["! I-1 уже має статус «у роботі»."]),
    ("/idea merge I-3 into I-1", [
        "I-3 об’єднано з I-1 «Тихі години без зустрічей у середу»; голоси тепер "
        "зараховуються там. Перенесено голосів: 0; тепер у I-1 +2 (👍 2 · 👎 0)."]),
    ("/idea merge I-2 into I-1", ["! I-2: статус «відкликано», його вже не змінити."]),
    ("/idea show I-1", ["💡 I-1 · Тихі години без зустрічей у середу", "Від: Olena",
                        "Рахунок: +2 (👍 2 · 👎 0)", "Статус: у роботі",
                        "• нова → у роботі: Почали в березні", "[1] на розгляді"]),
    ("/idea show I-3", ["Статус: об’єднано", "Об’єднано з: I-1"]),
    ("/idea list withdrawn", ["Ідеї (відкликано), сторінка 1:",
                              "• I-2 Безкоштовні фрукти по п'ятницях (+0 · відкликано)"]),
    ("/idea show X-1", ["! X-1 — не посилання на кшталт I-12.\n"
                        "! Використання: /idea show <ref>"]),
    ("/idea status I-1 бозна", ["! status має бути одним із: new, reviewing, planned, "
                                "in-progress, done, declined.\n"
                                "! Використання: /idea status <ref> <status> [note]"]),
    ("/idea merge 1 з 2", ["! Тут має бути слово into.\n"
                           "! Використання: /idea merge <ref> into <target>"]),
    ("/idea anon", ["! Бракує параметра text.\n! Використання: /idea anon <text>"]),
    ("/idea withdraw 99", ["! I-99 не існує."]),
    ("react +1 щось", ["! Вкажіть емодзі й запис: react +1 I-3.\n"
                       "! Використання: react <emoji> <ref>"]),
    ("press 9", ["! Такої кнопки немає."]),
    ("clock завтра", ["! Переведіть годинник так: clock +7d, +3h або -30m."]),
    ("бла-бла", ["! Команди починаються з /, наприклад /idea або /hromada help."]),
    ("/щось", ["! Невідома команда /щось. Спробуйте /hromada help."]),
    ("/idea Велопарковка за офісом", ["💡 I-4 · Велопарковка за офісом"]),
    # Ризики.
    ("/risk Лише одна людина вміє оновлювати TLS-сертифікати", [
        "[#general] ⚠️ R-1 · Лише одна людина вміє оновлювати TLS-сертифікати", "Новий ризик",
        "Реагуйте 👍, якщо теж це бачите.",
        "Оцініть: /risk rate R-1 <ймовірність 1-5> <вплив 1-5>"]),
    ("as Oksana", ["(тепер ви — Oksana)"]),
    ("/risk Лише одна людина вміє оновлювати TLS-сертифікати!", [
        "Це схоже на те, що вже відкрито:",
        "• R-1 Лише одна людина вміє оновлювати TLS-сертифікати (відкрито)",
        "[1] Проголосувати за R-1"]),
    ("press 1", ["Натомість ваш голос віддано за R-1."]),
    ("/risk Постачальник хмари піднімає ціни з січня", [
        "⚠️ R-2 · Постачальник хмари піднімає ціни з січня"]),
    ("/risk rate R-2 3 3", ["R-2 оцінено: 3×3 = 9."]),
    ("/risk rate R-1 4 5", ["! Лише власник R-1, той, хто про нього повідомив, або модератор "
                            "може використати /risk rate; ви ніхто з них."]),
    ("as Olena", ["(тепер ви — Olena)"]),
    ("/risk rate R-1 4 5", ["R-1 оцінено: 4×5 = 20."]),
    ("/risk rate R-1 0 5", ["! likelihood має бути від 1 до 5.\n"
                            "! Використання: /risk rate <ref> <likelihood> <impact>"]),
    ("/risk owner R-1 @Bohdan", [
        "@Bohdan тепер відповідає за R-1 «Лише одна людина вміє оновлювати TLS-сертифікати».",
        "→ особисте повідомлення для Bohdan: Тепер ви відповідаєте за R-1"]),
    ("/risk owner R-1 @никого", ["! Немає єдиного учасника на ім’я никого."]),
    ("as Oksana", ["(тепер ви — Oksana)"]),
    ("/risk status R-1 closed", ["! Лише власник R-1, той, хто про нього повідомив, або "
                                 "модератор може використати /risk status; ви ніхто з них."]),
    ("as Bohdan", ["(тепер ви — Bohdan)"]),
    ("/risk status R-1 mitigating Пишемо інструкцію", [
        "R-1 «Лише одна людина вміє оновлювати TLS-сертифікати» тепер має статус «пом’якшуємо» "
        "(був «відкрито»). Пишемо інструкцію"]),
    ("/risk list", ["Відкриті ризики, спершу найсерйозніші:",
                    "• R-1 Лише одна людина вміє оновлювати TLS-сертифікати (4×5 · пом’якшуємо)",
                    "• R-2 Постачальник хмари піднімає ціни з січня (3×3 · відкрито)"]),
    ("/risk matrix", ["Відкриті ризики за ймовірністю (рядки) та впливом (стовпці):",
                      " Й\\В   1   2   3   4   5\n"
                      "   5   ·   ·   ·   ·   ·\n"
                      "   4   ·   ·   ·   ·   1\n"
                      "   3   ·   ·   1   ·   ·\n"]),
    ("/risk show R-1", ["⚠️ R-1 · Лише одна людина вміє оновлювати TLS-сертифікати",
                        "Ймовірність × вплив: 4×5 = 20", "Статус: пом’якшуємо",
                        "Відповідальний: Bohdan", "Теж бачать: 1",
                        "• відкрито → пом’якшуємо: Пишемо інструкцію"]),
    # Знання.
    ("/kb add VPN: доступ | Напишіть в IT із серійним номером ноутбука #onboarding #it", [
        "[#general] Збережено як K-1: VPN: доступ", "Теги: #onboarding #it"]),
    ("/kb add Відпустка | Заявку погоджує керівник у HR-системі #onboarding", [
        "Збережено як K-2: Відпустка"]),
    ("/kb add VPN: доступ | ще раз", ["Це схоже на те, що вже відкрито:",
                                       "• K-1 VPN: доступ (опубліковано)",
                                       "[1] Скористатися K-1"]),
    ("press 1", ["Гаразд, нічого нового не збережено."]),
    ("/kb tag K-2 #hr", ["K-2 має теги #hr #onboarding."]),
    ("/kb alias K-1 віддалена мережа", ["K-1 тепер знаходиться й за назвою віддалена мережа."]),
    ("/kb alias K-2 віддалена мережа", ["! Назва віддалена мережа вже належить K-1."]),
    ("/kb show K-1", ["📚 K-1 · VPN: доступ\nНапишіть в IT із серійним номером ноутбука\n"
                      "Хто зберіг: Bohdan", "Теги: #it #onboarding",
                      "Також відомо як: віддалена мережа"]),
    ("/kb vpn: доступ", ["📚 K-1 · VPN: доступ\nНапишіть в IT"]),
    ("/kb віддалена мережа", ["📚 K-1 · VPN: доступ\nНапишіть в IT"]),
    ("/kb доступ до впн", ["Знання за запитом доступ до впн:", "• K-1 VPN: доступ"]),
    ("/kb відпусткка", ["Знання за запитом відпусткка:", "• K-2 Відпустка (опубліковано)"]),
    ("/kb відпочинок", ["Нічого схожого на відпочинок. Можливо, ви мали на увазі:",
                        "• K-2 Відпустка (опубліковано)"]),
    ("/kb zzzz qqqq", ["За запитом zzzz qqqq нічого не знайдено. Збережіть те, що знаєте, "
                       "через /kb add."]),
    ("/kb onboarding", ["Почніть звідси, в такому порядку:", "• K-1 VPN: доступ (1)",
                        "• K-2 Відпустка (2)"]),
    ("/kb add без роздільника", ["За запитом add без роздільника нічого не знайдено."]),
    ("save Деплой щовівторка після стендапу", [
        "Збережено як K-3: Деплой щовівторка після стендапу", "Джерело: console://"]),
    ("clock +7d", ["(на годиннику "]),
    ("/hromada demo", ["! Це можуть лише модератори"]),
    ("as Olena", ["(тепер ви — Olena)"]),
    ("/hromada demo", ["Демо завантажено: ідей — 5, ризиків — 3, нотаток — 4, голосів — 17."]),
    ("/hromada settings language en", ["From now on I answer in English."]),
    ("/idea show I-1", ["Score: +2 (👍 2 · 👎 0)", "Status: in-progress",
                        "• new → in-progress"]),
    ("/idea show X-1", ["! X-1 is not a reference like I-12.\n! Usage: /idea show <ref>"]),
]


def test_ukrainian_console_story(db_url: str, tmp_path: Path) -> None:
    script = "\n".join(cmd for cmd, _ in UKRAINIAN) + "\n"
    out = run_program(["chat", "--as", "Olena", "--admin", "--tenant", tenant_name("istoriia")],
                      script, db_url=db_url, tmp_path=tmp_path)
    check_in_order(out, UKRAINIAN)
    assert "Sorry, something went wrong" not in out and "Вибачте" not in out
    assert dm_recipients(out, "тепер має статус «у роботі»") == [{"Bohdan", "Oksana"}]
    assert dm_recipients(out, "I-3 об’єднано з I-1") == [{"Oksana", "Bohdan"}]
    assert dm_recipients(out, "тепер має статус «пом’якшуємо»") == [{"Olena", "Oksana"}]
    # Between switching to uk and back, no English reply text leaks through.
    uk_part = out[:out.index("From now on I answer in English.")]
    for english in ("New idea", "From:", "Usage:", "This looks close", "Only moderators",
                    "Saved as", "(you are now", "(reacted", "is now"):
        assert english not in uk_part, english


def test_serve_without_tokens_starts_the_console(db_url: str, tmp_path: Path) -> None:
    out = run_program(["serve"], "/idea Hello from the pipe\n/idea list\n", db_url=db_url,
                      tmp_path=tmp_path)
    assert out.startswith("Hromada console chat: you are you in console:demo (admin).")
    assert "Type a command such as /idea Dark mode for the wiki, /kb vpn, /hromada help." in out
    assert "Extras: as <name> · react +1 I-1" in out
    assert "No platform token is set, so this is the console. To run on a platform:" in out
    assert "Slack:   set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in out
    assert "Discord: set DISCORD_TOKEN, then `hromada discord sync`" in out
    check_in_order(out, [("greeting", ["No platform token is set"]),
                         ("/idea Hello from the pipe", ["· Hello from the pipe", "New idea"]),
                         ("/idea list", ["Ideas (newest first), page 1:",
                                         "Hello from the pipe (+0 · new)"])])


def test_chat_exits_at_quit_and_greets_nobody_on_a_pipe(db_url: str, tmp_path: Path) -> None:
    tenant = tenant_name("quit")
    out = run_program(["chat", "--as", "Zoe", "--tenant", tenant],
                      "# a comment line is skipped\n/idea First\nquit\n/idea Never read\n",
                      db_url=db_url, tmp_path=tmp_path)
    assert "💡 I-1 · First" in out and "Never read" not in out
    assert "Hromada console chat" not in out
