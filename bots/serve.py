"""``hromada serve`` with platform tokens: every configured platform in one asyncio loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bots.delivery import Deliveries
from bots.runtime import build
from core import lifecycle
from core.app import Hromada
from core.config import Settings

log = logging.getLogger(__name__)


async def serve_async(settings: Settings) -> None:
    hromada = build(settings)
    deliveries = Deliveries()
    runners: list[Awaitable[None]] = []
    if settings.slack_bot_token is not None or settings.slack_client_id:  # token, or OAuth
        from bots.slack.runner import run_slack

        runners.append(run_slack(hromada, settings, deliveries))
    if settings.discord_token is not None:
        from bots.discord.runner import run_discord

        runners.append(run_discord(hromada, settings, deliveries))
    log.info("serving: %s", ", ".join(p for p, on in (
        ("slack", settings.slack_bot_token or settings.slack_client_id),
        ("discord", settings.discord_token)) if on))
    from bots.scheduler import CoffeeRunner, DigestRunner, start_scheduler

    scheduler = start_scheduler(DigestRunner(hromada, deliveries),
                                coffee_runner=CoffeeRunner(hromada, deliveries),
                                seconds=settings.scheduler_tick_seconds)
    schedule_purges(scheduler, hromada)
    try:
        await asyncio.gather(*runners)
    finally:
        scheduler.shutdown(wait=False)
        hromada.db.dispose()


PURGE_SECONDS = 3600


def schedule_purges(scheduler: AsyncIOScheduler, hromada: Hromada) -> None:
    """Hourly: tenants uninstalled longer than their retention period are deleted.

    Every process may run it; a purge is one transaction of deletes, so a second one finds
    nothing left to do."""

    async def purge() -> None:
        purged = await asyncio.to_thread(lifecycle.purge_due, hromada.db, hromada.clock.now())
        if purged:
            log.info("purged %d uninstalled tenants after their retention period", len(purged))

    scheduler.add_job(purge, IntervalTrigger(seconds=PURGE_SECONDS), id="purge",
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))


def serve(settings: Settings) -> None:
    asyncio.run(serve_async(settings))
