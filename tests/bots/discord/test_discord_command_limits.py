"""The command payload `hromada discord sync` sends fits Discord's documented limits.

Discord refuses the whole bulk overwrite when one command breaks a limit, so a registry change
that makes one description too long would take every command away. The limits below are those
of discord-api-docs (developers/interactions/application-commands.mdx, "Application Command
Naming", the command and option structures, "Slash commands can have a maximum of 8000
characters ..."; developers/reference.mdx "Locales"). The payload is the one the real
discord.py client puts on the wire to the loopback fake.
"""

from __future__ import annotations

from typing import Any

import pytest

from bots.discord.runner import sync_commands
from core.app import Hromada
from tests.bots.discord.harness import DiscordHarness

CHAT_INPUT, USER, MESSAGE = 1, 2, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2
LOCALES = {
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi",
    "th", "zh-CN", "ja", "zh-TW", "ko",
}
COMBINED_LIMIT = 8000


def name_problems(name: str, *, chat_input: bool) -> list[str]:
    """``^[-_'\\p{L}\\p{N}...]{1,32}$``, lower case where a letter has one (chat input only)."""
    out = []
    if not 1 <= len(name) <= 32:
        out.append(f"{name!r}: 1-32 characters")
    if chat_input:
        if not all(c.isalnum() or c in "-_'" for c in name):
            out.append(f"{name!r}: letters, digits, - _ ' only")
        if name != name.lower():
            out.append(f"{name!r}: must be lower case")
    return out


def localisation_problems(where: str, field: str, values: dict[str, str] | None, *,
                          limit: int, chat_input: bool) -> list[str]:
    out = []
    for locale, text in (values or {}).items():
        if locale not in LOCALES:
            out.append(f"{where}: {field} locale {locale!r} is not one of Discord's")
        if field == "name_localizations":
            out += [f"{where} [{locale}] {p}" for p in name_problems(text, chat_input=chat_input)]
        elif not 1 <= len(text) <= limit:
            out.append(f"{where} [{locale}]: {field} must be 1-{limit} characters")
    return out


def longest(obj: dict[str, Any], field: str) -> int:
    """Only the longest of a field and its localisations counts toward the 8000."""
    values = [obj.get(field) or "", *(obj.get(f"{field}_localizations") or {}).values()]
    return max(len(str(v)) for v in values)


