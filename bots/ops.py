"""What an operator's probes and scrapers read: ``/healthz``, ``/readyz``, ``/metrics``.

The same three paths on the one HTTP port, whichever platforms run: inside the Slack server
when Slack runs over HTTP, else on a small server of their own when ``PORT`` is set (Discord
only, Socket Mode, the console). Every other path goes to the web pages (``Ops.web``, see
``bots.web``) when they are served.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import uvicorn

from bots import metrics
from core.app import Hromada
from storage.db import at_head

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Check = Callable[[], Awaitable[bool]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]

PATHS = ("/healthz", "/readyz", "/metrics")


def listening_socket(host: str, port: int, *, backlog: int) -> socket.socket:
    """Bound before uvicorn starts, so the port (0: any free one) is known at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


class Server(uvicorn.Server):
    """uvicorn, without its own SIGINT/SIGTERM handlers: ``hromada serve`` decides how a
    process stops (finish the digest in flight, then close the connections it needs)."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Ops:
    """Liveness, readiness (store, migrations, every platform) and metrics."""

    def __init__(self, hromada: Hromada, *, web: ASGI | None = None) -> None:
        self.hromada = hromada
        self.platforms: dict[str, Check] = {}
        self.web = web  # the web pages: every path that is not one of ours

    def add_platform(self, name: str, connected: Check) -> None:
        self.platforms[name] = connected

    async def readiness(self) -> dict[str, bool]:
        store = await asyncio.to_thread(self.hromada.db.ping)
        state = {"store": store,
                 "migrations": bool(store) and await asyncio.to_thread(self._at_head)}
        for name, connected in self.platforms.items():
            try:
                state[name] = bool(await connected())
            except Exception:  # noqa: BLE001 - a probe answers, it never raises
                log.warning("readiness check failed", extra={"command": name}, exc_info=True)
                state[name] = False
        return state

    def _at_head(self) -> bool:
        try:
            return at_head(self.hromada.db.engine)
        except Exception:  # noqa: BLE001 - unreadable schema is "not ready"
            log.warning("migration check failed", exc_info=True)
            return False

    async def handle(self, scope: Scope, send: Send) -> bool:
        """Answers one of the three paths; False for any other request."""
        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            return False
        path = scope.get("path")
        if path == "/healthz":
            await respond(send, 200, b'{"alive": true}', "application/json")
        elif path == "/readyz":
            state = await self.readiness()
            await respond(send, 200 if all(state.values()) else 503,
                          json.dumps(state).encode(), "application/json")
        elif path == "/metrics":
            body, content_type = metrics.exposition()
            await respond(send, 200, body, content_type)
        else:
            return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The standalone server: the three paths, then the web pages."""
        if scope["type"] == "lifespan":
            return
        if await self.handle(scope, send):
            return
        if self.web is not None:
            await self.web(scope, receive, send)
        else:
            await respond(send, 404, b"not found")


async def respond(send: Send, status: int, body: bytes,
                  content_type: str = "text/plain; charset=utf-8") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode())]})
    await send({"type": "http.response.body", "body": body})


class OpsServer:
    """The three paths on ``PORT`` when no Slack HTTP server carries them."""

    def __init__(self, ops: Ops, *, host: str = "0.0.0.0", port: int = 3000,
                 sock: socket.socket | None = None) -> None:
        self.ops = ops
        self.host = host
        self.port = port
        self._sock = sock  # already bound (the caller wanted to know the port was free)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> int:
        sock = self._sock or listening_socket(self.host, self.port, backlog=128)
        self.port = sock.getsockname()[1]
        self._server = Server(uvicorn.Config(self.ops, lifespan="off",
                                             log_level="warning", access_log=False))
        self._task = asyncio.ensure_future(self._server.serve(sockets=[sock]))
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        log.info("health and metrics on port %d", self.port)
        return self.port

    async def wait(self) -> None:
        if self._task is not None:
            await self._task

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        await self.wait()


def serve_in_thread(ops: Ops, *, port: int, host: str = "0.0.0.0") -> Callable[[], None]:
    """The console chat is synchronous: its probes and metrics run on a loop of their own.

    Returns a function that stops the server and waits for its thread. The port is bound
    here, so a port already taken raises ``OSError`` at once, in the caller's thread."""
    import threading

    sock = listening_socket(host, port, backlog=128)
    loop = asyncio.new_event_loop()
    server = OpsServer(ops, host=host, port=port, sock=sock)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_until_complete(server.wait())

    thread = threading.Thread(target=run, name="hromada-ops", daemon=True)
    thread.start()
    started.wait(10)

    def stop() -> None:
        if server._server is not None:  # noqa: SLF001 - our own server object
            server._server.should_exit = True  # noqa: SLF001
        thread.join(10)

    return stop
