"""``hromada serve`` with platform tokens: every configured platform in one asyncio loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bots.delivery import Deliveries
from bots.ops import Ops, OpsServer
from bots.runtime import build
from core import housekeeping
from core.app import Hromada
from core.config import Settings

log = logging.getLogger(__name__)


async def serve_async(settings: Settings) -> None:
    hromada = build(settings)
    deliveries = Deliveries()
    ops = Ops(hromada)
    runners: list[Awaitable[None]] = []
    ops_server: OpsServer | None = None
    if settings.slack_bot_token is not None or settings.slack_client_id:  # token, or OAuth
        from bots.slack.runner import run_slack

        runners.append(run_slack(hromada, settings, deliveries, ops))  # serves ops paths too
    else:
        ops_server = OpsServer(ops, port=settings.port)
        await ops_server.start()
    if settings.discord_token is not None:
        from bots.discord.runner import run_discord

        runners.append(run_discord(hromada, settings, deliveries, ops))
    log.info("serving: %s", ", ".join(p for p, on in (
        ("slack", settings.slack_bot_token or settings.slack_client_id),
        ("discord", settings.discord_token)) if on))
    from bots.scheduler import CoffeeRunner, DigestRunner, start_scheduler

    scheduler = start_scheduler(DigestRunner(hromada, deliveries),
                                coffee_runner=CoffeeRunner(hromada, deliveries),
                                seconds=settings.scheduler_tick_seconds)
    schedule_housekeeping(scheduler, hromada)
    try:
        await asyncio.gather(*runners)
    finally:
        scheduler.shutdown(wait=False)
        if ops_server is not None:
            await ops_server.stop()
        hromada.db.dispose()


SWEEP_SECONDS = 3600


def schedule_housekeeping(scheduler: AsyncIOScheduler, hromada: Hromada) -> None:
    """Hourly: old event keys and drafts go, and tenants past their retention period.

    Every process may run it: each step is plain deletes, so a second run finds nothing."""

    async def sweep() -> None:
        await asyncio.to_thread(housekeeping.sweep, hromada.db, hromada.clock.now())

    scheduler.add_job(sweep, IntervalTrigger(seconds=SWEEP_SECONDS), id="housekeeping",
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))


def serve(settings: Settings) -> None:
    asyncio.run(serve_async(settings))
