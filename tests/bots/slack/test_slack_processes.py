"""Two real ``hromada serve`` processes in Slack HTTP mode, as behind one load balancer.

Both processes share one store; requests go to either of them. Slack installs two workspaces
through them (the install starts on one process and returns to the other), every signed slash
command is answered once by the process it reached, a reaction event that Slack retries onto
the other process is applied once, and each workspace's weekly digest goes out once although
both processes run the scheduler.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from core.app import Hromada
from storage.db import Database
from storage.models import Item, Member, Tenant, Vote, utcnow
from tests.bots.processes import Served, base_env, logs, serving
from tests.bots.slack.harness import CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET, user_id
from tests.bots.store_checks import score
from tests.fakes.slack_api import FakeSlack

TEAMS = ("T1", "T2", "T3")
DIGEST_CHANNEL = "CDIGEST"
DEADLINE = 60.0  # seconds for anything to happen; a bound, not a measurement


async def until(check: Callable[[], Any], what: str, served: list[Served],
                timeout: float = DEADLINE) -> Any:
    """Poll ``check`` (the store, or a log file) until it is truthy: the processes are other
    programs, so there is no event of theirs to wait on."""
    end = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > end:
            pytest.fail(f"{what}: not within {timeout:.0f} s\n{logs(served)}")
        await asyncio.sleep(0.05)


class Balancer:
    """Signs requests as Slack does and sends each to the process a test names."""

    def __init__(self, session: aiohttp.ClientSession, fake: FakeSlack, ports: list[int]) -> None:
        self.session = session
        self.fake = fake
        self.ports = ports
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self.acks: dict[str, Any] = {}  # response_url name -> ack body of the command

    async def post(self, process: int, body: str, content_type: str,
                   headers: dict[str, str] | None = None) -> tuple[int, str]:
        ts = str(int(time.time()))
        sent = {"X-Slack-Request-Timestamp": ts, "Content-Type": content_type,
                "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
                **(headers or {})}
        async with self.session.post(f"http://127.0.0.1:{self.ports[process]}/slack/events",
                                     data=body.encode(), headers=sent) as resp:
            return resp.status, await resp.text()

    async def command(self, process: int, team: str, user: str, command: str,
                      text: str) -> str:
        """A slash command; returns the name of its response URL (its identity here)."""
        name = f"cmd-{uuid.uuid4().hex[:8]}"
        fields = {"token": "legacy", "team_id": team, "team_domain": team.lower(),
                  "channel_id": "C1", "channel_name": "general", "user_id": user,
                  "user_name": user.lower(), "command": command, "text": text,
                  "api_app_id": "A0HROMADA", "response_url": self.fake.response_url(name),
                  "trigger_id": f"trigger.{uuid.uuid4().hex[:8]}"}
        status, body = await self.post(process, urlencode(fields),
                                       "application/x-www-form-urlencoded")
        assert status == 200, body
        self.acks[name] = json.loads(body) if body else None
        return name

    async def react(self, process: int, team: str, user: str, ts: str, *, added: bool,
                    event_id: str, retry: int | None = None) -> None:
        event = {"type": "reaction_added" if added else "reaction_removed", "user": user,
                 "reaction": "+1", "item": {"type": "message", "channel": "C1", "ts": ts},
                 "event_ts": f"{time.time():.6f}"}
        payload = {"token": "legacy", "team_id": team, "api_app_id": "A0HROMADA",
                   "event": event, "type": "event_callback", "event_id": event_id,
                   "event_time": int(time.time()),
                   "authorizations": [{"team_id": team, "is_bot": True,
                                       "user_id": self.fake.workspaces[team].bot_user_id}]}
        headers = ({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
                   if retry is not None else None)
        status, body = await self.post(process, json.dumps(payload), "application/json",
                                       headers)
        assert status == 200, body

    async def install(self, team: str, *, start: int, finish: int) -> None:
        """The OAuth install begins on one process and comes back to another."""
        base = f"http://127.0.0.1:{self.ports[start]}"
        async with self.session.get(base + "/slack/install") as resp:
            page = await resp.text()
            cookie = resp.headers.get("Set-Cookie", "").split(";")[0]
        state = re.search(r"state=([^&\"']+)", page)
        assert state, page
        query = urlencode({"code": self.fake.oauth_code(team), "state": state.group(1)})
        async with self.session.get(
                f"http://127.0.0.1:{self.ports[finish]}/slack/oauth_redirect?{query}",
                headers={"Cookie": cookie}) as resp:
            assert resp.status == 200, await resp.text()

    def answers(self, name: str) -> int:
        """How often the command was answered privately: in its ack, or on its response URL."""
        later = [c for c in self.fake.calls_of("response_url") if c.params.get("name") == name]
        return int(bool(self.acks.get(name))) + len(later)


def port_of(text: str) -> int | None:
    found = re.search(r"slack adapter up: HTTP on port (\d+)", text)
    return int(found.group(1)) if found else None


def scheduler_runs(served: list[Served]) -> list[int]:
    return [s.text().count("Running job") for s in served]


def tenants(db: Database) -> None:
    """Both workspaces known for a month, no digest channel yet."""
    with db.uow() as session:
        for team in TEAMS:
            session.add(Tenant(id=f"slack:{team}", name=team,
                               created_at=utcnow() - timedelta(days=30)))


def make_digests_due(db: Database) -> None:
    """The digest channel named for both tenants at once, while both schedulers tick."""
    with db.uow() as session:
        for team in TEAMS:
            tenant = session.get(Tenant, f"slack:{team}")
            assert tenant is not None
            tenant.digest_channel = DIGEST_CHANNEL


def card_ts(fake: FakeSlack, team: str, ref: str) -> str | None:
    ws = fake.workspaces[team]
    return next((m.ts for m in fake.messages(team, "C1")
                 if m.user == ws.bot_user_id and ref in m.text and m.thread_ts is None), None)


def votes_of(hromada: Hromada, team: str, user: str) -> int:
    with hromada.db.uow() as session:
        item = session.execute(select(Item).where(Item.tenant_id == f"slack:{team}",
                                                  Item.kind == "idea",
                                                  Item.number == 1)).scalar_one()
        return len(session.execute(
            select(Vote.id).join(Member, Member.id == Vote.member_id)  # type: ignore[arg-type]
            .where(Vote.item_id == item.id, Member.user_id == user)).all())


async def test_two_processes_behind_one_balancer(db: Database, db_url: str, hromada: Hromada,
                                                  tmp_path: Path) -> None:
    fake = FakeSlack()
    await fake.start()
    people = ("alice", "bob", "carol")
    for team in TEAMS:
        fake.add_workspace(team, f"Team {team}")
        for name in people:
            fake.add_user(team, user_id(name), name.capitalize())
    tenants(db)
    envs = []
    for i in range(2):
        env = base_env(db_url, tmp_path / f"data-{i}")
        env.update({"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                    "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url,
                    "PORT": "0", "HROMADA_SLACK_CORE_WORKERS": "1",
                    # Ticks close together, so both schedulers meet the due digests at once.
                    "HROMADA_SCHEDULER_TICK_SECONDS": "0.1"})
        envs.append(env)
    alice, bob, carol = (user_id(n) for n in people)
    session = aiohttp.ClientSession()
    try:
        with serving(envs, tmp_path) as served:
            ports = await until(lambda: all(port_of(s.text()) for s in served) and
                                [port_of(s.text()) for s in served], "both listening", served)
            lb = Balancer(session, fake, ports)
            for i, team in enumerate(TEAMS):
                await lb.install(team, start=i % 2, finish=(i + 1) % 2)

            # Each workspace: an idea through each process, then a look at I-1 through the
            # process that did not store it.
            submitted: dict[str, list[str]] = {}
            for team in TEAMS:
                submitted[team] = [
                    await lb.command(0, team, alice, "/idea", f"Quiet hours in {team}"),
                    await lb.command(1, team, bob, "/idea", f"Standing desks in {team}")]
            await fake.wait_for(lambda _calls: all(card_ts(fake, t, f"I-{n}")
                                                   for t in TEAMS for n in (1, 2)), DEADLINE)
            shown = {team: await lb.command(1, team, carol, "/idea", "show I-1")
                     for team in TEAMS}
            await fake.wait_for(lambda _c: all(lb.answers(n) for n in shown.values()), DEADLINE)

            # A vote in T1 reaches process 0; Slack retries it onto process 1; the vote is
            # taken back through process 1; Slack's later retry lands on process 0 again.
            ts = card_ts(fake, "T1", "I-1")
            assert ts is not None
            await lb.react(0, "T1", bob, ts, added=True, event_id="EvVOTE1")
            await until(lambda: votes_of(hromada, "T1", bob) == 1, "the vote", served)
            await lb.react(1, "T1", bob, ts, added=True, event_id="EvVOTE1", retry=1)
            await lb.react(1, "T1", bob, ts, added=False, event_id="EvUNVOTE1")
            await until(lambda: votes_of(hromada, "T1", bob) == 0, "the vote taken back",
                        served)
            await lb.react(0, "T1", bob, ts, added=True, event_id="EvVOTE1", retry=2)
            # One core worker per process: carol's vote, sent after the retry to the same
            # process, is applied after it; once hers is in, the retry has had its turn.
            await lb.react(0, "T1", carol, ts, added=True, event_id="EvVOTE2")
            await until(lambda: votes_of(hromada, "T1", carol) == 1, "carol's vote", served)

            marks = scheduler_runs(served)
            await until(lambda: all(n > m for n, m in zip(scheduler_runs(served), marks,
                                                           strict=True)), "ticks", served)
            make_digests_due(db)

            def digests() -> list[Any]:
                return [c for c in fake.calls_of("chat.postMessage")
                        if c.params.get("channel") == DIGEST_CHANNEL]

            await fake.wait_for(lambda _c: len({c.token for c in digests()}) == len(TEAMS),
                                DEADLINE)
            # A second claim of a period would post within a tick; let both tick twice more.
            marks = scheduler_runs(served)
            await until(lambda: all(n >= m + 2 for n, m in zip(scheduler_runs(served), marks,
                                                                strict=True)), "ticks", served)
    finally:
        await session.close()
        await fake.stop()

    assert score(hromada, "idea", 1, tenant="slack:T1") == 1, "bob's vote stays taken back"
    assert votes_of(hromada, "T1", bob) == 0 and votes_of(hromada, "T1", carol) == 1
    for team in TEAMS:
        cards = [m for m in fake.messages(team, "C1")
                 if m.user == fake.workspaces[team].bot_user_id and m.thread_ts is None]
        assert sorted(re.search(r"I-\d", m.text).group(0) for m in cards) == ["I-1", "I-2"], \
            f"each idea of {team} posted once"
        assert all(lb.acks[name] is None and lb.answers(name) == 0
                   for name in submitted[team]), "public answers only"
        assert lb.answers(shown[team]) == 1, "the private answer once"
        with db.uow() as s:
            numbers = sorted(s.execute(select(Item.number).where(
                Item.tenant_id == f"slack:{team}")).scalars())
        assert numbers == [1, 2]
    tokens = sorted(c.token or "" for c in digests())
    assert tokens == sorted(fake.workspaces[t].bot_token for t in TEAMS), "one digest each"
