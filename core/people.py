"""Profiles (skills, interests, department, location) and a fuzzy people finder."""

from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from sqlalchemy import select

from core.commands import REGISTRY
from core.context import Ctx, split_list
from core.errors import InvalidInput
from core.i18n import N_
from core.registry import P, Param
from core.replies import Field, Line, Reply
from core.text import Rich, UserText
from storage.models import Member

FIND_CUTOFF = 75.0
WORD_WEIGHT = 0.95
MAX_TERMS = 30
MAX_TERM = 60
MAX_NAME = 200
RESULTS = 10
CLEAR = ("-", "none")


def terms(raw: str) -> list[str]:
    """A comma-separated list, cleaned and de-duplicated (case-insensitively), order kept."""
    out: dict[str, str] = {}
    for term in split_list(raw):
        term = " ".join(term.split())
        if len(term) > MAX_TERM:
            raise InvalidInput(N_("Each entry can be at most {n} characters."), n=MAX_TERM)
        out.setdefault(term.lower(), term)
    if len(out) > MAX_TERMS:
        raise InvalidInput(N_("At most {n} entries, please."), n=MAX_TERMS)
    return list(out.values())


def profile_fields(ctx: Ctx, member: Member) -> list[Field]:
    def shown(value: str | None) -> Rich:
        return Rich((UserText(value),)) if value else Rich((ctx._("not set"),))

    return [
        Field(ctx._("Department"), shown(member.department)),
        Field(ctx._("Location"), shown(member.location)),
        Field(ctx._("Skills"), shown(", ".join(split_list(member.skills)))),
        Field(ctx._("Interests"), shown(", ".join(split_list(member.interests)))),
    ]


@REGISTRY.command("people me", help=N_("Your profile as others find it."))
def me(ctx: Ctx) -> Reply:
    return Reply(text=ctx.t(N_("Your profile, {name}:"), name=UserText(ctx.member.display_name)),
                 fields=profile_fields(ctx, ctx.member),
                 footer=ctx._("Change it: /people me skills|interests|department|location …"))


def _set_list(ctx: Ctx, attr: str, raw: str, label: str) -> Reply:
    values = [] if raw.strip().lower() in CLEAR else terms(raw)
    setattr(ctx.member, attr, ",".join(values))
    ctx.session.add(ctx.member)
    if not values:
        return Reply(text=ctx.t(N_("Your {what} are cleared."), what=ctx._(label)))
    return Reply(text=ctx.t(N_("Your {what}: {values}."), what=ctx._(label),
                            values=UserText(", ".join(values))))


def _set_text(ctx: Ctx, attr: str, raw: str, label: str) -> Reply:
    value = " ".join(raw.split())
    if len(value) > MAX_NAME:
        raise InvalidInput(N_("That text is too long (at most {n} characters)."), n=MAX_NAME)
    cleared = value.lower() in CLEAR
    setattr(ctx.member, attr, None if cleared else value)
    ctx.session.add(ctx.member)
    if cleared:
        return Reply(text=ctx.t(N_("Your {what} is cleared."), what=ctx._(label)))
    return Reply(text=ctx.t(N_("Your {what} is now {value}."), what=ctx._(label),
                            value=UserText(value)))


N_("skills")
N_("interests")
N_("department")
N_("location")


@REGISTRY.command("people me skills", Param("skills", P.TEXT, N_("comma-separated skills")),
                  help=N_("Set your skills, comma-separated (- clears them)."))
def set_skills(ctx: Ctx, skills: str) -> Reply:
    return _set_list(ctx, "skills", skills, "skills")


@REGISTRY.command("people me interests",
                  Param("interests", P.TEXT, N_("comma-separated interests")),
                  help=N_("Set your interests, comma-separated (- clears them)."))
def set_interests(ctx: Ctx, interests: str) -> Reply:
    return _set_list(ctx, "interests", interests, "interests")


@REGISTRY.command("people me department", Param("name", P.TEXT, N_("your department")),
                  help=N_("Set your department (- clears it)."))
def set_department(ctx: Ctx, name: str) -> Reply:
    return _set_text(ctx, "department", name, "department")


@REGISTRY.command("people me location", Param("name", P.TEXT, N_("where you work from")),
                  help=N_("Set your location (- clears it)."))
def set_location(ctx: Ctx, name: str) -> Reply:
    return _set_text(ctx, "location", name, "location")


def score(query: str, term: str) -> float:
    """How well a profile entry matches a query: typos (ratio) and word subsets (token set)."""
    a, b = default_process(query), default_process(term)
    if not a or not b:
        return 0.0
    whole = max(fuzz.ratio(a, b), fuzz.token_set_ratio(a, b))
    # One word of a longer entry ("python" in "python scripting") counts a little less.
    words = [w for w in b.split() if len(w) >= 3 and w != b]
    part = max((fuzz.ratio(a, w) for w in words), default=0.0) * WORD_WEIGHT
    return max(whole, part)


def find_people(ctx: Ctx, query: str) -> list[tuple[Member, float, str]]:
    """Members whose skills or interests match, best first: (member, score, matched entry)."""
    found: list[tuple[Member, float, str]] = []
    members = ctx.session.execute(
        select(Member).where(Member.tenant_id == ctx.tenant_id,
                             Member.former.is_(False))  # type: ignore[attr-defined]
    ).scalars()
    for member in members:
        entries = split_list(member.skills) + split_list(member.interests)
        best = max(((score(query, e), e) for e in entries), default=(0.0, ""))
        if best[0] >= FIND_CUTOFF:
            found.append((member, best[0], best[1]))
    found.sort(key=lambda r: (-r[1], r[0].display_name.lower()))
    return found


@REGISTRY.command("people find", Param("query", P.TEXT, N_("a skill or interest")),
                  help=N_("Find colleagues by skill or interest, typos forgiven."))
def find(ctx: Ctx, query: str) -> Reply:
    rows = find_people(ctx, query)[:RESULTS]
    if not rows:
        return Reply(text=ctx.t(N_("Nobody lists {query} yet. Add yours: /people me skills …"),
                                query=UserText(query)))
    lines = []
    for member, _score, matched in rows:
        where = " · ".join(v for v in (member.department, member.location) if v)
        text = Rich((UserText(member.display_name),))
        if where:
            text = text + Rich((" — ", UserText(where)))
        skills = ", ".join(split_list(member.skills)) or "—"
        interests = ", ".join(split_list(member.interests)) or "—"
        text = text + ctx.t(N_(" — skills: {skills}; interests: {interests}"),
                            skills=UserText(skills), interests=UserText(interests))
        text = text + ctx.t(N_(" (matches {term})"), term=UserText(matched))
        lines.append(Line(text=text))
    return Reply(text=ctx.t(N_("People for {query}:"), query=UserText(query)), lines=lines)
