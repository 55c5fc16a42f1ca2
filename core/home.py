"""A member's home page: their own items, the week's top ideas, open questions.

Platform-neutral sections; the Slack App Home renders them, others may. Anonymous items are
never listed as the member's own: a page that pairs a person with an anonymous item would be an
output that names its author.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, text

from core import items
from core.context import Ctx
from core.replies import Line
from storage import repos
from storage.models import Item

SECTION_SIZE = 8
WEEK = timedelta(days=7)
CLOSED_QUESTION = ("answered", "closed", "withdrawn", "merged")


@dataclass
class HomeSection:
    title: str
    lines: list[Line] = field(default_factory=list)
    empty: str = ""


@dataclass
class Home:
    greeting: str
    sections: list[HomeSection]
    footer: str = ""


def build(ctx: Ctx) -> Home:
    """The three sections, translated, each with a short line for when it is empty."""
    return Home(
        greeting=ctx._("Hromada: ideas, risks and knowledge, heard and kept."),
        sections=[
            HomeSection(ctx._("Your items"), own_items(ctx),
                        ctx._("Nothing of yours yet. Try /idea <text> or /kb add.")),
            HomeSection(ctx._("Top ideas this week"), top_ideas_this_week(ctx),
                        ctx._("No votes this week yet.")),
            HomeSection(ctx._("Open questions"), open_questions(ctx),
                        ctx._("No open questions.")),
        ],
        footer=ctx._("Everything Hromada can do: /hromada help"),
    )


def own_items(ctx: Ctx) -> list[Line]:
    rows = ctx.session.execute(
        select(Item).where(Item.tenant_id == ctx.tenant_id, Item.author_id == ctx.member.id,
                           Item.anonymous.is_(False))  # type: ignore[attr-defined]
        .order_by(Item.created_at.desc(), Item.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(SECTION_SIZE)
    ).scalars()
    return [items.item_line(ctx, it) for it in rows]


def top_ideas_this_week(ctx: Ctx) -> list[Line]:
    """Ideas by net votes cast in the last 7 days; the vote time index drives the scan."""
    since = ctx.now - WEEK
    # On SQLite ``+item_id`` keeps the planner on the (tenant, created_at, item, value) index
    # instead of walking the unique (item, member) index for the GROUP BY (see FIELD-NOTES).
    group = "+item_id" if ctx.session.get_bind().dialect.name == "sqlite" else "item_id"
    rows = ctx.session.execute(text(
        "SELECT item_id, SUM(value) AS score FROM vote "
        "WHERE tenant_id = :tenant AND created_at >= :since "
        f"GROUP BY {group} ORDER BY score DESC, item_id DESC LIMIT 50"
    ), {"tenant": ctx.tenant_id, "since": since}).all()
    byid = repos.items_by_ids(ctx.session, ctx.tenant_id, [int(r[0]) for r in rows])
    out: list[Line] = []
    for item_id, score in rows:
        item = byid.get(int(item_id))
        if item is None or item.kind != "idea" or item.status in ("merged", "withdrawn"):
            continue
        if int(score) <= 0:
            continue
        out.append(items.item_line(ctx, item, int(score)))
        if len(out) == SECTION_SIZE:
            break
    return out


def open_questions(ctx: Ctx) -> list[Line]:
    rows = repos.list_items(ctx.session, ctx.tenant_id, "question", exclude=CLOSED_QUESTION,
                            order="top", limit=SECTION_SIZE * 2)
    return [items.item_line(ctx, it, score) for it, score in rows
            if not it.answer][:SECTION_SIZE]