def option_problems(where: str, option: dict[str, Any]) -> tuple[list[str], int]:
    out = name_problems(option["name"], chat_input=True)
    if not 1 <= len(option.get("description", "")) <= 100:
        out.append(f"{where}: description must be 1-100 characters")
    out += localisation_problems(where, "name_localizations", option.get("name_localizations"),
                                 limit=32, chat_input=True)
    out += localisation_problems(where, "description_localizations",
                                 option.get("description_localizations"), limit=100,
                                 chat_input=True)
    size = longest(option, "name") + longest(option, "description")
    choices = option.get("choices") or []
    if len(choices) > 25:
        out.append(f"{where}: at most 25 choices")
    for choice in choices:
        if not 1 <= len(choice["name"]) <= 100 or len(str(choice["value"])) > 100:
            out.append(f"{where}: choice {choice['name']!r} over 100 characters")
        for locale, text in (choice.get("name_localizations") or {}).items():
            if locale not in LOCALES or not 1 <= len(text) <= 100:
                out.append(f"{where}: choice localisation {locale!r} {text!r}")
        size += longest(choice, "name") + len(str(choice["value"]))
    nested = option.get("options") or []
    if len(nested) > 25:
        out.append(f"{where}: at most 25 options")
    if option["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP):
        return out, size
    names = [o["name"] for o in nested]
    if len(set(names)) != len(names):
        out.append(f"{where}: option names repeat")
    required = [o.get("required", False) for o in nested if o["type"] > SUB_COMMAND_GROUP]
    if required != sorted(required, reverse=True):
        out.append(f"{where}: required options must come before optional ones")
    if option["type"] == SUB_COMMAND_GROUP and any(o["type"] != SUB_COMMAND for o in nested):
        out.append(f"{where}: a subcommand group holds subcommands only")
    for sub in nested:
        problems, sub_size = option_problems(f"{where} {sub['name']}", sub)
        out += problems
        size += sub_size
    return out, size


def command_problems(command: dict[str, Any]) -> list[str]:
    where = f"/{command['name']}"
    kind = command.get("type", CHAT_INPUT)
    out = []
    if "dm_permission" in command:
        out.append(f"{where}: uses the deprecated dm_permission")
    if command.get("contexts") != [GUILD]:
        out.append(f"{where}: contexts must be guild only, not {command.get('contexts')}")
    if kind == CHAT_INPUT:
        problems, size = option_problems(where, {**command, "type": SUB_COMMAND})
        out += problems
        if size > COMBINED_LIMIT:
            out.append(f"{where}: {size} combined characters, over {COMBINED_LIMIT}")
    else:
        out += name_problems(command["name"], chat_input=False)
        if command.get("description", "") != "":
            out.append(f"{where}: a menu command's description must be empty")
        out += localisation_problems(where, "name_localizations",
                                     command.get("name_localizations"), limit=32,
                                     chat_input=False)
    return out


@pytest.fixture
async def payload(hromada: Hromada) -> list[dict[str, Any]]:
    h = DiscordHarness(hromada)
    await h.fake.start()
    try:
        await sync_commands(hromada, h.settings(), http_trace=h.trace())
    finally:
        await h.fake.stop()
    put = [c for c in h.fake.calls if c.method == "PUT"]
    assert len(put) == 1
    return put[0].body


async def test_every_command_fits_discords_limits(payload: list[dict[str, Any]]) -> None:
    problems = [p for command in payload for p in command_problems(command)]
    assert problems == []
    chat = [c for c in payload if c.get("type", CHAT_INPUT) == CHAT_INPUT]
    assert 0 < len(chat) <= 100
    assert len([c for c in payload if c.get("type") == MESSAGE]) <= 5
    assert all(c.get("name_localizations", {}).get("uk") for c in chat)


async def test_commands_are_offered_in_servers_only(payload: list[dict[str, Any]]) -> None:
    assert {tuple(c["contexts"]) for c in payload} == {(GUILD,)}
    assert not any("dm_permission" in c for c in payload)


def test_the_checks_catch_what_discord_refuses() -> None:
    """Each rule above fails on a payload that breaks it, so a silent pass means a fit."""
    good = {"name": "idea", "description": "Ideas", "type": CHAT_INPUT, "contexts": [GUILD],
            "options": [{"name": "text", "description": "the text", "type": 3,
                         "required": True}]}
    assert command_problems(good) == []
    broken = [
        {**good, "name": "Idea"},
        {**good, "name": "x" * 33},
        {**good, "description": "d" * 101},
        {**good, "dm_permission": True},
        {**good, "contexts": [GUILD, BOT_DM, PRIVATE_CHANNEL]},
        {**good, "name_localizations": {"ua": "ідея"}},
        {**good, "name_localizations": {"uk": "Ідея"}},
        {**good, "options": [{"name": f"o{i}", "description": "d", "type": 3}
                             for i in range(26)]},
        {**good, "options": [{"name": "a", "description": "d", "type": 3},
                             {"name": "b", "description": "d", "type": 3, "required": True}]},
        {**good, "options": [{"name": "c", "description": "d", "type": 3,
                              "choices": [{"name": f"c{i}", "value": str(i)}
                                          for i in range(26)]}]},
        {**good, "options": [{"name": f"s{i}", "description": "d" * 100, "type": SUB_COMMAND,
                              "options": [{"name": f"o{j}", "description": "d" * 100,
                                           "type": 3} for j in range(4)]}
                             for i in range(20)]},
    ]
    for command in broken:
        assert command_problems(command), command
    assert command_problems({"name": "Save to knowledge", "type": MESSAGE, "description": "",
                             "contexts": [GUILD]}) == []
