"""The fakes with the platforms' per-channel message limit: one message per channel per
``interval`` seconds; a message beyond it is refused with a 429 as the platform refuses it.

Slack: HTTP 429 with ``Retry-After`` (whole seconds) on ``chat.postMessage``. Discord: HTTP 429
with its JSON (``retry_after`` in seconds, ``global: false``), ``Retry-After`` and ``Via`` (without
``Via`` discord.py takes a 429 for a Cloudflare ban) on ``POST /channels/{id}/messages``.
Both count what they accepted per channel, what they refused, and every retry that came before
the time its 429 named (``early``): a client that respects ``Retry-After`` has none.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from typing import Any

from aiohttp import web

from tests.fakes.discord_server import Call as DiscordCall
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import Call, FakeSlack

_CHANNEL_MESSAGES = re.compile(r"^channels/(\d+)/messages$")
_PARAMS = web.RequestKey("params", dict)


class ChannelLimit:
    """One message per channel per ``interval``: the bookkeeping both fakes share."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.last: dict[str, float] = {}  # channel -> when its last message was accepted
        self.not_before: dict[str, float] = {}  # channel -> what its last 429 said
        self.accepted: Counter[str] = Counter()
        self.refused = 0
        self.early = 0

    def wait(self, channel: str) -> float:
        """0 when a message to ``channel`` may go now (and counts it), else the seconds left."""
        now = time.monotonic()
        if now < self.not_before.get(channel, 0.0):
            self.early += 1
        left = self.last.get(channel, -math.inf) + self.interval - now
        if left > 0:
            self.refused += 1
            return left
        self.last[channel] = now
        self.accepted[channel] += 1
        return 0.0

    def told(self, channel: str, seconds: float) -> None:
        self.not_before[channel] = time.monotonic() + seconds


class RateLimitedSlack(FakeSlack):
    def __init__(self, interval: float = 1.0) -> None:
        super().__init__()
        self.limit = ChannelLimit(interval)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        """Read once per request (a read body is gone), so the limit and the base both see it."""
        if _PARAMS not in request:
            request[_PARAMS] = await super()._params(request)
        return dict(request[_PARAMS])

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            params = await self._params(request)
            token = request.headers.get("Authorization", "")[7:] or str(params.get("token"))
            channel = f"{token}/{params.get('channel')}"
            left = self.limit.wait(channel)
            if left:
                seconds = max(1, math.ceil(left))
                self.limit.told(channel, seconds)
                await self._record(Call("chat.postMessage", params, token))  # refused, seen
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(seconds)})
        return await super()._api(request)


class RateLimitedDiscord(FakeDiscord):
    def __init__(self, interval: float = 1.0) -> None:
        super().__init__()
        self.limit = ChannelLimit(interval)

    async def _rest(self, request: web.Request) -> web.Response:
        found = _CHANNEL_MESSAGES.match(request.match_info["tail"])
        if request.method == "POST" and found:
            left = self.limit.wait(found.group(1))
            if left:
                self.limit.told(found.group(1), left)
                # Refused, seen: recorded without its body (never read).
                self.calls.append(DiscordCall(request.method, "/" + request.match_info["tail"],
                                              dict(request.query), None))
                body = {"message": "You are being rate limited.", "global": False, "code": 0,
                        "retry_after": math.ceil(left * 1000) / 1000}
                return web.Response(status=429, body=json.dumps(body).encode(), headers={
                    "Content-Type": "application/json", "Via": "1.1 google",
                    "Retry-After": str(math.ceil(left)), "X-RateLimit-Scope": "user"})
        return await super()._rest(request)
