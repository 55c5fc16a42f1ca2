"""The risk register: likelihood × impact, owner, status, "I see it too" votes."""

from __future__ import annotations

from sqlalchemy import func, select

from core import items
from core.commands import NOTE, REGISTRY, RISK_REF
from core.context import Ctx
from core.errors import Forbidden, NotFound
from core.i18n import N_
from core.registry import Access, MemberArg, P, Param
from core.replies import Field, Notice, Reply, Visibility
from core.text import Mention, Rich, UserText
from storage import repos
from storage.models import Item, Member

STATUSES = ("open", "mitigating", "accepted", "closed")
CLOSED = ("closed",)
# Shown translated; written out so the extractor finds them.
SHOWN_WORDS = (N_("open"), N_("mitigating"), N_("accepted"), N_("closed"))


def score(item: Item) -> int:
    return (item.likelihood or 0) * (item.impact or 0)


@REGISTRY.command("risk add", Param("title", P.TEXT, N_("what could go wrong")),
                  help=N_("Register a risk."))
def add(ctx: Ctx, title: str) -> Reply:
    return register(ctx, title)


def register(ctx: Ctx, title: str, *, body: str = "", link: str | None = None,
             force: bool = False) -> Reply:
    clean = items.clean_title(title)
    if not force:
        prompt = items.duplicate_prompt(ctx, "risk", clean, {"text": clean, "body": body,
                                                              "link": link},
                                        open_statuses_excluded=CLOSED)
        if prompt:
            return prompt
    item = items.create(ctx, "risk", clean, body=body, status="open", source_link=link)
    reply = items.card(ctx, item, headline=ctx.t(N_("New risk")))
    if link:
        reply.fields.append(Field(ctx._("Source"), Rich((link,))))
    rate_it = ctx._("Rate it: /risk rate {ref} <likelihood 1-5> <impact 1-5>")
    reply.footer = reply.footer + " " + rate_it.format(ref=items.ref(item))
    return reply


def submit_draft(ctx: Ctx, payload: dict[str, object]) -> Reply:
    link = payload.get("link")
    return register(ctx, str(payload["text"]), body=str(payload.get("body") or ""),
                    link=str(link) if link else None, force=True)


@REGISTRY.command("risk rate", RISK_REF,
                  Param("likelihood", P.INT, N_("how likely, 1-5"), minimum=1, maximum=5),
                  Param("impact", P.INT, N_("how bad, 1-5"), minimum=1, maximum=5),
                  help=N_("Rate a risk: likelihood and impact, 1 to 5 each."),
                  access=Access.RISK_OWNER)
def rate(ctx: Ctx, ref: int, likelihood: int, impact: int) -> Reply:
    item = items.get(ctx, "risk", ref)
    before = f"{item.likelihood or '?'}×{item.impact or '?'}"
    item.likelihood, item.impact = likelihood, impact
    items.record_status(ctx, item, item.status, f"{before} → {likelihood}×{impact}")
    return Reply(text=ctx.t(N_("{ref} is rated {l}×{i} = {score}."), ref=items.ref(item),
                            l=likelihood, i=impact, score=likelihood * impact),
                 visibility=Visibility.PUBLIC)


@REGISTRY.command("risk list", help=N_("Open risks, the most serious first."))
def list_risks(ctx: Ctx) -> Reply:
    rows = repos.list_items(ctx.session, ctx.tenant_id, "risk", exclude=CLOSED, order="risk",
                            limit=25)
    if not rows:
        return Reply(text=ctx.t(N_("No open risks. Register one with /risk <title>.")))
    return Reply(text=ctx.t(N_("Open risks, the most serious first:")),
                 lines=[items.item_line(ctx, it) for it, _ in rows])


