"""Onboarding, piped into the real ``hromada chat``: ``join`` welcomes a newcomer once, the
clock brings the day-3 coffee buddy and the day-30 pulse (answered with ``press``), a plain
member cannot change the steps, and /onboarding status shows no count under k.

The console runs on the real clock, so the workspace's zone is chosen to make "now" midday
there, and each clock move lands on a weekday: steps only go in working hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.scenarios.console import Step, check_in_order, dm_recipients, run_program, tenant_name


def _midday_zone(now: datetime) -> tuple[str, datetime]:
    """An Etc/GMT zone where ``now`` is about noon, and the local time there."""
    offset = 12 - now.hour  # -11 .. +12 hours
    name = f"Etc/GMT{-offset:+d}" if offset else "UTC"
    return name, now + timedelta(hours=offset)


def _weekday_after(local: datetime, at_least: int) -> int:
    days = at_least
    while (local + timedelta(days=days)).weekday() >= 5:
        days += 1
    return days


def test_onboarding_on_the_console(db_url: str, tmp_path: Path) -> None:
    zone, local = _midday_zone(datetime.now(UTC))
    buddy_day = _weekday_after(local, 2)
    pulse_day = _weekday_after(local, 29)
    story: list[Step] = [
        (f"/digest schedule monday 09:00 {zone}", ["The digest goes out every"]),
        ("/kb add VPN setup | Use the corporate VPN #onboarding", ["K-1"]),
        ("as Olena", ["(you are now Olena)"]),
        ("/people me department Sales", ["Sales"]),
        ("/coffee join", ["You are in"]),
        ("/onboarding step add 2 <!channel> free pizza", ["! ", "moderator"]),
        ("/onboarding step list", ["no steps of its own", "coffee buddy"]),
        ("join Mira", ["→ DM to Mira: 👋 Welcome!", "K-1 “VPN setup”"]),
        ("join Mira", ["(Mira joined before; nothing starts twice)"]),
        ("as Lead", ["(you are now Lead)"]),
        ("/onboarding status", ["fewer than 5"]),
        ("as Mira", ["(you are now Mira)"]),
        (f"clock +{buddy_day}d", ["(clock is now", "→ DM to Mira, Olena: ☕ Coffee buddy"]),
        (f"clock +{pulse_day - buddy_day}d", ["(clock is now",
                                              "→ DM to Mira: 📊 Your first month",
                                              "[5] Q1: 5", "(press <n>)"]),
        ("press 5", ["your answer to P-1 is 5"]),
        ("/hromada mydata", ["Onboarding journey", "Coffee buddy: Olena"]),
    ]
    script = "\n".join(line for line, _ in story) + "\n"
    out = run_program(["chat", "--as", "Lead", "--admin", "--tenant", tenant_name("onboard")],
                      script, db_url=db_url, tmp_path=tmp_path)
    check_in_order(out, story)
    assert len(dm_recipients(out, "Welcome!")) == 1, out
    assert len(dm_recipients(out, "Coffee buddy")) == 1, out
    assert len(dm_recipients(out, "Your first month")) == 1, out
