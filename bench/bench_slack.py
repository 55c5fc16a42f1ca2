"""Slack: how long a member waits for the answer, against a bare Bolt app, in the same run.

What is timed is the answer the member sees, not an empty ack: the ack's body when the answer
rides in it; else the ``response_url`` post or the ``chat.postMessage`` that carries it, stamped
when the fake Slack receives it. For ``/idea`` that is the public card in the channel.

Three processes: ours (``SlackServer`` under uvicorn on loopback, real signature checks, the
same start-up as ``hromada serve``), the bare app (a Bolt ``AsyncApp`` served the same way whose
handlers answer in their ack and do no work), and this one, which sends signed slash commands
and runs the fake Slack Web API that the answers reach (one clock for send and receipt).

- closed loop: 50 clients, each sends its next command once it has seen the answer to the
  last; answers per second; targets ``/kb`` ≥ 0.3× and ``/idea`` ≥ 0.25× the bare app.
- open loop: commands sent on a fixed schedule, each timed from when it was DUE (queueing
  shows); 10k snippets at 100/s: p99 ≤ 50 ms for ``/kb`` and ``/idea``; 100k snippets in one
  tenant at 50/s: ``/kb`` p99 ≤ 100 ms; no answer over 3 s.
- the ``/kb`` cost curve: p50/p99 at 1k, 10k and 100k snippets (open loop, 50/s).

Run: ``.venv/bin/python bench/bench_slack.py`` (about three minutes), ``--quick`` (under a
minute: shorter runs, no 100k tenant).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN"):
    os.environ.pop(name, None)

SECRET = "bench-signing-secret"
TEAM = "T1"  # the bot token's workspace: its users answer users.info
CONCURRENCY = 50
TIMEOUT = 10.0  # an answer not seen by then counts as lost
TOO_SLOW = 3.0  # no answer may take longer (Slack's own ack limit)
# Tenants by size: (team id, snippets). The 10k one takes the closed-loop and /idea runs.
SIZES = {1_000: "T1K", 10_000: "T10K", 100_000: "T100K"}

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


# -- the store ---------------------------------------------------------------------------------


def seed(url: str, sizes: list[int]) -> None:
    """Each size's snippets in a tenant of their own, inserted in bulk (the store's triggers
    index them as they would any insert)."""
    from sqlalchemy import insert

    from core.app import Hromada
    from core.context import Actor
    from core.search import normalise
    from storage.db import Database
    from storage.models import Counter, Item, utcnow

    db = Database(url)
    db.upgrade()
    hromada = Hromada(db, secret=b"bench")
    rng = random.Random(7)
    now = utcnow()
    for size in sizes:
        tenant = f"slack:{SIZES[size]}"
        with hromada.context(Actor(tenant, "U000", "member0")):
            pass  # the tenant and a member exist
        for start in range(1, size + 1, 20_000):
            rows = []
            for n in range(start, min(size, start + 19_999) + 1):
                title = sentence(rng, rng.randint(3, 7))
                rows.append({"tenant_id": tenant, "kind": "snippet", "number": n,
                             "title": title, "body": sentence(rng, 20),
                             "search_text": normalise(title), "anonymous": False,
                             "status": "published", "created_at": now, "updated_at": now})
            with db.uow() as session:
                session.execute(insert(Item), rows)
        with db.uow() as session:
            session.add(Counter(tenant_id=tenant, kind="snippet", last=size))
    db.dispose()


# -- the servers, each in its own process --------------------------------------------------------


def ours_main(conn: Any, db_url: str, api_url: str) -> None:
    """Our server as ``hromada serve`` runs it (its start-up included); answers its port."""
    from pydantic import SecretStr

    from bots.delivery import Deliveries
    from bots.runtime import build
    from bots.serve import settle_after_startup
    from bots.slack.runner import SlackServer
    from core.config import Settings

    # (generation, wall seconds, CPU seconds) of each collection: on a busy machine the wall
    # time also holds the moments the process was not running at all.
    pauses: list[tuple[int, float, float]] = []
    began: list[float] = [0.0, 0.0]

    def timed_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[:] = [time.perf_counter(), time.thread_time()]
        else:
            pauses.append((info["generation"], time.perf_counter() - began[0],
                           time.thread_time() - began[1]))

    async def run() -> None:
        settings = Settings(_env_file=None, slack_bot_token=SecretStr(f"xoxb-{TEAM}"),  # type: ignore[call-arg]
                            slack_signing_secret=SecretStr(SECRET), slack_api_url=api_url,
                            database_url=db_url, secret_key=SecretStr("bench"), port=0)
        hromada = build(settings)
        server = SlackServer(hromada, settings, Deliveries(), host="127.0.0.1", port=0)
        await server.start()
        settle_after_startup()
        conn.send(server.port)
        loop = asyncio.get_running_loop()
        while True:
            msg = await loop.run_in_executor(None, conn.recv)
            if msg == "stop":
                break
            if msg == "settle":  # the warm-up is over: from here the collector is watched
                await server.background.drain()
                pauses.clear()
                gc.callbacks.append(timed_gc)
                conn.send("settled")
            if msg == "gc":
                conn.send(list(pauses))
            if msg == "cpu":
                conn.send(time.process_time())
        await server.stop()
        hromada.db.dispose()

    asyncio.run(run())


def bare_main(conn: Any, api_url: str) -> None:
    """A bare Bolt AsyncApp that answers in its ack and does no work, served like ours."""
    import socket

    import uvicorn
    from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    async def run() -> None:
        app = AsyncApp(signing_secret=SECRET, process_before_response=True,
                       client=AsyncWebClient(token=f"xoxb-{TEAM}", base_url=api_url))

        async def fixed(ack: Any) -> None:
            await ack(response_type="in_channel", text="ok")

        app.command("/kb")(fixed)
        app.command("/idea")(fixed)
        handler = AsyncSlackRequestHandler(app)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        sock.setblocking(False)
        config = uvicorn.Config(handler, lifespan="off", log_level="warning", access_log=False,
                                timeout_keep_alive=30, backlog=1024)
        server = uvicorn.Server(config)
        serving = asyncio.ensure_future(server.serve(sockets=[sock]))
        conn.send(sock.getsockname()[1])
        while await asyncio.get_running_loop().run_in_executor(None, conn.recv) == "cpu":
            conn.send(time.process_time())
        server.should_exit = True
        await serving

    asyncio.run(run())


# -- the fake Slack and the load, in this process ----------------------------------------------


def make_fake() -> Any:
    from tests.fakes.slack_api import Call, FakeSlack

    class TimedSlack(FakeSlack):
        """Stamps the answers when they arrive: a ``response_url`` post named after its
        request, or a ``chat.postMessage`` into the request's own channel. Keeps no calls."""

        def __init__(self) -> None:
            super().__init__()
            self.waiters: dict[str, asyncio.Future[float]] = {}

        async def _record(self, call: Call) -> None:
            now = time.perf_counter()
            if call.method == "response_url":
                key = str(call.params.get("name"))
            elif call.method == "chat.postMessage":
                key = str(call.params.get("channel", ""))[1:]
            else:
                return
            waiter = self.waiters.pop(key, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)

        def _m_chat_postMessage(self, ws: Any, p: dict[str, Any]) -> dict[str, Any]:
            return {"ok": True, "channel": p["channel"], "ts": self._next_ts()}

    return TimedSlack()


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, per answered command
    lost: int = 0
    in_ack: int = 0  # answers that rode in the ack
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


