"""Who may do what: one check for every command, and the README's table, from the registry.

Each command declares its ``Access`` in the registry. ``check`` runs before the handler on
every path (text, typed options, buttons), so a handler never has to remember it, and a refusal
always says who may instead. ``python -m core.permissions`` prints the README table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import Forbidden
from core.i18n import N_
from core.registry import Access, Command, Registry

if TYPE_CHECKING:
    from core.context import Ctx

MODERATORS_ONLY = N_("Only moderators can do that: workspace or server admins, and the members "
                     "or roles named in /hromada settings.")
REFUSALS = {
    Access.AUTHOR: N_("Only the author of {ref} can use {command}, and you did not write it."),
    Access.AUTHOR_OR_MODERATOR: N_("Only the author of {ref} or a moderator can use {command}; "
                                   "you are neither."),
    Access.RISK_OWNER: N_("Only the owner of {ref}, who reported it, or a moderator can use "
                          "{command}; you are none of them."),
    Access.OWNER: N_("Only the owner of {ref} or a moderator can use {command}; you are "
                     "neither."),
    Access.MODERATOR: MODERATORS_ONLY,
    Access.ADMIN: N_("Only workspace or server admins can use {command}: Slack workspace admins "
                     "and owners, Discord members with Manage Server."),
}

# The README's columns, and which of them each access level lets in.
ROLES = ("member", "author", "risk owner", "moderator", "admin")
ALLOWED: dict[Access, frozenset[str]] = {
    Access.MEMBER: frozenset(ROLES),
    Access.AUTHOR: frozenset({"author"}),
    Access.AUTHOR_OR_MODERATOR: frozenset({"author", "moderator", "admin"}),
    Access.RISK_OWNER: frozenset({"author", "risk owner", "moderator", "admin"}),
    Access.MODERATOR: frozenset({"moderator", "admin"}),
    Access.ADMIN: frozenset({"admin"}),
    # A snippet's owner is who saved it (the "author" column) until it is handed on.
    Access.OWNER: frozenset({"author", "moderator", "admin"}),
}


def command_name(cmd: Command) -> str:
    return "/" + " ".join(cmd.path)


def check(ctx: Ctx, cmd: Command, args: dict[str, Any]) -> None:
    """Raise ``Forbidden`` (saying who may) unless the actor may run ``cmd`` with ``args``."""
    access = cmd.access
    if access is Access.MEMBER:
        return
    name = command_name(cmd)
    if access is Access.ADMIN:
        if not ctx.actor.is_admin:
            raise Forbidden(REFUSALS[access], command=name)
        return
    if access is not Access.AUTHOR and ctx.is_moderator:
        return
    if access is Access.MODERATOR:
        raise Forbidden(MODERATORS_ONLY)
    from core import items

    param = cmd.item_param
    assert param is not None and param.ref_kind, cmd.path  # checked when declared
    item = items.get(ctx, param.ref_kind, args[param.name])
    if access is Access.OWNER:
        owner = item.owner_id if item.owner_id is not None else item.author_id
        if owner is not None and owner == ctx.member.id:
            return
        raise Forbidden(REFUSALS[access], ref=items.ref(item), command=name)
    if items.is_author(ctx, item):
        return
    if access is Access.RISK_OWNER and item.owner_id is not None \
            and item.owner_id == ctx.member.id:
        return
    raise Forbidden(REFUSALS[access], ref=items.ref(item), command=name)


def table(registry: Registry) -> str:
    """The Markdown table of who may run each command, as the README shows it."""
    head = "| command | " + " | ".join(ROLES) + " |"
    rows = [head, "|---|" + "---|" * len(ROLES)]
    # Sorted, not in registration order: that follows import order, which tests vary.
    ordered = [c for g in registry.groups.values()
               for c in sorted(g.commands, key=lambda c, g=g: (c.name != g.default, c.path))]
    for cmd in ordered:
        allowed = ALLOWED[cmd.access]
        marks = " | ".join("✓" if role in allowed else "—" for role in ROLES)
        rows.append(f"| `{command_name(cmd)}` | {marks} |")
    return "\n".join(rows)


if __name__ == "__main__":
    import core.app  # noqa: F401 - registers every command
    from core.commands import REGISTRY

    print(table(REGISTRY))  # noqa: T201 - the README table, for a person to paste
