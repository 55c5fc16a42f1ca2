"""What every page reaches through the request: the core, the settings, the deliveries."""

from __future__ import annotations

from starlette.requests import Request

from bots.delivery import Deliveries
from core.app import Hromada
from core.config import Settings
from core.replies import Notice


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
