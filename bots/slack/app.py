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
import functools
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
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bots import metrics
from bots.delivery import Deliveries
from bots.metrics import Seen
from bots.runtime import core_workers
from bots.slack import render
from bots.slack.command_text import command_text
from bots.slack.installations import DbInstallationStore, DbStateStore
from bots.slack.lifecycle import register_lifecycle, reinstalled
from bots.slack.onboarding import register_onboarding
from bots.words import slack_words
from core import cards, freshness
from core.app import Hromada
from core.config import Settings
from core.context import Actor
from core.errors import HromadaError
from core.i18n import N_, gettext_for
from core.replies import Notice, Reply, Visibility
from core.text import plain
from core.votes import emoji_meaning
from storage.tokens import TokenCipher

log = logging.getLogger(__name__)

# Expiring (rotated) bot tokens are refreshed this long before they run out.
ROTATE_MINUTES_BEFORE = 120

T = TypeVar("T")
Respond = Callable[..., Awaitable[None]]

# How long an ack may wait for the core. A private answer ready by then rides in the ack: what
# the member waits for is the answer, not an empty ack, and one round trip costs less than two
# (no response_url post). Only an answer later than this (Slack drops acks after 3 s) goes out
# empty and follows through respond(); public answers are posted as soon as they are ready.
ACK_BUDGET = 1.5
# Core calls run in a small pool of their own: the core is synchronous SQL and Python, and more
# threads than cores only fight the event loop for the GIL, which makes every ack late.
CORE_WORKERS = 2  # with PostgreSQL; HROMADA_SLACK_CORE_WORKERS; 0 runs core calls on the loop
USER_TTL = 600.0  # users.info answers (name, admin flag) are reused this long
SHORTCUT_ID = "save_to_hromada"
BOT_SCOPES = (
    "commands", "chat:write", "chat:write.public", "reactions:read", "channels:history",
    "groups:history", "im:history", "mpim:history", "im:write", "mpim:write", "users:read",
    "files:write",
)
GROUP_DM_LIMIT = 8  # members of one Slack group DM besides the bot
BOT_EVENTS = ("app_home_opened", "reaction_added", "reaction_removed", "app_uninstalled",
              "tokens_revoked", "message.channels", "message.groups", "team_join",
              "user_change")
# Of the messages those two subscriptions bring, edits and deletions are read only for a
# message a snippet was saved from, and new messages only in a channel a moderator chose with
# /kb watch here (a question there gets an offer); nothing of any other message is kept.
SOURCE_SUBTYPES = ("message_changed", "message_deleted")

CANNOT_READ = N_("I could not read that message; invite me to the channel and try again.")
NOT_IN_CHANNEL = N_("I am not in this channel, so only you see this. Invite me with "
                    "/invite @Hromada to post here.")
CANNOT_SEE = N_("I cannot post in this conversation (I am not part of it), so only you see "
                "this.")
ARCHIVED = N_("This channel is archived, so I cannot post there; only you see this.")
RESTRICTED = N_("This workspace does not let me post there, so only you see this.")
# Slack's refusals of a post that the member can act on: each is explained to the member
# privately and logged as one warning line, never as a failure with a traceback.
REFUSALS = {
    "not_in_channel": NOT_IN_CHANNEL,
    "channel_not_found": CANNOT_SEE,
    "is_archived": ARCHIVED,
    "restricted_action": RESTRICTED,
}


