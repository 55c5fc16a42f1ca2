"""Fixtures for the Discord adapter tests: a started harness per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import bots.discord.bot as discord_bot
from core.app import Hromada
from tests.bots.discord.harness import DiscordHarness


@pytest.fixture
async def discord_h(hromada: Hromada) -> AsyncIterator[DiscordHarness]:
    h = DiscordHarness(hromada)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture(autouse=True)
def _answer_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether an answer is deferred must not depend on how busy the machine is: a budget
    no test reaches (tests that need a deferral set ``ACK_AFTER`` to 0 themselves)."""
    monkeypatch.setattr(discord_bot, "ACK_AFTER", 30.0)
