"""Tenant isolation on the web: a member of tenant A tries every URL and form of tenant B.

Every route under ``/t/{tenant}/`` is tried (the ones other page modules add too, read from
the app's routes), with B's real refs, guessed ones, and refs that exist in A as well: each
answers 404 exactly as for a tenant that does not exist, and the store does not change.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from core.app import Hromada
from core.context import Actor
from tests.bots.store_checks import score
from tests.web.conftest import csrf_of, sign_in, snapshot

A, B = "console:alpha", "console:beta"
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
GUESSES = {"ref": ("I-1", "I-2", "1", "R-1", "K-1", "P-1", "Q-1"),
           "name": ("heatmap", "participation", "risks", "x")}


def _tenant_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every page route under /t/{tenant}/."""
    out = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/t/{tenant}"):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    out.append((method, route.path))
    return out


def _fill(path: str, tenant: str) -> list[str]:
    names = [n for n in PARAM.findall(path) if n != "tenant"]
    choices = [GUESSES.get(n, ("1", "x")) for n in names]
    filled = []
    for combo in itertools.product(*choices):
        values = dict(zip(names, combo, strict=True))
        filled.append(PARAM.sub(lambda m, v=values: tenant if m.group(1) == "tenant"
                                else v[m.group(1)], path))
    return filled


def _world(hromada: Hromada) -> None:
    """Both tenants hold an idea I-1 (and B more), with votes, a risk and a snippet."""
    for tenant in (A, B):
        boss = Actor(tenant, "boss", "Boss", is_admin=True)
        hromada.run(boss, "idea", f"Dark mode for the wiki of {tenant}")
        hromada.run(boss, "idea", f"Quiet hours for {tenant}")
        hromada.run(boss, "risk", f"Cloud prices rising for {tenant}")
        hromada.run(boss, "kb", f"add VPN setup {tenant} | Use the office profile")
        assert hromada.attach_ref(tenant, "idea", 1, "c", f"m-{tenant}")
        hromada.react(Actor(tenant, "carol", "Carol"), channel_id="c",
                      message_id=f"m-{tenant}", emoji="+1", added=True)


@pytest.mark.parametrize("admin", [False, True])
def test_a_member_of_a_sees_and_changes_nothing_of_b(client: TestClient, hromada: Hromada,
                                                     web: Any, admin: bool) -> None:
    _world(hromada)
    sign_in(client, A, "boss" if admin else "ann", "Ann", admin=admin)
    csrf = csrf_of(client)
    routes = _tenant_routes(web)
    assert ("POST", "/t/{tenant}/ideas/{ref}/vote") in routes
    nowhere = client.get("/t/console:nowhere/ideas")
    assert nowhere.status_code == 404
    before = snapshot(hromada)
    tried = 0
    for method, template in routes:
        for path in _fill(template, B):
            if method == "GET":
                out = client.get(path)
            else:
                out = client.post(path, data={"csrf": csrf, "vote": "up", "status": "done",
                                              "target": "I-2", "note": "x", "tenant": A})
            assert out.status_code == 404, (method, path, out.status_code)
            assert out.text == nowhere.text, (method, path)  # nothing says B exists
            assert B not in out.text and "Dark mode" not in out.text
            tried += 1
    # Query strings do not open another tenant either.
    assert client.get(f"/t/{B}/ideas?tenant={A}").status_code == 404
    assert client.get(f"/t/{A}/ideas?tenant={B}").status_code == 200
    assert tried >= 10
    assert snapshot(hromada) == before
    # A's own pages work, and show A's idea I-1, never B's.
    own = client.get(f"/t/{A}/ideas/I-1")
    assert own.status_code == 200 and A in own.text and B not in own.text


def test_a_form_naming_another_tenant_acts_on_the_url_tenant_only(client: TestClient,
                                                                  hromada: Hromada) -> None:
    _world(hromada)
    sign_in(client, A, "ann", "Ann")
    out = client.post(f"/t/{A}/ideas/I-1/vote",
                      data={"csrf": csrf_of(client), "vote": "up", "tenant": B})
    assert out.status_code == 303 and out.headers["location"].startswith(f"/t/{A}/")
    assert score(hromada, "idea", 1, tenant=A) == 2
    assert score(hromada, "idea", 1, tenant=B) == 1


def test_a_session_cookie_from_another_deployment_is_worthless(
        client: TestClient, hromada: Hromada, web: Any) -> None:
    """The cookie is signed with a key derived from the deployment key: another deployment's
    (or a forged) cookie signs nobody in."""
    from bots.delivery import Deliveries
    from bots.web.app import SESSION_COOKIE, build_web
    from tests.web.conftest import web_settings

    _world(hromada)
    other = Hromada(hromada.db, secret=b"another-deployment", clock=hromada.clock)
    with TestClient(build_web(other, web_settings(), Deliveries()), base_url="http://testserver",
                    follow_redirects=False) as theirs:
        sign_in(theirs, A, "ann", "Ann")
        cookie = theirs.cookies.get(SESSION_COOKIE)
    assert cookie
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get(f"/t/{A}/ideas").status_code == 303


def test_cookie_flags(client: TestClient, hromada: Hromada) -> None:
    _world(hromada)
    sign_in(client, A, "ann", "Ann")
    out = client.get(f"/t/{A}/ideas")
    page_cookie = client.get("/login").headers.get("set-cookie", "")
    for header in (page_cookie, out.headers.get("set-cookie", "")):
        if header:
            flags = {f.strip().lower() for f in header.split(";")}
            assert "httponly" in flags and "samesite=lax" in flags
            assert "secure" not in flags  # plain http: a Secure cookie would never come back


def test_the_cookie_is_secure_behind_https(hromada: Hromada) -> None:
    from bots.delivery import Deliveries
    from bots.web.app import build_web
    from tests.web.conftest import web_settings

    app = build_web(hromada, web_settings(public_url="https://hromada.example.com"),
                    Deliveries())
    with TestClient(app, base_url="https://hromada.example.com",
                    follow_redirects=False) as secure:
        header = secure.get("/login").headers["set-cookie"]
    flags = {f.strip().lower() for f in header.split(";")}
    assert {"httponly", "samesite=lax", "secure"} <= flags
