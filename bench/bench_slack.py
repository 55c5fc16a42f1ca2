"""Slack adapter throughput and ack latency against a bare Bolt app, in the same run.

Both apps are Bolt ``AsyncApp``s served the same way (uvicorn on loopback, our ASGI wrapper,
signature verification on); the bare one's handlers ack a fixed text and do nothing else. Signed
slash commands come from a separate load process (50 concurrent clients, keep-alive) so the
load does not share the servers' event loop; the fake Slack Web API runs in a third process.

Throughput for our app counts a command as done when its answer is delivered (ack, plus the
posted message or response_url call that follows it): the clock stops after the app's
background work has drained. Reported:

- read: ``/kb <query>`` over 10,000 snippets; target ≥ 0.5× the bare app
- write: ``/idea <text>``; target ≥ 0.25× the bare app
- p99 ack latency (time to Slack's HTTP answer) with 50 concurrent clients; target ≤ 100 ms

Run: ``.venv/bin/python bench/bench_slack.py`` (about a minute; bounded well under 3).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN"):
    os.environ.pop(name, None)

SECRET = "bench-signing-secret"
TEAM = "T1"
CONCURRENCY = 50
SNIPPETS = 10_000
READS = 600
WRITES = 400
WARMUP = 150
CHEAP = 1000
PACED = 250  # mixed /kb and /idea, each of the 50 clients sending one every PACE seconds
PACE = 2.5
DEADLINE = 150.0  # seconds: the whole bench stops measuring after this

WORDS = (
    "deploy release rollback staging production database backup restore migration schema index "
    "query cache redis kafka queue worker cron scheduler alert pager oncall incident postmortem "
    "runbook vpn proxy firewall certificate dns domain email calendar invoice billing payroll "
    "expense travel laptop monitor keyboard office parking kitchen wifi printer badge access "
    "offboarding handbook policy holiday vacation sick leave benefits pension "
    "insurance review promotion salary bonus training course mentor buddy design figma sprint "
    "retro standup planning roadmap okr kpi dashboard metrics grafana kibana logs tracing "
    "python golang rust typescript react android ios api gateway auth oauth token secret vault "
    "kubernetes docker helm terraform ansible aws gcp azure bucket lambda network latency "
    "throughput error budget slo sla customer support ticket refund contract legal gdpr privacy "
    "security audit compliance laptop-setup git branch review merge conflict hotfix feature flag "
    "experiment analytics funnel churn retention pricing marketing brand website blog newsletter"
).split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


# -- the fake Slack Web API, in its own process ---------------------------------------------


def fake_main(conn: Any) -> None:
    from tests.fakes.slack_api import FakeSlack

    async def run() -> None:
        fake = FakeSlack()
        await fake.start()
        fake.add_workspace(TEAM)
        for i in range(CONCURRENCY):
            fake.add_user(TEAM, f"U{i:03d}", f"member{i}")
        conn.send(fake.base)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        await fake.stop()

    asyncio.run(run())


# -- the load generator, in its own process ---------------------------------------------------


def load_main(conn: Any) -> None:
    """Waits for ("run", url, requests, response_url, period); answers (latencies, seconds)."""
    import aiohttp
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(SECRET)

    async def run(url: str, requests: list[tuple[str, str]], response_url: str,
                  period: float) -> tuple[list[float], float]:
        """Closed loop (``period`` 0): each client sends again as soon as it is answered.
        Paced: each client sends one command every ``period`` seconds."""
        latencies: list[float] = []
        queue: asyncio.Queue[tuple[int, str, str]] = asyncio.Queue()
        for i, (command, text) in enumerate(requests):
            queue.put_nowait((i, command, text))
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def client(n: int) -> None:
                if period:
                    await asyncio.sleep(period * n / CONCURRENCY)  # spread the clients out
                while not queue.empty():
                    i, command, text = queue.get_nowait()
                    due = time.perf_counter() + period
                    body = urlencode({
                        "token": "t", "team_id": TEAM, "team_domain": "t1", "channel_id": "C1",
                        "channel_name": "general", "user_id": f"U{n:03d}",
                        "user_name": f"member{n}", "command": command, "text": text,
                        "api_app_id": "A1", "response_url": f"{response_url}/r{i}",
                        "trigger_id": uuid.uuid4().hex})
                    ts = str(int(time.time()))
                    headers = {"X-Slack-Request-Timestamp": ts,
                               "X-Slack-Signature": verifier.generate_signature(
                                   timestamp=ts, body=body),
                               "Content-Type": "application/x-www-form-urlencoded"}
                    start = time.perf_counter()
                    async with session.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        if resp.status != 200:
                            raise RuntimeError(f"HTTP {resp.status}")
                    latencies.append(time.perf_counter() - start)
                    if period:
                        await asyncio.sleep(max(0.0, due - time.perf_counter()))

            start = time.perf_counter()
            await asyncio.gather(*(client(n) for n in range(CONCURRENCY)))
            return latencies, time.perf_counter() - start

    while True:
        msg = conn.recv()
        if msg[0] == "stop":
            return
        _, url, requests, response_url, period = msg
        conn.send(asyncio.run(run(url, requests, response_url, period)))


# -- the servers, in this process ---------------------------------------------------------------


def seed(url: str) -> None:
    """10,000 snippets in one tenant, inserted in bulk (the FTS triggers index them)."""
    from sqlalchemy import insert

    from core.app import Hromada
    from core.context import Actor
    from core.search import normalise
    from storage.db import Database
    from storage.models import Counter, Item, utcnow

    db = Database(url)
    db.upgrade()
    hromada = Hromada(db, secret=b"bench")
    tenant = f"slack:{TEAM}"
    with hromada.context(Actor(tenant, "U000", "member0")):
        pass  # the tenant and a member exist
    rng = random.Random(7)
    now = utcnow()
    rows = []
    for n in range(1, SNIPPETS + 1):
        title = sentence(rng, rng.randint(3, 7))
        rows.append({"tenant_id": tenant, "kind": "snippet", "number": n, "title": title,
                     "body": sentence(rng, 20), "search_text": normalise(title),
                     "anonymous": False, "status": "published", "created_at": now,
                     "updated_at": now})
    with db.uow() as session:
        session.execute(insert(Item), rows)
        session.add(Counter(tenant_id=tenant, kind="snippet", last=SNIPPETS))
    db.dispose()


async def serve_bare(port_holder: list[int]) -> Any:
    """A bare Bolt AsyncApp acking a fixed text, served exactly like ours."""
    import socket

    import uvicorn
    from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(signing_secret=SECRET, process_before_response=True,
                   client=AsyncWebClient(token=f"xoxb-{TEAM}", base_url=os.environ["BENCH_API"]))

    async def fixed(ack: Any) -> None:
        await ack("ok")

    app.command("/kb")(fixed)
    app.command("/idea")(fixed)
    app.command("/hromada")(fixed)
    handler = AsyncSlackRequestHandler(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.setblocking(False)
    port_holder.append(sock.getsockname()[1])
    config = uvicorn.Config(handler, lifespan="off", log_level="warning", access_log=False,
                            timeout_keep_alive=30, backlog=1024)
    server = uvicorn.Server(config)
    return server, asyncio.ensure_future(server.serve(sockets=[sock]))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def main_async(load: Any, fake_base: str, db_url: str) -> dict[str, Any]:
    from pydantic import SecretStr

    from bots.delivery import Deliveries
    from bots.runtime import build
    from bots.slack.runner import SlackServer
    from core.config import Settings

    settings = Settings(_env_file=None, slack_bot_token=SecretStr(f"xoxb-{TEAM}"),  # type: ignore[call-arg]
                        slack_signing_secret=SecretStr(SECRET), slack_api_url=fake_base + "/api/",
                        database_url=db_url, secret_key=SecretStr("bench"), port=0)
    hromada = build(settings)
    ours = SlackServer(hromada, settings, Deliveries(), host="127.0.0.1", port=0)
    await ours.start()
    bare_port: list[int] = []
    bare_server, bare_task = await serve_bare(bare_port)
    urls = {"ours": f"http://127.0.0.1:{ours.port}/slack/events",
            "bare": f"http://127.0.0.1:{bare_port[0]}/slack/events"}
    response_url = fake_base + "/respond"
    rng = random.Random(11)
    loop = asyncio.get_running_loop()
    started = time.perf_counter()

    async def run(which: str, requests: list[tuple[str, str]],
                  period: float = 0.0) -> tuple[list[float], float]:
        t0 = time.perf_counter()
        load.send(("run", urls[which], requests, response_url, period))
        latencies, _ = await loop.run_in_executor(None, load.recv)
        if which == "ours":
            await ours.background.drain()
        return latencies, time.perf_counter() - t0

    def reads(n: int) -> list[tuple[str, str]]:
        return [("/kb", " ".join(rng.sample(WORDS, 2))) for _ in range(n)]

    from core.commands import REGISTRY

    # A sentence opening with a subcommand word ("merge …") would be a usage error, not an idea.
    subcommands = {c.words[0] for c in REGISTRY.groups["idea"].commands if c.words}

    def idea_text() -> str:
        words = sentence(rng, 6)
        while words.split()[0] in subcommands:
            words = sentence(rng, 6)
        return f"{words} #{uuid.uuid4().hex[:6]}"

    def writes(n: int) -> list[tuple[str, str]]:
        return [("/idea", idea_text()) for _ in range(n)]

    def cheap(n: int) -> list[tuple[str, str]]:
        return [("/hromada", "settings") for _ in range(n)]

    def mixed(n: int) -> list[tuple[str, str]]:
        return [r for pair in zip(reads(n // 2), writes(n // 2), strict=True) for r in pair]

    for which in ("bare", "ours"):
        await run(which, reads(WARMUP))
    results: dict[tuple[str, str], dict[str, float]] = {}
    scenarios = (("read", reads, READS, 0.0), ("write", writes, WRITES, 0.0),
                 ("cheap", cheap, CHEAP, 0.0), ("paced", mixed, PACED, PACE))
    for label, make, n, period in scenarios:
        for which in ("bare", "ours"):
            if time.perf_counter() - started > DEADLINE:
                raise SystemExit("bench ran past its deadline")
            latencies, seconds = await run(which, make(n), period)
            results[(label, which)] = {"rps": len(latencies) / seconds,
                                       "p50": statistics.median(latencies) * 1000,
                                       "p99": pct(latencies, 99) * 1000}
    # The core alone, no Slack at all: the same commands straight into Hromada.run on the
    # adapter's worker count. ours/core shows what the adapter adds on the heavy paths.
    from concurrent.futures import ThreadPoolExecutor

    from core.config import Settings as _Settings

    CORE_WORKERS = _Settings(_env_file=None).slack_core_workers  # type: ignore[call-arg]
    from core.context import Actor

    def core_rps(requests: list[tuple[str, str]]) -> float:
        actors = [Actor(f"slack:{TEAM}", f"U{i:03d}", f"member{i}") for i in range(CONCURRENCY)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max(CORE_WORKERS, 1)) as pool:
            list(pool.map(lambda ir: hromada.run(actors[ir[0] % CONCURRENCY], ir[1][0][1:],
                                                 ir[1][1]), enumerate(requests)))
        return len(requests) / (time.perf_counter() - t0)

    results[("read", "core")] = {"rps": core_rps(reads(READS // 2))}
    results[("write", "core")] = {"rps": core_rps(writes(WRITES // 2))}
    await ours.stop()
    bare_server.should_exit = True
    await bare_task
    hromada.db.dispose()
    return results


def main() -> int:
    from core.config import Settings as _Settings

    CORE_WORKERS = _Settings(_env_file=None).slack_core_workers  # type: ignore[call-arg]

    ctx = mp.get_context("spawn")
    fake_conn, fake_child = ctx.Pipe()
    fake = ctx.Process(target=fake_main, args=(fake_child,), daemon=True)
    fake.start()
    fake_base = fake_conn.recv()
    os.environ["BENCH_API"] = fake_base + "/api/"
    load_conn, load_child = ctx.Pipe()
    load = ctx.Process(target=load_main, args=(load_child,), daemon=True)
    load.start()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        t = time.perf_counter()
        seed(db_url)
        print(f"seeded {SNIPPETS} snippets in {time.perf_counter() - t:.1f}s; "
              f"{CONCURRENCY} concurrent clients, SQLite store")
        try:
            results = asyncio.run(main_async(load_conn, fake_base, db_url))
        finally:
            load_conn.send(("stop",))
            fake_conn.send("stop")
            load.join(10)
            fake.join(10)
    print(f"{'':6} {'bare req/s':>10} {'ours req/s':>10} {'ratio':>6} {'target':>7} "
          f"{'bare p50':>9} {'bare p99':>9} {'ours p50':>9} {'ours p99':>9}")
    for label, target in (("read", "≥0.50"), ("write", "≥0.25"), ("cheap", "-"),
                          ("paced", "-")):
        bare, ours = results[(label, "bare")], results[(label, "ours")]
        ratio = ours["rps"] / bare["rps"]
        print(f"{label:6} {bare['rps']:10.0f} {ours['rps']:10.0f} {ratio:6.2f} {target:>7} "
              f"{bare['p50']:7.1f}ms {bare['p99']:7.1f}ms {ours['p50']:7.1f}ms "
              f"{ours['p99']:7.1f}ms")
    for label in ("read", "write"):
        core = results[(label, "core")]["rps"]
        print(f"{label}: the core alone ({CORE_WORKERS} threads, no Slack) {core:.0f} req/s; "
              f"ours/core {results[(label, 'ours')]['rps'] / core:.2f}, "
              f"core/bare {core / results[(label, 'bare')]['rps']:.2f}")
    print("read/write/cheap: closed loop, 50 clients; ours counts a command done when its answer "
          "is delivered.\ncheap = /hromada settings (core ~0.5 ms): the adapter's own cost. "
          f"paced = 50 clients, one /kb or /idea each every {PACE} s; ack p99 target ≤ 100 ms.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
