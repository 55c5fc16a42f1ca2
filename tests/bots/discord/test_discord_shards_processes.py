"""Two real ``hromada serve`` processes share the shards of one bot and one store.

The fake Discord runs in the test with four shards and max_concurrency 2; process A runs shards
0,1 and process B shards 2,3 (``DISCORD_SHARD_IDS``). The fake holds HELLO until both processes
opened their first socket, so their first IDENTIFYs race for the same bucket (0 and 2 share
``shard % 2``): only the identify turns kept in the store stop them arriving together.

Promises: every shard is identified once, by the process that owns it; no bucket sees two
IDENTIFYs within the window; every guild's command is answered once and its idea stored once;
every guild's weekly digest goes out once although both processes run the scheduler.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Item, Tenant, utcnow
from tests.bots.processes import base_env, logs, serving
from tests.fakes.discord_server import DISCORD_EPOCH_MS, FakeDiscord, FakeGuild

SHARDS = 4
MAX_CONCURRENCY = 2
# The processes' identify window (DISCORD_IDENTIFY_WINDOW); the fake checks a slightly shorter
# one, so loopback and scheduling jitter on a busy machine cannot look like a violation.
WINDOW = 2.0
FAKE_WINDOW = 1.0
PROCESS_SHARDS = ("0,1", "2,3")
GUILDS_PER_SHARD = (2, 1, 1, 2)
DEADLINE = 90.0  # seconds for everything to happen; a bound, not a measurement


def guilds_on_every_shard(fake: FakeDiscord) -> list[tuple[FakeGuild, int, int]]:
    """Guilds whose ids put them on each shard; (guild, command channel, digest channel)."""
    base_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS - 86_400_000
    base_ms -= base_ms % SHARDS
    serial = itertools.count(1)
    out = []
    for shard, n in enumerate(GUILDS_PER_SHARD):
        for k in range(n):
            gid = ((base_ms + shard + SHARDS * k) << 22) | next(serial)
            guild = fake.add_guild(f"Guild {shard}.{k}", guild_id=gid)
            assert (gid >> 22) % SHARDS == shard
            out.append((guild, fake.add_channel(guild, "general"),
                        fake.add_channel(guild, "digest")))
    return out


def tenants(db: Database, guilds: list[tuple[FakeGuild, int, int]]) -> None:
    """Each guild a tenant for a month already, no digest channel yet."""
    with db.uow() as session:
        for guild, _, _ in guilds:
            session.add(Tenant(id=f"discord:{guild.id}", name=guild.name,
                               created_at=utcnow() - timedelta(days=30)))


def make_digests_due(db: Database, guilds: list[tuple[FakeGuild, int, int]]) -> None:
    """Name every digest channel at once: the last weekly period of each tenant is due now,
    while both processes are ticking, so both schedulers see the same due digests."""
    with db.uow() as session:
        for guild, _, digest_channel in guilds:
            tenant = session.get(Tenant, f"discord:{guild.id}")
            assert tenant is not None
            tenant.digest_channel = str(digest_channel)


def command_payload(fake: FakeDiscord, guild: FakeGuild, channel: int,
                    user: dict[str, Any]) -> dict[str, Any]:
    """INTERACTION_CREATE for ``/idea submit text:...`` in a guild."""
    iid = fake.snowflake()
    data = {"id": str(fake.snowflake()), "name": "idea", "type": 1, "guild_id": str(guild.id),
            "options": [{"type": 1, "name": "submit", "options": [
                {"type": 3, "name": "text", "value": f"Quiet hours in {guild.name}"}]}]}
    payload = {
        "id": str(iid), "application_id": str(fake.app_id), "type": 2, "token": f"token-{iid}",
        "version": 1, "attachment_size_limit": 8 * 1024 * 1024, "guild_id": str(guild.id),
        "channel_id": str(channel),
        "channel": {"id": str(channel), "type": 0, "guild_id": str(guild.id), "name": "general",
                    "position": 0, "permission_overwrites": [], "nsfw": False,
                    "parent_id": None},
        "member": fake.member_payload(guild, user), "data": data, "locale": "en-US",
        "guild_locale": "en-US", "app_permissions": "2147483647", "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild.id)}, "context": 0,
    }
    fake.interactions[iid] = payload
    return payload


def identified_by(text: str) -> set[int]:
    return {int(s) for s in re.findall(r"shard (\d+) identifies", text)}


async def test_two_processes_share_the_shards(db: Database, db_url: str, tmp_path: Path) -> None:
    fake = FakeDiscord()
    fake.shard_count = SHARDS
    fake.max_concurrency = MAX_CONCURRENCY
    fake.identify_window = FAKE_WINDOW
    fake.hello_after = len(PROCESS_SHARDS)
    guilds = guilds_on_every_shard(fake)
    assert {(g.id >> 22) % SHARDS for g, _, _ in guilds} == set(range(SHARDS))
    tenants(db, guilds)
    await fake.start()
    envs = []
    for i, ids in enumerate(PROCESS_SHARDS):
        env = base_env(db_url, tmp_path / f"data-{i}")
        env.update({"DISCORD_TOKEN": "test-token", "DISCORD_API_URL": fake.url,
                    "DISCORD_SHARD_COUNT": str(SHARDS), "DISCORD_SHARD_IDS": ids,
                    "DISCORD_IDENTIFY_WINDOW": str(WINDOW)})
        envs.append(env)
    try:
        with serving(envs, tmp_path) as served:
            try:
                await fake.wait_for(lambda: len(fake.identify_log) >= SHARDS
                                    and len(fake.sockets) >= SHARDS, timeout=DEADLINE)
                await wait_ticks(served, 1)  # both schedulers run
                make_digests_due(db, guilds)
                alice = fake.add_user("alice")
                sent = []
                for guild, channel, _ in guilds:
                    payload = command_payload(fake, guild, channel, alice)
                    await fake.dispatch(guild.id, "INTERACTION_CREATE", payload)
                    sent.append(payload["id"])

                def answered() -> bool:
                    """Each answered in its callback, or deferred and then edited."""
                    edited = {c.path.split("/")[3] for c in fake.rest("PATCH", "/webhooks/")}
                    calls = fake.rest("POST", "/interactions/")
                    direct = {c.path.split("/")[2] for c in calls if c.body["type"] == 4}
                    later = {c.path.split("/")[2] for c in calls if c.body["type"] == 5
                             and c.path.split("/")[3] in edited}
                    return set(sent) <= direct | later

                def digested() -> bool:
                    return all(fake.rest("POST", f"/channels/{d}/messages") for _, _, d in guilds)

                await fake.wait_for(lambda: answered() and digested(), timeout=DEADLINE)
            except TimeoutError:
                pytest.fail("not everything happened in time\n" + logs(served))
            # Every process ticks its scheduler five times a second: a second claim of a
            # period would post within a tick. Wait until both processes have ticked again.
            await wait_ticks(served, 2)
            process_logs = [s.text() for s in served]
    finally:
        await fake.stop()

    shards = Counter(shard for _, shard in fake.identify_log)
    assert shards == dict.fromkeys(range(SHARDS), 1), "each shard identified once"
    assert all(i["shard"][1] == SHARDS for i in fake.identifies)
    assert fake.identify_violations() == [], fake.identify_log
    assert [identified_by(text) for text in process_logs] == [{0, 1}, {2, 3}]

    callbacks = Counter(c.path.split("/")[2] for c in fake.rest("POST", "/interactions/"))
    assert callbacks == dict.fromkeys(sent, 1), "each command answered once"
    with db.uow() as session:
        ideas = dict(session.execute(select(Item.tenant_id, func.count())
                                     .group_by(Item.tenant_id)).all())
    assert ideas == {f"discord:{g.id}": 1 for g, _, _ in guilds}

    for guild, channel, digest_channel in guilds:
        posts = fake.rest("POST", f"/channels/{digest_channel}/messages")
        assert len(posts) == 1, f"one digest in {guild.name}"
        assert "digest" in json.dumps(posts[0].body).lower()
        cards = fake.rest("POST", f"/channels/{channel}/messages")
        assert len(cards) == 1, f"the idea's card posted once in {guild.name}"


async def wait_ticks(served: list[Any], n: int) -> None:
    """Until every process logged ``n`` more scheduler runs (APScheduler logs each run)."""
    marks = [s.text().count("Running job") for s in served]

    async def loop() -> None:
        while any(s.text().count("Running job") < m + n for s, m in zip(served, marks,
                                                                          strict=True)):
            await asyncio.sleep(0.1)  # polling a log file: no event to wait on across processes

    await asyncio.wait_for(loop(), 30)
