"""Your data is yours: ``/hromada mydata`` shows everything held about a member,
``/hromada forget-me confirm`` erases their profile and authorship.

After forget-me the member row is a tombstone (``former=True``, names and profile cleared, a
new user id no platform will ever send), so items stay and read "a former member", votes and
anonymous answers keep counting, and the same person joining again is a new member. Links
that only the server's secret could rebuild (anonymous authorship, pulse answer keys) are
replaced by random ones. Feature modules with more personal data add an eraser to
``ERASERS``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlalchemy import delete, select, update

from core import items, pulses
from core.commands import REGISTRY
from core.context import Ctx, split_list
from core.i18n import N_, available_languages, gettext_for
from core.people import profile_fields
from core.registry import P, Param
from core.replies import Action, Field, Line, Reply
from core.text import Rich, UserText, fmt
from storage import culture, repos
from storage.culture import CoffeeMember
from storage.models import Draft, Item, Member, StatusChange, Vote

FORMER = "former member"
OWNER_NOTE = N_("owner: {name}")  # the note /risk owner records (core/risks.py)
Eraser = Callable[[Ctx, Member], None]
ERASERS: list[Eraser] = []  # extra "delete this member's data" hooks from other features
Viewer = Callable[[Ctx], list[Field]]
VIEWERS: list[Viewer] = []  # extra "what we hold about you" fields from other features


def proven_anonymous(ctx: Ctx) -> list[Item]:
    """Anonymous items whose keyed hash this member can reproduce: theirs, and only theirs."""
    rows = ctx.session.execute(
        select(Item).where(Item.tenant_id == ctx.tenant_id,
                           Item.anonymous.is_(True),  # type: ignore[attr-defined]
                           Item.anon_hash.is_not(None))  # type: ignore[union-attr]
        .order_by(Item.kind, Item.number)
    ).scalars()
    return [i for i in rows if i.anon_hash == ctx.anon_hash(i.number, i.kind)]


def my_answers(ctx: Ctx) -> list[tuple[Item, int]]:
    """Pulse answers this member can be tied to (only through the server's keyed hash)."""
    out = []
    for item, _ in repos.list_items(ctx.session, ctx.tenant_id, "pulse", limit=10_000):
        value = pulses.my_answer(ctx, item)
        if value is not None:
            out.append((item, value))
    return sorted(out, key=lambda r: r[0].number)


def my_votes(ctx: Ctx) -> list[tuple[Item, int]]:
    rows = ctx.session.execute(
        select(Item, Vote.value).join(Vote, Vote.item_id == Item.id)  # type: ignore[arg-type]
        .where(Vote.tenant_id == ctx.tenant_id, Vote.member_id == ctx.member.id)
        .order_by(Item.kind, Item.number)
    ).all()
    return [(r[0], int(r[1])) for r in rows]


def _heading(ctx: Ctx, msgid: str, n: int) -> Line:
    return Line(text=ctx.t(msgid, n=n))


@REGISTRY.command("hromada mydata", help=N_("Everything Hromada holds about you, privately."))
def mydata(ctx: Ctx) -> Reply:
    member = ctx.member
    fields = [Field(ctx._("Name"), Rich((UserText(member.display_name),))),
              Field(ctx._("User id"), Rich((UserText(member.user_id),))),
              Field(ctx._("Member since"), Rich((member.created_at.strftime("%Y-%m-%d"),)))]
    fields += profile_fields(ctx, member)
    if member.user_id in split_list(ctx.tenant.moderators):
        fields.append(Field(ctx._("Moderator"), Rich((ctx._("listed in settings"),))))
    row = culture.coffee_member(ctx.session, ctx.tenant_id, member.id or 0)
    taking_part = row is not None and row.active
    fields.append(Field(ctx._("Coffee pairing"), Rich((
        ctx._("taking part") if taking_part else ctx._("not taking part"),))))
    for view in VIEWERS:
        fields += view(ctx)

    lines: list[Line] = []
    written = ctx.session.execute(
        select(Item).where(Item.tenant_id == ctx.tenant_id, Item.author_id == member.id)
        .order_by(Item.kind, Item.number)
    ).scalars().all()
    lines.append(_heading(ctx, N_("Items you wrote: {n}"), len(written)))
    lines += [items.item_line(ctx, i) for i in written]
    anon = proven_anonymous(ctx)
    lines.append(_heading(ctx, N_("Anonymous items only you can prove are yours: {n}"),
                          len(anon)))
    lines += [items.item_line(ctx, i) for i in anon]
    from core.anonymous import sealed_items

    heard = sealed_items(ctx, anon)
    if heard:
        lines.append(_heading(ctx, N_("Of those, you asked to hear back about (a sealed "
                                      "reference each, opened only by the notifier): {n}"),
                              len(heard)))
        lines += [items.item_line(ctx, i) for i in heard]
    owned = ctx.session.execute(
        select(Item).where(Item.tenant_id == ctx.tenant_id, Item.owner_id == member.id)
    ).scalars().all()
    risks = [i for i in owned if i.kind == "risk"]
    if risks:
        lines.append(_heading(ctx, N_("Risks you own: {n}"), len(risks)))
        lines += [items.item_line(ctx, i) for i in risks]
    snippets = [i for i in owned if i.kind == "snippet"]  # handed to them with /kb owner
    if snippets:
        lines.append(_heading(ctx, N_("Snippets you own: {n}"), len(snippets)))
        lines += [items.item_line(ctx, i) for i in snippets]
    votes = my_votes(ctx)
    lines.append(_heading(ctx, N_("Your votes: {n}"), len(votes)))
    lines += [Line(text=Rich((UserText(i.title),)), ref=items.ref(i), meta=f"{v:+d}")
              for i, v in votes]
    answers = my_answers(ctx)
    lines.append(_heading(ctx, N_("Your pulse answers (stored without your name): {n}"),
                          len(answers)))
    lines += [Line(text=Rich((UserText(i.title),)), ref=items.ref(i), meta=str(v))
              for i, v in answers]
    kudos = culture.kudos_of(ctx.session, ctx.tenant_id, member.id or 0)
    lines.append(_heading(ctx, N_("Kudos given and received: {n}"), len(kudos)))
    for k in kudos:
        if k.giver_id == member.id:
            text = ctx.t(N_("you → {who} #{value}: {message}"), who=ctx.member_name(k.receiver_id),
                         value=k.value, message=UserText(k.message))
        else:
            text = ctx.t(N_("{who} → you #{value}: {message}"), who=ctx.member_name(k.giver_id),
                         value=k.value, message=UserText(k.message))
        lines.append(Line(text=text, meta=k.created_at.strftime("%Y-%m-%d")))
    matches = culture.matches_of(ctx.session, ctx.tenant_id, member.id or 0)
    lines.append(_heading(ctx, N_("Coffee matches: {n}"), len(matches)))
    for key, others in matches:
        names = Rich()
        for n, other in enumerate(others):
            names = names + (Rich((", ",)) if n else Rich()) + ctx.member_name(other)
        lines.append(Line(text=names, meta=key))
    return Reply(text=ctx.t(N_("Everything Hromada holds about you (only you see this):")),
                 fields=fields, lines=lines,
                 footer=ctx._("To erase your profile and authorship: /hromada forget-me"))


@REGISTRY.command("hromada forget-me",
                  Param("confirm", P.CHOICE, N_("confirm, to erase"), required=False,
                        choices=("confirm",)),
                  help=N_("Erase your profile and authorship (explains first)."))
def forget_me(ctx: Ctx, confirm: str | None) -> Reply:
    if confirm != "confirm":
        return Reply(
            text=ctx.t(N_("This erases your name, profile, coffee pairing and authorship. "
                          "What you wrote stays, shown as from a former member; your votes "
                          "and anonymous answers keep counting but no longer lead to you. It "
                          "cannot be undone. To go ahead: /hromada forget-me confirm")),
            actions=[Action(ctx._("Erase my data"), "forget-me.confirm", "confirm", "danger")],
        )
    counts = erase(ctx)
    return Reply(text=ctx.t(N_("Done: your profile is erased and {n} items now show a former "
                               "member. If you use Hromada again you start as a new member."),
                            n=counts))


def erase(ctx: Ctx) -> int:
    """Erase the acting member; the number of items that now read "a former member"."""
    member = ctx.member
    session, tenant_id = ctx.session, ctx.tenant_id
    old_name = member.display_name
    for item in proven_anonymous(ctx):
        item.anon_hash = None
        session.add(item)
    for item, _ in my_answers(ctx):
        key = pulses.answer_key(ctx.secret, tenant_id, item.id or 0, ctx.actor.user_id)
        culture.rekey_answer(session, tenant_id, item.id or 0, key, secrets.token_hex(32))
    session.execute(delete(Draft).where(Draft.tenant_id == tenant_id,  # type: ignore[arg-type]
                                        Draft.member_id == member.id))  # type: ignore[arg-type]
    session.execute(delete(CoffeeMember).where(
        CoffeeMember.tenant_id == tenant_id,  # type: ignore[arg-type]
        CoffeeMember.member_id == member.id))  # type: ignore[arg-type]
    mods = split_list(ctx.tenant.moderators)
    if member.user_id in mods:
        ctx.tenant.moderators = ",".join(m for m in mods if m != member.user_id)
        session.add(ctx.tenant)
    if len(old_name) >= 2:
        _scrub_name(ctx, old_name)
    for hook in ERASERS:
        hook(ctx, member)
    written = len(session.execute(
        select(Item.id).where(Item.tenant_id == tenant_id, Item.author_id == member.id)
    ).all())
    member.display_name = ""
    member.department = None
    member.location = None
    member.skills = ""
    member.interests = ""
    member.former = True
    member.user_id = f"former-{secrets.token_hex(12)}"
    session.add(member)
    session.flush()
    ctx._names.clear()
    return written


def _scrub_name(ctx: Ctx, name: str) -> None:
    """The name where the bot itself wrote it, and only there: a snippet's source author
    (the whole field) and a risk's "owner: <name>" note (the whole note, in any language).

    Never a substring of anyone's words: a moderator's note "Annual planning" stays as written
    when Ann leaves.
    """
    session, tenant_id = ctx.session, ctx.tenant_id
    session.execute(
        update(Item).where(Item.tenant_id == tenant_id,  # type: ignore[arg-type]
                           Item.source_author == name)  # type: ignore[arg-type]
        .values(source_author=FORMER))
    owner_notes = {_owner_note(language, name): _owner_note(language, FORMER)
                   for language in available_languages()}
    notes = session.execute(
        select(StatusChange).where(
            StatusChange.tenant_id == tenant_id,  # type: ignore[arg-type]
            StatusChange.note.in_(list(owner_notes)))  # type: ignore[attr-defined]
    ).scalars()
    for change in notes:
        change.note = owner_notes[change.note]
        session.add(change)


def _owner_note(language: str, name: str) -> str:
    """The note ``/risk owner`` records, as written in ``language``."""
    return fmt(gettext_for(language).gettext(OWNER_NOTE), name=name).plain()