class Load:
    """Signed slash commands; each finished when its answer is visible to the member."""

    def __init__(self, fake: Any, session: Any) -> None:
        from slack_sdk.signature import SignatureVerifier

        self.fake = fake
        self.session = session
        self.verifier = SignatureVerifier(SECRET)
        self.counter = 0
        self.rng = random.Random(11)
        from core.commands import REGISTRY

        # A sentence opening with a subcommand word ("merge …") would not be an idea.
        self.subcommands = {c.words[0] for c in REGISTRY.groups["idea"].commands if c.words}

    def text(self, command: str) -> str:
        if command == "/kb":
            return " ".join(self.rng.sample(WORDS, 2))
        words = sentence(self.rng, 6)
        while words.split()[0] in self.subcommands:
            words = sentence(self.rng, 6)
        return f"{words} #{self.counter:06x}"

    async def one(self, url: str, command: str, team: str, start: float,
                  out: Outcome) -> None:
        """One command; its latency is counted from ``start`` (when it was due)."""
        self.counter += 1
        key = str(self.counter)
        user = self.counter % CONCURRENCY
        body = urlencode({
            "token": "t", "team_id": team, "team_domain": team.lower(), "channel_id": f"C{key}",
            "channel_name": "general", "user_id": f"U{user:03d}", "user_name": f"member{user}",
            "command": command, "text": self.text(command), "api_app_id": "A1",
            "response_url": f"{self.fake.base}/respond/{key}", "trigger_id": key})
        ts = str(int(time.time()))
        headers = {"X-Slack-Request-Timestamp": ts,
                   "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
                   "Content-Type": "application/x-www-form-urlencoded"}
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.fake.waiters[key] = waiter
        try:
            async with self.session.post(url, data=body, headers=headers) as resp:
                raw = await resp.read()
                acked = time.perf_counter()
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}")
            if raw.strip():  # the answer rode in the ack
                out.in_ack += 1
                out.latencies.append(acked - start)
                return
            seen = await asyncio.wait_for(waiter, TIMEOUT - (time.perf_counter() - start))
            out.latencies.append(seen - start)
        except (TimeoutError, RuntimeError, OSError):
            out.lost += 1
        finally:
            self.fake.waiters.pop(key, None)

    async def closed(self, url: str, command: str, team: str, seconds: float) -> Outcome:
        """50 clients, each sending again once its last answer is visible, for ``seconds``."""
        out = Outcome()
        t0 = time.perf_counter()
        stop = t0 + seconds

        async def client() -> None:
            while time.perf_counter() < stop:
                await self.one(url, command, team, time.perf_counter(), out)

        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        out.seconds = time.perf_counter() - t0
        return out

    async def paced(self, url: str, command: str, team: str, rate: float,
                    seconds: float) -> Outcome:
        """One command every 1/``rate`` s whatever the answers do, each timed from its due
        time (a late sender shows as latency too)."""
        out = Outcome()
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter() + 0.05
        tasks = []
        for i in range(int(rate * seconds)):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(loop.create_task(self.one(url, command, team, due, out)))
        await asyncio.gather(*tasks)
        out.seconds = time.perf_counter() - t0
        return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(values: list[float], p: float) -> str:
    return f"{pct(values, p) * 1000:7.1f}"


