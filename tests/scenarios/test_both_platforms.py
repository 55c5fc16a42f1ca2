"""One core story, told on Slack and on Discord through the same tiny driver interface.

Each driver stands on its adapter's end-to-end harness (real Bolt / real discord.py against
the loopback fakes), so the story checks that both adapters give members the same product:
submit an idea, two members vote with 👍, one takes it back, a moderator changes the status
and the author and the remaining voter are told, 📚 saves a message that /kb then finds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import pytest

from core.app import Hromada
from tests.bots.discord.harness import DiscordHarness, embed_text
from tests.bots.slack.harness import SlackHarness, block_text
from tests.bots.store_checks import score


class Driver(Protocol):
    """What the story needs from a platform: members act, the driver reports what they saw."""

    tenant: str

    def member(self, name: str, *, admin: bool = False) -> None: ...
    async def submit_idea(self, name: str, text: str) -> str: ...  # the card's message id
    def card_text(self, message: str) -> str: ...
    async def react(self, name: str, message: str, meaning: str, *, added: bool = True
                    ) -> None: ...
    async def command(self, name: str, line: str) -> str: ...  # "/kb vpn2" -> what they read
    def say(self, name: str, text: str) -> str: ...  # a member's plain message id
    def replies_to(self, message: str) -> str: ...  # the bot's answers under a message
    def dms(self, name: str) -> list[str]: ...


class SlackDriver:
    EMOJI = {"up": "+1", "books": "books"}
    CHANNEL = "C1"

    def __init__(self, slack: SlackHarness) -> None:
        self.slack = slack
        self.tenant = f"slack:{slack.team}"

    def member(self, name: str, *, admin: bool = False) -> None:
        self.slack.add_user(name, admin=admin)

    async def submit_idea(self, name: str, text: str) -> str:
        await self.slack.command(name, "/idea", text)
        return self.slack.posted(self.CHANNEL)[-1].ts

    def card_text(self, message: str) -> str:
        msg = next(m for m in self.slack.posted(self.CHANNEL) if m.ts == message)
        return msg.text + "\n" + block_text(msg.blocks)

    async def react(self, name: str, message: str, meaning: str, *, added: bool = True) -> None:
        await self.slack.react(name, self.CHANNEL, message, self.EMOJI[meaning], added=added)

    async def command(self, name: str, line: str) -> str:
        group, _, text = line.partition(" ")
        answer = await self.slack.command(name, group, text)
        body = answer.body or {}
        return str(body.get("text", "")) + "\n" + block_text(body.get("blocks") or [])

    def say(self, name: str, text: str) -> str:
        return self.slack.say(name, self.CHANNEL, text)

    def replies_to(self, message: str) -> str:
        return "\n".join(m.text + "\n" + block_text(m.blocks)
                         for m in self.slack.posted(self.CHANNEL) if m.thread_ts == message)

    def dms(self, name: str) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.slack.dms(name)]


class DiscordDriver:
    EMOJI = {"up": "👍", "books": "📚"}

    def __init__(self, h: DiscordHarness) -> None:
        self.h = h
        self.tenant = h.tenant
        self.users: dict[str, dict[str, Any]] = {}

    def member(self, name: str, *, admin: bool = False) -> None:
        self.users[name] = self.h.user(name, admin=admin)

    def _user(self, name: str) -> dict[str, Any]:
        if name not in self.users:
            self.member(name)
        return self.users[name]

    async def submit_idea(self, name: str, text: str) -> str:
        await self.h.command(self._user(name), "idea submit", {"text": text})
        return str(self.h.last_card()["id"])

    def card_text(self, message: str) -> str:
        return embed_text(self.h.fake.messages[int(message)])

    async def react(self, name: str, message: str, meaning: str, *, added: bool = True) -> None:
        await self.h.react(self._user(name), self.h.channel, message, self.EMOJI[meaning],
                           added=added)

    async def command(self, name: str, line: str) -> str:
        """Text grammar to typed options, as a member fills them in Discord's command UI."""
        words = line.lstrip("/").split()
        group = words[0]
        if group == "kb" and words[1] not in ("add", "show", "tag", "alias", "onboarding"):
            names, options = ("kb", "search"), {"query": " ".join(words[1:])}
        elif group == "idea" and words[1] == "status":
            names = ("idea", "status")
            options = {"ref": words[2], "status": words[3]}
        else:
            raise AssertionError(f"the story does not use {line!r}")
        answer = await self.h.command(self._user(name), names, options)
        return answer.text

    def say(self, name: str, text: str) -> str:
        msg = self.h.fake.add_message(self.h.channel, self._user(name), text,
                                      guild_id=self.h.guild.id)
        return str(msg["id"])

    def replies_to(self, message: str) -> str:
        return "\n".join(embed_text(c.body) for c in self.h.posted()
                         if str((c.body.get("message_reference") or {}).get("message_id"))
                         == message)

    def dms(self, name: str) -> list[str]:
        return self.h.dms(self._user(name))


@asynccontextmanager
async def slack_driver(hromada: Hromada) -> AsyncIterator[Driver]:
    async with SlackHarness.running(hromada) as slack:
        yield SlackDriver(slack)


@asynccontextmanager
async def discord_driver(hromada: Hromada) -> AsyncIterator[Driver]:
    h = DiscordHarness(hromada)
    await h.start()
    try:
        yield DiscordDriver(h)
    finally:
        await h.stop()


DRIVERS: dict[str, Callable[[Hromada], Any]] = {"slack": slack_driver,
                                                "discord": discord_driver}




@pytest.mark.parametrize("platform", sorted(DRIVERS))
async def test_the_same_story_on_every_platform(hromada: Hromada, platform: str) -> None:
    async with DRIVERS[platform](hromada) as p:
        p.member("boss", admin=True)
        for name in ("alice", "bob", "carol", "dan", "erin"):
            p.member(name)

        card = await p.submit_idea("alice", "Quiet hours on Wednesday mornings")
        assert "I-1" in p.card_text(card) and "Quiet hours" in p.card_text(card)

        await p.react("bob", card, "up")
        await p.react("carol", card, "up")
        assert score(hromada, "idea", 1, tenant=p.tenant) == 2
        await p.react("carol", card, "up", added=False)
        assert score(hromada, "idea", 1, tenant=p.tenant) == 1

        refused = await p.command("bob", "/idea status I-1 planned")
        assert "Only moderators" in refused
        told = await p.command("boss", "/idea status I-1 planned")
        assert "planned" in told
        assert any("planned" in dm and "I-1" in dm for dm in p.dms("alice"))
        assert any("planned" in dm and "I-1" in dm for dm in p.dms("bob"))
        assert p.dms("carol") == [] and p.dms("boss") == []  # carol took her vote back

        said = p.say("dan", "VPN: use vpn2.example.com when vpn1 is slow")
        await p.react("erin", said, "books")
        assert "K-1" in p.replies_to(said)
        found = await p.command("erin", "/kb vpn2")
        assert "K-1" in found and "VPN" in found
