"""Running the Slack adapter: HTTP under uvicorn or Socket Mode, plus ``GET /healthz``.

HTTP mode serves ``POST /slack/events`` (signature-verified by Bolt). With
``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET`` it also serves the OAuth install
(``/slack/install``, ``/slack/oauth_redirect``). With ``SLACK_APP_TOKEN`` events arrive over
Socket Mode instead and the HTTP server keeps only health and OAuth.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp
import uvicorn
from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bots.delivery import Deliveries
from bots.slack.app import Background, bot_of, build_app, oauth_enabled
from bots.slack.lifecycle import reinstalled
from core.app import Hromada
from core.config import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SWITCH_INTERVAL = 0.0005
HEALTH_PATH = "/healthz"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class SlackServer:
    """The Bolt app, its HTTP server and (when configured) its Socket Mode connection."""

    def __init__(self, hromada: Hromada, settings: Settings, deliveries: Deliveries, *,
                 host: str = "0.0.0.0", port: int | None = None,
                 background: Background | None = None) -> None:
        self.hromada = hromada
        self.settings = settings
        self.background = background or Background()
        self.app: AsyncApp = build_app(hromada, settings, deliveries, background=self.background)
        self.socket_mode = settings.slack_app_token is not None
        self.oauth = oauth_enabled(settings)
        self.host = host
        self.port = settings.port if port is None else port
        self.connected = False
        self.socket_handler: AsyncSocketModeHandler | None = None
        self._bolt = AsyncSlackRequestHandler(self.app, path=EVENTS_PATH)
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self.session: aiohttp.ClientSession | None = None

    # -- ASGI ------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == HEALTH_PATH and method == "GET":
            await self._health(send)
        elif path == EVENTS_PATH and self.socket_mode:
            await _send(send, 404, b"Socket Mode is on; events arrive over the WebSocket")
        else:
            await self._bolt(scope, receive, send)

    async def healthy(self) -> dict[str, bool]:
        """Store reachable and Slack connected (auth.test passed, or the socket is open)."""
        store = await asyncio.to_thread(self.hromada.db.ping)
        slack = self.connected
        if self.socket_handler is not None:
            slack = await self.socket_handler.client.is_connected()
        return {"store": store, "slack": slack}

    async def _health(self, send: Send) -> None:
        state = await self.healthy()
        status = 200 if all(state.values()) else 503
        await _send(send, status, json.dumps(state).encode(), "application/json")

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> int:
        """Listen (the port is known on return), check the token, open Socket Mode."""
        # The core runs in worker threads; a shorter GIL switch interval lets the event loop
        # get back in quickly between their bytecodes, which keeps acks prompt under load.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        # One kept-alive HTTP session for all Web API calls (slack_sdk opens one per call
        # otherwise); Bolt hands it on to each request's client.
        self.session = aiohttp.ClientSession()
        self.app.client.session = self.session
        bot_of(self.app).session = self.session
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(1024)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self, lifespan="off", log_level="warning", access_log=False,
                                timeout_keep_alive=30, backlog=1024)
        self._server = uvicorn.Server(config)
        self._serving = asyncio.ensure_future(self._server.serve(sockets=[sock]))
        await self._check_token()
        if self.socket_mode:
            assert self.settings.slack_app_token is not None
            self.socket_handler = AsyncSocketModeHandler(
                self.app, self.settings.slack_app_token.get_secret_value())
            await self.socket_handler.connect_async()
        log.info("slack adapter up: %s on port %d%s",
                 "Socket Mode" if self.socket_mode else "HTTP", self.port,
                 ", OAuth install at /slack/install" if self.oauth else "")
        return self.port

    async def _check_token(self) -> None:
        if self.oauth:
            self.connected = True  # each workspace's token is checked on its own requests
            return
        try:
            auth = await self.app.client.auth_test()
            self.connected = True
            # The workspace of this token has Hromada installed (again, after an uninstall).
            await asyncio.to_thread(reinstalled, self.hromada, auth.get("team_id"))
        except SlackApiError as exc:
            log.error("Slack auth.test failed: %s", exc.response.get("error"))

    async def wait(self) -> None:
        if self._serving is not None:
            await self._serving

    async def stop(self) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
        if self._server is not None:
            self._server.should_exit = True
        if self._serving is not None:
            await self._serving
        await self.background.drain()
        if self.session is not None:
            await self.session.close()


async def _send(send: Send, status: int, body: bytes,
                content_type: str = "text/plain; charset=utf-8") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode())]})
    await send({"type": "http.response.body", "body": body})


async def run_slack(hromada: Hromada, settings: Settings, deliveries: Deliveries) -> None:
    """``hromada serve``'s Slack part: runs until the server is told to stop."""
    server = SlackServer(hromada, settings, deliveries)
    await server.start()
    try:
        await server.wait()
    finally:
        await server.stop()
