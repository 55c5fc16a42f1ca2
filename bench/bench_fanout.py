"""A thousand tenants on one Monday morning: every digest due in the same minute, posted once.

1,000 Slack workspaces and 1,000 Discord guilds (``--tenants``) on PostgreSQL, two real
``hromada serve`` processes (Slack OAuth mode with an installation per workspace, and Discord
with one shard each), fakes that allow one message per channel per second and answer 429 with
``Retry-After`` beyond it (Slack's header; Discord's JSON ``retry_after``). The digests are set
to fall due at the next whole minute while both processes tick; the run ends when the fakes
have accepted one message per channel, then both schedulers tick twice more to show no
duplicate. Printed: duplicates and missing (both must be 0), seconds from the due minute to the
last post (target ≤ 120 s; the tick is the production one, every whole minute), digests/s,
and each process's CPU time (from ``/proc``, and the
scheduler's own share from its tick log lines).

Baseline, same run, same fakes and limits: 2,000 messages (one per channel) posted by a plain
aiohttp client with the same total concurrency, 429s waited out. The ratio says what the
scheduler, the store and the platform clients cost on top of the bare posting.

Needs PostgreSQL (``HROMADA_TEST_DATABASE_URL`` or postgresql+psycopg://postgres@127.0.0.1:5432/
test); skips when it is not reachable. A throwaway database is created and dropped.

    .venv/bin/python bench/bench_fanout.py [--tenants 1000] [--tick 60]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
from _common import reachable, store  # noqa: E402
from slack_sdk.oauth.installation_store.models.installation import Installation  # noqa: E402
from sqlalchemy import insert, make_url, text  # noqa: E402

from bots.scheduler import POST_CONCURRENCY  # noqa: E402
from bots.slack.installations import DbInstallationStore  # noqa: E402
from core.keys import deployment_key  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Tenant  # noqa: E402
from storage.tokens import TokenCipher  # noqa: E402
from tests.bots.processes import SECRET, Served, base_env, serving  # noqa: E402
from tests.fakes.discord_server import DISCORD_EPOCH_MS  # noqa: E402
from tests.fakes.rate_limits import ChannelLimit, RateLimitedDiscord, RateLimitedSlack  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET = "111.222", "fanout-client-secret", "fanout-signing"
CHANNEL = "CDIGEST"
TARGET_SECONDS = 120.0
PROCESSES = 2
TICK_LINE = re.compile(r"digest tick: (\d+) due, (\d+) posted here in ([\d.]+) s "
                       r"\(([\d.]+) s CPU\)")



def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (every thread of it)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def populate(db: Database, teams: list[str], guilds: list[tuple[int, int]]) -> None:
    """Tenants known for a month, digest channel set, due far ahead (nothing due at start);
    one Slack installation per workspace, saved through the app's own store."""
    now = datetime.now(UTC)
    later = now + timedelta(days=3)
    rows = [{"id": f"slack:{t}", "name": t, "digest_channel": CHANNEL} for t in teams]
    rows += [{"id": f"discord:{g}", "name": str(g), "digest_channel": str(c)} for g, c in guilds]
    with db.engine.begin() as conn:
        conn.execute(insert(Tenant), [
            {**r, "language": "en", "anonymity_k": 5, "company_values": "teamwork",
             "moderators": "", "moderator_roles": "", "digest_weekday": later.weekday(),
             "digest_time": later.strftime("%H:%M"), "digest_tz": "UTC",
             "digest_enabled": True, "created_at": now - timedelta(days=30),
             "digest_due_at": later, "retention_days": 30, "verify_days": 90} for r in rows])
    secret = deployment_key(db, configured=SECRET.encode(), legacy_file=Path("/nonexistent"),
                            now=now)
    installations = DbInstallationStore(client_id=CLIENT_ID, engine=db.engine,
                                        cipher=TokenCipher(db.engine, secret))
    for team in teams:
        installations._save(Installation(
            app_id="A0FANOUT", team_id=team, team_name=team, user_id="U0ADMIN",
            bot_token=f"xoxb-{team}", bot_id=f"B{team}", bot_user_id=f"UB{team}",
            bot_scopes="chat:write", installed_at=time.time()))


def make_due(db: Database, due: datetime) -> None:
    """Every tenant's digest falls due at ``due`` (a whole minute), as the tick left them."""
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE tenant SET digest_weekday = :d, digest_time = :t, "
                          "digest_tz = 'UTC', digest_due_at = :due"),
                     {"d": due.weekday(), "t": due.strftime("%H:%M"), "due": due})