@dataclass
class Plan:
    closed_seconds: float
    paced_seconds: float
    sizes: list[int]
    profile: str | None = None  # a directory: py-spy samples our server in the closed loop
    ours_pid: int = 0


class Sampler:
    """py-spy sampling our server while one run goes (``--profile``): where the time goes."""

    def __init__(self, plan: Plan, name: str) -> None:
        self.plan, self.name = plan, name
        self.proc: Any = None
        self.out = f"{plan.profile}/{name}.txt" if plan.profile else ""

    async def __aenter__(self) -> Sampler:
        if self.plan.profile:
            self.proc = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                str(self.plan.ours_pid), "--rate", "500", "--format", "raw", "--threads",
                "--nonblocking", "--output", self.out,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            await asyncio.sleep(0.5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(2)
        await self.proc.wait()
        print(f"  profile of ours during {self.name}: {self.out}")
        for line in top_frames(self.out):
            print("   ", line)


def top_frames(path: str, n: int = 14) -> list[str]:
    """The functions our server spent its samples in: own (leaf) and with callees."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return ["(no samples: is py-spy installed and allowed to trace?)"]
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [f.split(" (")[0] + " " + f.rsplit("/", 1)[-1].rstrip(")")
                  for f in stack.split(";")[1:]]  # [0] is the thread
        if not frames:
            continue
        samples += int(count)
        own[frames[-1]] = own.get(frames[-1], 0) + int(count)
        for f in set(frames):
            total[f] = total.get(f, 0) + int(count)
    if not samples:
        return ["(no samples)"]
    out = [f"{samples} samples; own time:"]
    out += [f"  {c / samples:6.1%}  {f}" for f, c in sorted(own.items(), key=lambda x: -x[1])[:n]]
    out.append("with callees:")
    out += [f"  {c / samples:6.1%}  {f}"
            for f, c in sorted(total.items(), key=lambda x: -x[1])[:n * 2]]
    return out


async def cpu_of(conn: Any) -> float:
    """The server process's CPU seconds so far (user and system, all its threads)."""
    conn.send("cpu")
    return float(await asyncio.get_running_loop().run_in_executor(None, conn.recv))


async def measure(plan: Plan, fake: Any, urls: dict[str, str], ours: Any, bare_conn: Any) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        load = Load(fake, session)
        main_team = SIZES[10_000]
        # Warm-up: users cached, search indexes built, connections open; then the server
        # settles as it does after start-up.
        for team in (SIZES[s] for s in plan.sizes):
            for command in ("/kb", "/idea"):
                await load.closed(urls["ours"], command, team, 1.0)
        await load.closed(urls["bare"], "/kb", main_team, 1.0)
        ours.send("settle")
        await asyncio.get_running_loop().run_in_executor(None, ours.recv)

        print(f"\nclosed loop, {CONCURRENCY} clients, {plan.closed_seconds:.0f} s each, "
              "counted when the answer is visible (10k snippets)")
        print(f"{'':6} {'bare/s':>7} {'ours/s':>7} {'ratio':>6} {'target':>7}   "
              f"{'bare p50':>8} {'p99':>7}   {'ours p50':>8} {'p99':>7} {'lost':>5}")
        cpu: list[str] = []
        for command, target in (("/kb", 0.3), ("/idea", 0.25)):
            before = await cpu_of(bare_conn)
            bare = await load.closed(urls["bare"], command, main_team, plan.closed_seconds)
            bare_cpu = (await cpu_of(bare_conn) - before) / max(1, len(bare.latencies))
            before = await cpu_of(ours)
            async with Sampler(plan, f"closed{command.replace('/', '-')}"):
                mine = await load.closed(urls["ours"], command, main_team, plan.closed_seconds)
            await asyncio.sleep(0.5)  # work after the answer (attaching the card) counts too
            ours_cpu = (await cpu_of(ours) - before) / max(1, len(mine.latencies))
            ratio = mine.rate / bare.rate
            print(f"{command:6} {bare.rate:7.0f} {mine.rate:7.0f} {ratio:6.2f} "
                  f"{'≥' + str(target):>7} {'ok' if ratio >= target else 'MISS':>4}"
                  f" {ms(bare.latencies, 50)} {ms(bare.latencies, 99)}   "
                  f"{ms(mine.latencies, 50)} {ms(mine.latencies, 99)} {mine.lost:5}")
            cpu.append(f"{command}: ours {ours_cpu * 1000:.2f} ms, bare {bare_cpu * 1000:.2f} ms "
                       f"(bare/ours {bare_cpu / ours_cpu:.2f})")
        print("server CPU per answered command (all threads; steadier than rates on a busy "
              "machine): " + "; ".join(cpu))

        print(f"\nopen loop, {plan.paced_seconds:.0f} s each, latency from when each command "
              "was due until its answer is visible (ms)")
        print(f"{'':18} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}  {'in ack':>6} "
              f"{'lost':>4}  {'bare p99':>8} {'p99/bare':>8}  target")
        runs = [("/kb", 10_000, 100, 0.050), ("/idea", 10_000, 100, 0.050)]
        if 100_000 in plan.sizes:
            runs.append(("/kb", 100_000, 50, 0.100))
        curve: dict[int, Outcome] = {}
        bare_at: dict[tuple[str, int], Outcome] = {}
        for command, size, rate, target in runs:
            if (command, rate) not in bare_at:
                bare_at[(command, rate)] = await load.paced(urls["bare"], command, main_team,
                                                            rate, plan.paced_seconds)
            bare = bare_at[(command, rate)]
            mine = await load.paced(urls["ours"], command, SIZES[size], rate, plan.paced_seconds)
            if command == "/kb" and rate == 50:
                curve[size] = mine
            p99 = pct(mine.latencies, 99)
            worst = max(mine.latencies, default=float("inf"))
            met = p99 <= target and worst <= TOO_SLOW and not mine.lost
            print(f"{command:5} {size // 1000:>4}k @{rate:3}/s  {ms(mine.latencies, 50)} "
                  f"{ms(mine.latencies, 90)} {ms(mine.latencies, 99)} {worst * 1000:7.1f}  "
                  f"{mine.in_ack:6} {mine.lost:4}  {ms(bare.latencies, 99)} "
                  f"{p99 / pct(bare.latencies, 99):8.1f}  p99≤{target * 1000:.0f} "
                  f"{'ok' if met else 'MISS'}")

        print("\n/kb cost curve, open loop at 50/s (ms)")
        print(f"{'snippets':>9} {'p50':>7} {'p99':>7} {'max':>7}  {'p50/bare':>8} {'p99/bare':>8}")
        if ("/kb", 50) not in bare_at:
            bare_at[("/kb", 50)] = await load.paced(urls["bare"], "/kb", main_team, 50,
                                                    plan.paced_seconds)
        bare = bare_at[("/kb", 50)]
        for size in plan.sizes:
            if size not in curve:
                curve[size] = await load.paced(urls["ours"], "/kb", SIZES[size], 50,
                                               plan.paced_seconds)
            mine = curve[size]
            print(f"{size:9,} {ms(mine.latencies, 50)} {ms(mine.latencies, 99)} "
                  f"{max(mine.latencies, default=0) * 1000:7.1f}  "
                  f"{pct(mine.latencies, 50) / pct(bare.latencies, 50):8.1f} "
                  f"{pct(mine.latencies, 99) / pct(bare.latencies, 99):8.1f}")
        print(f"{'bare':>9} {ms(bare.latencies, 50)} {ms(bare.latencies, 99)} "
              f"{max(bare.latencies, default=0) * 1000:7.1f}")
        ours.send("gc")
        pauses = await asyncio.get_running_loop().run_in_executor(None, ours.recv)
        for gen in (0, 1, 2):
            took = [(w, c) for g, w, c in pauses if g == gen]
            print(f"ours: garbage collector, generation {gen}: {len(took)} collections, "
                  f"longest {max((w for w, _ in took), default=0) * 1000:.1f} ms "
                  f"(CPU {max((c for _, c in took), default=0) * 1000:.1f} ms), "
                  f"total {sum(w for w, _ in took) * 1000:.0f} ms")


async def run_all(plan: Plan, db_url: str) -> None:
    fake = make_fake()
    await fake.start()
    fake.add_workspace(TEAM)
    for i in range(CONCURRENCY):
        fake.add_user(TEAM, f"U{i:03d}", f"member{i}")
    api_url = fake.base + "/api/"
    ctx = mp.get_context("spawn")
    ours_conn, ours_child = ctx.Pipe()
    bare_conn, bare_child = ctx.Pipe()
    ours = ctx.Process(target=ours_main, args=(ours_child, db_url, api_url), daemon=True)
    bare = ctx.Process(target=bare_main, args=(bare_child, api_url), daemon=True)
    ours.start()
    bare.start()
    plan.ours_pid = ours.pid or 0
    loop = asyncio.get_running_loop()
    try:
        ports = {"ours": await loop.run_in_executor(None, ours_conn.recv),
                 "bare": await loop.run_in_executor(None, bare_conn.recv)}
        urls = {k: f"http://127.0.0.1:{p}/slack/events" for k, p in ports.items()}
        await measure(plan, fake, urls, ours_conn, bare_conn)
    finally:
        ours_conn.send("stop")
        bare_conn.send("stop")
        await loop.run_in_executor(None, ours.join, 20)
        await loop.run_in_executor(None, bare.join, 20)
        await fake.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="short runs and no 100k tenant (under a minute)")
    parser.add_argument("--profile", metavar="DIR",
                        help="sample our server with py-spy during the closed-loop runs "
                             "(pip install py-spy) and print where the time went")
    args = parser.parse_args()
    plan = (Plan(closed_seconds=3, paced_seconds=4, sizes=[1_000, 10_000]) if args.quick
            else Plan(closed_seconds=8, paced_seconds=10, sizes=[1_000, 10_000, 100_000]))
    plan.profile = args.profile
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        t = time.perf_counter()
        seed(db_url, plan.sizes)
        print(f"seeded {', '.join(f'{s:,}' for s in plan.sizes)} snippets (one tenant each) in "
              f"{time.perf_counter() - t:.1f} s; SQLite store; ours and the bare app each in a "
              "process of their own, load and fake Slack in a third")
        asyncio.run(run_all(plan, db_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
