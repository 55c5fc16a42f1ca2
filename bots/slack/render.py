"""Replies as Block Kit plus a plain ``text`` fallback, with every user-written mention inert.

Slack reads ``<...>`` as links and mentions, and ``@channel``-style words can ping when a client
parses them. All text is escaped (``&``, ``<``, ``>``); text people wrote (``UserText``) also gets
a word joiner after each ``@`` of ``@channel``/``@here``/``@everyone``. Only ``Mention`` parts,
which the bot creates, become ``<@U…>``.
"""

from __future__ import annotations

import re
from typing import Any

from core.home import Home
from core.replies import Action, Field, Line, Notice, Reply
from core.text import Channel, Mention, Rich, UserText

SECTION_LIMIT = 3000  # Slack's limit for a section's text
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BLOCKS_LIMIT = 50
TEXT_LIMIT = 3900
ACTION_PREFIX = "hromada"

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
WORD_JOINER = "\u2060"


def escape(text: str) -> str:
    """Slack's three control characters; enough to make ``<!here>`` and ``<@U1>`` plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutralise(text: str) -> str:
    """User text made inert: escaped, and ``@channel``/``@here``/``@everyone`` broken up."""
    return _BROADCAST.sub(lambda m: "@" + WORD_JOINER + m.group(1), escape(text))


def mrkdwn(rich: Rich | str) -> str:
    """One ``Rich`` as Slack mrkdwn: bot words escaped, user words neutralised."""
    if isinstance(rich, str):
        return escape(rich)
    out: list[str] = []
    for part in rich.parts:
        if isinstance(part, UserText):
            out.append(neutralise(part.text))
        elif isinstance(part, Mention):
            out.append(f"<@{part.user_id}>")
        elif isinstance(part, Channel):
            out.append(f"<#{escape(part.channel_id)}>")
        else:
            out.append(escape(part))
    return "".join(out)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line(line: Line) -> str:
    head = f"`{escape(line.ref)}` " if line.ref else ""
    tail = f"  _{escape(line.meta)}_" if line.meta else ""
    return f"• {head}{mrkdwn(line.text)}{tail}"


def _field(field: Field) -> str:
    return f"*{escape(field.label)}*\n{mrkdwn(field.value)}"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_LIMIT)}}


def action_id(index: int, action: Action) -> str:
    """Block Kit wants unique action ids per message; the core's id stays readable after ``:``."""
    return f"{ACTION_PREFIX}:{index}:{action.action_id}"


def core_action(slack_action_id: str) -> str:
    """The core ``Action.action_id`` carried in a Slack action id made by ``action_id``."""
    return slack_action_id.split(":", 2)[2]


def button(index: int, action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": _cut(action.label, BUTTON_LABEL_LIMIT),
                 "emoji": True},
        "action_id": action_id(index, action),
        "value": action.value[:BUTTON_VALUE_LIMIT],
    }
    if action.style in ("primary", "danger"):
        out["style"] = action.style
    return out


def blocks(reply: Reply) -> list[dict[str, Any]]:
    """Block Kit for a reply: title, text, fields, list lines, buttons, footer."""
    out: list[dict[str, Any]] = []
    if reply.title:
        out.append(_section(f"*{mrkdwn(reply.title)}*"))
    if reply.text:
        prefix = ":warning: " if reply.error else ""
        out.append(_section(prefix + mrkdwn(reply.text)))
    inline = [f for f in reply.fields if f.inline]
    for f in reply.fields:
        if not f.inline:
            out.append(_section(_field(f)))
    for start in range(0, len(inline), FIELDS_PER_SECTION):
        chunk = inline[start:start + FIELDS_PER_SECTION]
        out.append({"type": "section",
                    "fields": [{"type": "mrkdwn", "text": _cut(_field(f), FIELD_LIMIT)}
                               for f in chunk]})
    chunk_lines: list[str] = []
    size = 0
    for line in reply.lines:
        text = _line(line)
        if chunk_lines and size + len(text) + 1 > SECTION_LIMIT:
            out.append(_section("\n".join(chunk_lines)))
            chunk_lines, size = [], 0
        chunk_lines.append(text)
        size += len(text) + 1
    if chunk_lines:
        out.append(_section("\n".join(chunk_lines)))
    if reply.actions:
        buttons = [button(i, a) for i, a in enumerate(reply.actions)]
        for start in range(0, len(buttons), 25):
            out.append({"type": "actions", "elements": buttons[start:start + 25]})
    if reply.footer:
        out.append({"type": "context",
                    "elements": [{"type": "mrkdwn", "text": _cut(escape(reply.footer), 3000)}]})
    if len(out) > BLOCKS_LIMIT:
        out = out[: BLOCKS_LIMIT - 1] + [_section("…")]
    return out


def fallback(reply: Reply) -> str:
    """The ``text`` of a message: shown in notifications and by clients without blocks."""
    out: list[str] = []
    if reply.title:
        out.append(mrkdwn(reply.title))
    if reply.text:
        out.append(mrkdwn(reply.text))
    out.extend(f"{escape(f.label)}: {mrkdwn(f.value)}" for f in reply.fields)
    out.extend(_line(ln) for ln in reply.lines)
    if reply.footer:
        out.append(escape(reply.footer))
    return _cut("\n".join(out) or " ", TEXT_LIMIT)


def message(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for ``chat.postMessage``/``respond``: blocks and their text fallback."""
    return {"text": fallback(reply), "blocks": blocks(reply)}


def notice_message(notice: Notice) -> dict[str, Any]:
    text = mrkdwn(notice.text)
    blocks = [_section(text)]
    buttons = [button(i, a) for i, a in enumerate(notice.actions)]
    for start in range(0, len(buttons), NOTICE_ROW):  # a row per question, as on Discord
        blocks.append({"type": "actions", "elements": buttons[start:start + NOTICE_ROW]})
    return {"text": _cut(text, TEXT_LIMIT), "blocks": blocks}


NOTICE_ROW = 5


def home_view(home: Home) -> dict[str, Any]:
    """The App Home tab: a header per section, its lines or a short 'nothing yet'."""
    out: list[dict[str, Any]] = [_section(f"*{escape(home.greeting)}*")]
    for section in home.sections:
        out.append({"type": "header",
                    "text": {"type": "plain_text", "text": _cut(section.title, 150)}})
        if section.lines:
            out.append(_section("\n".join(_line(ln) for ln in section.lines)))
        else:
            out.append({"type": "context",
                        "elements": [{"type": "mrkdwn", "text": escape(section.empty)}]})
    if home.footer:
        out.append({"type": "divider"})
        out.append({"type": "context",
                    "elements": [{"type": "mrkdwn", "text": escape(home.footer)}]})
    return {"type": "home", "blocks": out[:100]}