async def baseline(slack: RateLimitedSlack, discord: RateLimitedDiscord, teams: list[str],
                   channels: list[int], concurrency: int) -> tuple[float, int]:
    """One message per channel through the same fakes, plain aiohttp, 429s waited out."""
    gate = asyncio.Semaphore(concurrency)
    refused = 0

    async def send(session: aiohttp.ClientSession, url: str, headers: dict[str, str],
                   body: dict[str, object]) -> None:
        nonlocal refused
        async with gate:
            while True:
                async with session.post(url, json=body, headers=headers) as resp:
                    data = await resp.json()
                    if resp.status != 429:
                        assert resp.status == 200, data
                        return
                    refused += 1
                    wait = (float(data["retry_after"]) if "retry_after" in data
                            else float(resp.headers["Retry-After"]))
                await asyncio.sleep(wait)

    jobs = []
    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        for team in teams:
            jobs.append(send(s, slack.api_url + "chat.postMessage",
                             {"Authorization": f"Bearer xoxb-{team}"},
                             {"channel": "CBASE", "text": "Weekly digest"}))
        for cid in channels:
            jobs.append(send(s, f"{discord.url}/api/v10/channels/{cid}/messages",
                             {"Authorization": "Bot test-token"},
                             {"content": "Weekly digest"}))
        await asyncio.gather(*jobs)
    return time.perf_counter() - t0, refused


def counts(limit: ChannelLimit, expected: list[str]) -> tuple[int, int]:
    """(duplicates, missing) over the expected channels; a post elsewhere is a duplicate too."""
    seen: Counter[str] = limit.accepted
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    duplicates += sum(n for c, n in seen.items() if c not in set(expected))
    return duplicates, sum(1 for c in expected if seen[c] == 0)


def ticks_of(served: Served) -> int:
    return served.text().count("Running job \"DigestRunner.tick")


async def wait_until(check, what: str, timeout: float, served: list[Served]) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end or any(s.process.poll() is not None for s in served):
            tails = "\n".join(s.text()[-3000:] for s in served)
            raise SystemExit(f"{what}: not within {timeout:.0f} s\n{tails}")
        await asyncio.sleep(0.1)


