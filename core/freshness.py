"""Knowledge that stays true: owners, verify-by dates, stale marks, weekly reminders, and
snippets that follow the message they were saved from.

A snippet's owner is whoever saved it until ``/kb owner`` hands it to someone else
(``Item.owner_id``; empty means the author). It is true until ``verified_at`` (else its saving
time) plus the workspace's ``verify_days``; after that it is stale: marked in search results,
``/kb show`` and the digest, listed by ``/kb stale``, and its owner gets one batched reminder a
week (a ``kb-reminder`` claim per owner and week, so two runners remind once).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from core import items
from core.commands import REGISTRY, SNIPPET_REF
from core.context import Ctx
from core.i18n import N_, gettext_for
from core.registry import Access, MemberArg, P, Param
from core.replies import Field, Line, Notice, Reply
from core.text import Mention, Rich, UserText, fmt, join
from storage.models import Item, Member, SnippetRevision, Tenant

REMINDER_JOB = "kb-reminder"
MAX_VERIFY_DAYS = 3650
STALE_LIST = 20  # stale snippets one list or reminder shows; the rest are counted

STALE = N_("stale")


def aware(when: datetime) -> datetime:
    """SQLite gives datetimes back without a zone; every one stored here is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def owner_id(item: Item) -> int | None:
    """Who answers for a snippet: its named owner, else who saved it."""
    return item.owner_id if item.owner_id is not None else item.author_id


def verify_by(tenant: Tenant, item: Item) -> datetime:
    return aware(item.verified_at or item.created_at) + timedelta(days=tenant.verify_days)


def is_stale(tenant: Tenant, item: Item, now: datetime) -> bool:
    return item.kind == "snippet" and verify_by(tenant, item) <= aware(now)


def stale_cutoff(tenant: Tenant, now: datetime) -> datetime:
    """Snippets last verified (or saved) at or before this are stale at ``now``."""
    return aware(now) - timedelta(days=tenant.verify_days)


def stale_where(tenant_id: Any, cutoff: Any) -> list[Any]:
    """The stale snippets' filter; values or bound parameters, so the digest can build it once."""
    return [Item.tenant_id == tenant_id, Item.kind == "snippet", Item.status != "archived",
            func.coalesce(Item.verified_at, Item.created_at) <= cutoff]


# The longest overdue first.
STALE_ORDER = (func.coalesce(Item.verified_at, Item.created_at), Item.id)


def stale_snippets(session: Session, tenant: Tenant, now: datetime, *,
                   limit: int | None = STALE_LIST) -> tuple[list[Item], int]:
    """The stale snippets, the longest overdue first, and how many there are in all."""
    where = stale_where(tenant.id, stale_cutoff(tenant, now))
    total = int(session.execute(select(func.count()).select_from(Item)
                                .where(*where)).scalar_one())
    stmt = select(Item).where(*where).order_by(*STALE_ORDER)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars()), total


def mark(ctx: Ctx, line: Line, item: Item) -> Line:
    """A search result line, marked when the snippet is stale."""
    if is_stale(ctx.tenant, item, ctx.now):
        return replace(line, meta=" · ".join(m for m in (line.meta, "⚠ " + ctx._(STALE)) if m))
    return line


def show_fields(ctx: Ctx, item: Item) -> list[Field]:
    """What ``/kb show`` adds: owner, verify-by date (stale or not), history, a deleted source."""
    fields = [Field(ctx._("Owner"), ctx.member_name(owner_id(item)))]
    due = verify_by(ctx.tenant, item).strftime("%Y-%m-%d")
    if is_stale(ctx.tenant, item, ctx.now):
        fields.append(Field(ctx._("Verify by"), ctx.t(
            N_("⚠ stale since {date}: /kb verify {ref} if it is still true"), date=due,
            ref=items.ref(item))))
    else:
        fields.append(Field(ctx._("Verify by"), Rich((due,))))
    earlier = revision_count(ctx.session, item)
    if earlier:
        fields.append(Field(ctx._("History"), ctx.t(
            N_("{n} earlier versions: /kb history {ref}"), n=earlier, ref=items.ref(item))))
    if item.source_deleted_at is not None:
        fields.append(Field(ctx._("Source"), ctx.t(
            N_("The message this was saved from was deleted on {date}."),
            date=aware(item.source_deleted_at).strftime("%Y-%m-%d"))))
    return fields


