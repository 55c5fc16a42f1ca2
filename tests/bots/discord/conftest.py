"""Fixtures for the Discord adapter tests: a started harness per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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
