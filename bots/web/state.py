"""What every page reaches through the request: the core, the settings, the deliveries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from bots.delivery import Deliveries
from core.app import Hromada
from core.config import Settings
from core.context import Actor
from core.replies import Notice

T = TypeVar("T")


def hromada_of(request: Request) -> Hromada:
    hromada: Hromada = request.app.state.hromada
    return hromada


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def deliver(request: Request, tenant_id: str, notices: list[Notice]) -> None:
    """Send a core reply's notices the way chat does (the tenant's platform delivery), so a
    status change made on the web tells the author and voters exactly as one made in chat."""
    deliveries: Deliveries | None = request.app.state.deliveries
    delivery = deliveries.for_tenant(tenant_id) if deliveries is not None else None
    if delivery is not None and notices:
        await delivery.notify(tenant_id, notices)


async def within(request: Request, actor: Actor, fn: Callable[..., T], *args: Any,
                 **kwargs: Any) -> T:
    """``fn(ctx, *args, **kwargs)`` in one core unit of work for ``actor``, off the event loop:
    how a page asks core for its plain values."""
    hromada = hromada_of(request)

    def call() -> T:
        with hromada.context(actor) as ctx:
            return fn(ctx, *args, **kwargs)

    return await run_in_threadpool(call)

