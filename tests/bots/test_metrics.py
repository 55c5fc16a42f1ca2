"""/metrics, /healthz and /readyz as an operator's scraper and probes read them.

In process against the real Bolt app, and as the README runs it: a real `hromada serve`
process with Slack's settings (pointed at the loopback fake) answering /metrics after one
signed command; and the console chat when PORT is set.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.signature import SignatureVerifier

from bots import metrics
from core.app import Hromada
from storage.db import downgrade, upgrade
from tests.bots.slack.harness import SIGNING_SECRET, SlackHarness
from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url + "/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=")
        return await resp.text()


async def test_commands_errors_and_duplicates_are_counted(hromada: Hromada) -> None:
    metrics.watch_core()
    async with SlackHarness.running(hromada) as slack:
        before = await scrape(slack.session, slack.url)
        await slack.command("alice", "/idea", "Quiet hours on Wednesday mornings")
        await slack.command("alice", "/idea", "show I-99")  # refused: no such idea
        [card] = slack.posted("C1")
        await slack.react("bob", "C1", card.ts, "+1", event_id="EvM1")
        await slack.react("bob", "C1", card.ts, "+1", event_id="EvM1", retry_num=1)
        after = await scrape(slack.session, slack.url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    idea = {"platform": "slack", "command": "/idea"}
    assert delta("hromada_requests_total", **idea) == 2
    assert delta("hromada_ack_seconds_count", **idea) == 2
    assert delta("hromada_answer_seconds_count", **idea) == 2
    assert delta("hromada_ack_seconds_bucket", le="3.0", **idea) == 2  # inside Slack's 3 s
    assert delta("hromada_errors_total", platform="slack", error="NotFound") == 1
    assert delta("hromada_events_deduplicated_total", platform="slack") == 1


async def test_ready_only_when_the_schema_is_at_head(hromada: Hromada, db_url: str) -> None:
    async with SlackHarness.running(hromada) as slack:
        async with slack.session.get(slack.url + "/healthz") as resp:
            assert resp.status == 200 and (await resp.json()) == {"alive": True}
        status, state = await slack.health()
        assert status == 200 and state == {"store": True, "migrations": True, "slack": True}
        downgrade(db_url, "-1")
        try:
            status, state = await slack.health()
            assert status == 503 and state["migrations"] is False and state["store"] is True
            async with slack.session.get(slack.url + "/healthz") as resp:
                assert resp.status == 200  # alive all the same: a restart would not help
        finally:
            upgrade(db_url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def serve_env(db_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "DISCORD_", "HROMADA_"))}
    env.update(HROMADA_DATABASE_URL=db_url, HROMADA_DATA_DIR=str(tmp_path / "data"),
               HROMADA_SECRET_KEY="metrics-test-secret", PORT=str(free_port()))
    yield env


async def wait_up(session: aiohttp.ClientSession, url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            async with session.get(url + "/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)  # polling a process we started; no event to wait on
    raise AssertionError("the server did not come up")


def stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


async def test_hromada_serve_answers_metrics_after_one_signed_command(
        serve_env: dict[str, str]) -> None:
    fake = FakeSlack()
    await fake.start()
    fake.add_workspace("T1")
    fake.add_user("T1", "UALICE", "Alice")
    serve_env.update(SLACK_BOT_TOKEN=fake.workspaces["T1"].bot_token,
                     SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url)
    url = f"http://127.0.0.1:{serve_env['PORT']}"
    proc = subprocess.Popen([sys.executable, "-m", "bots.cli", "serve"], cwd=ROOT,
                            env=serve_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_up(session, url, proc)
            body = urlencode({"token": "legacy", "team_id": "T1", "team_domain": "t1",
                              "channel_id": "C1", "channel_name": "general",
                              "user_id": "UALICE", "user_name": "alice", "command": "/kb",
                              "text": "vpn", "api_app_id": "A0HROMADA",
                              "response_url": fake.response_url("m1"),
                              "trigger_id": "trigger.1"})
            ts = str(int(time.time()))
            headers = {"X-Slack-Request-Timestamp": ts, "Content-Type":
                       "application/x-www-form-urlencoded",
                       "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET)
                       .generate_signature(timestamp=ts, body=body)}
            async with session.post(url + "/slack/events", data=body, headers=headers) as resp:
                assert resp.status == 200
            deadline = time.monotonic() + 30
            while True:  # the answer may follow the ack through response_url
                text = await scrape(session, url)
                if value(text, "hromada_answer_seconds_count", platform="slack",
                         command="/kb") or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            async with session.get(url + "/readyz") as resp:
                assert resp.status == 200
    finally:
        log = stop(proc)
        await fake.stop()
    kb = {"platform": "slack", "command": "/kb"}
    assert value(text, "hromada_requests_total", **kb) == 1, log
    assert value(text, "hromada_ack_seconds_count", **kb) == 1
    assert value(text, "hromada_answer_seconds_count", **kb) == 1
    for family in ("hromada_digests", "hromada_database_errors", "hromada_errors",
                   "hromada_events_deduplicated"):
        assert f"# TYPE {family}_total counter" in text or f"# TYPE {family} counter" in text


async def test_console_chat_serves_metrics_when_port_is_set(serve_env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{serve_env['PORT']}"
    proc = subprocess.Popen([sys.executable, "-m", "bots.cli", "chat", "--as", "ann"],
                            cwd=ROOT, env=serve_env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdin is not None
        proc.stdin.write("/idea Quiet hours on Wednesday mornings\n/idea show I-42\n")
        proc.stdin.flush()
        async with aiohttp.ClientSession() as session:
            await wait_up(session, url, proc)
            deadline = time.monotonic() + 30
            while True:
                text = await scrape(session, url)
                # A request is counted when it comes in, its error once the core refused it.
                done = (value(text, "hromada_requests_total", platform="console",
                              command="/idea") >= 2
                        and value(text, "hromada_errors_total", platform="console",
                                  error="NotFound") >= 1)
                if done or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            stop(proc)
    assert value(text, "hromada_requests_total", platform="console", command="/idea") == 2
    assert value(text, "hromada_errors_total", platform="console", error="NotFound") == 1


class _Flaky:
    """A console delivery whose first post fails, then works."""

    platform = "console"

    def __init__(self) -> None:
        self.posts = 0

    async def post(self, tenant_id: str, channel_id: str, reply) -> str:
        self.posts += 1
        if self.posts == 1:
            raise ConnectionError("the platform is down")
        return f"m{self.posts}"

    async def post_picture(self, *args: object) -> None:
        return None

    async def notify(self, tenant_id: str, notices: list) -> list[str]:
        return []


async def test_digests_are_counted_claimed_posted_failed(hromada: Hromada, actor, clock,
                                                         tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import timedelta

    from bots.delivery import Deliveries
    from bots.scheduler import DigestRunner

    mod = replace(actor("mod", admin=True), channel_id="C-digest")
    hromada.run(mod, "idea", "Quiet hours on Wednesday mornings")
    hromada.run(mod, "digest", "here")
    deliveries = Deliveries()
    deliveries.add(_Flaky())
    runner = DigestRunner(hromada, deliveries, image_dir=tmp_path / "pictures")

    def count(outcome: str) -> float:
        return metrics.REGISTRY.get_sample_value("hromada_digests_total",
                                                 {"outcome": outcome}) or 0.0

    before = {o: count(o) for o in ("claimed", "posted", "failed")}
    clock.advance(timedelta(days=7))
    for _ in range(20):  # the failed try backs off; later ticks post it once
        await runner.tick()
        clock.advance(timedelta(minutes=1))
    assert {o: count(o) - before[o] for o in before} == {"claimed": 2, "posted": 1, "failed": 1}


def test_database_errors_are_counted(db_url: str) -> None:
    from sqlalchemy import text

    from storage.db import Database

    db = Database(db_url)
    metrics.watch_database(db.engine)
    before = sum(s.value for s in metrics.DB_ERRORS.collect()[0].samples
                 if s.name.endswith("_total"))
    with pytest.raises(Exception):  # noqa: B017 - any driver error will do
        with db.engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
    after = sum(s.value for s in metrics.DB_ERRORS.collect()[0].samples
                if s.name.endswith("_total"))
    db.dispose()
    assert after - before == 1
