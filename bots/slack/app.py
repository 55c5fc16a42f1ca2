"""The Slack adapter on Bolt's ``AsyncApp``: translate Slack in, call the core, render out.

Every handler acks within ``ACK_BUDGET`` (events and buttons at once) and leaves slow work
(posting, DMs, uploads) to tracked background tasks, so Slack always hears back well within its
3 seconds. A private answer the core gives within the budget rides in the ack itself (one round
trip), others follow through the response_url; public ones are posted as bot messages whose
channel/ts is attached to the item, so reactions on them vote.

Errors: ``SlackBot.core`` is the one place a ``HromadaError`` becomes a reply; anything else is
logged with a request id and answered with an apology.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bots.delivery import Deliveries
from bots.slack import render
from bots.slack.command_text import command_text
from bots.slack.installations import DbInstallationStore, DbStateStore
from core.app import Hromada
from core.config import Settings
from core.context import Actor
from core.errors import HromadaError
from core.i18n import N_, gettext_for
from core.pulses import emoji_value
from core.replies import Notice, Reply, Visibility
from core.text import plain
from core.votes import emoji_meaning

log = logging.getLogger(__name__)

T = TypeVar("T")
Respond = Callable[..., Awaitable[None]]

# How long an ack may wait for the core. A private answer ready by then rides in the ack (one
# round trip); otherwise the ack goes out empty and the answer follows through respond() or
# chat.postMessage. Kept small so acks stay fast however busy the core is.
ACK_BUDGET = 0.05
# Core calls run in a small pool of their own: the core is synchronous SQL and Python, and more
# threads than cores only fight the event loop for the GIL, which makes every ack late.
CORE_WORKERS = 2  # the default of HROMADA_SLACK_CORE_WORKERS; 0 runs core calls on the loop
USER_TTL = 600.0  # users.info answers (name, admin flag) are reused this long
SHORTCUT_ID = "save_to_hromada"
BOT_SCOPES = (
    "commands", "chat:write", "chat:write.public", "reactions:read", "channels:history",
    "groups:history", "im:history", "mpim:history", "im:write", "mpim:write", "users:read",
    "files:write",
)
GROUP_DM_LIMIT = 8  # members of one Slack group DM besides the bot
BOT_EVENTS = ("app_home_opened", "reaction_added", "reaction_removed")

CANNOT_READ = N_("I could not read that message; invite me to the channel and try again.")
NOT_IN_CHANNEL = N_("I am not in this channel, so only you see this. Invite me with "
                    "/invite @Hromada to post here.")


class Background:
    """Work that continues after the ack. Tracked so tests and shutdown can wait for it."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None], *, request_id: str, tenant: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception:  # noqa: BLE001 - logged with the request id; nothing above us
                log.exception("slack background work failed",
                              extra={"tenant": tenant, "request_id": request_id})

        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Return when no background work is left (work may spawn more work)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


@dataclass
class _User:
    name: str
    is_admin: bool
    until: float


def tenant_of(context: AsyncBoltContext | dict[str, Any]) -> str:
    team = context.get("team_id") or context.get("enterprise_id") or ""
    return f"slack:{team}"


def new_request_id() -> str:
    return f"{random.getrandbits(48):012x}"  # for logs only; uuid4's urandom costs more


