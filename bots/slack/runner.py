"""Running the Slack adapter: HTTP under uvicorn or Socket Mode, plus the operator's paths
(``/healthz``, ``/readyz``, ``/metrics``, see ``bots.ops``).

HTTP mode serves ``POST /slack/events`` (signature-verified by Bolt). With
``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET`` it also serves the OAuth install
(``/slack/install``, ``/slack/oauth_redirect``). With ``SLACK_APP_TOKEN`` events arrive over
Socket Mode instead and the HTTP server keeps only health and OAuth.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import uvicorn
from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bots.delivery import Deliveries
from bots.ops import Ops, Receive, Scope, Send, Server, listening_socket, respond
from bots.slack.app import Background, bot_of, build_app, oauth_enabled
from bots.slack.lifecycle import reinstalled
from core.app import Hromada
from core.config import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class SlackServer:
    """The Bolt app, its HTTP server and (when configured) its Socket Mode connection."""

    def __init__(self, hromada: Hromada, settings: Settings, deliveries: Deliveries, *,
                 host: str = "0.0.0.0", port: int | None = None,
                 background: Background | None = None, ops: Ops | None = None) -> None:
        self.hromada = hromada
        self.ops = ops or Ops(hromada)
        self.ops.add_platform("slack", self.slack_connected)
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
        if await self.ops.handle(scope, send):
            return
        path = scope["path"]
        if path == EVENTS_PATH and self.socket_mode:
            await respond(send, 404, b"Socket Mode is on; events arrive over the WebSocket")
        elif not path.startswith("/slack/") and self.ops.web is not None:
            await self.ops.web(scope, receive, send)  # the web pages
        else:
            await self._bolt(scope, receive, send)

    async def slack_connected(self) -> bool:
        """auth.test passed (one token), OAuth is on (each workspace checks its own), or the
        Socket Mode connection is open."""
        if self.socket_handler is not None:
            return bool(await self.socket_handler.client.is_connected())
        return self.connected

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> int:
        """Listen (the port is known on return), check the token, open Socket Mode."""
        # One kept-alive HTTP session for all Web API calls (slack_sdk opens one per call
        # otherwise); Bolt hands it on to each request's client.
        self.session = aiohttp.ClientSession()
        self.app.client.session = self.session
        bot_of(self.app).session = self.session
        sock = listening_socket(self.host, self.port, backlog=1024)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self, lifespan="off", log_level="warning", access_log=False,
                                timeout_keep_alive=30, backlog=1024)
        self._server = Server(config)
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


async def run_slack(hromada: Hromada, settings: Settings, deliveries: Deliveries,
                    ops: Ops | None = None) -> None:
    """``hromada serve``'s Slack part: runs until the server is told to stop."""
    server = SlackServer(hromada, settings, deliveries, ops=ops)
    await server.start()
    try:
        await server.wait()
    finally:
        await server.stop()
