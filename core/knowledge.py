"""Knowledge snippets: tribal knowledge made searchable, tagged, aliased, in onboarding order."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlmodel import Session

from core import freshness, items, search_index
from core.commands import REGISTRY, SNIPPET_REF
from core.context import Ctx
from core.errors import Conflict, InvalidInput
from core.i18n import N_
from core.registry import Access, P, Param
from core.replies import Field, Line, Reply, Visibility
from core.search import SUGGEST_THRESHOLD, body_text, normalise, ranked
from core.text import Rich, UserText
from storage import answers, repos
from storage.models import Alias, Item

ONBOARDING = "onboarding"
# Snippet statuses are shown translated; written out so the extractor finds them.
SHOWN_WORDS = (N_("published"), N_("archived"))
TITLE_FROM_MESSAGE = freshness.TITLE_FROM_MESSAGE  # where callers found it


def _refresh_search_text(ctx: Ctx, item: Item) -> None:
    refresh_search_text(ctx.session, item)


def refresh_search_text(session: Session, item: Item) -> None:
    aliases = repos.aliases_of(session, item.tenant_id, item.id or 0)
    tags = repos.tags_of(session, item.tenant_id, item.id or 0)
    item.search_text = normalise(" ".join([item.title, *aliases, *tags]))
    item.search_body = body_text(item.body)
    session.add(item)


@dataclass(frozen=True)
class Found:
    """What a knowledge search found: the exact title or alias, the other matches best first,
    and, only when nothing matched, the near misses for "did you mean"."""

    exact: Item | None
    matches: list[Item]
    near: list[Item]


def find(ctx: Ctx, query: str) -> Found:
    """The one knowledge search (``/kb`` and the web pages): exact title or alias first, then
    the best fuzzy matches, then "did you mean" when nothing is close."""
    spaced = " ".join(query.split())  # titles and aliases are stored with single spaces
    # One check of the in-process index serves the exact look-up and the ranking.
    indexes = search_index.fresh(ctx.session, ctx.tenant_id, ["snippet"])
    exact_id: int | None = None
    if indexes is not None:
        exact_id = search_index.exact_title(indexes, spaced)
    else:
        title_match = repos.exact_title(ctx.session, ctx.tenant_id, "snippet", spaced)
        exact_id = title_match.id if title_match else None
    if exact_id is None:
        exact_id = repos.alias_item(ctx.session, ctx.tenant_id, spaced)
    found = ranked(ctx.session, ctx.tenant_id, ["snippet"], query, limit=10, indexes=indexes)
    # The results and their feedback in one read; then ordered with the boost.
    rows = repos.snippets_by_ids(ctx.session, ctx.tenant_id,
                                 [i for i, _ in found] + ([exact_id] if exact_id else []))
    found = by_feedback(found, {i: helpful for i, (_, helpful) in rows.items()})
    byid = {i: item for i, (item, _) in rows.items()}
    exact = byid.get(exact_id) if exact_id else None
    others = [byid[i] for i, _ in found if i in byid and (exact is None or i != exact.id)]
    if exact is not None or others:
        return Found(exact, others, [])
    near = ranked(ctx.session, ctx.tenant_id, ["snippet"], query, limit=3,
                  cutoff=SUGGEST_THRESHOLD, candidates=500,
                  indexes=indexes) or _near_by_scan(ctx, query)
    byid = repos.items_by_ids(ctx.session, ctx.tenant_id, [i for i, _ in near])
    return Found(None, [], [byid[i] for i, _ in near if i in byid])


@REGISTRY.command("kb search", Param("query", P.TEXT, N_("what you are looking for")),
                  help=N_("Search knowledge: exact title or alias first, then the best matches."))
def search(ctx: Ctx, query: str) -> Reply:
    found = find(ctx, query)
    others = [freshness.mark(ctx, items.item_line(ctx, it), it) for it in found.matches]
    if found.exact is not None:
        reply = show_item(ctx, found.exact)
        if others:
            reply.lines = [Line(Rich((ctx._("See also:"),)))] + others[:5]
        return reply
    if others:
        return Reply(text=ctx.t(N_("Knowledge matching {query}:"), query=UserText(query)),
                     lines=others)
    # Nothing answered it: a knowledge gap, counted without who asked. (Imported here: the
    # gaps module's own command is listed after the knowledge commands.)
    from core import gaps

    gaps.record(ctx.session, tenant_id=ctx.tenant_id, secret=ctx.secret,
                user_id=ctx.actor.user_id, text=query, now=ctx.now)
    if found.near:
        return Reply(text=ctx.t(N_("Nothing close to {query}. Did you mean:"),
                                query=UserText(query)),
                     lines=[freshness.mark(ctx, items.item_line(ctx, it), it)
                            for it in found.near])
    return Reply(text=ctx.t(N_("Nothing found for {query}. Save what you know with /kb add."),
                            query=UserText(query)))


# Snippets that answered questions ("This answered it") rank a little higher: up to
# ``MAX_BOOST`` points, ``BOOST_STEP`` per doubling of their helpful count. Small beside the
# 0-100 match scores, so it orders close matches and never makes a poor one good.
BOOST_STEP = 3.0
MAX_BOOST = 8.0


def boost(helpful: int) -> float:
    return min(MAX_BOOST, BOOST_STEP * math.log2(1 + max(0, helpful)))


def boosted(session: Session, tenant_id: str,
            found: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Search results re-ordered by score plus the feedback boost (scores as they were)."""
    return by_feedback(found, answers.helpful_counts(session, tenant_id, [i for i, _ in found]))