def refusal(exc: SlackApiError) -> tuple[str, str] | None:
    """(method, error) when Slack refused a call for one of the ``REFUSALS``; else None."""
    error = str(exc.response.get("error") or "")
    if error not in REFUSALS:
        return None
    return str(getattr(exc.response, "api_url", "") or "").rsplit("/", 1)[-1], error


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
_CHANNEL = re.compile(r"<#(C[A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


class SlackBot:
    """The handlers' shared state: the core, the users cache, background work, deliveries."""

    def __init__(self, hromada: Hromada, *, background: Background,
                 workers: int = CORE_WORKERS) -> None:
        self.hromada = hromada
        self.background = background
        self._users: dict[tuple[str, str], _User] = {}
        self._sizes: dict[tuple[str, str], tuple[int | None, float]] = {}
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=max(workers, 1),
                                        thread_name_prefix="hromada-core")
        # One HTTP session for every Web API call and response_url answer; set by the runner.
        self.session: aiohttp.ClientSession | None = None

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

    async def channel_size(self, client: AsyncWebClient, tenant: str,
                           channel: str | None) -> int | None:
        """How many members a channel has (``conversations.info``), cached; None if unknown.

        Asked only before something may post an anonymous card there."""
        if not channel:
            return None
        key, now = (tenant, channel), time.monotonic()
        hit = self._sizes.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        try:
            info = (await client.conversations_info(channel=channel,
                                                    include_num_members=True))["channel"]
            size = info.get("num_members")
            found = int(size) if size is not None else None
        except SlackApiError as exc:
            log.warning("conversations.info failed: %s", exc.response.get("error"),
                        extra={"tenant": tenant})
            found = None
        self._sizes[key] = (found, now + USER_TTL)
        return found

    # -- the one place errors become replies ------------------------------------------

    async def core(self, tenant: str, request_id: str, fn: Callable[..., T], *args: Any,
                   **kwargs: Any) -> T | Reply:
        """Run a core call in a worker thread; a ``Reply`` with ``error`` set when it failed."""
        try:
            return await self.in_pool(fn, *args, **kwargs)
        except HromadaError as exc:
            metrics.ERRORS.labels("slack", metrics.error_name(exc)).inc()
            return await self.in_pool(self.hromada.error_reply, tenant, exc)
        except Exception as exc:  # noqa: BLE001 - logged with the request id, answered sorry
            metrics.ERRORS.labels("slack", metrics.error_name(exc)).inc()
            log.exception("core call failed", extra={"tenant": tenant, "request_id": request_id})
            return await self.in_pool(self.hromada.apology, tenant, request_id)

    async def in_pool(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A core call in the core's worker threads (on the loop itself with 0 workers)."""
        if not self._workers:
            return fn(*args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, functools.partial(fn, *args, **kwargs))

    def responder(self, url: str | None) -> Respond | None:
        """Answers through a ``response_url``, on the shared HTTP session (kept-alive
        connections: Bolt's own ``respond`` opens a new one per answer)."""
        if not url:
            return None

        async def respond(**body: Any) -> None:
            hook = AsyncWebhookClient(url, session=self.session,
                                      retry_handlers=retry_handlers())
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
        started = time.perf_counter()
        tenant, request_id = tenant_of(context), new_request_id()
        group = command["command"].lstrip("/")
        extra = {"tenant": tenant, "command": f"/{group}", "request_id": request_id}
        log.info("slash command", extra=extra)
        seen = Seen("slack", f"/{group}", started)
        # The ack waits for the answer (within the budget), so a private one rides in it.
        task = asyncio.ensure_future(self._command_reply(client, tenant, request_id, command))
        done: set[asyncio.Future[Reply]] = set()
        if ACK_BUDGET:
            done, _ = await asyncio.wait({task}, timeout=ACK_BUDGET)
        if done:
            reply = task.result()
            if reply.visibility is Visibility.PRIVATE and reply.image is None:
                await ack(response_type="ephemeral", **render.message(reply))
                seen.acked()
                seen.answered(tenant, request_id)
                if reply.notices:
                    self.spawn(self.notify(client, tenant, reply.notices), tenant=tenant,
                               request_id=request_id)
                return
        await ack()
        seen.acked()
        respond = self.responder(command.get("response_url"))
        self.spawn(self._answer_later(task, client, tenant, request_id, command["channel_id"],
                                      respond, user=command["user_id"], seen=seen),
                   tenant=tenant, request_id=request_id)

    async def _command_reply(self, client: AsyncWebClient, tenant: str, request_id: str,
                             command: dict[str, Any]) -> Reply:
        actor = await self.actor(client, tenant, command["user_id"], command.get("user_name", ""))
        actor = replace(actor, channel_id=command.get("channel_id"))
        group, text = command["command"].lstrip("/"), command_text(command.get("text") or "")
        if self.hromada.needs_audience(group, text):
            actor = replace(actor, channel_size=await self.channel_size(
                client, tenant, command.get("channel_id")))
        return await self.core(tenant, request_id, self.hromada.run, actor, group, text)

    async def _answer_later(self, task: asyncio.Future[Reply], client: AsyncWebClient,
                            tenant: str, request_id: str, channel: str,
                            respond: Respond | None, *, user: str | None = None,
                            seen: Seen | None = None) -> None:
        reply = await task
        try:
            await self.answer(client, tenant, channel, reply, respond, user=user,
                              request_id=request_id)
            if seen is not None:
                seen.answered(tenant, request_id)
        except Exception:  # noqa: BLE001 - Slack refused the answer: say sorry, with the ref
            log.exception("answer not delivered", extra={"tenant": tenant,
                                                         "request_id": request_id})
            if respond is not None:
                sorry = await self.in_pool(self.hromada.apology, tenant, request_id)
                await respond(response_type="ephemeral", **render.message(sorry))

    async def answer(self, client: AsyncWebClient, tenant: str, channel: str | None,
                     reply: Reply, respond: Respond | None,
                     *, replace: bool = False, user: str | None = None,
                     request_id: str = "") -> None:
        """Public replies go to the channel as bot messages; private ones back to the asker.

        When Slack refuses the post (``REFUSALS``), the asker gets the reply privately with
        the reason."""
        if reply.visibility is Visibility.PUBLIC and channel:
            try:
                await post_reply(client, self.hromada, tenant, reply.channel or channel, reply,
                                 run=self.in_pool)
                if reply.private is not None and respond is not None:
                    await respond(response_type="ephemeral", replace_original=replace,
                                  **render.message(reply.private))
                elif replace and respond is not None:
                    await respond(delete_original=True)
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                refused = refusal(exc) if isinstance(exc, SlackApiError) else None
                if reply.item_id is not None and (respond is not None or user):
                    # The card did not reach the channel: its author gets it privately with
                    # "Post it again" (and Slack's reason), never an unreachable item.
                    log.warning("item card not posted: %s", _describe(exc),
                                extra={"tenant": tenant, "request_id": request_id})
                    private = await self.in_pool(self._not_posted, tenant, reply)
                    hint = await self.translate(tenant, REFUSALS[refused[1]]) if refused else ""
                    await self.tell(client, tenant, private, user=user or "", channel=channel,
                                    respond=respond, hint=hint, replace=replace,
                                    request_id=request_id)
                elif refused is None or (respond is None and user is None):
                    raise
                else:
                    await self.refused(client, tenant, refused, reply=reply, channel=channel,
                                       user=user or "", respond=respond, replace=replace,
                                       request_id=request_id)
        elif respond is not None:
            await respond(response_type="ephemeral", replace_original=replace,
                          **render.message(reply))
        if reply.notices:
            await self.notify(client, tenant, reply.notices)

    async def notify(self, client: AsyncWebClient, tenant: str, notices: list[Notice]) -> None:
        await notify(client, notices)

    async def refused(self, client: AsyncWebClient, tenant: str, refused: tuple[str, str], *,
                      reply: Reply, channel: str | None, user: str, respond: Respond | None,
                      replace: bool = False, request_id: str = "") -> None:
        """Slack refused a post: one warning line, and the member gets the reply privately
        with the reason."""
        method, error = refused
        log.warning("slack refused %s: %s", method, error,
                    extra={"tenant": tenant, "request_id": request_id})
        hint = await self.translate(tenant, REFUSALS[error])
        await self.tell(client, tenant, reply, user=user, channel=channel, respond=respond,
                        hint=hint, replace=replace, request_id=request_id)

    async def tell(self, client: AsyncWebClient, tenant: str, reply: Reply, *, user: str,
                   channel: str | None, respond: Respond | None = None, hint: str = "",
                   replace: bool = False, request_id: str = "") -> None:
        """A private answer by the first way Slack takes: the response_url, an ephemeral
        message in the channel, else a direct message. A refusal on the way is one warning."""
        msg = render.message(reply)
        if hint:
            msg["blocks"].append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": render.escape(hint)}]})
        extra = {"tenant": tenant, "request_id": request_id}
        if respond is not None:
            await respond(response_type="ephemeral", replace_original=replace, **msg)
            return
        if channel:
            try:
                await client.chat_postEphemeral(channel=channel, user=user, **msg)
                return
            except SlackApiError as exc:
                log.warning("slack refused chat.postEphemeral: %s", exc.response.get("error"),
                            extra=extra)
        try:
            opened = await client.conversations_open(users=user)
            await client.chat_postMessage(channel=opened["channel"]["id"], **msg)
        except SlackApiError as exc:
            log.warning("member not reached: %s", exc.response.get("error"), extra=extra)

    def _not_posted(self, tenant: str, reply: Reply) -> Reply:
        assert reply.item_id is not None
        tr = gettext_for(self.hromada.language(tenant))
        return cards.not_posted(tr, reply, self.hromada.item_ref(tenant, reply.item_id))

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
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id")
        action_id = render.core_action(action["action_id"])
        actor = replace(actor, channel_id=channel)
        if self.hromada.needs_audience("", action_id=action_id):
            actor = replace(actor, channel_size=await self.channel_size(client, tenant, channel))
        reply = await self.core(tenant, request_id, self.hromada.press, actor, action_id,
                                action.get("value", ""))
        if respond is None and reply.visibility is Visibility.PRIVATE:
            await notify(client, [Notice((user["id"],), reply.text)])
            return
        # A button on the member's own private prompt: the answer replaces the prompt. A button
        # on a public message (a pulse card) must leave it standing for everyone, and the
        # answer goes to the member alone (replacing would show it in the channel).
        ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
        await self.answer(client, tenant, channel, reply, respond, replace=ephemeral,
                          user=user["id"], request_id=request_id)

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
        if meaning in ("up", "down"):
            # A vote: the core decides by the message. Never a pulse answer: reactions are
            # public, and :one:–:five: on a pulse card count for nothing.
            actor = await self.actor(client, tenant, user_id)
            result = await self.core(tenant, request_id, self.hromada.react, actor,
                                     channel_id=item["channel"], message_id=item["ts"],
                                     emoji=emoji, added=added, event_key=event_key)
            if isinstance(result, Reply):
                await self.tell(client, tenant, result, user=user_id, channel=item["channel"],
                                request_id=request_id)
        elif meaning in ("save", "risk") and added:
            actor = await self.actor(client, tenant, user_id)
            await self.save(client, tenant, request_id, actor, item["channel"], item["ts"],
                            event_key=event_key, as_risk=meaning == "risk")

    # -- a saved message edited or deleted ---------------------------------------------

    async def on_message(self, body: dict[str, Any], event: dict[str, Any],
                         client: AsyncWebClient, context: AsyncBoltContext) -> None:
        tenant, request_id = tenant_of(context), new_request_id()
        if event.get("subtype") in SOURCE_SUBTYPES:
            self.spawn(self._source_changed(body, event, client, tenant, request_id),
                       tenant=tenant, request_id=request_id)
        elif asked(event, context.get("bot_user_id")):
            self.spawn(self._question(event, client, tenant, request_id), tenant=tenant,
                       request_id=request_id)
        # a join, a bot's message, a thread reply ...: not ours to read

    async def _question(self, event: dict[str, Any], client: AsyncWebClient, tenant: str,
                        request_id: str) -> None:
        """A member's message: in a watched channel, a question's offer goes to the asker alone
        (``chat.postEphemeral``). The core looks the channel up before it reads the words.
        No ``users.info``: the asker's name is not needed, and nothing about them is kept."""
        channel, user = str(event.get("channel") or ""), str(event["user"])
        actor = Actor(tenant, user)
        reply = await self.core(tenant, request_id, self.hromada.question, actor,
                                channel_id=channel, message_id=str(event.get("ts") or ""),
                                text=question_text(str(event.get("text") or "")))
        if reply is None or reply.error:
            return  # nothing to offer; a failure was logged, and nobody asked the bot
        try:
            await client.chat_postEphemeral(channel=channel, user=user, **render.message(reply))
        except SlackApiError as exc:
            log.warning("slack refused chat.postEphemeral: %s", exc.response.get("error"),
                        extra={"tenant": tenant, "request_id": request_id})

    async def _source_changed(self, body: dict[str, Any], event: dict[str, Any],
                              client: AsyncWebClient, tenant: str, request_id: str) -> None:
        """``message_changed``: the snippet takes the new words; ``message_deleted``: it says
        the message is gone. Errors are logged; nobody asked, so nobody is answered."""
        channel = str(event.get("channel") or "")
        event_key = str(body.get("event_id") or "") or None
        if event.get("subtype") == "message_deleted":
            ts = str(event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
                     or "")
            if channel and ts:
                await self.core(tenant, request_id, self.hromada.source_deleted, tenant,
                                channel_id=channel, message_id=ts, event_key=event_key)
            return
        message = event.get("message") or {}
        ts, words = str(message.get("ts") or ""), slack_words(message)
        if not channel or not ts or not words:
            return
        text = await self.readable(client, tenant, words)
        await self.core(tenant, request_id, self.hromada.source_edited, tenant,
                        channel_id=channel, message_id=ts, text=text, event_key=event_key)

    async def save(self, client: AsyncWebClient, tenant: str, request_id: str, actor: Actor,
                   channel: str, ts: str, *, event_key: str | None, as_risk: bool,
                   message: dict[str, Any] | None = None, respond: Respond | None = None,
                   domain: str = "") -> None:
        """📚/⚠️ or the shortcut: the message becomes a snippet (or risk) linked back to it.

        Its words may be in ``text``, blocks or attachments (``slack_words``). Where Slack
        will not let the bot post (a DM it is not in), the member gets the ref privately."""
        message = message or await fetch_message(client, channel, ts)
        words = slack_words(message) if message is not None else ""
        if message is None or not words:
            text = await self.translate(tenant, CANNOT_READ)
            await self.tell(client, tenant, Reply(text=plain(text)), user=actor.user_id,
                            channel=channel, respond=respond, request_id=request_id)
            return
        link = await permalink(client, channel, ts, domain=domain)
        author = None
        if message.get("user"):
            author = (await self.user(client, tenant, message["user"])).name
        text = await self.readable(client, tenant, words)
        reply = await self.core(tenant, request_id, self.hromada.save_message, actor, text=text,
                                link=link, source_author=author, event_key=event_key,
                                as_risk=as_risk,
                                source_message=freshness.source_key(channel, ts))
        if reply is None:
            return  # this event was handled before: Slack retried it
        if reply.error:
            await self.tell(client, tenant, reply, user=actor.user_id, channel=channel,
                            respond=respond, request_id=request_id)
            return
        thread = message.get("thread_ts") or ts
        try:
            await post_reply(client, self.hromada, tenant, channel, reply, thread_ts=thread,
                             run=self.in_pool)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            refused = refusal(exc) if isinstance(exc, SlackApiError) else None
            if reply.item_id is None and refused is None:
                raise
            if reply.item_id is None:
                assert refused is not None
                await self.refused(client, tenant, refused, reply=reply, channel=channel,
                                   user=actor.user_id, respond=respond, request_id=request_id)
                return
            # The saved item's answer did not reach the thread: its saver gets it privately
            # with "Post it again", so the item never stays where no reaction reaches it.
            log.warning("item card not posted: %s", _describe(exc),
                        extra={"tenant": tenant, "request_id": request_id})
            private = await self.in_pool(self._not_posted, tenant, reply)
            hint = await self.translate(tenant, REFUSALS[refused[1]]) if refused else ""
            await self.tell(client, tenant, private, user=actor.user_id, channel=channel,
                            respond=respond, hint=hint, request_id=request_id)

    async def readable(self, client: AsyncWebClient, tenant: str, text: str) -> str:
        """Slack markup to the words people saw: links, @names, #channels, unescaped."""
        names: dict[str, str] = {}
        for user_id, label in _USER.findall(text):
            names[user_id] = label or (await self.user(client, tenant, user_id)).name
        text = _USER.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
        text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
        text = _URL.sub(lambda m: m.group(1), text)
        text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
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
                            event_key=None, as_risk=False, message=message or None,
                            respond=self.responder(shortcut.get("response_url")),
                            domain=str((shortcut.get("team") or {}).get("domain") or ""))

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
            try:
                await client.views_publish(user_id=event["user"], view=render.home_view(home))
            except SlackApiError as exc:
                log.warning("slack refused views.publish: %s", exc.response.get("error"),
                            extra={"tenant": tenant, "request_id": request_id})

        self.spawn(run(), tenant=tenant, request_id=request_id)

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack listener failed: %r", error,
                  extra={"tenant": f"slack:{_team(body)}", "request_id": new_request_id()})