_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_URL = re.compile(r"<(https?://[^>|]+)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#C[A-Z0-9]+\|([^>]*)>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


class SlackBot:
    """The handlers' shared state: the core, the users cache, background work, deliveries."""

    def __init__(self, hromada: Hromada, *, background: Background,
                 workers: int = CORE_WORKERS) -> None:
        self.hromada = hromada
        self.background = background
        self._users: dict[tuple[str, str], _User] = {}
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=max(workers, 1),
                                        thread_name_prefix="hromada-core")
        self._in_core = 0
        self._core_seconds = 0.005  # a moving average of how long one core call runs
        # One HTTP session for every Web API call and response_url answer; set by the runner.
        self.session: aiohttp.ClientSession | None = None

    def expected_wait(self) -> float:
        """Roughly when a core call submitted now would finish, given the calls ahead of it."""
        if not self._workers:  # inline: the answer is ready before the ack is decided
            return 0.0
        ahead = max(0, self._in_core + 1 - self._workers)
        return (ahead / self._workers + 1) * self._core_seconds

    # -- who is acting ---------------------------------------------------------------

    async def user(self, client: AsyncWebClient, tenant: str, user_id: str,
                   name_hint: str = "") -> _User:
        """Name and admin flag from ``users.info`` (admins and owners moderate), cached."""
        key = (tenant, user_id)
        now = time.monotonic()
        hit = self._users.get(key)
        if hit is not None and hit.until > now:
            return hit
        try:
            info = (await client.users_info(user=user_id))["user"]
            profile = info.get("profile") or {}
            name = (profile.get("display_name") or profile.get("real_name")
                    or info.get("real_name") or info.get("name") or name_hint or user_id)
            found = _User(name, bool(info.get("is_admin") or info.get("is_owner")),
                          now + USER_TTL)
        except SlackApiError as exc:
            log.warning("users.info failed: %s", exc.response.get("error"),
                        extra={"tenant": tenant})
            found = _User(name_hint or user_id, False, now + 30)
        self._users[key] = found
        return found

    async def actor(self, client: AsyncWebClient, tenant: str, user_id: str,
                    name_hint: str = "") -> Actor:
        u = await self.user(client, tenant, user_id, name_hint)
        return Actor(tenant, user_id, u.name, is_admin=u.is_admin)

    # -- the one place errors become replies ------------------------------------------

    async def core(self, tenant: str, request_id: str, fn: Callable[..., T], *args: Any,
                   **kwargs: Any) -> T | Reply:
        """Run a core call in a worker thread; a ``Reply`` with ``error`` set when it failed."""
        try:
            return await self.in_pool(fn, *args, **kwargs)
        except HromadaError as exc:
            return await self.in_pool(self.hromada.error_reply, tenant, exc)
        except Exception:  # noqa: BLE001 - logged with the request id, answered with an apology
            log.exception("core call failed", extra={"tenant": tenant, "request_id": request_id})
            return await self.in_pool(self.hromada.apology, tenant, request_id)

    async def in_pool(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def timed() -> T:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                self._core_seconds += (spent - self._core_seconds) * 0.1

        self._in_core += 1
        try:
            if not self._workers:
                return timed()
            return await asyncio.get_running_loop().run_in_executor(self._pool, timed)
        finally:
            self._in_core -= 1

    def responder(self, url: str | None) -> Respond | None:
        """Answers through a ``response_url``, on the shared HTTP session (kept-alive
        connections: Bolt's own ``respond`` opens a new one per answer)."""
        if not url:
            return None

        async def respond(**body: Any) -> None:
            hook = AsyncWebhookClient(url, session=self.session,
                                      retry_handlers=[AsyncRateLimitErrorRetryHandler(
                                          max_retry_count=3)])
            sent = await hook.send_dict({k: v for k, v in body.items() if v is not None})
            if sent.status_code != 200:
                log.warning("response_url answered %s", sent.status_code)

        return respond

    async def translate(self, tenant: str, msgid: str) -> str:
        return gettext_for(await self.in_pool(self.hromada.language, tenant)).gettext(msgid)

    def spawn(self, coro: Coroutine[Any, Any, None], *, tenant: str, request_id: str) -> None:
        self.background.spawn(coro, tenant=tenant, request_id=request_id)

    # -- slash commands --------------------------------------------------------------

    async def on_command(self, ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                         client: AsyncWebClient, context: AsyncBoltContext) -> None:
        tenant, request_id = tenant_of(context), new_request_id()
        group = command["command"].lstrip("/")
        extra = {"tenant": tenant, "command": f"/{group}", "request_id": request_id}
        log.info("slash command", extra=extra)
        # Wait for the answer only when it can be ready in time; else ack now, answer later.
        budget = ACK_BUDGET if self.expected_wait() <= ACK_BUDGET else 0.0
        task = asyncio.ensure_future(self._command_reply(client, tenant, request_id, command))
        done: set[asyncio.Future[Reply]] = set()
        if budget:
            done, _ = await asyncio.wait({task}, timeout=budget)
        if done:
            reply = task.result()
            if reply.visibility is Visibility.PRIVATE and reply.image is None:
                await ack(response_type="ephemeral", **render.message(reply))
                if reply.notices:
                    self.spawn(self.notify(client, tenant, reply.notices), tenant=tenant,
                               request_id=request_id)
                return
        await ack()
        respond = self.responder(command.get("response_url"))
        self.spawn(self._answer_later(task, client, tenant, request_id, command["channel_id"],
                                      respond), tenant=tenant, request_id=request_id)

    async def _command_reply(self, client: AsyncWebClient, tenant: str, request_id: str,
                             command: dict[str, Any]) -> Reply:
        actor = await self.actor(client, tenant, command["user_id"], command.get("user_name", ""))
        actor = replace(actor, channel_id=command.get("channel_id"))
        return await self.core(tenant, request_id, self.hromada.run, actor,
                               command["command"].lstrip("/"),
                               command_text(command.get("text") or ""))

    async def _answer_later(self, task: asyncio.Future[Reply], client: AsyncWebClient,
                            tenant: str, request_id: str, channel: str,
                            respond: Respond | None) -> None:
        reply = await task
        try:
            await self.answer(client, tenant, channel, reply, respond)
        except Exception:  # noqa: BLE001 - Slack refused the answer: say sorry, with the ref
            log.exception("answer not delivered", extra={"tenant": tenant,
                                                         "request_id": request_id})
            if respond is not None:
                sorry = await self.in_pool(self.hromada.apology, tenant, request_id)
                await respond(response_type="ephemeral", **render.message(sorry))

    async def answer(self, client: AsyncWebClient, tenant: str, channel: str | None,
                     reply: Reply, respond: Respond | None,
                     *, replace: bool = False) -> None:
        """Public replies go to the channel as bot messages; private ones back to the asker."""
        if reply.visibility is Visibility.PUBLIC and channel:
            try:
                await post_reply(client, self.hromada, tenant, channel, reply, run=self.in_pool)
                if replace and respond is not None:
                    await respond(delete_original=True)
            except SlackApiError as exc:
                if exc.response.get("error") not in ("not_in_channel", "channel_not_found",
                                                     "is_archived") or respond is None:
                    raise
                hint = await self.translate(tenant, NOT_IN_CHANNEL)
                msg = render.message(reply)
                msg["blocks"].append({"type": "context", "elements": [
                    {"type": "mrkdwn", "text": render.escape(hint)}]})
                await respond(response_type="ephemeral", replace_original=replace, **msg)
        elif respond is not None:
            await respond(response_type="ephemeral", replace_original=replace,
                          **render.message(reply))
        if reply.notices:
            await self.notify(client, tenant, reply.notices)

    async def notify(self, client: AsyncWebClient, tenant: str, notices: list[Notice]) -> None:
        await notify(client, notices)

    # -- buttons ---------------------------------------------------------------------

    async def on_button(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                        action: dict[str, Any], client: AsyncWebClient,
                        context: AsyncBoltContext) -> None:
        await ack()
        tenant, request_id = tenant_of(context), new_request_id()
        log.info("button", extra={"tenant": tenant, "command": action["action_id"],
                                  "request_id": request_id})
        self.spawn(self._press(body, action, client, tenant, request_id,
                               self.responder(body.get("response_url"))),
                   tenant=tenant, request_id=request_id)

    async def _press(self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                     tenant: str, request_id: str,
                     respond: Respond | None) -> None:
        user = body["user"]
        actor = await self.actor(client, tenant, user["id"], user.get("name", ""))
        reply = await self.core(tenant, request_id, self.hromada.press, actor,
                                render.core_action(action["action_id"]), action.get("value", ""))
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id")
        if respond is None and reply.visibility is Visibility.PRIVATE:
            await notify(client, [Notice((user["id"],), reply.text)])
            return
        # A button on the member's own private prompt: the answer replaces the prompt. A button
        # on a public message (a pulse card) must leave it standing for everyone, and the
        # answer goes to the member alone (replacing would show it in the channel).
        ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
        await self.answer(client, tenant, channel, reply, respond, replace=ephemeral)

    # -- reactions -------------------------------------------------------------------

    async def on_reaction(self, body: dict[str, Any], event: dict[str, Any],
                          client: AsyncWebClient, context: AsyncBoltContext) -> None:
        tenant, request_id = tenant_of(context), new_request_id()
        self.spawn(self._reaction(body, event, client, context, tenant, request_id),
                   tenant=tenant, request_id=request_id)

    async def _reaction(self, body: dict[str, Any], event: dict[str, Any],
                        client: AsyncWebClient, context: AsyncBoltContext, tenant: str,
                        request_id: str) -> None:
        item = event.get("item") or {}
        user_id = event.get("user")
        if item.get("type") != "message" or not user_id or user_id == context.get("bot_user_id"):
            return
        emoji = str(event.get("reaction", ""))
        meaning = emoji_meaning(emoji)
        added = event.get("type") == "reaction_added"
        event_key = str(body.get("event_id") or "") or None
        if meaning in ("up", "down") or emoji_value(emoji) is not None:
            # A vote, or :one:–:five: answering a pulse: the core decides by the message.
            actor = await self.actor(client, tenant, user_id)
            result = await self.core(tenant, request_id, self.hromada.react, actor,
                                     channel_id=item["channel"], message_id=item["ts"],
                                     emoji=emoji, added=added, event_key=event_key)
            if isinstance(result, Reply):
                await _ephemeral(client, item["channel"], user_id, result)
        elif meaning in ("save", "risk") and added:
            actor = await self.actor(client, tenant, user_id)
            await self.save(client, tenant, request_id, actor, item["channel"], item["ts"],
                            event_key=event_key, as_risk=meaning == "risk")

    async def save(self, client: AsyncWebClient, tenant: str, request_id: str, actor: Actor,
                   channel: str, ts: str, *, event_key: str | None, as_risk: bool,
                   message: dict[str, Any] | None = None) -> None:
        """📚/⚠️ or the shortcut: the message becomes a snippet (or risk) linked back to it."""
        message = message or await fetch_message(client, channel, ts)
        if message is None or not (message.get("text") or "").strip():
            text = await self.translate(tenant, CANNOT_READ)
            await _ephemeral(client, channel, actor.user_id, Reply(text=plain(text)))
            return
        link = (await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"]
        author = None
        if message.get("user"):
            author = (await self.user(client, tenant, message["user"])).name
        text = await self.readable(client, tenant, message["text"])
        reply = await self.core(tenant, request_id, self.hromada.save_message, actor, text=text,
                                link=link, source_author=author, event_key=event_key,
                                as_risk=as_risk)
        if reply is None:
            return  # this event was handled before: Slack retried it
        if reply.error:
            await _ephemeral(client, channel, actor.user_id, reply)
            return
        thread = message.get("thread_ts") or ts
        await post_reply(client, self.hromada, tenant, channel, reply, thread_ts=thread,
                         run=self.in_pool)

    async def readable(self, client: AsyncWebClient, tenant: str, text: str) -> str:
        """Slack markup to the words people saw: links, @names, #channels, unescaped."""
        names: dict[str, str] = {}
        for user_id, label in _USER.findall(text):
            names[user_id] = label or (await self.user(client, tenant, user_id)).name
        text = _USER.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
        text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
        text = _URL.sub(lambda m: m.group(1), text)
        text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
        text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    # -- shortcut --------------------------------------------------------------------

    async def on_shortcut(self, ack: Callable[..., Awaitable[Any]], shortcut: dict[str, Any],
                          client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await ack()
        tenant, request_id = tenant_of(context), new_request_id()
        log.info("shortcut", extra={"tenant": tenant, "command": SHORTCUT_ID,
                                    "request_id": request_id})

        async def run() -> None:
            user = shortcut["user"]
            actor = await self.actor(client, tenant, user["id"], user.get("name", ""))
            message = shortcut.get("message") or {}
            await self.save(client, tenant, request_id, actor, shortcut["channel"]["id"],
                            shortcut.get("message_ts") or message.get("ts", ""),
                            event_key=None, as_risk=False, message=message or None)

        self.spawn(run(), tenant=tenant, request_id=request_id)

    # -- App Home --------------------------------------------------------------------

    async def on_home(self, event: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        tenant, request_id = tenant_of(context), new_request_id()

        async def run() -> None:
            actor = await self.actor(client, tenant, event["user"])
            home = await self.core(tenant, request_id, self.hromada.home, actor)
            if isinstance(home, Reply):
                log.warning("home not built", extra={"tenant": tenant, "request_id": request_id})
                return
            await client.views_publish(user_id=event["user"], view=render.home_view(home))

        self.spawn(run(), tenant=tenant, request_id=request_id)

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack listener failed: %r", error,
                  extra={"tenant": f"slack:{_team(body)}", "request_id": new_request_id()})


def _team(body: dict[str, Any]) -> str:
    team = body.get("team_id") or body.get("team") or ""
    return team.get("id", "") if isinstance(team, dict) else str(team)


async def _ephemeral(client: AsyncWebClient, channel: str, user: str, reply: Reply) -> None:
    await client.chat_postEphemeral(channel=channel, user=user, **render.message(reply))


async def fetch_message(client: AsyncWebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """A message by channel and ts: from the history, else from a thread it is a reply in."""
    try:
        found = await client.conversations_history(channel=channel, latest=ts, inclusive=True,
                                                   limit=1)
        for msg in found.get("messages") or []:
            if msg.get("ts") == ts:
                return dict(msg)
        replies = await client.conversations_replies(channel=channel, ts=ts, limit=200)
        for msg in replies.get("messages") or []:
            if msg.get("ts") == ts:
                return dict(msg)
    except SlackApiError as exc:
        log.info("cannot read message: %s", exc.response.get("error"))
    return None


async def post_reply(client: AsyncWebClient, hromada: Hromada, tenant: str, channel: str,
                     reply: Reply, *, thread_ts: str | None = None,
                     run: Callable[..., Awaitable[Any]] = asyncio.to_thread) -> str:
    """Post a reply as a bot message; attach it to its item; upload its image. Returns the ts."""
    kwargs: dict[str, Any] = render.message(reply)
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    posted = await client.chat_postMessage(channel=channel, unfurl_links=False, **kwargs)
    ts = str(posted["ts"])
    channel_id = str(posted.get("channel") or channel)
    if reply.item_id is not None:
        await run(hromada.attach_message, tenant, reply.item_id, channel_id, ts)
    if reply.image is not None:
        await client.files_upload_v2(channel=channel_id, file=str(reply.image),
                                     filename=reply.image.name,
                                     title=reply.title.plain() if reply.title else reply.image.stem,
                                     thread_ts=thread_ts)
    return ts


async def notify(client: AsyncWebClient, notices: list[Notice]) -> None:
    """One direct message per recipient per notice, even when a recipient is listed twice.

    A group notice (a coffee introduction) is one message in a group DM of its recipients, so
    they can talk there; should Slack refuse the group DM (an install from before the
    ``mpim:write`` scope), each gets it as a direct message instead."""
    for notice in notices:
        message = render.notice_message(notice)
        people = list(dict.fromkeys(notice.recipients))
        if notice.group and 2 <= len(people) <= GROUP_DM_LIMIT:
            try:
                opened = await client.conversations_open(users=",".join(people))
                await client.chat_postMessage(channel=opened["channel"]["id"], **message)
                continue
            except SlackApiError as exc:
                log.warning("group message failed, sending one each: %s",
                            exc.response.get("error"))
        for user_id in people:
            try:
                opened = await client.conversations_open(users=user_id)
                await client.chat_postMessage(channel=opened["channel"]["id"], **message)
            except SlackApiError as exc:
                log.warning("direct message failed: %s", exc.response.get("error"))


class SlackDelivery:
    """Posts and notices for scheduled work (digests, pairings), per workspace."""

    platform = "slack"

    def __init__(self, app: AsyncApp, hromada: Hromada,
                 installations: DbInstallationStore | None = None) -> None:
        self.app = app
        self.hromada = hromada
        self.installations = installations

    async def client_for(self, tenant_id: str) -> AsyncWebClient:
        if self.installations is None:
            return self.app.client
        team = tenant_id.split(":", 1)[1]
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            raise LookupError(f"no Slack installation for {tenant_id}")
        base = self.app.client
        return AsyncWebClient(token=bot.bot_token, base_url=base.base_url, session=base.session,
                              retry_handlers=list(base.retry_handlers))

    async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> None:
        client = await self.client_for(tenant_id)
        await post_reply(client, self.hromada, tenant_id, channel_id, reply)

    async def notify(self, tenant_id: str, notices: list[Notice]) -> None:
        await notify(await self.client_for(tenant_id), notices)


def make_client(settings: Settings, *, token: str | None) -> AsyncWebClient:
    """The Web API client: ``SLACK_API_URL`` as base, 429s retried after ``Retry-After``."""
    kwargs: dict[str, Any] = {"token": token}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url
    client = AsyncWebClient(**kwargs)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


def oauth_enabled(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


def build_app(hromada: Hromada, settings: Settings, deliveries: Deliveries | None = None, *,
              background: Background | None = None) -> AsyncApp:
    """The Bolt app with every handler registered; its ``SlackDelivery`` joins ``deliveries``."""
    signing = settings.slack_signing_secret.get_secret_value() if (
        settings.slack_signing_secret) else ""
    socket_mode = settings.slack_app_token is not None
    if not signing and not socket_mode:
        raise ValueError("SLACK_SIGNING_SECRET is required for HTTP mode")
    installations: DbInstallationStore | None = None
    if oauth_enabled(settings):
        assert settings.slack_client_id and settings.slack_client_secret
        installations = DbInstallationStore(client_id=settings.slack_client_id,
                                            engine=hromada.db.engine)
        app = AsyncApp(
            signing_secret=signing,
            client=make_client(settings, token=None),
            process_before_response=True,
            request_verification_enabled=not socket_mode,
            oauth_settings=AsyncOAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                scopes=list(BOT_SCOPES),
                installation_store=installations,
                state_store=DbStateStore(engine=hromada.db.engine),
            ),
        )
    else:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        app = AsyncApp(
            signing_secret=signing,
            client=make_client(settings, token=token),
            process_before_response=True,
            request_verification_enabled=not socket_mode,
        )
    bot = SlackBot(hromada, background=background or Background(),
                   workers=settings.slack_core_workers)
    register(app, bot)
    _BOTS[app] = bot
    if deliveries is not None:
        deliveries.add(SlackDelivery(app, hromada, installations))
    return app


_BOTS: WeakKeyDictionary[AsyncApp, SlackBot] = WeakKeyDictionary()


def bot_of(app: AsyncApp) -> SlackBot:
    """The handlers' state behind an app made by ``build_app`` (the runner opens its session)."""
    return _BOTS[app]


def register(app: AsyncApp, bot: SlackBot) -> None:
    """Handlers, registered by calls (never on a global app): one per registry group."""
    for name in bot.hromada.registry.groups:
        app.command(f"/{name}")(bot.on_command)
    app.event("reaction_added")(bot.on_reaction)
    app.event("reaction_removed")(bot.on_reaction)
    app.event("app_home_opened")(bot.on_home)
    app.action(re.compile(rf"^{render.ACTION_PREFIX}:"))(bot.on_button)
    app.shortcut(SHORTCUT_ID)(bot.on_shortcut)
    app.error(bot.on_error)