def revision_count(session: Session, item: Item) -> int:
    return int(session.execute(
        select(func.count()).select_from(SnippetRevision)
        .where(SnippetRevision.tenant_id == item.tenant_id,  # type: ignore[arg-type]
               SnippetRevision.item_id == item.id)).scalar_one())


# -- commands --------------------------------------------------------------------------


@REGISTRY.command("kb owner", SNIPPET_REF, Param("member", P.MEMBER, N_("who answers for it")),
                  help=N_("Hand a snippet to another owner, who keeps it true."),
                  access=Access.OWNER)
def set_owner(ctx: Ctx, ref: int, member: MemberArg) -> Reply:
    from core.risks import resolve_member

    item = items.get(ctx, "snippet", ref)
    person = resolve_member(ctx, member)
    item.owner_id = person.id
    ctx.session.add(item)
    text = ctx.t(N_("{who} now owns {ref} “{title}”."), who=Mention(person.user_id,
                 person.display_name), ref=items.ref(item), title=UserText(item.title))
    notices = []
    if person.id != ctx.member.id:
        notices.append(Notice((person.user_id,), ctx.t(
            N_("You now own {ref} “{title}”."), ref=items.ref(item), title=UserText(item.title)),
            item_id=item.id))
    return Reply(text=text, notices=notices)


@REGISTRY.command("kb verify", SNIPPET_REF,
                  help=N_("Confirm a snippet is still true: its verify-by date starts again."),
                  access=Access.OWNER)
def verify(ctx: Ctx, ref: int) -> Reply:
    item = items.get(ctx, "snippet", ref)
    item.verified_at = ctx.now
    ctx.session.add(item)
    return Reply(text=ctx.t(N_("{ref} is verified; next look by {date}."), ref=items.ref(item),
                            date=verify_by(ctx.tenant, item).strftime("%Y-%m-%d")))


@REGISTRY.command("kb stale", help=N_("Snippets past their verify-by date, oldest first."))
def stale(ctx: Ctx) -> Reply:
    rows, total = stale_snippets(ctx.session, ctx.tenant, ctx.now)
    if not rows:
        return Reply(text=ctx.t(N_("Every snippet is within its verify-by date.")))
    lines = [Line(text=Rich((UserText(it.title),)), ref=items.ref(it),
                  meta=ctx.t(N_("since {date} · {owner}"),
                             date=verify_by(ctx.tenant, it).strftime("%Y-%m-%d"),
                             owner=ctx.member_name(owner_id(it))).plain())
             for it in rows]
    reply = Reply(text=ctx.t(N_("Snippets that need a look ({n}):"), n=total), lines=lines)
    if total > len(rows):
        reply.footer = ctx.t(N_("…and {n} more"), n=total - len(rows)).plain()
    return reply


@REGISTRY.command("kb history", SNIPPET_REF,
                  help=N_("Earlier versions of a snippet whose message was edited."))
def history(ctx: Ctx, ref: int) -> Reply:
    item = items.get(ctx, "snippet", ref)
    rows = ctx.session.execute(
        select(SnippetRevision)
        .where(SnippetRevision.tenant_id == ctx.tenant_id,  # type: ignore[arg-type]
               SnippetRevision.item_id == item.id)
        .order_by(SnippetRevision.id.desc())  # type: ignore[union-attr]
    ).scalars().all()
    if not rows:
        return Reply(text=ctx.t(N_("{ref} has no earlier versions."), ref=items.ref(item)))
    lines = [Line(text=Rich((UserText(r.body),)), meta=aware(r.created_at).strftime(
        "%Y-%m-%d %H:%M")) for r in rows]
    return Reply(text=ctx.t(N_("Earlier versions of {ref}, newest first:"),
                            ref=items.ref(item)), lines=lines)


@REGISTRY.command("hromada settings verify-days",
                  Param("days", P.INT, N_("days, 1-3650"), minimum=1, maximum=MAX_VERIFY_DAYS),
                  help=N_("How many days a knowledge snippet stays true before its owner is "
                          "asked to verify it."),
                  moderator=True)
def set_verify_days(ctx: Ctx, days: int) -> Reply:
    ctx.tenant.verify_days = days
    ctx.session.add(ctx.tenant)
    return Reply(text=ctx.t(N_("Snippets now need a look {days} days after they were last "
                               "verified."), days=days))


# -- the source message changed --------------------------------------------------------


def source_key(channel_id: str, message_id: str) -> str:
    return f"{channel_id}:{message_id}"[:200]


