"""What every kind of item shares: numbering, look-up, cards, duplicates, status history."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, timedelta

from sqlalchemy import delete

from core.context import Ctx
from core.errors import Forbidden, InvalidInput, NotFound
from core.i18n import N_
from core.refs import format_ref
from core.replies import Action, Field, Line, Notice, Reply, Visibility
from core.search import DUPLICATE_THRESHOLD, body_text, normalise, ranked
from core.text import Rich, UserText, fmt, join
from storage import repos
from storage.models import Draft, Item, StatusChange

MAX_TITLE = 300
DRAFT_TTL = timedelta(days=1)  # how long a duplicate prompt can still be answered
ICON = {"idea": "💡", "risk": "⚠️", "snippet": "📚", "question": "❓", "pulse": "📊"}
NOUN = {
    "idea": N_("idea"),
    "risk": N_("risk"),
    "snippet": N_("snippet"),
    "question": N_("question"),
    "pulse": N_("pulse"),
}


def ref(item: Item) -> str:
    return format_ref(item.kind, item.number)


def get(ctx: Ctx, kind: str, number: int) -> Item:
    item = repos.item_by_ref(ctx.session, ctx.tenant_id, kind, number)
    if item is None:
        raise NotFound(N_("There is no {ref}."), ref=format_ref(kind, number))
    return item


def clean_title(text: str) -> str:
    title = " ".join(text.split())
    if not title:
        raise InvalidInput(N_("Say a few words first."))
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1] + "…"
    return title


def create(
    ctx: Ctx,
    kind: str,
    title: str,
    *,
    body: str = "",
    anonymous: bool = False,
    status: str = "new",
    search_extra: str = "",
    **extra: object,
) -> Item:
    number = repos.next_number(ctx.session, ctx.tenant_id, kind)
    return repos.insert_item(
        ctx.session,
        tenant_id=ctx.tenant_id,
        kind=kind,
        number=number,
        title=title,
        body=body,
        search_text=normalise(f"{title} {search_extra}"),
        search_body=body_text(body),
        author_id=None if anonymous else ctx.member.id,
        anonymous=anonymous,
        anon_hash=ctx.anon_hash(number, kind) if anonymous else None,
        status=status,
        created_at=ctx.now,
        updated_at=ctx.now,
        **extra,
    )


def is_author(ctx: Ctx, item: Item) -> bool:
    if item.anonymous:
        return item.anon_hash == ctx.anon_hash(item.number, item.kind)
    return item.author_id == ctx.member.id


def author_name(ctx: Ctx, item: Item) -> Rich:
    return ctx.member_name(None if item.anonymous else item.author_id)


def score_text(up: int, down: int) -> str:
    return f"{up - down:+d} (👍 {up} · 👎 {down})"


def card(ctx: Ctx, item: Item, *, headline: Rich | None = None) -> Reply:
    """The public message that stands for an item: reactions on it reach the item."""
    title = Rich((f"{ICON[item.kind]} {ref(item)} · ", UserText(item.title)))
    fields = [Field(ctx._("From"), author_name(ctx, item))]
    if item.body and item.body != item.title:
        fields.insert(0, Field(ctx._("Details"), Rich((UserText(item.body),)), inline=False))
    if item.kind == "idea":  # "Open in Hromada", when the web pages have a public address
        from core.web_links import OPEN_LABEL, open_field

        link = open_field(ctx._(OPEN_LABEL), ctx.public_url, ctx.tenant_id, item.kind,
                          item.number)
        if link is not None:
            fields.append(link)
    footer = ""
    if item.kind in ("idea", "risk", "question"):
        footer = ctx._("React 👍 to support it, 👎 if you disagree.")
        if item.kind == "risk":
            footer = ctx._("React 👍 if you see it too.")
    return Reply(
        text=headline or Rich(),
        title=title,
        fields=fields,
        footer=footer,
        visibility=Visibility.PUBLIC,
        item_id=item.id,
        posted_note=posted_note(ctx._, item),
    )


def posted_note(_: Callable[[str], str], item: Item | None) -> str:
    """The poster's private word that a public answer went out (Discord shows it beside the
    post; the post itself never names who asked)."""
    if item is None:
        return _("Posted in this channel.")
    return fmt(_("Posted {ref} in this channel."), ref=ref(item)).plain()


def detail(ctx: Ctx, item: Item) -> Reply:
    """The item's card shown privately to the member who asked (`show`): not a post to vote on."""
    reply = card(ctx, item)
    reply.visibility, reply.item_id = Visibility.PRIVATE, None
    return reply