@REGISTRY.command("risk show", RISK_REF, help=N_("Show a risk with its rating, owner and history."))
def show(ctx: Ctx, ref: int) -> Reply:
    item = items.get(ctx, "risk", ref)
    up, _down = repos.tally(ctx.session, ctx.tenant_id, item.id or 0)
    reply = items.detail(ctx, item)
    rating = f"{item.likelihood}×{item.impact} = {score(item)}" if item.likelihood else "—"
    reply.fields += [
        Field(ctx._("Likelihood × impact"), Rich((rating,))),
        Field(ctx._("Status"), Rich((ctx._(item.status),))),
        Field(ctx._("Owner"), ctx.member_name(item.owner_id) if item.owner_id
              else Rich((ctx._("nobody yet"),))),
        Field(ctx._("I see it too"), Rich((str(up),))),
    ]
    if item.source_link:
        reply.fields.append(Field(ctx._("Source"), Rich((item.source_link,))))
    reply.lines = items.history_lines(ctx, item)
    return reply


def matrix_counts(ctx: Ctx) -> list[list[int]]:
    """counts[likelihood-1][impact-1] of the risks not closed."""
    return repos.risk_grid(ctx.session, ctx.tenant_id, exclude=CLOSED)


def unrated_count(ctx: Ctx) -> int:
    """Risks not closed that nobody has rated yet (the matrix's "not rated yet")."""
    return int(ctx.session.execute(
        select(func.count()).where(Item.tenant_id == ctx.tenant_id, Item.kind == "risk",
                                   Item.status.not_in(CLOSED), Item.likelihood.is_(None))  # type: ignore[union-attr]
    ).scalar_one())


@REGISTRY.command("risk matrix", help=N_("The 5×5 likelihood × impact matrix of open risks."))
def matrix(ctx: Ctx) -> Reply:
    grid = matrix_counts(ctx)
    head = ctx._("L\\I")
    lines = [f"{head:>4} " + " ".join(f"{i:>3}" for i in range(1, 6))]
    for lik in range(5, 0, -1):
        lines.append(f"{lik:>4} " + " ".join(f"{n or '·':>3}" for n in grid[lik - 1]))
    unrated = unrated_count(ctx)
    reply = Reply(text=ctx.t(N_("Open risks by likelihood (rows) and impact (columns):")),
                  footer="```\n" + "\n".join(lines) + "\n```")
    if unrated:
        reply.fields.append(Field(ctx._("Not rated yet"), Rich((str(unrated),))))
    from core.digest import heatmap_file

    reply.image = heatmap_file(grid, ctx)
    return reply


def resolve_member(ctx: Ctx, who: MemberArg) -> Member:
    if who.user_id:
        return repos.ensure_member(ctx.session, ctx.tenant_id, who.user_id, who.name or "")
    found = repos.member_by_name(ctx.session, ctx.tenant_id, who.name or "")
    if len(found) != 1:
        raise NotFound(N_("No single member is called {name}."), name=who.name or "")
    return found[0]


@REGISTRY.command("risk owner", RISK_REF, Param("member", P.MEMBER, N_("who owns it")),
                  help=N_("Give a risk an owner."), access=Access.RISK_OWNER)
def owner(ctx: Ctx, ref: int, member: MemberArg) -> Reply:
    item = items.get(ctx, "risk", ref)
    person = resolve_member(ctx, member)
    item.owner_id = person.id
    items.record_status(ctx, item, item.status,
                        ctx.t(N_("owner: {name}"), name=person.display_name).plain())
    text = ctx.t(N_("{who} now owns {ref} “{title}”."), who=Mention(person.user_id,
                 person.display_name), ref=items.ref(item), title=UserText(item.title))
    notices = []
    if person.id != ctx.member.id:
        notices.append(Notice((person.user_id,), ctx.t(
            N_("You now own {ref} “{title}”."), ref=items.ref(item), title=UserText(item.title)),
            item.id))
    return Reply(text=text, notices=notices)


@REGISTRY.command("risk status", RISK_REF,
                  Param("status", P.CHOICE, N_("the new status"), choices=STATUSES), NOTE,
                  help=N_("Change a risk's status: moderators, its owner or who raised it."),
                  access=Access.RISK_OWNER)
def set_status(ctx: Ctx, ref: int, status: str, note: str | None) -> Reply:
    item = items.get(ctx, "risk", ref)
    allowed = ctx.is_moderator or ctx.member.id in (item.owner_id, item.author_id)
    if not allowed:
        raise Forbidden(N_("Only moderators, the owner or who raised {ref} can change its status."),
                        ref=items.ref(item))
    text, notices = items.change_status(ctx, item, status, note)
    return Reply(text=text, notices=notices)
