"""The facade adapters talk to: plain ids in, neutral replies out, one transaction per call."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core import (  # noqa: F401 - registers commands
    admin,
    anonymous,
    coffee,
    digest,
    freshness,
    ideas,
    knowledge,
    kudos,
    onboarding,
    people,
    privacy,
    pulses,
    questions,
    risks,
    signals,
    stats,
    votes,
    watch,
)
from core.clock import Clock, SystemClock
from core.commands import REGISTRY
from core.context import Actor, Ctx
from core.errors import Conflict, HromadaError, InvalidInput, NotFound
from core.i18n import N_, gettext_for
from core.permissions import MODERATORS_ONLY  # noqa: F401 - where callers found it
from core.permissions import check as check_permission
from core.registry import Command, Registry
from core.replies import Reply, Visibility
from core.text import UserText, fmt
from storage import repos
from storage.db import Database, StoreConflict

log = logging.getLogger(__name__)

# Core actions behind buttons: action_id -> handler(ctx, value).
DRAFT_SUBMITTERS = {
    "idea": ideas.submit_draft,
    "risk": risks.submit_draft,
    "snippet": knowledge.submit_draft,
    "question": questions.submit_draft,
}


class Hromada:
    def __init__(
        self,
        db: Database,
        *,
        secret: bytes,
        clock: Clock | None = None,
        registry: Registry = REGISTRY,
        public_url: str | None = None,
    ) -> None:
        self.db = db
        self.secret = secret
        self.clock = clock or SystemClock()
        self.registry = registry
        # Where the web pages are (HROMADA_PUBLIC_URL): item cards link to them when set.
        self.public_url = public_url

    # -- context ---------------------------------------------------------------------

    @contextmanager
    def context(self, actor: Actor) -> Iterator[Ctx]:
        """A unit of work for one use case, with the tenant and member made to exist."""
        if not actor.tenant_id or not actor.user_id:
            raise InvalidInput(N_("Who is asking is unknown."))
        try:
            with self.db.unit() as session:
                now = self.clock.now()
                tenant, member = repos.ensure_tenant_member(
                    session, actor.tenant_id, actor.user_id, actor.display_name, now=now)
                yield Ctx(session=session, actor=actor, tenant=tenant, member=member,
                          clock=self.clock, secret=self.secret,
                          translations=gettext_for(tenant.language),
                          public_url=self.public_url,
                          _names={member.id: member} if member.id is not None else {})
        except StoreConflict as exc:
            log.info("store conflict: %s", exc)
            raise Conflict(N_("Someone else changed that at the same moment; try again.")) from exc

    def language(self, tenant_id: str) -> str:
        from storage.models import Tenant

        with self.db.uow() as session:
            tenant = session.get(Tenant, tenant_id)
            return tenant.language if tenant else "en"

    # -- commands --------------------------------------------------------------------

    def run(self, actor: Actor, group: str, text: str) -> Reply:
        """Run a command written as text (Slack, console): ``group`` is the slash word."""
        cmd, args = self.registry.parse(group, text)
        return self._call(actor, cmd, args)

    def invoke(self, actor: Actor, path: tuple[str, ...], options: dict[str, Any]) -> Reply:
        """Run a command given typed options (Discord), with the same checks as text."""
        try:
            cmd = self.registry.find(path)
        except KeyError:
            raise InvalidInput(N_("Unknown command /{name}. Try /hromada help."),
                               name=" ".join(path)) from None
        try:
            args = cmd.bind(options)
        except InvalidInput as exc:
            exc.usage = exc.usage or cmd.usage()
            raise
        return self._call(actor, cmd, args)

    def _call(self, actor: Actor, cmd: Command, args: dict[str, Any]) -> Reply:
        with self.context(actor) as ctx:
            check_permission(ctx, cmd, args)
            reply = cmd.handler(ctx, **args)
            if reply.visibility is Visibility.PUBLIC and not reply.posted_note:
                reply.posted_note = _posted_note(ctx, reply.item_id)
            log.debug("command", extra={"tenant": actor.tenant_id, "command": " ".join(cmd.path)})
            return reply

    # -- buttons ---------------------------------------------------------------------

    def press(self, actor: Actor, action_id: str, value: str) -> Reply:
        """A button was pressed; ``action_id`` and ``value`` come from a core ``Action``."""
        with self.context(actor) as ctx:
            if action_id == "dup.submit":
                draft = _take(ctx, value)
                return DRAFT_SUBMITTERS[draft.kind](ctx, json.loads(draft.payload))
            if action_id == "dup.drop":
                _take(ctx, value)
                return Reply(text=ctx.t(N_("Fine, nothing new was saved.")))
            if action_id == "dup.vote":
                item_id, _, draft_id = value.partition(":")
                _take(ctx, draft_id)
                item = repos.item_by_id(ctx.session, ctx.tenant_id, _int(item_id))
                if item is None:
                    raise NotFound(N_("That prompt has expired; submit again."))
                votes.apply(ctx, item, 1, added=True, event_key=None)
                from core.items import ref

                return Reply(text=ctx.t(N_("Your vote went to {ref} instead."), ref=ref(item)))
            if action_id in anonymous.ACTIONS:
                return anonymous.ACTIONS[action_id](ctx, value)
            if action_id in watch.ACTIONS:  # "This answered it" / "Not it" on an offer
                return watch.ACTIONS[action_id](ctx, value)
            if action_id == "pulse.answer":
                return pulses.press(ctx, value)
            if action_id in onboarding.ACTIONS:
                return onboarding.ACTIONS[action_id](ctx, value)
            if action_id == "card.post":  # core.cards.REPOST: post a card that failed again
                from core.cards import repost

                return repost(ctx, value)
            if action_id == "forget-me.confirm":
                return self._press_command(ctx, ("hromada", "forget-me"), {"confirm": value})
            if action_id == "status":
                ref_, _, status = value.partition(":")
                return self._press_command(ctx, ("idea", "status"), {"ref": ref_,
                                                                    "status": status})
        raise InvalidInput(N_("That button is not known here."))

    def needs_audience(self, group: str, text: str = "", *, action_id: str = "") -> bool:
        """Whether this command or button may post an anonymous card, so the adapter should
        say how many members the channel has (``Actor.channel_size``)."""
        if action_id:
            return action_id in anonymous.AUDIENCE_ACTIONS
        try:
            cmd, _args = self.registry.parse(group, text)
        except HromadaError:
            return False
        return cmd.path in anonymous.AUDIENCE_COMMANDS

    def member_count(self, tenant_id: str) -> int:
        """Members known in a tenant (the console's one channel holds them all)."""
        with self.db.uow() as session:
            return repos.member_count(session, tenant_id)

    def _press_command(self, ctx: Ctx, path: tuple[str, ...], options: dict[str, Any]) -> Reply:
        cmd = self.registry.find(path)
        args = cmd.bind(options)
        check_permission(ctx, cmd, args)
        return cmd.handler(ctx, **args)

    # -- reactions and messages ------------------------------------------------------

    def react(
        self,
        actor: Actor,
        *,
        channel_id: str,
        message_id: str,
        emoji: str,
        added: bool,
        event_key: str | None = None,
        burst: bool = False,
    ) -> bool:
        """👍/👎 on a message that stands for an item: a vote. True when the tally changed.

        Reactions count as the platform counts them (``votes.reaction_key``): the vote lasts
        while the member holds any 👍/👎 on the item's messages, the latest held deciding.
        Nothing else: a reaction is public and shows who reacted, so no reaction ever answers
        a pulse (answers take the private paths: its buttons or /pulse answer)."""
        meaning = votes.emoji_meaning(emoji)
        if meaning not in ("up", "down"):
            return False
        if not actor.tenant_id or not actor.user_id:
            raise InvalidInput(N_("Who is asking is unknown."))
        value = 1 if meaning == "up" else -1
        held = votes.Held(channel_id, message_id, votes.reaction_key(emoji, burst=burst) or "")
        try:
            # The hot path: one transaction on a pooled driver connection running prebuilt
            # Core statements; no ORM loads, no translations (a reaction never replies).
            with repos.hot_transaction(self.db.engine) as conn:
                found = repos.vote_target(conn, actor.tenant_id, channel_id, message_id,
                                          actor.user_id, actor.display_name)
                if found is not None:
                    return self._vote(conn, actor, found, value, added, event_key, held)
            # An unknown message or a new member: the tenant and the member are made to
            # exist, as in every use case, then the vote goes the same way.
            with self.context(actor) as ctx:
                found = repos.vote_target(ctx.session, actor.tenant_id, channel_id, message_id,
                                          actor.user_id, actor.display_name)
                if found is None:
                    return False
                return self._vote(ctx.session, actor, found, value, added, event_key, held)
        except StoreConflict as exc:
            log.info("store conflict: %s", exc)
            raise Conflict(N_("Someone else changed that at the same moment; try again.")) from exc

    def _vote(self, session: Any, actor: Actor, found: tuple[int, str, str, int], value: int,
              added: bool, event_key: str | None, held: votes.Held) -> bool:
        item_id, kind, status, member_id = found
        return votes.apply_to(session, actor.tenant_id, item_id=item_id, kind=kind,
                              status=status, member_id=member_id, value=value, added=added,
                              event_key=event_key, when=self.clock.now(), held=held)

    def clear_reactions(self, tenant_id: str, *, channel_id: str, message_id: str,
                        emoji: str | None = None, event_key: str | None = None) -> int:
        """A moderator or bot cleared reactions off a message (Discord's "remove all", or
        "remove this emoji" with ``emoji``): the votes those reactions carried go, as if each
        member had removed them. Returns how many votes changed."""
        keys = votes.family_keys(emoji) if emoji is not None else None
        if keys == []:
            return 0  # not a vote emoji
        with self.db.uow() as session:
            item = repos.item_for_message(session, tenant_id, channel_id, message_id)
            if item is None or item.id is None:
                return 0
            if event_key and not repos.claim_event(session, tenant_id, event_key):
                signals.duplicate_event.send(tenant_id)
                return 0
            members = repos.clear_reactions(session, tenant_id, item_id=item.id,
                                            channel_id=channel_id, message_id=message_id,
                                            reactions=keys)
            gone = None if emoji is None else (1 if votes.emoji_meaning(emoji) == "up" else -1)
            return sum(votes.settle(session, tenant_id, item_id=item.id, member_id=m, gone=gone)
                       for m in members)

    def save_message(
        self,
        actor: Actor,
        *,
        text: str,
        link: str | None,
        source_author: str | None,
        event_key: str | None = None,
        as_risk: bool = False,
        source_message: str | None = None,
    ) -> Reply | None:
        """📚 (or ⚠️ with ``as_risk``) on any message. None when the event was seen before.
        ``source_message`` ("<channel>:<message id>") lets the snippet follow later edits."""
        # A platform's JSON may carry U+0000, which PostgreSQL text cannot hold.
        text = text.replace("\x00", "")
        source_author = source_author.replace("\x00", "") if source_author else source_author
        with self.context(actor) as ctx:
            if event_key and not repos.claim_event(ctx.session, ctx.tenant_id, event_key,
                                                      ctx.now):
                signals.duplicate_event.send(ctx.tenant_id)
                return None
            if as_risk:
                if link:
                    existing = repos.item_by_source(ctx.session, ctx.tenant_id, "risk", link)
                    if existing is not None:
                        from core.items import ref

                        return Reply(text=ctx.t(N_("Already registered as {ref}."),
                                                ref=ref(existing)),
                                     visibility=Visibility.PUBLIC)
                first = text.strip().splitlines()[0] if text.strip() else ""
                return risks.register(ctx, first, body=text.strip(), link=link, force=True)
            return knowledge.save_message(ctx, text=text, link=link, source_author=source_author,
                                          source_message=source_message)

    def question(self, actor: Actor, *, channel_id: str, message_id: str,
                 text: str) -> Reply | None:
        """A member's plain message in a channel (``core.watch``): in a watched channel, a
        question gets an offer for the asker alone; None when nothing is to be said (not
        watched, not a question, answered before, nothing matches). The asker is not stored."""
        with self.db.uow() as session:
            return watch.offer(session, actor=actor, channel_id=channel_id,
                               message_id=message_id, text=text.replace("\x00", ""),
                               secret=self.secret, clock=self.clock)

    def source_edited(self, tenant_id: str, *, channel_id: str, message_id: str, text: str,
                      event_key: str | None = None) -> int:
        """A chat message was edited: snippets saved from it follow (``core.freshness``).
        Returns how many changed; a message no snippet came from leaves no trace at all."""
        return self._source_changed(tenant_id, channel_id, message_id, text, event_key)

    def source_deleted(self, tenant_id: str, *, channel_id: str, message_id: str,
                       event_key: str | None = None) -> int:
        """A chat message was deleted: snippets saved from it say so."""
        return self._source_changed(tenant_id, channel_id, message_id, None, event_key)

    def _source_changed(self, tenant_id: str, channel_id: str, message_id: str,
                        text: str | None, event_key: str | None) -> int:
        key = freshness.source_key(channel_id, message_id)
        now = self.clock.now()
        with self.db.uow() as session:
            if not freshness.sourced(session, tenant_id, key):
                return 0  # not a snippet's message: nothing is kept, not even the event id
            if event_key and not repos.claim_event(session, tenant_id, event_key, now):
                signals.duplicate_event.send(tenant_id)
                return 0
            if text is None:
                return freshness.follow_delete(session, tenant_id, key, now)
            return freshness.follow_edit(session, tenant_id, key,
                                         text.replace("\x00", ""), now)

    def attach_message(self, tenant_id: str, item_id: int, channel_id: str,
                       message_id: str) -> None:
        """Remember that a posted message stands for an item, so reactions on it reach it.
        Its own short transaction on the driver: it runs after every card is posted."""
        with repos.hot_transaction(self.db.engine) as conn:
            repos.attach_message(conn, tenant_id, item_id, channel_id, message_id)

    def suggest(self, tenant_id: str, kind: str, query: str, *,
                limit: int = 25) -> list[tuple[str, str]]:
        """(ref, title) pairs for autocomplete: fuzzy matches, or the newest when empty."""
        from core.items import ref
        from core.search import SUGGEST_THRESHOLD, ranked

        with self.db.uow() as session:
            if not query.strip():
                rows = [i for i, _ in repos.list_items(session, tenant_id, kind, limit=limit)]
            else:
                found = ranked(session, tenant_id, [kind], query, limit=limit,
                               cutoff=SUGGEST_THRESHOLD)
                byid = repos.items_by_ids(session, tenant_id, [i for i, _ in found])
                rows = [byid[i] for i, _ in found if i in byid]
            return [(ref(item), item.title) for item in rows]

    def home(self, actor: Actor) -> Any:
        """The member's home page (``core.home.Home``): own items, top ideas, open questions."""
        from core import home

        with self.context(actor) as ctx:
            return home.build(ctx)

    def item_ref(self, tenant_id: str, item_id: int) -> str:
        from core.items import ref

        with self.db.uow() as session:
            item = repos.item_by_id(session, tenant_id, item_id)
            if item is None:
                raise NotFound(N_("That item no longer exists."))
            return ref(item)

    def posted_note(self, tenant_id: str, item_id: int | None) -> str:
        """``Reply.posted_note`` for a public reply that came without one (a button's)."""
        from core.items import posted_note
        from storage.models import Tenant

        with self.db.uow() as session:
            tenant = session.get(Tenant, tenant_id)
            item = repos.item_by_id(session, tenant_id, item_id) if item_id is not None else None
            return posted_note(gettext_for(tenant.language if tenant else "en").gettext, item)

    def attach_ref(self, tenant_id: str, kind: str, number: int, channel_id: str,
                   message_id: str) -> bool:
        """Let a message stand for the item with this ref; False when there is no such item."""
        with self.db.uow() as session:
            item = repos.item_by_ref(session, tenant_id, kind, number)
            if item is None:
                return False
            repos.attach_message(session, tenant_id, item.id or 0, channel_id, message_id)
            return True

    # -- errors ----------------------------------------------------------------------

    def error_reply(self, tenant_id: str, exc: HromadaError) -> Reply:
        """The one translation of a core error into words; adapters render it."""
        tr = gettext_for(self.language(tenant_id)) if tenant_id else gettext_for("en")
        # Parameters often echo what the member typed: carried as user text, mentions stay inert.
        params = {k: UserText(v) if isinstance(v, str) else v for k, v in exc.params.items()}
        text = fmt(tr.gettext(exc.message), **params)
        footer = ""
        if isinstance(exc, InvalidInput) and exc.usage:
            footer = tr.gettext("Usage: {usage}").format(usage=exc.usage)
        return Reply(text=text, footer=footer, error=True)

    def apology(self, tenant_id: str, request_id: str) -> Reply:
        tr = gettext_for(self.language(tenant_id)) if tenant_id else gettext_for("en")
        return Reply(text=fmt(tr.gettext("Sorry, something went wrong on our side (ref {id})."),
                              id=request_id), error=True)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(N_("That button is not known here.")) from None


def _take(ctx: Ctx, value: str) -> Any:
    from core.items import take_draft

    return take_draft(ctx, _int(value))


def _posted_note(ctx: Ctx, item_id: int | None) -> str:
    """A public reply's ``posted_note`` when its handler made none (item cards make their own
    without another read)."""
    from core.items import posted_note

    item = repos.item_by_id(ctx.session, ctx.tenant_id, item_id) if item_id is not None else None
    return posted_note(ctx._, item)