async def run(pg_url: str, n: int, tick: float) -> None:
    slack, discord = RateLimitedSlack(), RateLimitedDiscord()
    await slack.start()
    await discord.start()
    discord.shard_count = PROCESSES
    discord.max_concurrency = PROCESSES
    teams = [f"T{i:05d}" for i in range(n)]
    for team in teams:
        slack.add_workspace(team)
    base_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS - 86_400_000
    serial = itertools.count(1)
    guilds = [(((base_ms + i) << 22) | next(serial), ((base_ms + i) << 22) | next(serial))
              for i in range(n)]
    base_channels = [((base_ms + i) << 22) | next(serial) for i in range(n)]
    concurrency = PROCESSES * POST_CONCURRENCY

    bare, bare_refused = await baseline(slack, discord, teams, base_channels, concurrency)
    slack.limit, discord.limit = ChannelLimit(), ChannelLimit()
    print(f"baseline: {2 * n:,} messages by plain aiohttp ({concurrency} at once) in "
          f"{bare:.2f} s = {2 * n / bare:,.0f} messages/s ({bare_refused} answered 429)")

    with store(pg_url) as db, tempfile.TemporaryDirectory(prefix="hromada-fanout-") as tmp:
        t0 = time.perf_counter()
        populate(db, teams, guilds)
        print(f"populated {n:,} Slack workspaces (installed) and {n:,} Discord guilds in "
              f"{time.perf_counter() - t0:.1f} s")
        url = db.engine.url.render_as_string(hide_password=False)
        envs = []
        for i in range(PROCESSES):
            env = base_env(url, Path(tmp) / f"data-{i}")
            env.update({"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
                        "DISCORD_TOKEN": "test-token", "DISCORD_API_URL": discord.url,
                        "DISCORD_SHARD_COUNT": str(PROCESSES), "DISCORD_SHARD_IDS": str(i),
                        "DISCORD_IDENTIFY_WINDOW": "0.5",
                        "HROMADA_SCHEDULER_TICK_SECONDS": str(tick),
                        "HROMADA_LOG_LEVEL": "INFO"})
            envs.append(env)
        with serving(envs, Path(tmp)) as served:
            await wait_until(lambda: len(discord.sockets) >= PROCESSES and all(
                "slack adapter up" in s.text() and ticks_of(s) >= 1 for s in served),
                "both processes up and ticking", 120, served)
            due = datetime.now(UTC) + timedelta(seconds=15)
            due = due.replace(second=0, microsecond=0) + timedelta(minutes=1)
            make_due(db, due)
            wait = (due - datetime.now(UTC)).total_seconds()
            print(f"{2 * n:,} digests fall due at {due:%H:%M:%S} UTC ({wait:.0f} s from now); "
                  f"scheduler tick every {tick:g} s")
            await asyncio.sleep(max(0.0, wait))
            cpu0 = [cpu_seconds(s.process.pid) for s in served]
            due_mono = time.monotonic() - (datetime.now(UTC) - due).total_seconds()
            expected_slack = [f"xoxb-{t}/{CHANNEL}" for t in teams]
            expected_discord = [str(c) for _, c in guilds]

            def all_posted() -> bool:
                return (sum(1 for c in expected_slack if slack.limit.accepted[c]) == n and
                        sum(1 for c in expected_discord if discord.limit.accepted[c]) == n)

            try:
                await wait_until(all_posted, "every digest posted", TARGET_SECONDS * 3, served)
            except SystemExit as exc:
                print(str(exc)[:4000])
            last = max([*slack.limit.last.values(), *discord.limit.last.values()])
            first = min([*slack.limit.last.values(), *discord.limit.last.values()])
            cpu1 = [cpu_seconds(s.process.pid) for s in served]
            marks = [ticks_of(s) for s in served]
            await wait_until(lambda: all(ticks_of(s) >= m + 2 for s, m in zip(
                served, marks, strict=True)), "two more ticks", 2 * tick + 60, served)
            logs = [s.text() for s in served]
    await slack.stop()
    await discord.stop()

    dup_s, miss_s = counts(slack.limit, expected_slack)
    dup_d, miss_d = counts(discord.limit, expected_discord)
    spent = last - due_mono
    print(f"Slack:   {n:,} workspaces, duplicates = {dup_s}, missing = {miss_s}, "
          f"429s = {slack.limit.refused}, retries before Retry-After = {slack.limit.early}")
    print(f"Discord: {n:,} guilds, duplicates = {dup_d}, missing = {miss_d}, "
          f"429s = {discord.limit.refused}, retries before retry_after = {discord.limit.early}")
    print(f"all {2 * n:,} digests out {spent:.1f} s after the due minute (first post after "
          f"{first - due_mono:.1f} s, posting took {last - first:.1f} s); target ≤ "
          f"{TARGET_SECONDS:.0f} s: {'met' if spent <= TARGET_SECONDS else 'NOT met'}")
    rate = 2 * n / max(last - first, 1e-9)
    print(f"digests/s while posting: {rate:,.0f}; baseline {2 * n / bare:,.0f} messages/s; "
          f"ratio {rate / (2 * n / bare):.2f}× the bare posting")
    for i, text_ in enumerate(logs):
        ticks = [m.groups() for m in TICK_LINE.finditer(text_)]
        posted = sum(int(p) for _, p, _, _ in ticks)
        tick_cpu = sum(float(c) for _, _, _, c in ticks)
        print(f"process {i}: posted {posted:,}, CPU {cpu1[i] - cpu0[i]:.1f} s from the due minute "
              f"to the last post (/proc), {tick_cpu:.1f} s in the ticks that posted "
              f"= {1000 * tick_cpu / max(posted, 1):.1f} ms CPU per digest")
    if dup_s or dup_d or miss_s or miss_d:
        raise SystemExit("FAILED: a digest was duplicated or missing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000, help="per platform")
    parser.add_argument("--tick", type=float, default=60.0,
                        help="scheduler tick in seconds (HROMADA_SCHEDULER_TICK_SECONDS)")
    args = parser.parse_args()
    pg_url = os.environ.get("HROMADA_TEST_DATABASE_URL") or DEFAULT_PG
    if not reachable(pg_url):
        print(f"bench_fanout: skipped, PostgreSQL is not reachable at "
              f"{make_url(pg_url).render_as_string(hide_password=True)}")
        return
    asyncio.run(run(pg_url, args.tenants, args.tick))


if __name__ == "__main__":
    main()