def by_feedback(found: list[tuple[int, float]],
                helpful: dict[int, int]) -> list[tuple[int, float]]:
    """``found`` ordered by score plus each one's boost (``helpful``: id -> count)."""
    if not any(helpful.get(i) for i, _ in found):
        return found
    return sorted(found, key=lambda pair: pair[1] + boost(helpful.get(pair[0], 0)),
                  reverse=True)


SCAN_FOR_SUGGESTIONS = 2000


def _near_by_scan(ctx: Ctx, query: str) -> list[tuple[int, float]]:
    """Last resort for "did you mean": a typo that shares no trigram with any title ("vnp"
    for "VPN") escapes the index, so the newest snippets are compared directly."""
    q = normalise(query)
    if not q:
        return []
    rows = ctx.session.execute(
        select(Item.id, Item.search_text)
        .where(Item.tenant_id == ctx.tenant_id, Item.kind == "snippet")
        .order_by(Item.id.desc()).limit(SCAN_FOR_SUGGESTIONS)  # type: ignore[union-attr]
    ).all()
    found = process.extract(q, {int(r[0]): str(r[1]) for r in rows}, scorer=fuzz.WRatio,
                            processor=None, limit=3, score_cutoff=SUGGEST_THRESHOLD)
    return [(int(key), float(score)) for _, score, key in found]


@REGISTRY.command("kb add", Param("title", P.TEXT, N_("a short title"), until="|"),
                  Param("body", P.TEXT, N_("what people should know")),
                  Param("tags", P.TAGS, N_("tags like #onboarding"), required=False),
                  help=N_("Save a knowledge snippet: title | body #tags."))
def add(ctx: Ctx, title: str, body: str, tags: list[str]) -> Reply:
    return create(ctx, title=title, body=body, tags=tags)


def create(ctx: Ctx, *, title: str, body: str, tags: list[str] = (),  # type: ignore[assignment]
           link: str | None = None, source_author: str | None = None,
           force: bool = False, source_message: str | None = None) -> Reply:
    clean = items.clean_title(title)
    if not force:
        prompt = items.duplicate_prompt(
            ctx, "snippet", clean,
            {"title": clean, "body": body, "tags": list(tags), "link": link,
             "source_author": source_author},
            open_statuses_excluded=("archived",))
        if prompt:
            return prompt
    item = items.create(ctx, "snippet", clean, body=body, status="published", source_link=link,
                        source_author=source_author, search_extra=" ".join(tags))
    repos.add_tags(ctx.session, ctx.tenant_id, item.id or 0, tags)
    if source_message:
        item.source_message = source_message
        ctx.session.add(item)
    if ONBOARDING in tags:
        _place_in_onboarding(ctx, item)
    reply = Reply(text=ctx.t(N_("Saved as {ref}: {title}"), ref=items.ref(item),
                             title=UserText(clean)),
                  visibility=Visibility.PUBLIC)
    if tags:
        reply.fields.append(Field(ctx._("Tags"), items.tag_text(list(tags))))
    if link:
        reply.fields.append(Field(ctx._("Source"), Rich((link,))))
    return reply


def submit_draft(ctx: Ctx, payload: dict[str, object]) -> Reply:
    return create(ctx, title=str(payload["title"]), body=str(payload.get("body") or ""),
                  tags=list(payload.get("tags") or []),  # type: ignore[call-overload]
                  link=payload.get("link") or None,  # type: ignore[arg-type]
                  source_author=payload.get("source_author") or None,  # type: ignore[arg-type]
                  force=True)


