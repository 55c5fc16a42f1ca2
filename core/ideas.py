"""Ideas: submit (also anonymously), list, show, search, status lifecycle, merge, withdraw."""

from __future__ import annotations

from core import items
from core.commands import IDEA_REF, NOTE, PAGE, REGISTRY
from core.context import Ctx
from core.errors import Forbidden, InvalidInput
from core.i18n import N_
from core.registry import Access, P, Param
from core.replies import Action, Field, Reply
from core.search import ranked
from core.text import Rich, UserText
from storage import repos

STATUSES = ("new", "reviewing", "planned", "in-progress", "done", "declined", "merged")
SETTABLE = tuple(s for s in STATUSES if s != "merged")
CLOSED = ("done", "declined", "merged", "withdrawn")
PAGE_SIZE = 10
# Statuses and list orders are shown translated; written out so the extractor finds them.
SHOWN_WORDS = (N_("new"), N_("reviewing"), N_("planned"), N_("in-progress"), N_("done"),
               N_("declined"), N_("merged"), N_("withdrawn"), N_("top"))


@REGISTRY.command("idea submit", Param("text", P.TEXT, N_("your idea")),
                  help=N_("Submit an idea; everyone can vote on it."))
def submit(ctx: Ctx, text: str) -> Reply:
    return _submit(ctx, text, anonymous=False)


@REGISTRY.command("idea anon", Param("text", P.TEXT, N_("your idea")),
                  help=N_("Submit an idea anonymously: no one, moderators included, sees who."))
def submit_anon(ctx: Ctx, text: str) -> Reply:
    return _submit(ctx, text, anonymous=True)


def _submit(ctx: Ctx, text: str, *, anonymous: bool, force: bool = False) -> Reply:
    title = items.clean_title(text)
    if not force:
        prompt = items.duplicate_prompt(
            ctx, "idea", title, {"text": title, "anonymous": anonymous},
            open_statuses_excluded=CLOSED,
        )
        if prompt:
            return prompt
    item = items.create(ctx, "idea", title, anonymous=anonymous)
    card = items.card(ctx, item, headline=ctx.t(N_("New idea")))
    if not anonymous:
        return card
    from core.anonymous import post_anonymous

    return post_anonymous(ctx, item, card)


def submit_draft(ctx: Ctx, payload: dict[str, object]) -> Reply:
    return _submit(ctx, str(payload["text"]), anonymous=bool(payload.get("anonymous")), force=True)


@REGISTRY.command("idea list",
                  Param("order", P.CHOICE, N_("top, new or a status"), required=False,
                        choices=("top", "new", *STATUSES, "withdrawn")),
                  PAGE,
                  help=N_("List ideas, 10 at a time: newest, most voted, or by status."))
