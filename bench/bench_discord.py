"""Discord: how long a member waits for what they see, against a bare discord.py bot.

Three processes: this one runs the fake Discord (gateway and REST, tests/fakes/discord_server.py)
and the load; one runs Hromada's Discord adapter as ``hromada serve`` does (``bots.runtime.build``
and ``start_discord``, its own fake Discord); one runs the BARE bot: a plain ``discord.Client``
with the same application commands, the same kind of store and the same fake, that

- for ``/idea submit <text>``: writes the rows ours writes before its card goes out, through
  SQLAlchemy Core into the same migrated store: the idea's number (its counter row) and the
  item row in one transaction (the FTS triggers fire as for ours), then sends a private
  acknowledgement as the interaction's callback and posts a card of the same size (ours,
  captured in the warm-up, with the text swapped) in the channel, both at once as ours does
  (ours then records the card's message so reactions count; the bare bot does not: that
  write is left out of its time, to its advantage);
- for ``/kb search <query>``: answers at once with a private message of the size of ours (no
  store work: the bare app of the Slack benchmark does none either).

What is timed is what the member waits for, from the moment the INTERACTION_CREATE frame is
written to the gateway socket (closed loop) or was due (open loop) until the fake's REST server
receives the request that makes the answer visible: for ``/idea`` the public card (POST
``/channels/{id}/messages``), for ``/kb`` the ephemeral answer (the callback that carries it,
or the edit of a deferred "thinking" message). An empty defer is never counted as the answer.

- closed loop: one interaction at a time, median and p95, ratio ours / bare (target <= 1.5x);
- open loop: interactions due on a fixed schedule (100/s for 10 s, over 10,000 snippets),
  latency counted from when each was due, p50/p90/p99/max, ratio ours / bare, how many took
  over 3 s (target: none).

Run: ``.venv/bin/python bench/bench_discord.py [--quick] [--repeat N] [--profile]``; the default
run takes about two minutes. ``--profile`` runs our bot under cProfile during the open-loop phases
and prints where its time went. ``HROMADA_DISCORD_CORE_WORKERS`` is read as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import multiprocessing as mp
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import make_titles, typo_queries  # noqa: E402
from tests.fakes.discord_server import Call, FakeDiscord  # noqa: E402

SNIPPETS = 10_000
RATE = 100.0  # open loop: interactions per second
SECONDS = 10.0  # open loop: length of each paced run
CLOSED = 150  # closed loop: round trips per command and bot
SLOW = 3.0  # Discord's limit for the first callback; no answer may take longer
# Idea texts are six of these (105): distinct ideas, as a team's are. With the first 38 only,
# 5 of 6 words shared with an earlier idea after ~1,700 of them, and the correct answer was a
# duplicate prompt, not a card (the bench counted it as lost).
WORDS = ("amber basil cedar delta ember fjord grove harbor iris juniper kestrel lumen maple "
         "nectar onyx prairie quartz raven sierra tundra umber violet willow xenon yarrow zephyr "
         "anchor bramble cobalt dune falcon glacier hollow indigo jasper koala lagoon meadow "
         "acorn beacon canyon dahlia estuary fern geyser heron island jetty kelp lantern marsh "
         "nimbus orchard pebble quill reef saffron thistle upland valley walnut yucca zinnia "
         "aspen birch cypress drift egret forge garnet hazel ivy jade kiln larch mesa nettle "
         "oak pine quarry ridge sage timber urchin vale wren yew alder brook cliff dell elm "
         "flint gorse heath inlet knoll loam moss nook otter peat rush slate tarn"
         ).split()
TOKEN = re.compile(r"q(\d+)z")


# -- the fake's side: interactions sent, answers seen -----------------------------------


class BenchDiscord(FakeDiscord):
    """The fake, noting when each interaction's visible answer arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: dict[str, str] = {}  # interaction id -> "idea" | "kb"
        self.by_token: dict[str, str] = {}  # interaction token -> id
        self.by_n: dict[int, str] = {}  # the idea's q<n>z token -> interaction id
        self.visible: dict[str, float] = {}  # interaction id -> perf_counter at arrival
        self.sample: dict[str, Any] = {}  # a body of each kind, for the bare bot's sizes
        self.guild = self.add_guild("Bench")
        self.channel = self.add_channel(self.guild, "general")
        self.member = self.add_user("alice")

    async def _rest(self, request: Any) -> Any:
        response = await super()._rest(request)
        self._note(self.calls[-1])
        return response

    def _note(self, call: Call) -> None:
        parts = call.path.strip("/").split("/")
        body = call.body if isinstance(call.body, dict) else {}
        if call.method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            m = TOKEN.search(json.dumps(body, ensure_ascii=False))
            ident = self.by_n.get(int(m.group(1))) if m else None
            if ident is not None:
                self.visible.setdefault(ident, call.at)
                self.sample.setdefault("card", body)
            return
        ident = None
        if parts[0] == "interactions" and body.get("type") == 4:
            ident = parts[1]
            data = body.get("data") or {}
        elif parts[0] == "webhooks" and len(parts) > 2 and call.method in ("PATCH", "POST"):
            ident = self.by_token.get(parts[2])
            data = body
        if ident is not None and self.kinds.get(ident) == "kb":
            self.visible.setdefault(ident, call.at)
            self.sample.setdefault("kb", data)

    def interaction(self, kind: str, value: str, n: int) -> dict[str, Any]:
        iid = self.snowflake()
        sub, option = ("submit", "text") if kind == "idea" else ("search", "query")
        payload = {
            "id": str(iid), "application_id": str(self.app_id), "type": 2, "token": f"t-{iid}",
            "version": 1, "attachment_size_limit": 8388608, "guild_id": str(self.guild.id),
            "channel_id": str(self.channel),
            "channel": {"id": str(self.channel), "type": 0, "guild_id": str(self.guild.id),
                        "name": "general", "position": 0, "permission_overwrites": [],
                        "nsfw": False, "parent_id": None},
            "member": self.member_payload(self.guild, self.member), "locale": "en-US",
            "guild_locale": "en-US", "app_permissions": "2147483647", "entitlements": [],
            "context": 0, "authorizing_integration_owners": {"0": str(self.guild.id)},
            "data": {"id": "1", "name": kind, "type": 1, "guild_id": str(self.guild.id),
                     "options": [{"type": 1, "name": sub,
                                  "options": [{"type": 3, "name": option, "value": value}]}]},
        }
        self.interactions[iid] = payload
        self.kinds[str(iid)] = kind
        self.by_token[payload["token"]] = str(iid)
        if kind == "idea":
            self.by_n[n] = str(iid)
        return payload

    def forget(self) -> None:
        """Drop what earlier phases recorded, so the fake's lookups stay as cheap."""
        self.calls.clear()
        self.messages.clear()
        self.interactions.clear()
        self.callbacks.clear()