def item_line(ctx: Ctx, item: Item, score: int | None = None) -> Line:
    meta = [ctx._(item.status)]
    if score is not None:
        meta.insert(0, f"{score:+d}")
    if item.kind == "risk" and item.likelihood and item.impact:
        meta.insert(0, f"{item.likelihood}×{item.impact}")
    return Line(text=Rich((UserText(item.title),)), ref=ref(item), meta=" · ".join(meta))


def history_lines(ctx: Ctx, item: Item) -> list[Line]:
    out = []
    for change in repos.history(ctx.session, ctx.tenant_id, item.id or 0):
        when = change.created_at.strftime("%Y-%m-%d")
        if change.old_status == change.new_status and change.note:
            text = Rich((UserText(change.note),))  # a rating or an owner, not a status change
        else:
            text = ctx.t(N_("{old} → {new}"), old=ctx._(change.old_status),
                         new=ctx._(change.new_status))
            if change.note:
                text = text + Rich((": ", UserText(change.note)))
        out.append(Line(text=text, meta=when))
    return out


def record_status(ctx: Ctx, item: Item, new: str, note: str = "") -> StatusChange:
    change = StatusChange(
        tenant_id=ctx.tenant_id,
        item_id=item.id or 0,
        old_status=item.status,
        new_status=new,
        note=note,
        actor_id=ctx.member.id,
        created_at=ctx.now,
    )
    item.status = new
    item.updated_at = ctx.now
    ctx.session.add(item)
    return repos.add(ctx.session, change)


def change_status(ctx: Ctx, item: Item, status: str, note: str | None) -> tuple[Rich, list[Notice]]:
    """Record a status change and word it; the author and every voter get one notice."""
    if item.status == status:
        raise InvalidInput(N_("{ref} is already {status}."), ref=ref(item),
                           status=ctx._(status))
    old = item.status
    record_status(ctx, item, status, note or "")
    text = ctx.t(N_("{ref} “{title}” is now {status} (was {old})."), ref=ref(item),
                 title=UserText(item.title), status=ctx._(status), old=ctx._(old))
    if note:
        text = text + Rich((" ", UserText(note)))
    return text, notify_loop(ctx, item, text)


def notify_loop(ctx: Ctx, item: Item, text: Rich) -> list[Notice]:
    """One notice to the author and every voter, each member once, the actor left out."""
    member_ids = repos.voter_ids(ctx.session, ctx.tenant_id, item.id or 0)
    if item.author_id is not None:
        member_ids.insert(0, item.author_id)
    ids = list(dict.fromkeys(i for i in member_ids if i != ctx.member.id))
    users = ctx.member_user_ids(ids)
    notices = [Notice(recipients=tuple(users), text=text, item_id=item.id)] if users else []
    if item.anonymous:
        # An anonymous author who opted in hears it too, through the sealed reference: a
        # notice of its own that no renderer names and ``told`` does not count.
        from core.anonymous import sealed_recipient

        sealed = sealed_recipient(ctx, item)
        if sealed is not None and sealed not in users and sealed != ctx.actor.user_id:
            notices.append(Notice(recipients=(sealed,), text=text, item_id=item.id,
                                  sealed=True))
    return notices


def told(notices: list[Notice]) -> int:
    """How many named people a notice reached: an anonymous author is never counted, so the
    number says nothing about them."""
    return sum(len(n.recipients) for n in notices if not n.sealed)


