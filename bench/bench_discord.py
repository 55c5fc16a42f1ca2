"""Interaction round trip over loopback: INTERACTION_CREATE sent -> interaction callback received.

Two clients, the same fake Discord, the same run, alternating phases:

- bare: a discord.py command ``/idea submit text`` that only answers "ok" (ephemeral);
- hromada: the real adapter, ``/idea submit`` with a fresh idea each time (one transaction in
  the store, the private acknowledgement, then the card posted in the channel), in both
  acknowledgement modes: ``ack-first`` (the default: defer before the core runs) and
  ``direct`` (answer in the callback after the core call).

The clock starts just before the fake writes the gateway frame and stops when the callback
request reaches the fake's HTTP server, so both figures include discord.py's parsing and
HTTP on loopback. Each Hromada submission also waits until the card is posted before the
next one starts (no overlap). Target: hromada median <= 1.5x bare median.

Run: ``.venv/bin/python bench/bench_discord.py [--rounds 200] [--store sqlite|postgresql]``.
Bounded: a few hundred round trips, well under 3 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
from discord import app_commands  # noqa: E402

import bots.discord.bot as discord_bot  # noqa: E402
from bots.discord.runner import configure_api, restore_api  # noqa: E402
from core.app import Hromada  # noqa: E402
from core.context import Actor  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.bots.discord.harness import DiscordHarness  # noqa: E402
from tests.fakes.discord_server import FakeDiscord  # noqa: E402

WORDS = ("amber basil cedar delta ember fjord grove harbor iris juniper kestrel lumen maple "
         "nectar onyx prairie quartz raven sierra tundra umber violet willow xenon yarrow zephyr "
         "anchor bramble cobalt dune falcon glacier hollow indigo jasper koala lagoon meadow"
         ).split()
TIME_BUDGET = 150.0  # seconds: stop early rather than exceed 3 minutes
DEFAULT_ACK_FIRST = discord_bot.ACK_FIRST


def idea_text(rng: random.Random, n: int) -> str:
    """Distinct enough that the duplicate prompt never fires: every run posts a real card."""
    return f"{n} " + " ".join(rng.sample(WORDS, 6))


def interaction_payload(fake: FakeDiscord, guild_id: int, channel: int, user: dict,
                        text: str) -> dict[str, Any]:
    iid = fake.snowflake()
    guild = fake.guilds[guild_id]
    payload = {
        "id": str(iid), "application_id": str(fake.app_id), "type": 2, "token": f"t-{iid}",
        "version": 1, "attachment_size_limit": 8388608, "guild_id": str(guild_id),
        "channel_id": str(channel),
        "channel": {"id": str(channel), "type": 0, "guild_id": str(guild_id), "name": "general",
                    "position": 0, "permission_overwrites": [], "nsfw": False,
                    "parent_id": None},
        "member": fake.member_payload(guild, user), "locale": "en-US", "guild_locale": "en-US",
        "app_permissions": "2147483647", "entitlements": [], "context": 0,
        "authorizing_integration_owners": {"0": str(guild_id)},
        "data": {"id": "1", "name": "idea", "type": 1, "guild_id": str(guild_id),
                 "options": [{"type": 1, "name": "submit",
                              "options": [{"type": 3, "name": "text", "value": text}]}]},
    }
    fake.interactions[iid] = payload
    return payload


async def round_trip(fake: FakeDiscord, guild_id: int, payload: dict[str, Any]) -> float:
    ident = payload["id"]
    start = time.perf_counter()
    await fake.dispatch(guild_id, "INTERACTION_CREATE", payload)
    call = await fake.wait_for(lambda: fake.callbacks.get(ident))
    return call.at - start


async def bare_phase(rounds: int, rng: random.Random,
                     between: Hromada | None = None) -> list[float]:
    """The bare command; with ``between``, the same store work runs between interactions
    (outside the measured window) so caches are as cold as after a real submission."""
    fake = FakeDiscord()
    guild = fake.add_guild()
    channel = fake.add_channel(guild)
    user = fake.add_user("alice")
    await fake.start()
    saved = configure_api(fake.url)
    client = discord.Client(intents=discord.Intents(guilds=True), guild_ready_timeout=0.1)
    tree = app_commands.CommandTree(client)
    idea = app_commands.Group(name="idea", description="ideas")

    @idea.command(name="submit", description="submit")
    async def submit(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    tree.add_command(idea)
    await client.login("bare-token")
    task = asyncio.create_task(client.connect(reconnect=False))
    await client.wait_until_ready()
    try:
        out = []
        actor = Actor("discord:bench-between", "1", "Alice")
        for n in range(rounds):
            payload = interaction_payload(fake, guild.id, channel, user, idea_text(rng, n))
            out.append(await round_trip(fake, guild.id, payload))
            if between is not None:
                text = idea_text(rng, 70_000 + n)
                reply = await asyncio.to_thread(between.invoke, actor, ("idea", "submit"),
                                                {"text": text})
                await asyncio.to_thread(between.attach_message, actor.tenant_id,
                                        reply.item_id or 0, str(channel), str(n))
        return out
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)
        await fake.stop()
        restore_api(*saved)


async def hromada_phase(hromada: Hromada, rounds: int, rng: random.Random, offset: int,
                        ack_first: bool) -> tuple[list[float], list[float]]:
    """(ack round trips, completions: until the card is posted in the channel)."""
    discord_bot.ACK_FIRST = ack_first
    h = DiscordHarness(hromada)
    await h.start(trace=False)  # the bare client has no trace hook either
    user = h.user("alice")
    assert h.adapter is not None
    adapter = h.adapter
    try:
        acks, done = [], []
        for n in range(rounds):
            payload = h._base(user, 2, interaction_payload(
                h.fake, h.guild.id, h.channel, user, idea_text(rng, offset + n))["data"], None)
            start = time.perf_counter()
            acks.append(await round_trip(h.fake, h.guild.id, payload))
            await h.fake.wait_for(lambda p=payload: p["id"] in adapter.finished)
            done.append(h.posted()[-1].at - start)
        posted = len(h.posted_messages())
        assert posted == rounds, f"expected {rounds} cards, {posted} posted"
        return acks, done
    finally:
        await h.stop()
        discord_bot.ACK_FIRST = DEFAULT_ACK_FIRST


def core_only(hromada: Hromada, rounds: int, rng: random.Random) -> list[float]:
    """The same submission straight through the facade: the store's share of the round trip."""
    actor = Actor("discord:bench-core", "1", "Alice")
    out = []
    for n in range(rounds):
        start = time.perf_counter()
        reply = hromada.invoke(actor, ("idea", "submit"), {"text": idea_text(rng, 90_000 + n)})
        hromada.item_ref(actor.tenant_id, reply.item_id or 0)
        out.append(time.perf_counter() - start)
    return out