class Load:
    """The same seeded texts for both bots: idea texts with a q<n>z token, typo'd queries."""

    def __init__(self, titles: list[str]) -> None:
        self.rng = random.Random(11)
        self.queries = [q for q, _ in typo_queries(titles, 4000, seed=5)]
        self.n = 0

    def next(self, kind: str) -> tuple[str, int]:
        self.n += 1
        if kind == "idea":
            return f"q{self.n}z " + " ".join(self.rng.sample(WORDS, 6)), self.n
        return self.queries[self.n % len(self.queries)], self.n


@contextmanager
def collector_paused() -> Iterator[None]:
    """The load's own process collects before a timed phase, not during it: its full
    collections (50-70 ms, over the fakes' records) stalled whichever bot was being timed."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def closed_loop(fake: BenchDiscord, load: Load, kind: str, rounds: int) -> list[float]:
    with collector_paused():
        return await _closed_loop(fake, load, kind, rounds)


async def _closed_loop(fake: BenchDiscord, load: Load, kind: str, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        value, n = load.next(kind)
        payload = fake.interaction(kind, value, n)
        ident = payload["id"]
        start = time.perf_counter()
        await fake.dispatch(fake.guild.id, "INTERACTION_CREATE", payload)
        at = await fake.wait_for(lambda i=ident: fake.visible.get(i), timeout=30)
        out.append(at - start)
    return out


async def open_loop(fake: BenchDiscord, load: Load, kind: str, rate: float,
                    seconds: float) -> tuple[list[float], int]:
    """Interactions due every 1/rate s; latency from when each was due. Returns (latencies of
    the answered, how many never got an answer within the wait)."""
    with collector_paused():
        return await _open_loop(fake, load, kind, rate, seconds)


async def _open_loop(fake: BenchDiscord, load: Load, kind: str, rate: float,
                     seconds: float) -> tuple[list[float], int]:
    total = int(rate * seconds)
    due: dict[str, float] = {}
    start = time.perf_counter() + 0.05
    for i in range(total):
        at = start + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        value, n = load.next(kind)
        payload = fake.interaction(kind, value, n)
        due[payload["id"]] = at
        await fake.dispatch(fake.guild.id, "INTERACTION_CREATE", payload)
    try:
        await fake.wait_for(lambda: all(i in fake.visible for i in due), timeout=SLOW + 5)
    except TimeoutError:
        pass
    out = [fake.visible[i] - at for i, at in due.items() if i in fake.visible]
    return out, total - len(out)


# -- the bots (child processes) ---------------------------------------------------------


def _quiet() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord").setLevel(logging.ERROR)


def run_ours(url: str, db_url: str, ready: Any, profile: str | None) -> None:
    """Hromada's adapter, built as ``hromada serve`` builds it."""
    _quiet()
    from bots.delivery import Deliveries
    from bots.discord.runner import start_discord
    from bots.runtime import build
    from core.config import Settings

    settings = Settings(discord_token="bench-token", discord_api_url=url,  # type: ignore[call-arg]
                        database_url=db_url, secret_key="bench-secret-key-0123456789abcdef")

    async def main() -> None:
        hromada = build(settings, migrate=False)
        client, adapter = await start_discord(hromada, settings, Deliveries(),
                                              guild_ready_timeout=0.1)
        await serve(client, ready, profile, adapter.close)

    asyncio.run(main())


