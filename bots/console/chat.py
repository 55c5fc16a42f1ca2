"""The console chat: one line a command, from a terminal or a pipe.

Extras beyond the slash commands: ``as NAME``, ``react EMOJI REF``, ``unreact EMOJI REF``,
``save TEXT``, ``join NAME`` (a member joins the workspace: their onboarding starts),
``edit MESSAGE TEXT`` and ``delete MESSAGE`` (a saved message, ``m1``, changed
or deleted as on a platform: its snippet follows), ``clock +7d``, ``press N``, ``channel NAME``
(type in another channel; every console channel holds every member of the tenant), ``post TEXT``
(a plain message in the console's channel: a question in a watched channel gets its offer).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import TextIO

from bots import metrics
from bots.console.delivery import ConsoleDelivery
from bots.console.render import render, render_notice
from bots.delivery import Deliveries
from core import freshness
from core.app import Hromada
from core.clock import OffsetClock
from core.context import Actor
from core.errors import HromadaError, InvalidInput, NotFound
from core.i18n import N_, gettext_for
from core.refs import KIND_OF
from core.replies import Action, Reply, Visibility

log = logging.getLogger(__name__)

CHANNEL = "console"
GREETING = N_("""\
Hromada console chat: you are {name} in {tenant}{admin}.
Type a command such as /idea Dark mode for the wiki, /kb vpn, /hromada help.
Extras: as <name> · react +1 I-1 · unreact +1 I-1 · save <text> · post <text> · \
join <name> · clock +7d · press <n> · quit
""")
PLATFORMS = N_("""\
No platform token is set, so this is the console. To run on a platform:
  Slack:   set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP on PORT) or SLACK_APP_TOKEN \
(Socket Mode)
  Discord: set DISCORD_TOKEN, then `hromada discord sync`
