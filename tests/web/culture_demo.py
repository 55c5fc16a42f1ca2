"""A realistic tenant for the culture, risk and knowledge pages: ``/hromada demo`` plus eight
weeks of a 27-person company, so some department cells pass the threshold and some do not.

Everything goes through the core's own commands and reactions, on the test's clock.
"""

from __future__ import annotations

from datetime import timedelta

from core.app import Hromada
from core.clock import ManualClock
from core.context import Actor

CHANNEL = "C-demo"
# (department, people): People stays under k=5 all along; the others pass it in some weeks.
TEAMS = {
    "Engineering": ["Olha Shevchenko", "Dmytro Koval", "Anna Lysenko", "Ben Carter",
                    "Yulia Moroz", "Petro Hnatiuk", "Maria Savchuk", "Ivan Tkachenko",
                    "Chloe Martin"],
    "Sales": ["Oksana Kravets", "James Wilson", "Andrii Bondarenko", "Sofia Marchenko",
              "Liam Brown", "Nadia Rudenko"],
    "Support": ["Roman Polishchuk", "Kateryna Zinchenko", "Emma Davies", "Taras Kuzmenko",
                "Viktor Levchenko", "Halyna Oliinyk"],
    "People": ["Iryna Pavlenko", "Laura Schmidt", "Serhii Boiko"],
}
# How many of each team take part in each of the 8 weeks (oldest first).
ACTIVE = {
    "Engineering": [5, 6, 7, 6, 8, 7, 9, 8],
    "Sales": [3, 5, 4, 5, 6, 5, 6, 6],
    "Support": [5, 4, 5, 6, 5, 6, 5, 6],
    "People": [2, 3, 1, 2, 3, 2, 3, 2],
}
VALUES = ["teamwork", "ownership", "curiosity", "craft", "care"]
THANKS = ["for pairing on the release", "за допомогу з клієнтом", "for the clear write-up",
          "за терпіння на чергуванні", "for fixing the flaky test", "for the onboarding tour"]


def person(dept: str, i: int, tenant_id: str) -> Actor:
    name = TEAMS[dept][i]
    return Actor(tenant_id, f"u{dept[:3].lower()}{i}", name)


QUESTIONS = [
    "What is the plan for the Lviv office next year?",
    "Will we keep summer Fridays short?",
    "How do promotions work for engineers?",
    "Коли буде наступна зустріч усієї компанії?",
    "Why did we pause the partner program?",
    "Чи плануємо навчальний бюджет на конференції?",
    "What are the top three goals for Q3?",
    "How are support on-call hours compensated?",
    "Чи оновлять політику віддаленої роботи?",
    "Who decides which customer features get built first?",
    "What did we learn from the March outage?",
    "Як ми обираємо нових постачальників?",
    "When will the new CRM roll out to sales?",
    "Can we publish salary bands internally?",
    "Які плани щодо найму в підтримку?",
    "How will the reorganisation affect product teams?",
]


def populate(hromada: Hromada, clock: ManualClock, admin: Actor) -> None:
    """Start seven weeks before the clock's week and end in it, the clock back where it was."""
    tenant_id = admin.tenant_id
    end = clock.now()
    clock.advance(-timedelta(days=7 * 7))
    hromada.run(admin, "hromada", "demo")
    hromada.run(admin, "people", "me department People")
    hromada.run(admin, "risk", "rate R-2 2 3")
    hromada.run(admin, "risk", "Nobody but Olha can restore the billing database")
    hromada.run(admin, "risk", "rate R-4 3 5")
    everyone = {dept: [person(dept, i, tenant_id) for i in range(len(names))]
                for dept, names in TEAMS.items()}
    crowd = [p for people in everyone.values() for p in people]
    for p in crowd:
        hromada.run(p, "people", f"me department {dept_of(p)}")
    hromada.run(admin, "risk", "owner R-1 <@ueng0>")
    hromada.run(admin, "risk", "owner R-3 <@usup0>")
    hromada.run(admin, "risk", "status R-3 mitigating two hires start in March")
    hromada.attach_ref(tenant_id, "risk", 1, CHANNEL, "risk-1")
    for p in crowd[:6]:
        hromada.react(p, channel_id=CHANNEL, message_id="risk-1", emoji="+1", added=True)
    pulses = {1: "template mission", 4: "template enps",
              6: "How manageable was your workload this month? (1 = not at all, 5 = completely)",
              7: "How clear are our goals for next quarter? (1 = not at all, 5 = completely)"}
    answers = {1: 14, 4: 19, 6: 4, 7: 12}  # the last one stays open
    closes = {2: 1, 5: 4, 6: 6}  # week -> the week whose pulse closes then
    asked: dict[int, str] = {}
    for week in range(8):
        if week in pulses:
            reply = hromada.run(admin, "pulse", f"ask {pulses[week]}")
            asked[week] = reply.title.plain().split()[1] if reply.title else ""
            for j, p in enumerate(crowd[:answers[week]]):
                hromada.run(p, "pulse", f"answer {asked[week]} {2 + (j * 7 + week) % 4}")
        messages = []
        for q in QUESTIONS[2 * week:2 * week + 2]:
            reply = hromada.run(admin, "ask", q)
            assert reply.item_id is not None, reply.plain()
            hromada.attach_message(tenant_id, reply.item_id, CHANNEL, f"q-{reply.item_id}")
            messages.append(f"q-{reply.item_id}")
        for people in everyone.values():
            dept = dept_of(people[0])
            for i, p in enumerate(people[:ACTIVE[dept][week]]):
                turn = week * 7 + i
                if turn % 3 == 0:
                    other = people[(i + 1) % len(people)]
                    hromada.run(p, "kudos", f"<@{other.user_id}> #{VALUES[turn % 5]} "
                                            f"{THANKS[turn % len(THANKS)]}")
                else:
                    hromada.react(p, channel_id=CHANNEL, message_id=messages[turn % 2],
                                  emoji="+1", added=True)
        if week in closes:
            hromada.run(admin, "pulse", f"close {asked[closes[week]]}")
        if week < 7:
            clock.advance(timedelta(days=7))
    assert abs((clock.now() - end).total_seconds()) < 1


def dept_of(p: Actor) -> str:
    return next(d for d, names in TEAMS.items() if p.display_name in names)