def run_bare(url: str, db_url: str, ready: Any, card: dict[str, Any], kb: dict[str, Any],
             ack: str) -> None:
    """The bare bot: the same commands, the same rows per idea, same-size messages."""
    _quiet()
    import discord
    from discord import app_commands
    from sqlalchemy import insert, literal_column, update

    from bots.discord.runner import configure_api
    from storage.db import Database
    from storage.models import Counter, Item, utcnow

    configure_api(url)
    db = Database(db_url)
    table, counter = Item.__table__, Counter.__table__  # type: ignore[attr-defined]
    statement = insert(table)
    number = (update(counter).where(counter.c.tenant_id == "bare:bench", counter.c.kind == "idea")
              .values(last=counter.c.last + literal_column("1")).returning(counter.c.last))
    with db.engine.begin() as conn:
        conn.execute(insert(counter), {"tenant_id": "bare:bench", "kind": "idea", "last": 0})

    def store(text: str) -> None:
        """The rows ours writes before the card goes out: the idea's number, then the item
        (its triggers fire)."""
        now = utcnow()
        with db.engine.begin() as conn:
            n = conn.execute(number).scalar_one()
            conn.execute(statement, {
                "tenant_id": "bare:bench", "kind": "idea", "number": n, "title": text,
                "body": "", "search_text": text.lower(), "anonymous": False, "status": "open",
                "created_at": now, "updated_at": now})

    def card_for(text: str) -> discord.Embed:
        embeds = card.get("embeds") or [{}]
        raw = json.dumps(embeds[0], ensure_ascii=False)
        m = TOKEN.search(text)
        old = TOKEN.search(raw)
        if m and old:  # the same size: only the token differs
            raw = raw.replace(old.group(0), m.group(0))
        return discord.Embed.from_dict(json.loads(raw))

    answer = discord.Embed.from_dict((kb.get("embeds") or [{}])[0])
    client = discord.Client(intents=discord.Intents(guilds=True), guild_ready_timeout=0.1,
                            allowed_mentions=discord.AllowedMentions.none())
    tree = app_commands.CommandTree(client)
    idea = app_commands.Group(name="idea", description="ideas")
    kb_group = app_commands.Group(name="kb", description="knowledge")

    @idea.command(name="submit", description="submit")
    async def submit(interaction: discord.Interaction, text: str) -> None:
        await asyncio.to_thread(store, text)
        channel = client.get_partial_messageable(interaction.channel_id or 0)
        await asyncio.gather(interaction.response.send_message(ack, ephemeral=True),
                             channel.send(embed=card_for(text)))

    @kb_group.command(name="search", description="search")
    async def search(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(kb.get("content") or None, embed=answer,
                                                ephemeral=True)

    tree.add_command(idea)
    tree.add_command(kb_group)

    async def main() -> None:
        await client.login("bare-token")
        await serve(client, ready, None, db.dispose)

    asyncio.run(main())


async def serve(client: Any, ready: Any, profile: str | None, cleanup: Any) -> None:
    """Connect, say ready, serve until SIGTERM (SIGUSR1/2 start and stop the profiler)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        loop.add_signal_handler(signal.SIGUSR1, profiler.enable)
        loop.add_signal_handler(signal.SIGUSR2, profiler.disable)
    task = asyncio.create_task(client.connect(reconnect=False))
    await client.wait_until_ready()
    # What start-up made leaves the collector's reach, as ``hromada serve`` does; the bare
    # bot gets the same setting.
    from bots.serve import settle_after_startup

    settle_after_startup()
    ready.set()
    await stop.wait()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    await client.close()
    await asyncio.gather(task, return_exceptions=True)
    cleanup()


# -- the store ----------------------------------------------------------------------------


def seed(db_url: str, tenant: str, titles: list[str]) -> None:
    """A migrated store with ``titles`` as published snippets, inserted in bulk."""
    from sqlalchemy import insert

    from core.app import Hromada
    from core.context import Actor
    from core.search import normalise
    from storage.db import Database
    from storage.models import Counter, Item, utcnow

    db = Database(db_url)
    db.upgrade()
    hromada = Hromada(db, secret=b"bench")
    for tid in (tenant, "bare:bench"):  # the bare bot's rows go to a tenant of their own
        with hromada.context(Actor(tid, "0", "member0")):
            pass  # the tenant and a member exist
    now = utcnow()
    rows = [{"tenant_id": tenant, "kind": "snippet", "number": n, "title": t,
             "body": f"{t}. Ask in #help if the steps differ.", "search_text": normalise(t),
             "anonymous": False, "status": "published", "created_at": now, "updated_at": now}
            for n, t in enumerate(titles, 1)]
    with db.uow() as session:
        for i in range(0, len(rows), 5000):
            session.execute(insert(Item), rows[i:i + 5000])
        session.add(Counter(tenant_id=tenant, kind="snippet", last=len(rows)))
    db.dispose()


# -- figures ------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ms = sorted(values)
    return ms[min(len(ms) - 1, max(0, int(round(p / 100 * len(ms))) - 1))] * 1000


def closed_line(name: str, ours: list[float], bare: list[float]) -> tuple[str, float]:
    ratio = statistics.median(ours) / statistics.median(bare)
    return (f"{name:22} ours median {statistics.median(ours) * 1000:6.2f} ms  p95 "
            f"{pct(ours, 95):6.2f} ms | bare median {statistics.median(bare) * 1000:6.2f} ms  "
            f"p95 {pct(bare, 95):6.2f} ms | ratio {ratio:4.2f}x (target <= 1.5x)"), ratio


def open_line(name: str, ours: tuple[list[float], int],
              bare: tuple[list[float], int]) -> tuple[str, float]:
    def fig(v: tuple[list[float], int]) -> str:
        lat, lost = v
        over = sum(1 for x in lat if x > SLOW) + lost
        return (f"p50 {pct(lat, 50):6.1f} p90 {pct(lat, 90):6.1f} p99 {pct(lat, 99):7.1f} "
                f"max {max(lat) * 1000:7.1f} ms, >3 s: {over}")
    ratio = pct(ours[0], 99) / pct(bare[0], 99)
    return (f"{name:22} ours {fig(ours)}\n{'':22} bare {fig(bare)}\n"
            f"{'':22} ratio p99 {ratio:5.2f}x, p50 "
            f"{pct(ours[0], 50) / pct(bare[0], 50):5.2f}x"), ratio


async def main_async(args: argparse.Namespace) -> None:
    _quiet()
    ctx = mp.get_context("spawn")
    titles = make_titles(SNIPPETS)
    closed = 40 if args.quick else CLOSED
    seconds = 3.0 if args.quick else SECONDS
    with tempfile.TemporaryDirectory(prefix="hromada-bench-") as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        ours_fake, bare_fake = BenchDiscord(), BenchDiscord()
        # Both fakes describe the same guild, so both bots see the same ids.
        bare_fake.guild, bare_fake.channel, bare_fake.member = (
            ours_fake.guild, ours_fake.channel, ours_fake.member)
        bare_fake.guilds, bare_fake.users = ours_fake.guilds, ours_fake.users
        began = time.perf_counter()
        seed(db_url, f"discord:{ours_fake.guild.id}", titles)
        print(f"seeded {SNIPPETS} snippets in {time.perf_counter() - began:.1f} s")
        await ours_fake.start()
        await bare_fake.start()
        profile = f"{tmp}/ours.prof" if args.profile else None
        ready = ctx.Event()
        ours = ctx.Process(target=run_ours, args=(ours_fake.url, db_url, ready, profile))
        ours.start()
        await asyncio.to_thread(ready.wait, 60)
        load = Load(titles)
        # Warm-up: imports, caches, the index; and the bodies the bare bot copies.
        await closed_loop(ours_fake, load, "idea", 20)
        await closed_loop(ours_fake, load, "kb", 20)
        ack_call = next(c for c in reversed(ours_fake.calls)
                        if c.path.startswith("/interactions/") and c.body.get("type") == 4
                        and ours_fake.kinds.get(c.path.split("/")[2]) == "idea")
        ack = (ack_call.body.get("data") or {}).get("content") or "Posted."
        ready = ctx.Event()
        bare = ctx.Process(target=run_bare, args=(bare_fake.url, db_url, ready,
                                                  ours_fake.sample["card"],
                                                  ours_fake.sample["kb"], ack))
        bare.start()
        await asyncio.to_thread(ready.wait, 60)
        await closed_loop(bare_fake, load, "idea", 20)
        await closed_loop(bare_fake, load, "kb", 20)
        sizes = {k: len(json.dumps(f.sample[s])) for k, f, s in (
            ("ours card", ours_fake, "card"), ("bare card", bare_fake, "card"),
            ("ours kb", ours_fake, "kb"), ("bare kb", bare_fake, "kb"))}
        print("bodies (bytes of JSON): " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
        lines: list[str] = []
        ratios: dict[str, list[float]] = {}
        try:
            for _rep in range(args.repeat):
                for kind in ("idea", "kb"):
                    half = closed // 2  # alternate halves so drift hits both alike
                    o: list[float] = []
                    b: list[float] = []
                    for _ in range(2):
                        o += await closed_loop(ours_fake, load, kind, half)
                        b += await closed_loop(bare_fake, load, kind, half)
                    line, ratio = closed_line(f"closed /{kind}", o, b)
                    lines.append(line)
                    ratios.setdefault(f"closed /{kind} median", []).append(ratio)
                    print(line, flush=True)
                for kind in ("idea", "kb"):
                    for fake in (ours_fake, bare_fake):
                        fake.forget()
                    if profile:
                        os.kill(ours.pid or 0, signal.SIGUSR1)
                    oo = await open_loop(ours_fake, load, kind, RATE, seconds)
                    if profile:
                        os.kill(ours.pid or 0, signal.SIGUSR2)
                    bb = await open_loop(bare_fake, load, kind, RATE, seconds)
                    line, ratio = open_line(f"open /{kind} {RATE:.0f}/s", oo, bb)
                    ratios.setdefault(f"open /{kind} p99", []).append(ratio)
                    print(line, flush=True)
        finally:
            for proc in (ours, bare):
                if proc.pid:
                    os.kill(proc.pid, signal.SIGTERM)
                await asyncio.to_thread(proc.join, 20)
            await ours_fake.stop()
            await bare_fake.stop()
        if args.repeat > 1:
            print("medians over repeats: " + ", ".join(
                f"{k} {statistics.median(v):.2f}x" for k, v in ratios.items()))
        print(f"total {time.perf_counter() - began:.0f} s")
        if profile:
            import pstats

            print("\nour bot, open-loop phases, by cumulative time:")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
            print("by own time:")
            pstats.Stats(profile).sort_stats("tottime").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s paced runs, fewer rounds")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the measured phases")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile our bot during the open-loop phases")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