def summary(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[max(int(len(ms) * 0.95) - 1, 0)]
    return f"{name:9} n={len(ms):4}  median {statistics.median(ms):6.2f} ms  p95 {p95:6.2f} ms"


async def main_async(rounds: int, store: str) -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db" if store == "sqlite" else store
        db = Database(url)
        db.upgrade()
        hromada = Hromada(db, secret=b"bench")
        rng = random.Random(7)
        bare: list[float] = []
        bare_warm: list[float] = []
        first: list[float] = []
        first_done: list[float] = []
        direct: list[float] = []
        direct_done: list[float] = []
        began = time.perf_counter()
        await bare_phase(20, rng)  # warm-up: imports, first connections
        await hromada_phase(hromada, 20, rng, 10_000, True)
        block = max(rounds // 4, 1)
        for i in range(4):  # alternate so drift hits every variant alike
            if time.perf_counter() - began > TIME_BUDGET:
                break
            bare += await bare_phase(block, rng)
            bare_warm += await bare_phase(block, rng, between=hromada)
            acks, done = await hromada_phase(hromada, block, rng, 20_000 + i * block, True)
            first += acks
            first_done += done
            acks, done = await hromada_phase(hromada, block, rng, 40_000 + i * block, False)
            direct += acks
            direct_done += done
        core = core_only(hromada, block, rng)
        db.dispose()
    base = statistics.median(bare)
    print(summary("bare", bare) + "   (answers at once, no store)")
    print(summary("bare+work", bare_warm) + "   (the same, with a submission's store work between)")
    print(summary("core", core) + "   (/idea submit through the facade, no Discord)")
    print(summary("ack-first", first) + f"   ratio {statistics.median(first) / base:5.2f}x"
          "   (default: defer, run the core, edit the answer in)")
    print(summary("  posted", first_done) + "   (until the card is in the channel)")
    print(summary("direct", direct) + f"   ratio {statistics.median(direct) / base:5.2f}x"
          "   (ACK_FIRST=False: answer after the core call)")
    print(summary("  posted", direct_done) + "   (until the card is in the channel)")
    warm = statistics.median(bare_warm)
    print(f"ack-first vs bare+work: {statistics.median(first) / warm:5.2f}x   "
          "(the adapter's own share, caches equally cold)")
    print("target: hromada ack round trip <= 1.5x bare")
    print(f"total {time.perf_counter() - began:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--store", default="sqlite",
                        help="sqlite (a temporary file) or a SQLAlchemy URL")
    args = parser.parse_args()
    asyncio.run(main_async(args.rounds, args.store))


if __name__ == "__main__":
    main()
