"""/hromada: help generated from the registry, per-tenant settings, the demo tenant."""

from __future__ import annotations

from core.commands import REGISTRY
from core.context import Ctx, split_list
from core.errors import InvalidInput
from core.i18n import N_, available_languages
from core.lifecycle import MAX_RETENTION_DAYS
from core.registry import Access, MemberArg, P, Param
from core.replies import Field, Line, Reply
from core.text import Rich, UserText

MIN_THRESHOLD = 3  # the anonymity threshold k is never below this, whoever asks


@REGISTRY.command("hromada help",
                  Param("topic", P.WORD, N_("a command, like idea"), required=False),
                  help=N_("What every command does."))
def help_(ctx: Ctx, topic: str | None) -> Reply:
    groups = list(REGISTRY.groups.values())
    if topic:
        groups = [g for g in groups if g.name == topic.lstrip("/").lower()]
        if not groups:
            raise InvalidInput(N_("Unknown command /{name}. Try /hromada help."), name=topic)
    lines = []
    for group in groups:
        lines.append(Line(text=Rich((f"/{group.name} — {ctx._(group.help)}",))))
        for cmd in group.commands:
            usage = cmd.usage(default=cmd.name == group.default)
            mark = " 🔒" if cmd.moderator else ""
            lines.append(Line(text=Rich((f"   {usage} — {ctx._(cmd.help)}{mark}",))))
    return Reply(text=ctx.t(N_("Hromada: ideas, risks and knowledge, heard and kept.")),
                 lines=lines, footer=ctx._("🔒 moderators only"))


@REGISTRY.command("hromada settings", help=N_("Show this workspace's settings."))
def show_settings(ctx: Ctx) -> Reply:
    t = ctx.tenant
    mods = split_list(t.moderators)
    return Reply(
        text=ctx.t(N_("Settings of {tenant}:"), tenant=UserText(t.name or t.id)),
        fields=[
            Field(ctx._("Language"), Rich((t.language,))),
            Field(ctx._("Anonymity threshold"), Rich((str(t.anonymity_k),))),
            Field(ctx._("Company values"),
                  Rich((UserText(", ".join(split_list(t.company_values))),))),
            Field(ctx._("Moderators"), Rich((UserText(", ".join(mods) or "—"),))),
            Field(ctx._("Moderator roles"),
                  Rich((UserText(", ".join(split_list(t.moderator_roles)) or "—"),))),
            Field(ctx._("Kept after removal (days)"), Rich((str(t.retention_days),))),
        ],
        footer=ctx._("Change: /hromada settings "
                     "language|threshold|values|moderators|roles|retention …"),
    )


@REGISTRY.command("hromada settings language",
                  Param("language", P.CHOICE, N_("en or uk"),
                        choices=tuple(available_languages()) or ("en",)),
                  help=N_("Reply in English or Ukrainian."), moderator=True)
def set_language(ctx: Ctx, language: str) -> Reply:
    ctx.tenant.language = language
    ctx.session.add(ctx.tenant)
    from core.i18n import gettext_for

    ctx.translations = gettext_for(language)
    return Reply(text=ctx.t(N_("From now on I answer in English.")))


@REGISTRY.command("hromada settings threshold",
                  Param("k", P.INT, N_("smallest group shown, 3-50"), minimum=1, maximum=50),
                  help=N_("The anonymity threshold: smaller groups are never shown."),
                  moderator=True)
def set_threshold(ctx: Ctx, k: int) -> Reply:
    if k < MIN_THRESHOLD:
        # With two, each of the two who answered could subtract their own answer from the
        # result and read the other's.
        raise InvalidInput(N_("The threshold cannot be below {min}: in a group of two, each "
                              "could work out the other's answer from the result."),
                           min=MIN_THRESHOLD, usage="/hromada settings threshold <k>")
    ctx.tenant.anonymity_k = k
    ctx.session.add(ctx.tenant)
    return Reply(text=ctx.t(N_("Groups smaller than {k} are never shown."), k=k))


@REGISTRY.command("hromada settings values",
                  Param("values", P.TEXT, N_("comma-separated company values")),
                  help=N_("The company values kudos are given for."), moderator=True)
def set_values(ctx: Ctx, values: str) -> Reply:
    names = [v.lstrip("#").strip().lower() for v in values.split(",")]
    names = list(dict.fromkeys(n for n in names if n))
    if not names or any(len(n) > 40 for n in names):
        raise InvalidInput(N_("List values separated by commas: teamwork, ownership."))
    ctx.tenant.company_values = ",".join(names)
    ctx.session.add(ctx.tenant)
    return Reply(text=ctx.t(N_("Company values: {values}."), values=UserText(", ".join(names))))


@REGISTRY.command("hromada settings moderators",
                  Param("change", P.CHOICE, N_("add or remove"), choices=("add", "remove")),
                  Param("member", P.MEMBER, N_("the member")),
                  help=N_("Add or remove a moderator."), access=Access.ADMIN)
def set_moderators(ctx: Ctx, change: str, member: MemberArg) -> Reply:
    from core.risks import resolve_member

    person = resolve_member(ctx, member)
    mods = split_list(ctx.tenant.moderators)
    if change == "add" and person.user_id not in mods:
        mods.append(person.user_id)
    elif change == "remove" and person.user_id in mods:
        mods.remove(person.user_id)
    ctx.tenant.moderators = ",".join(mods)
    ctx.session.add(ctx.tenant)
    msg = (N_("{name} is now a moderator.") if change == "add"
           else N_("{name} is no longer a moderator."))
    return Reply(text=ctx.t(msg, name=UserText(person.display_name)))


@REGISTRY.command("hromada settings roles",
                  Param("roles", P.TEXT, N_("comma-separated role names")),
                  help=N_("Discord roles whose members moderate."), access=Access.ADMIN)
def set_roles(ctx: Ctx, roles: str) -> Reply:
    names = [r.strip().lstrip("@") for r in roles.split(",") if r.strip()]
    ctx.tenant.moderator_roles = ",".join(names)
    ctx.session.add(ctx.tenant)
    return Reply(text=ctx.t(N_("Moderator roles: {roles}."), roles=UserText(", ".join(names))))


@REGISTRY.command("hromada settings retention",
                  Param("days", P.INT, N_("days, 1-3650"), minimum=1,
                        maximum=MAX_RETENTION_DAYS),
                  help=N_("How long this workspace's data is kept after Hromada is removed."),
                  moderator=True)
def set_retention(ctx: Ctx, days: int) -> Reply:
    ctx.tenant.retention_days = days
    ctx.session.add(ctx.tenant)
    return Reply(text=ctx.t(N_("If Hromada is removed, this workspace's data is kept for "
                               "{days} days, then deleted."), days=days))


@REGISTRY.command("hromada demo", help=N_("Load a small sample so you can see Hromada alive."),
                  moderator=True)
def demo(ctx: Ctx) -> Reply:
    from core.demo import load_demo

    counts = load_demo(ctx)
    return Reply(text=ctx.t(N_("Demo loaded: {ideas} ideas, {risks} risks, {snippets} snippets, "
                               "{votes} votes. Try /idea list top, /risk matrix, /kb onboarding."),
                            **counts))