def sourced(session: Session, tenant_id: str, key: str) -> bool:
    """Whether any snippet was saved from this message (one indexed look-up)."""
    return session.execute(select(Item.id).where(
        Item.tenant_id == tenant_id, Item.source_message == key  # type: ignore[arg-type]
    ).limit(1)).first() is not None


def _sourced(session: Session, tenant_id: str, key: str) -> list[Item]:
    return list(session.execute(select(Item).where(
        Item.tenant_id == tenant_id, Item.kind == "snippet",  # type: ignore[arg-type]
        Item.source_message == key)).scalars())


def follow_edit(session: Session, tenant_id: str, key: str, text: str, now: datetime) -> int:
    """The message a snippet was saved from was edited: the snippet takes the new text and
    keeps the earlier one as history. Nothing happens for a message no snippet came from."""
    body = text.replace("\x00", "").strip()
    changed = 0
    for item in _sourced(session, tenant_id, key):
        if not body or body == item.body:
            continue
        session.add(SnippetRevision(tenant_id=tenant_id, item_id=item.id or 0,
                                    title=item.title, body=item.body, created_at=now))
        if item.title == title_of(item.body):  # the title came from the message: it follows
            item.title = title_of(body)
        item.body = body
        item.updated_at = now
        session.add(item)
        from core.knowledge import refresh_search_text

        refresh_search_text(session, item)
        changed += 1
    return changed


def follow_delete(session: Session, tenant_id: str, key: str, now: datetime) -> int:
    """The message was deleted: the snippet stays (it was saved on purpose) and says so."""
    changed = 0
    for item in _sourced(session, tenant_id, key):
        if item.source_deleted_at is None:
            item.source_deleted_at = now
            session.add(item)
            changed += 1
    return changed


TITLE_FROM_MESSAGE = 80


def title_of(body: str) -> str:
    lines = body.strip().splitlines()
    first = items.clean_title(lines[0]) if lines else ""
    return first if len(first) <= TITLE_FROM_MESSAGE else first[: TITLE_FROM_MESSAGE - 1] + "…"


# -- weekly reminders ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reminder:
    """One owner's batched reminder for one week; ``key`` is its claim's period key."""

    tenant_id: str
    key: str
    notice: Notice


def week_key(now: datetime) -> str:
    year, week, _ = aware(now).isocalendar()
    return f"{year}-W{week:02d}"


def reminders(session: Session, now: datetime, *, platforms: list[str] | None = None,
              tenant_ids: list[str] | None = None) -> list[Reminder]:
    """This week's reminder for each owner of stale snippets, in their workspace's language.
    Whether one was sent already is the claim's business (``REMINDER_JOB``), not this."""
    stmt = select(Tenant).where(Tenant.uninstalled_at.is_(None))  # type: ignore[union-attr]
    if tenant_ids is not None:
        stmt = stmt.where(Tenant.id.in_(tenant_ids))  # type: ignore[attr-defined]
    wanted = tuple(f"{p}:" for p in platforms) if platforms is not None else None
    out: list[Reminder] = []
    week = week_key(now)
    for tenant in session.execute(stmt).scalars():
        if wanted is not None and not tenant.id.startswith(wanted):
            continue
        rows, _ = stale_snippets(session, tenant, now, limit=None)
        by_owner: dict[int, list[Item]] = {}
        for item in rows:
            who = owner_id(item)
            if who is not None:
                by_owner.setdefault(who, []).append(item)
        if not by_owner:
            continue
        tr = gettext_for(tenant.language)
        members = {m.id: m for m in session.execute(select(Member).where(
            Member.id.in_(list(by_owner)))).scalars()}  # type: ignore[union-attr]
        for member_id, owned in sorted(by_owner.items()):
            member = members.get(member_id)
            if member is None or member.former:
                continue
            shown = owned[:STALE_LIST]
            listed = join([fmt("• {ref} “{title}”", ref=items.ref(i), title=UserText(i.title))
                           for i in shown], "\n")
            text = fmt(tr.gettext(N_("Your snippets that need a look: is each still true? "
                                     "Confirm with /kb verify <ref>, fix it, or hand it on "
                                     "with /kb owner.")))
            text = text + Rich(("\n",)) + listed
            if len(owned) > len(shown):
                text = text + Rich(("\n",)) + fmt(tr.gettext(N_("…and {n} more")),
                                                 n=len(owned) - len(shown))
            out.append(Reminder(tenant.id, f"{week}#{member_id}",
                                Notice((member.user_id,), text)))
    return out