def asked(event: dict[str, Any], bot_user: str | None) -> bool:
    """Whether a message event may be a member's question: a new top-level message by a
    person. Not the bot's own, another bot's, an edit or any other subtype, nor a thread
    reply (a conversation already under way)."""
    if event.get("subtype") or event.get("bot_id") or event.get("bot_profile"):
        return False
    user, ts, thread = event.get("user"), event.get("ts"), event.get("thread_ts")
    if not user or user == bot_user or not ts or not event.get("channel"):
        return False
    return not thread or thread == ts


def question_text(text: str) -> str:
    """Slack markup to words for matching, with no look-ups: a mention is its label or
    nothing, ``<!channel>`` is "@channel", links are their text."""
    text = _USER.sub(lambda m: m.group(2) or "", text)
    text = _LINK.sub(lambda m: m.group(2), text)
    text = _URL.sub(lambda m: m.group(1), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _team(body: dict[str, Any]) -> str:
    team = body.get("team_id") or body.get("team") or ""
    return team.get("id", "") if isinstance(team, dict) else str(team)


async def permalink(client: AsyncWebClient, channel: str, ts: str, *, domain: str = "") -> str:
    """A link to the message. Slack answers ``chat.getPermalink`` only for conversations the
    bot is in; for others (a member's DM, through the shortcut) the link is built the way
    Slack builds it."""
    try:
        return str((await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])
    except SlackApiError as exc:
        log.info("no permalink from Slack: %s", exc.response.get("error"))
    host = f"{domain}.slack.com" if domain else "slack.com"
    return f"https://{host}/archives/{channel}/p{ts.replace('.', '')}"


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
    """Post a reply as a bot message; attach it to its item; upload its image. Returns the ts.

    A passing failure (a 5xx, a dropped connection, a 429) is retried by the client's
    ``retry_handlers``; what still fails, or is refused, raises."""
    kwargs: dict[str, Any] = render.message(reply)
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    posted = await client.chat_postMessage(channel=channel, unfurl_links=False, **kwargs)
    ts = str(posted["ts"])
    channel_id = str(posted.get("channel") or channel)
    if reply.item_id is not None:
        await run(hromada.attach_message, tenant, reply.item_id, channel_id, ts)
    if reply.image is not None:
        await upload_image(client, channel_id, reply, thread_ts=thread_ts)
    return ts


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return f"{exc.response.status_code} {exc.response.get('error')}"
    return f"{type(exc).__name__}: {exc}"


async def upload_image(client: AsyncWebClient, channel: str, reply: Reply, *,
                       thread_ts: str | None) -> None:
    """Upload ``reply.image``'s bytes (read here, so no path is handed on) into a channel."""
    assert reply.image is not None
    await client.files_upload_v2(channel=channel, file=reply.image.read_bytes(),
                                 filename=reply.image.name,
                                 title=reply.title.plain() if reply.title else reply.image.stem,
                                 thread_ts=thread_ts)


async def notify(client: AsyncWebClient, notices: list[Notice]) -> list[str]:
    """One direct message per recipient per notice, even when a recipient is listed twice.

    A group notice (a coffee introduction) is one message in a group DM of its recipients, so
    they can talk there; should Slack refuse the group DM (an install from before the
    ``mpim:write`` scope), each gets it as a direct message instead. Returns the recipients
    not reached."""
    missed: list[str] = []
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
            if not await _direct_message(client, user_id, message):
                missed.append(user_id)
    return missed


async def _direct_message(client: AsyncWebClient, user_id: str, message: dict[str, Any]) -> bool:
    """One direct message (passing failures retried by the client's ``retry_handlers``); a
    failure is logged. True when it was delivered."""
    try:
        opened = await client.conversations_open(users=user_id)
        await client.chat_postMessage(channel=opened["channel"]["id"], **message)
        return True
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("direct message failed: %s", _describe(exc))
        return False


class SlackDelivery:
    """Posts and notices for scheduled work (digests, pairings), per workspace."""

    platform = "slack"

    def __init__(self, app: AsyncApp, hromada: Hromada,
                 installations: DbInstallationStore | None = None,
                 rotator: AsyncTokenRotator | None = None) -> None:
        self.app = app
        self.hromada = hromada
        self.installations = installations
        self.rotator = rotator

    async def client_for(self, tenant_id: str) -> AsyncWebClient:
        if self.installations is None:
            return self.app.client
        team = tenant_id.split(":", 1)[1]
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            raise LookupError(f"no Slack installation for {tenant_id}")
        if self.rotator is not None and bot.bot_refresh_token:
            # Scheduled work has no incoming request for Bolt to refresh the token on.
            refreshed = await self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE)
            if refreshed is not None:
                await self.installations.async_save_bot(refreshed)
                bot = refreshed
        base = self.app.client
        return AsyncWebClient(token=bot.bot_token, base_url=base.base_url, session=base.session,
                              retry_handlers=list(base.retry_handlers))

    async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> str:
        client = await self.client_for(tenant_id)
        return await post_reply(client, self.hromada, tenant_id, channel_id, reply)

    async def post_picture(self, tenant_id: str, channel_id: str, message_id: str,
                           reply: Reply) -> None:
        """The picture in the thread of its message (the digest), as a separate upload."""
        if reply.image is None:
            return
        client = await self.client_for(tenant_id)
        await upload_image(client, channel_id, reply, thread_ts=message_id)

    async def notify(self, tenant_id: str, notices: list[Notice]) -> list[str]:
        return await notify(await self.client_for(tenant_id), notices)


