"""Group notices (coffee introductions): one conversation for the group where a platform has
one. The console prints one line naming the group; batching keeps a notice a group notice."""

from __future__ import annotations

import asyncio
import io

from bots.console.delivery import ConsoleDelivery
from bots.delivery import Deliveries
from bots.scheduler import CoffeeRunner, batch_notices
from core import coffee
from core.app import Hromada
from core.replies import Notice
from core.text import Rich


def test_console_prints_one_line_for_a_group_and_one_per_person_otherwise() -> None:
    out = io.StringIO()
    delivery = ConsoleDelivery(out, names={"u1": "Olena", "u2": "Taras", "u3": "Iryna"})
    intro = Notice(("u1", "u2", "u3"), Rich(("☕ Coffee this week",)), group=True)
    status = Notice(("u1", "u2"), Rich(("I-3 is now planned",)), 3)
    asyncio.run(delivery.notify("console:demo", [intro, status]))
    assert out.getvalue().splitlines() == [
        "→ DM to Olena, Taras, Iryna: ☕ Coffee this week",
        "→ DM to Olena: I-3 is now planned",
        "→ DM to Taras: I-3 is now planned",
    ]


def test_batching_keeps_group_notices_apart_from_direct_ones() -> None:
    text = Rich(("☕ Coffee this week",))
    batch = batch_notices([Notice(("u1", "u2"), text, group=True), Notice(("u3",), text),
                           Notice(("u2", "u4"), text)])
    assert batch == [Notice(("u1", "u2"), text, group=True), Notice(("u3", "u2", "u4"), text)]


def test_introductions_are_group_notices_and_the_rest_are_not(hromada: Hromada, actor) -> None:
    for name, dept in (("olena", "Eng"), ("taras", "Sales"), ("iryna", "Eng")):
        person = actor(name, tenant="console:coffee")
        hromada.run(person, "people", f"me department {dept}")
        hromada.run(person, "coffee", "join")
    [intro] = coffee.run_round(hromada, "console:coffee", "2026-W10")
    assert intro.group and sorted(intro.recipients) == ["iryna", "olena", "taras"]

    hromada.run(actor("bohdan", tenant="console:coffee"), "coffee", "join")
    hromada.run(actor("iryna", tenant="console:coffee"), "coffee", "leave")
    pair, left = coffee.run_round(hromada, "console:coffee", "2026-W11")
    # Olena and Taras met last week: Bohdan meets one of them, the other hears it alone.
    assert pair.group and "bohdan" in pair.recipients and len(pair.recipients) == 2
    assert not left.group and left.recipients in (("olena",), ("taras",))
    assert set(pair.recipients) | set(left.recipients) == {"bohdan", "olena", "taras"}


def test_coffee_runner_on_the_console_prints_each_group_once(hromada: Hromada, actor) -> None:
    for name, dept in (("olena", "Eng"), ("taras", "Sales"), ("iryna", "Eng"),
                       ("bohdan", "Sales")):
        person = actor(name, tenant="console:office")
        hromada.run(person, "people", f"me department {dept}")
        hromada.run(person, "coffee", "join")
    out = io.StringIO()
    deliveries = Deliveries()
    deliveries.add(ConsoleDelivery(out))
    runner = CoffeeRunner(hromada, deliveries)
    assert asyncio.run(runner.tick()) == {"console:office": 4}
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all("Coffee this week" in ln for ln in lines)
    pairs = [set(ln.split(":")[0].removeprefix("→ DM to ").split(", ")) for ln in lines]
    assert sorted(len(p) for p in pairs) == [2, 2] and set().union(*pairs) == {
        "olena", "taras", "iryna", "bohdan"}
    assert all({"olena", "iryna"} != p and {"taras", "bohdan"} != p for p in pairs)  # cross-dept
    assert asyncio.run(runner.tick()) == {}
    assert len(out.getvalue().splitlines()) == 2