# bench_search.py, 1,000 typo'd titles at 1k, 10k and 100k items: recall@3 1.000 with 20, as
# with 50 and 200; each candidate is a rerank on every /idea, /risk, /kb add and /ask.
DUPLICATE_CANDIDATES = 20


def duplicate_prompt(
    ctx: Ctx,
    kind: str,
    text: str,
    payload: dict[str, object],
    *,
    open_statuses_excluded: Sequence[str],
) -> Reply | None:
    """When the text is close to open items: a private prompt with the matches and two buttons."""
    # A title scoring the duplicate cutoff shares most of its trigrams with the text: it is
    # among the first ``DUPLICATE_CANDIDATES`` by trigrams (bench_search.py: recall@3).
    matches = ranked(ctx.session, ctx.tenant_id, [kind], text, limit=3,
                     cutoff=DUPLICATE_THRESHOLD, exclude=open_statuses_excluded,
                     candidates=DUPLICATE_CANDIDATES)
    if not matches:
        return None
    found = repos.items_by_ids(ctx.session, ctx.tenant_id, [i for i, _ in matches])
    # Unanswered prompts go after a day.
    ctx.session.execute(delete(Draft).where(
        Draft.tenant_id == ctx.tenant_id,  # type: ignore[arg-type]
        Draft.created_at < ctx.now - DRAFT_TTL))  # type: ignore[arg-type]
    # A draft of an anonymous submission names nobody: only a keyed hash over its own id
    # lets its writer answer the prompt.
    anonymous = bool(payload.get("anonymous"))
    draft = repos.add(ctx.session, Draft(tenant_id=ctx.tenant_id,
                                         member_id=None if anonymous else ctx.member.id,
                                         kind=kind, payload=json.dumps(payload),
                                         created_at=ctx.now))
    if anonymous:
        draft.anon_hash = ctx.keyed_hash("draft", draft.id)
        repos.add(ctx.session, draft)
    lines = [item_line(ctx, found[i]) for i, _ in matches if i in found]
    best = found[matches[0][0]]
    actions = []
    if kind in ("idea", "risk", "question"):
        actions.append(Action(ctx.t(N_("Vote for {ref} instead"), ref=ref(best)).plain(),
                              "dup.vote", f"{best.id}:{draft.id}", "primary"))
    else:
        actions.append(Action(ctx.t(N_("Use {ref} instead"), ref=ref(best)).plain(),
                              "dup.drop", str(draft.id), "primary"))
    actions.append(Action(ctx._("Submit anyway"), "dup.submit", str(draft.id)))
    return Reply(
        text=ctx.t(N_("This looks close to what is already open:")),
        lines=lines,
        actions=actions,
    )


def take_draft(ctx: Ctx, draft_id: int) -> Draft:
    draft = ctx.session.get(Draft, draft_id)
    if draft is None or draft.tenant_id != ctx.tenant_id or _expired(ctx, draft):
        raise NotFound(N_("That prompt has expired; submit again."))
    mine = (draft.anon_hash == ctx.keyed_hash("draft", draft.id) if draft.member_id is None
            else draft.member_id == ctx.member.id)
    if not mine:
        raise Forbidden(N_("Only the member who submitted it can answer this prompt."))
    # A double click arrives as two presses at once: only the one that deletes the draft
    # goes on (the other waits for the row lock, then finds it gone).
    gone = ctx.session.execute(delete(Draft).where(
        Draft.id == draft_id, Draft.tenant_id == ctx.tenant_id))  # type: ignore[arg-type]
    if gone.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(N_("That prompt has expired; submit again."))
    ctx.session.expunge(draft)
    return draft


def _expired(ctx: Ctx, draft: Draft) -> bool:
    made = draft.created_at
    made = made if made.tzinfo else made.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return made < ctx.now - DRAFT_TTL


def tag_text(tags: list[str]) -> Rich:
    return join([f"#{t}" for t in tags], " ")