SERVER_ERROR_RETRIES = 2  # a 5xx or a dropped connection is tried this many more times
RETRY_BACKOFF = 0.5  # seconds before the first of those; doubling


def retry_handlers() -> list[AsyncRetryHandler]:
    """slack_sdk's own handlers for every Web API and response_url call: 429s after their
    ``Retry-After``, 5xx answers and dropped connections with backoff, each bounded."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=RETRY_BACKOFF)
    return [AsyncConnectionErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES,
                                             interval_calculator=backoff),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES,
                                         interval_calculator=backoff)]


def make_client(settings: Settings, *, token: str | None) -> AsyncWebClient:
    """The Web API client: ``SLACK_API_URL`` as base, with ``retry_handlers``."""
    kwargs: dict[str, Any] = {"token": token, "retry_handlers": retry_handlers()}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url
    return AsyncWebClient(**kwargs)


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
        installations = DbInstallationStore(
            client_id=settings.slack_client_id, engine=hromada.db.engine,
            cipher=TokenCipher(hromada.db.engine, hromada.secret),
            on_install=lambda team: reinstalled(hromada, team))
        client = make_client(settings, token=None)
        app = AsyncApp(
            signing_secret=signing,
            client=client,
            process_before_response=True,
            request_verification_enabled=not socket_mode,
            # Bolt's default authorize refreshes rotated tokens through a client of its own that
            # ignores SLACK_API_URL; ours goes wherever the app's client goes.
            authorize=AsyncInstallationStoreAuthorize(
                logger=log, installation_store=installations,
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE, client=client),
            oauth_settings=AsyncOAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                scopes=list(BOT_SCOPES),
                installation_store=installations,
                state_store=DbStateStore(engine=hromada.db.engine),
                token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE,
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
                   workers=core_workers(settings.slack_core_workers, hromada))
    register(app, bot)
    register_lifecycle(app, hromada, installations)
    register_onboarding(app, hromada)
    _BOTS[app] = bot
    if deliveries is not None:
        rotator = None
        if installations is not None and settings.slack_client_id and settings.slack_client_secret:
            rotator = AsyncTokenRotator(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                client=app.client)
        deliveries.add(SlackDelivery(app, hromada, installations, rotator))
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
    app.event("message")(bot.on_message)
    app.action(re.compile(rf"^{render.ACTION_PREFIX}:"))(bot.on_button)
    app.shortcut(SHORTCUT_ID)(bot.on_shortcut)
    app.error(bot.on_error)