(in the environment or a .env file; `hromada config` shows what is set)
""")
_CLOCK = re.compile(r"^([+-])(\d+)([dhm])$")
_REF = re.compile(r"^([A-Za-z])-?(\d+)$")


class ConsoleChat:
    def __init__(self, hromada: Hromada, *, tenant: str = "demo", name: str = "you",
                 admin: bool = False, out: TextIO | None = None) -> None:
        self.hromada = hromada
        self.tenant_id = tenant if ":" in tenant else f"console:{tenant}"
        self.out = out or sys.stdout
        self.admins: set[str] = {name.lower()} if admin else set()
        self.names: dict[str, str] = {}
        self.channel = CHANNEL  # where this console types; `channel NAME` moves it
        self.actor = self._actor(name)
        self.last_actions: list[Action] = []
        self.saved = 0

    def _actor(self, name: str, admin: bool = False) -> Actor:
        user_id = name.lower()
        if admin:
            self.admins.add(user_id)
        self.names[user_id] = name
        return Actor(self.tenant_id, user_id, name, is_admin=user_id in self.admins,
                     channel_id=self.channel)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _(self, msgid: str) -> str:
        """The console's own words, in the tenant's language like every core reply."""
        return gettext_for(self.hromada.language(self.tenant_id)).gettext(msgid)

    def greet(self, *, platforms: bool = False) -> None:
        admin = self._(" (admin)") if self.actor.is_admin else ""
        self.say(self._(GREETING).format(name=self.actor.display_name, tenant=self.tenant_id,
                                         admin=admin))
        if platforms:
            self.say(self._(PLATFORMS))

    def run(self, lines: Iterable[str]) -> None:
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line in ("quit", "exit"):
                break
            self.handle(line)

    def handle(self, line: str) -> None:
        """One line in; what the member would see out. Errors answered here, in one place."""
        word = line.partition(" ")[0]
        command = word if word[1:] in self.hromada.registry.groups else "other"
        metrics.REQUESTS.labels("console", command).inc()
        started = time.perf_counter()
        try:
            self._handle(line)
        except HromadaError as exc:
            metrics.ERRORS.labels("console", metrics.error_name(exc)).inc()
            self.show(self.hromada.error_reply(self.tenant_id, exc))
        except Exception as exc:
            metrics.ERRORS.labels("console", metrics.error_name(exc)).inc()
            request_id = uuid.uuid4().hex[:8]
            log.exception("console command failed", extra={"request_id": request_id})
            self.show(self.hromada.apology(self.tenant_id, request_id))
        finally:
            spent = time.perf_counter() - started
            metrics.ACK_SECONDS.labels("console", command).observe(spent)
            metrics.ANSWER_SECONDS.labels("console", command).observe(spent)

    def _handle(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word.startswith("/"):
            actor = self.actor
            if self.hromada.needs_audience(word[1:], rest):
                actor = replace(actor, channel_size=self.hromada.member_count(self.tenant_id))
            self.show(self.hromada.run(actor, word[1:], rest))
        elif word == "channel":
            if not rest or " " in rest:
                raise InvalidInput(N_("Say which channel: channel <name>."),
                                   usage="channel <name>")
            self.channel = rest.lstrip("#")
            self.actor = replace(self.actor, channel_id=self.channel)
            self.say(f"(#{self.channel})")
        elif word == "as":
            name, _, flag = rest.partition(" ")
            if not name:
                raise InvalidInput(N_("Say who: as <name>."), usage="as <name> [--admin]")
            self.actor = self._actor(name, admin=flag.strip() == "--admin")
            self.say(self._("(you are now {name})").format(name=self.actor.display_name))
        elif word in ("react", "unreact"):
            emoji, _, ref = rest.partition(" ")
            self._react(emoji, ref.strip(), added=word == "react")
        elif word == "save":
            self.saved += 1
            message_id = f"m{self.saved}"
            reply = self.hromada.save_message(
                self.actor, text=rest, link=f"console://{self.tenant_id}/message/{uuid.uuid4().hex[:8]}",
                source_author=self.actor.display_name,
                source_message=freshness.source_key(self.channel, message_id))
            if reply:
                self.show(reply)
                if not reply.error:
                    self.say(self._("(message {id})").format(id=message_id))
        elif word == "post":
            self._post(rest)
        elif word in ("edit", "delete"):
            self._source(word, rest)
        elif word == "join":
            self._join(rest)
        elif word == "clock":
            self._clock(rest)
        elif word == "press":
            self._press(rest)
        elif word == "help":
            self.show(self.hromada.run(self.actor, "hromada", "help"))
        else:
            raise InvalidInput(N_("Commands start with /, like /idea or /hromada help."))

    def _react(self, emoji: str, ref: str, *, added: bool) -> None:
        m = _REF.match(ref)
        if not emoji or not m or m.group(1).upper() not in KIND_OF:
            raise InvalidInput(N_("Say which emoji and item: react +1 I-3."),
                               usage="react <emoji> <ref>")
        message_id = f"{m.group(1).upper()}-{int(m.group(2))}"
        if not self.hromada.attach_ref(self.tenant_id, KIND_OF[m.group(1).upper()],
                                       int(m.group(2)), CHANNEL, message_id):
            raise NotFound(N_("There is no {ref}."), ref=message_id)
        changed = self.hromada.react(self.actor, channel_id=CHANNEL, message_id=message_id,
                                     emoji=emoji, added=added)
        if added:
            msg = N_("(reacted {emoji} on {ref})") if changed else N_(
                "(reacted {emoji} on {ref}: no change)")
        else:
            msg = N_("(removed {emoji} on {ref})") if changed else N_(
                "(removed {emoji} on {ref}: no change)")
        self.say(self._(msg).format(emoji=emoji, ref=message_id))

    def _post(self, text: str) -> None:
        """A plain message in this channel, as a member writes one on a platform: only the
        member who wrote it sees an offer (``Hromada.question``)."""
        if not text:
            raise InvalidInput(N_("Say what: post <text>."), usage="post <text>")
        self.say(self._("(posted in #{channel})").format(channel=self.channel))
        reply = self.hromada.question(self.actor, channel_id=self.channel,
                                      message_id=f"p{uuid.uuid4().hex[:12]}", text=text)
        if reply is not None:
            self.show(reply)

    def _source(self, word: str, rest: str) -> None:
        """A saved message edited or deleted, as Slack and Discord tell it: its snippet follows."""
        message_id, _, text = rest.partition(" ")
        if word == "edit" and (not message_id or not text.strip()):
            raise InvalidInput(N_("Say which message and its new words: edit m1 <text>."),
                               usage="edit <message> <text>")
        if word == "delete" and (not message_id or text.strip()):
            raise InvalidInput(N_("Say which message: delete m1."), usage="delete <message>")
        if word == "edit":
            n = self.hromada.source_edited(self.tenant_id, channel_id=self.channel,
                                           message_id=message_id, text=text)
            self.say(self._("(edited {id}; snippets that followed: {n})").format(
                id=message_id, n=n))
        else:
            n = self.hromada.source_deleted(self.tenant_id, channel_id=self.channel,
                                            message_id=message_id)
            self.say(self._("(deleted {id}; snippets that say so: {n})").format(
                id=message_id, n=n))

    def _clock(self, arg: str) -> None:
        m = _CLOCK.match(arg)
        clock = self.hromada.clock
        if not m or not isinstance(clock, OffsetClock):
            raise InvalidInput(N_("Move the clock like clock +7d, +3h or -30m."),
                               usage="clock +<n>d|h|m")
        n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
        clock.advance({"d": timedelta(days=n), "h": timedelta(hours=n),
                       "m": timedelta(minutes=n)}[m.group(3)])
        self.say(self._("(clock is now {when} UTC)").format(when=f"{clock.now():%Y-%m-%d %H:%M}"))
        self.tick()

    def tick(self) -> None:
        """Run the scheduler once, as `hromada serve` does every minute: due digests post here."""
        import asyncio

        from bots.onboarding import OnboardingRunner
        from bots.scheduler import DigestRunner, KbReminderRunner

        deliveries, delivery = self._deliveries()
        asyncio.run(DigestRunner(self.hromada, deliveries, tenant_ids=[self.tenant_id]).tick())
        asyncio.run(KbReminderRunner(self.hromada, deliveries,
                                     tenant_ids=[self.tenant_id]).tick())
        onboarding = OnboardingRunner(self.hromada, deliveries, tenant_ids=[self.tenant_id])
        asyncio.run(onboarding.tick())
        self._buttons(delivery)
        if onboarding.waiting:
            self.say(self._("({n} onboarding steps wait for working hours, 09:00-18:00 Monday "
                            "to Friday in the member's time zone)").format(
                                n=len(onboarding.waiting)))

    def _deliveries(self) -> tuple[Deliveries, ConsoleDelivery]:
        delivery = ConsoleDelivery(self.out, names=self.names, words=self._)
        deliveries = Deliveries()
        deliveries.add(delivery)
        return deliveries, delivery

    def _join(self, name: str) -> None:
        """A member joins the workspace: their onboarding journey starts, the welcome arrives."""
        import asyncio

        from bots.onboarding import OnboardingRunner

        if not name or " " in name:
            raise InvalidInput(N_("Say who joins: join <name>."), usage="join <name>")
        user_id = name.lower()
        self.names[user_id] = name
        deliveries, delivery = self._deliveries()
        runner = OnboardingRunner(self.hromada, deliveries, tenant_ids=[self.tenant_id])
        if not asyncio.run(runner.welcome(self.tenant_id, user_id, name)):
            self.say(self._("({name} joined before; nothing starts twice)").format(name=name))
        self._buttons(delivery)

    def _buttons(self, delivery: ConsoleDelivery) -> None:
        """Buttons in a direct message to the member typing here: `press <n>` presses them."""
        for notice in delivery.notified:
            if notice.actions and self.actor.user_id in notice.recipients:
                self.last_actions = list(notice.actions)

    def _press(self, arg: str) -> None:
        if not arg.isdigit() or not 1 <= int(arg) <= len(self.last_actions):
            raise InvalidInput(N_("There is no such button."), usage="press <n>")
        action = self.last_actions[int(arg) - 1]
        actor = self.actor
        if self.hromada.needs_audience("", action_id=action.action_id):
            actor = replace(actor, channel_size=self.hromada.member_count(self.tenant_id))
        self.show(self.hromada.press(actor, action.action_id, action.value))

    def show(self, reply: Reply) -> None:
        self.last_actions = list(reply.actions)
        if reply.visibility is Visibility.PUBLIC and reply.item_id is not None:
            self._attach(reply.item_id)
        if reply.channel:
            self.say(render(reply, channel=f"#{reply.channel}", _=self._))
        else:
            self.say(render(reply, _=self._))
        if reply.private is not None:  # beside a public post: only the member sees it
            self.last_actions = list(reply.private.actions)
            self.say(render(reply.private, _=self._))
        for notice in reply.notices:
            self.say(render_notice(notice, self.names, _=self._))

    def _attach(self, item_id: int) -> None:
        """The console 'posts' an item as a message whose id is its ref, so `react` finds it."""
        ref = self.hromada.item_ref(self.tenant_id, item_id)
        self.hromada.attach_message(self.tenant_id, item_id, CHANNEL, ref)