def list_ideas(ctx: Ctx, order: str | None, page: int | None) -> Reply:
    order = order or "new"
    page = page or 1
    statuses = None if order in ("top", "new") else [order]
    exclude = ("merged", "withdrawn") if statuses is None else ()
    rows = repos.list_items(ctx.session, ctx.tenant_id, "idea", statuses=statuses,
                            exclude=exclude, order="top" if order == "top" else "new",
                            limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    more = len(rows) > PAGE_SIZE
    lines = [items.item_line(ctx, item, score) for item, score in rows[:PAGE_SIZE]]
    if not lines:
        return Reply(text=ctx.t(N_("No ideas here yet. Submit one with /idea <text>.")))
    footer = ""
    if more:
        footer = ctx._("More: /idea list {order} {page}").format(order=order, page=page + 1)
    label = {"top": N_("most voted first"), "new": N_("newest first")}.get(order, order)
    return Reply(text=ctx.t(N_("Ideas ({order}), page {page}:"), order=ctx._(label), page=page),
                 lines=lines, footer=footer)


@REGISTRY.command("idea show", IDEA_REF, help=N_("Show an idea: text, score, status history."))
def show(ctx: Ctx, ref: int) -> Reply:
    item = items.get(ctx, "idea", ref)
    up, down = repos.tally(ctx.session, ctx.tenant_id, item.id or 0)
    reply = items.detail(ctx, item)
    reply.fields += [
        Field(ctx._("Score"), Rich((items.score_text(up, down),))),
        Field(ctx._("Status"), Rich((ctx._(item.status),))),
    ]
    if item.merged_into_id:
        target = repos.item_by_id(ctx.session, ctx.tenant_id, item.merged_into_id)
        if target:
            reply.fields.append(Field(ctx._("Merged into"), Rich((items.ref(target),))))
    reply.lines = items.history_lines(ctx, item)
    if ctx.is_moderator and item.status not in ("merged", "withdrawn"):
        reply.actions = [
            Action(ctx._(s), "status", f"{items.ref(item)}:{s}",
                   "danger" if s == "declined" else None)
            for s in ("reviewing", "planned", "in-progress", "done", "declined")
            if s != item.status
        ]
    return reply


@REGISTRY.command("idea search", Param("query", P.TEXT, N_("words to look for")),
                  help=N_("Fuzzy search over ideas."))
def search(ctx: Ctx, query: str) -> Reply:
    found = ranked(ctx.session, ctx.tenant_id, ["idea"], query, limit=10)
    byid = repos.items_by_ids(ctx.session, ctx.tenant_id, [i for i, _ in found])
    lines = [items.item_line(ctx, byid[i]) for i, _ in found if i in byid]
    if not lines:
        return Reply(text=ctx.t(N_("No idea matches {query}."), query=UserText(query)))
    return Reply(text=ctx.t(N_("Ideas matching {query}:"), query=UserText(query)), lines=lines)


@REGISTRY.command("idea status", IDEA_REF,
                  Param("status", P.CHOICE, N_("the new status"), choices=SETTABLE), NOTE,
                  help=N_("Change an idea's status; its author and voters are told."),
                  moderator=True)
def set_status(ctx: Ctx, ref: int, status: str, note: str | None) -> Reply:
    item = items.get(ctx, "idea", ref)
    if item.status in ("merged", "withdrawn"):
        raise InvalidInput(N_("{ref} is {status}; its status cannot change."), ref=items.ref(item),
                           status=ctx._(item.status))
    text, notices = items.change_status(ctx, item, status, note)
    return Reply(text=text, notices=notices,
                 footer=ctx.t(N_("People told: {n}."), n=items.told(notices)).plain())


@REGISTRY.command("idea merge", IDEA_REF, Param("into", P.LITERAL),
                  Param("target", P.REF, N_("the idea it joins"), ref_kind="idea"),
                  help=N_("Merge one idea into another; votes move, each voter counted once."),
                  moderator=True)
def merge(ctx: Ctx, ref: int, target: int) -> Reply:
    if ref == target:
        raise InvalidInput(N_("An idea cannot be merged into itself."))
    source = items.get(ctx, "idea", ref)
    dest = items.get(ctx, "idea", target)
    for it in (source, dest):
        if it.status in ("merged", "withdrawn"):
            raise InvalidInput(N_("{ref} is {status}; its status cannot change."),
                               ref=items.ref(it), status=ctx._(it.status))
    text = ctx.t(N_("{src} was merged into {dst} “{title}”; votes now count there."),
                 src=items.ref(source), dst=items.ref(dest), title=UserText(dest.title))
    notices = items.notify_loop(ctx, source, text)
    moved = repos.move_votes(ctx.session, ctx.tenant_id, source.id or 0, dest.id or 0)
    source.merged_into_id = dest.id
    items.record_status(ctx, source, "merged", items.ref(dest))
    up, down = repos.tally(ctx.session, ctx.tenant_id, dest.id or 0)
    return Reply(text=text + ctx.t(N_(" {n} votes moved; {ref} now has {score}."), n=moved,
                                   ref=items.ref(dest), score=items.score_text(up, down)),
                 notices=notices)


@REGISTRY.command("idea withdraw", IDEA_REF, help=N_("Withdraw your own idea."),
                  access=Access.AUTHOR)
def withdraw(ctx: Ctx, ref: int) -> Reply:
    item = items.get(ctx, "idea", ref)
    if not items.is_author(ctx, item):
        raise Forbidden(N_("Only the author of {ref} can withdraw it."), ref=items.ref(item))
    if item.status in CLOSED:
        raise InvalidInput(N_("{ref} is {status}; its status cannot change."), ref=items.ref(item),
                           status=ctx._(item.status))
    change = items.record_status(ctx, item, "withdrawn")
    if item.anonymous:  # the history must not tie the hidden author to the idea
        change.actor_id = None
        ctx.session.add(change)
        from core.anonymous import unseal_item

        unseal_item(ctx, item)  # nothing more to hear about: the sealed reference goes
    return Reply(text=ctx.t(N_("{ref} is withdrawn."), ref=items.ref(item)))