def save_message(ctx: Ctx, *, text: str, link: str | None, source_author: str | None,
                 source_message: str | None = None) -> Reply:
    """📚 on a chat message: the message becomes a snippet linked back to its original."""
    body = text.strip()
    if not body:
        raise InvalidInput(N_("That message has no text to save."))
    if link:
        existing = repos.item_by_source(ctx.session, ctx.tenant_id, "snippet", link)
        if existing is not None:
            return Reply(text=ctx.t(N_("Already saved as {ref}."), ref=items.ref(existing)),
                         visibility=Visibility.PUBLIC)
    title = freshness.title_of(body)
    author = source_author[:200] if source_author else None  # the column's length
    return create(ctx, title=title, body=body, link=link, source_author=author, force=True,
                  source_message=source_message)


def show_item(ctx: Ctx, item: Item) -> Reply:
    tags = repos.tags_of(ctx.session, ctx.tenant_id, item.id or 0)
    aliases = repos.aliases_of(ctx.session, ctx.tenant_id, item.id or 0)
    fields = [Field(ctx._("Saved by"), items.author_name(ctx, item))]
    if item.source_author:
        fields.append(Field(ctx._("Originally said by"), Rich((UserText(item.source_author),))))
    if tags:
        fields.append(Field(ctx._("Tags"), items.tag_text(tags)))
    if aliases:
        fields.append(Field(ctx._("Also known as"), Rich((UserText(", ".join(aliases)),))))
    if item.source_link:
        fields.append(Field(ctx._("Source"), Rich((item.source_link,))))
    fields += freshness.show_fields(ctx, item)
    return Reply(title=Rich((f"📚 {items.ref(item)} · ", UserText(item.title))),
                 text=Rich((UserText(item.body),)) if item.body else Rich(), fields=fields)


@REGISTRY.command("kb show", SNIPPET_REF, help=N_("Show a snippet in full."))
def show(ctx: Ctx, ref: int) -> Reply:
    return show_item(ctx, items.get(ctx, "snippet", ref))


@REGISTRY.command("kb tag", SNIPPET_REF, Param("tags", P.TAGS, N_("tags like #onboarding")),
                  help=N_("Tag a snippet."), access=Access.AUTHOR_OR_MODERATOR)
def tag(ctx: Ctx, ref: int, tags: list[str]) -> Reply:
    item = items.get(ctx, "snippet", ref)
    added = repos.add_tags(ctx.session, ctx.tenant_id, item.id or 0, tags)
    if ONBOARDING in added:
        _place_in_onboarding(ctx, item)
    _refresh_search_text(ctx, item)
    all_tags = repos.tags_of(ctx.session, ctx.tenant_id, item.id or 0)
    return Reply(text=ctx.t(N_("{ref} is tagged {tags}."), ref=items.ref(item),
                            tags=items.tag_text(all_tags)))


def _place_in_onboarding(ctx: Ctx, item: Item) -> None:
    last = ctx.session.execute(
        select(func.max(Item.position)).where(Item.tenant_id == ctx.tenant_id,
                                              Item.kind == "snippet")
    ).scalar_one()
    item.position = int(last or 0) + 1
    ctx.session.add(item)


@REGISTRY.command("kb alias", SNIPPET_REF, Param("name", P.TEXT, N_("another name for it")),
                  help=N_("Give a snippet another name that search finds exactly."),
                  access=Access.AUTHOR_OR_MODERATOR)
def alias(ctx: Ctx, ref: int, name: str) -> Reply:
    item = items.get(ctx, "snippet", ref)
    name = " ".join(name.split()).lower()
    if len(name) > 200:
        raise InvalidInput(N_("That text is too long (at most {n} characters)."), n=200)
    owner = repos.alias_owner(ctx.session, ctx.tenant_id, name)
    if owner is not None:
        other = repos.item_by_id(ctx.session, ctx.tenant_id, owner.item_id)
        raise Conflict(N_("The name {name} already belongs to {ref}."), name=UserText(name),
                       ref=items.ref(other) if other else "?")
    repos.add(ctx.session, Alias(tenant_id=ctx.tenant_id, item_id=item.id or 0, name=name))
    _refresh_search_text(ctx, item)
    return Reply(text=ctx.t(N_("{ref} is also found as {name}."), ref=items.ref(item),
                            name=UserText(name)))


@REGISTRY.command("kb onboarding", help=N_("The onboarding collection, in order."))
def onboarding(ctx: Ctx) -> Reply:
    rows = onboarding_path(ctx)
    if not rows:
        return Reply(text=ctx.t(N_("No onboarding snippets yet. Tag one: /kb tag K-1 #onboarding")))
    lines = [Line(text=Rich((UserText(it.title),)), ref=items.ref(it), meta=str(n))
             for n, it in enumerate(rows, 1)]
    return Reply(text=ctx.t(N_("Start here, in this order:")), lines=lines)


def onboarding_path(ctx: Ctx) -> list[Item]:
    """The snippets tagged #onboarding, in the order a newcomer reads them."""
    return repos.items_with_tag(ctx.session, ctx.tenant_id, ONBOARDING)
