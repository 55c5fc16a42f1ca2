"""The Discord application command tree, generated from the one command registry.

Each registry group becomes a top-level command with subcommands; three-word paths
(``hromada settings language``) become subcommand groups. Where Discord's shape differs
from the text grammar the mapping is explicit and kept in one place (``discord_routes``):

- a group whose first word is a default on text platforms (``/idea <text>``) keeps its
  named subcommand (``/idea submit``), because a Discord group cannot also take options;
- a command that is also the parent of other commands becomes ``... show`` inside its
  subcommand group when it takes no options (``/hromada settings show``), else ``... new``
  (``/pulse ask new``);
- a group's only unnamed command becomes the top-level command itself.

Names and descriptions are localised to Ukrainian by ``CatalogTranslator`` from the same
gettext catalogs the core uses.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str
from discord.app_commands.translator import TranslationContextLocation as Loc

from core.i18n import N_, gettext_for
from core.registry import MAX_TEXT, Command, P, Param, Registry

NAMES_CONTEXT = "discord name"  # msgctxt of command/option names in discord.po
NAME_OK = re.compile(r"^[-_\w]{1,32}$")
SHOW = "show"
NEW = "new"
ALONE = "run"
MAX_DEPTH = 3
SAVE_MENU = N_("Save to knowledge")
RISK_MENU = N_("Register as risk")

# Hromada's commands act on a server's members and channels: they are offered in servers only.
GUILD_ONLY = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)

CommandHandler = Callable[[discord.Interaction, Command, dict[str, Any]], Awaitable[None]]
Suggest = Callable[[discord.Interaction, str, str], Awaitable[list[Choice[str]]]]
MenuHandler = Callable[[discord.Interaction, discord.Message, bool], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    """Where a registry command lives on Discord: its names from the top-level command down."""

    names: tuple[str, ...]
    command: Command


class _ContextsOnly:
    """Says where a command works with ``contexts`` alone.

    discord.py still sends the deprecated ``dm_permission`` beside ``contexts``; Discord's
    documentation asks for ``contexts`` instead, so the old field is left out of the payload.
    """

    def to_dict(self, tree: app_commands.CommandTree[Any]) -> dict[str, Any]:
        payload: dict[str, Any] = super().to_dict(tree)  # type: ignore[misc]
        payload.pop("dm_permission", None)
        return payload


class GuildCommand(_ContextsOnly, app_commands.Command[Any, Any, Any]):
    pass


class GuildGroup(_ContextsOnly, app_commands.Group):
    pass


class GuildMenu(_ContextsOnly, app_commands.ContextMenu):
    pass


def discord_routes(registry: Registry) -> list[Route]:
    """The Discord names of every registry command; raises when a path cannot fit Discord."""
    routes: list[Route] = []
    for group in registry.groups.values():
        cmds = group.commands
        if len(cmds) == 1 and not cmds[0].words:
            routes.append(Route((group.name,), cmds[0]))
            continue
        all_words = [c.words for c in cmds]
        for cmd in cmds:
            words = cmd.words or (ALONE,)
            parent = any(len(o) > len(words) and o[: len(words)] == words for o in all_words)
            if parent:
                words = (*words, SHOW if not cmd.options else NEW)
            names = (group.name, *words)
            if len(names) > MAX_DEPTH:
                raise ValueError(f"/{' '.join(cmd.path)} is too deep for Discord")
            routes.append(Route(names, cmd))
    return routes


def _desc(msgid: str) -> locale_str:
    """A description (1-100 characters) that the translator will look up as a msgid."""
    return locale_str(_cut(msgid or "…"), msgid=msgid or "…")


def _cut(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _annotation(param: Param) -> Any:
    if param.kind is P.INT:
        if param.minimum is None and param.maximum is None:
            return int
        return app_commands.Range[int, param.minimum, param.maximum]
    if param.kind is P.MEMBER:
        return discord.User
    if param.kind is P.TEXT:
        return app_commands.Range[str, 1, MAX_TEXT]
    return str


def _make_callback(route: Route, handler: CommandHandler, suggest: Suggest) -> Any:
    command = route.command

    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        await handler(interaction, command, options)

    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=discord.Interaction)]
    descriptions: dict[str, locale_str] = {}
    choices: dict[str, list[Choice[str]]] = {}
    completes: dict[str, Any] = {}
    for p in command.options:
        default = inspect.Parameter.empty if p.required else None
        params.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY,
                                        annotation=_annotation(p), default=default))
        descriptions[p.name] = _desc(p.help or p.name)
        if p.kind is P.CHOICE:
            unique = list(dict.fromkeys(p.choices))[:25]
            choices[p.name] = [Choice(name=locale_str(c, msgid=c), value=c) for c in unique]
        elif p.kind is P.REF and p.ref_kind:
            completes[p.name] = _completer(suggest, p.ref_kind, "ref")
        elif command.path == ("kb", "search") and p.name == "query":
            completes[p.name] = _completer(suggest, "snippet", "title")
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = descriptions  # type: ignore[attr-defined]
    if choices:
        callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    if completes:
        callback.__discord_app_commands_param_autocomplete__ = completes  # type: ignore[attr-defined]
    return callback


def _completer(suggest: Suggest, kind: str, mode: str) -> Any:
    async def complete(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return await suggest(interaction, kind, f"{mode}:{current}")

    return complete


def build_tree(
    client: discord.Client,
    registry: Registry,
    *,
    handler: CommandHandler,
    suggest: Suggest,
    menu: MenuHandler,
) -> app_commands.CommandTree[Any]:
    """A command tree with one entry per registry group plus the two message menus."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    tops: dict[str, app_commands.Group] = {}
    subs: dict[tuple[str, str], app_commands.Group] = {}
    for route in discord_routes(registry):
        group = registry.groups[route.command.group]
        callback = _make_callback(route, handler, suggest)
        if len(route.names) == 1:
            tree.add_command(GuildCommand(
                name=_name(route.names[0]), description=_desc(route.command.help),
                callback=callback, allowed_contexts=GUILD_ONLY))
            continue
        top = tops.get(group.name)
        if top is None:
            top = tops[group.name] = GuildGroup(name=_name(group.name),
                                                description=_desc(group.help),
                                                allowed_contexts=GUILD_ONLY)
        parent = top
        if len(route.names) == 3:
            key = (group.name, route.names[1])
            parent = subs.get(key)  # type: ignore[assignment]
            if parent is None:
                owner = next((c for c in group.commands if c.words == (route.names[1],)), None)
                parent = subs[key] = app_commands.Group(
                    name=_name(route.names[1]),
                    description=_desc(owner.help if owner else group.help), parent=top)
        parent.add_command(app_commands.Command(
            name=_name(route.names[-1]), description=_desc(route.command.help),
            callback=callback, parent=parent))
    for top in tops.values():
        tree.add_command(top)

    async def save(interaction: discord.Interaction, message: discord.Message) -> None:
        await menu(interaction, message, False)

    async def risk(interaction: discord.Interaction, message: discord.Message) -> None:
        await menu(interaction, message, True)

    tree.add_command(GuildMenu(name=locale_str(SAVE_MENU), callback=save,
                               allowed_contexts=GUILD_ONLY))
    tree.add_command(GuildMenu(name=locale_str(RISK_MENU), callback=risk,
                               allowed_contexts=GUILD_ONLY))
    return tree


def _name(word: str) -> locale_str:
    return locale_str(word, name=word)


class CatalogTranslator(app_commands.Translator):
    """Ukrainian names and descriptions from the core's gettext catalogs.

    Descriptions and choice labels are msgids the core already translates; names of
    commands, groups and options come from ``discord.po`` under the context "discord name".
    A name without a valid translation stays English rather than breaking the sync.
    """

    LOCALES = {discord.Locale.ukrainian: "uk"}

    async def translate(self, string: locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        language = self.LOCALES.get(locale)
        if language is None:
            return None
        return translate_for(language, string, context.location,
                             menu=isinstance(context.data, app_commands.ContextMenu))


def translate_for(language: str, string: locale_str, location: Loc, *, menu: bool) -> str | None:
    tr = gettext_for(language)
    if location in (Loc.command_name, Loc.group_name, Loc.parameter_name) and not menu:
        word = string.extras.get("name") or string.message
        text = tr.pgettext(NAMES_CONTEXT, word)
        if text == word or not NAME_OK.match(text) or text != text.lower():
            return None
        return text
    msgid = string.extras.get("msgid") or string.message
    text = tr.gettext(msgid)
    if text == msgid:
        return None
    return _cut(text, 32 if menu else 100)
