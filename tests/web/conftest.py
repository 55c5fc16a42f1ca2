"""The web app over the real core and store, driven by Starlette's TestClient.

``sign_in(client, tenant_id, member_id, name, admin=False)`` signs a member in the way
``hromada web login`` does (a one-time link, then its form), so page tests need no identity
server. ``csrf_of(client)`` reads the session's CSRF token from a page, for forms.
``snapshot(hromada)`` is every row of the store, to assert that a refused request changed
nothing.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel
from starlette.testclient import TestClient

import storage.weblogin  # noqa: F401 - registers the table
from bots.delivery import Deliveries
from bots.web.app import SESSION_COOKIE, build_web
from core import web_login
from core.app import Hromada
from core.clock import SystemClock
from core.config import Settings
from core.replies import Notice, Reply

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class RecordingDelivery:
    """Notices the web sent, per platform, instead of a chat."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.notices: list[tuple[str, Notice]] = []

    async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> str:
        return "0"

    async def post_picture(self, tenant_id: str, channel_id: str, message_id: str,
                           reply: Reply) -> None:
        return None

    async def notify(self, tenant_id: str, notices: list[Notice]) -> list[str]:
        self.notices.extend((tenant_id, n) for n in notices)
        return []


def web_settings(**values: Any) -> Settings:
    """Settings for a web test: nothing from the environment or a .env file."""
    base: dict[str, Any] = {"public_url": "http://testserver"}
    base.update(values)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


@pytest.fixture
def notices() -> RecordingDelivery:
    return RecordingDelivery("console")


@pytest.fixture
def web(hromada: Hromada, notices: RecordingDelivery) -> Any:
    deliveries = Deliveries()
    deliveries.add(notices)
    for platform in ("slack", "discord"):
        deliveries.add(RecordingDelivery(platform))
    return build_web(hromada, web_settings(), deliveries)


@pytest.fixture
def client(web: Any) -> Iterator[TestClient]:
    with TestClient(web, base_url="http://testserver", follow_redirects=False) as c:
        yield c


@pytest.fixture
def other_client(web: Any) -> Iterator[TestClient]:
    """A second browser: another person signed in beside the first."""
    with TestClient(web, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, tenant_id: str, member_id: str, name: str,
            admin: bool = False) -> None:
    """Sign ``member_id`` of ``tenant_id`` in through a console one-time link."""
    hromada: Hromada = client.app.state.hromada  # type: ignore[attr-defined]
    token = web_login.issue(hromada.db, SystemClock(), tenant_id=tenant_id, name=name,
                            admin=admin, user_id=member_id)
    page = client.get(f"/login/link/{token}")
    assert page.status_code == 200, page.text
    done = client.post(f"/login/link/{token}", data={"csrf": csrf_in(page.text)})
    assert done.status_code == 303, done.text


def csrf_in(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, signed in or not: every page makes one, and the session
    cookie (signed, not secret to its holder) carries it."""
    if client.get("/").status_code != 200:
        client.get("/login")
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie, "no session cookie"
    data = json.loads(base64.b64decode(cookie.split(".", 1)[0]))
    return str(data["csrf"])


def snapshot(hromada: Hromada) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare before and after a refused request."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with hromada.db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
