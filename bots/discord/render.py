"""Replies as Discord embeds and buttons.

User-provided text is neutralised here (``@everyone``, ``<@123>``, Slack's ``<!here>`` stay
text), and every message goes out with ``AllowedMentions.none()`` as a second guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from core.replies import Action, Notice, Reply, Visibility
from core.text import Channel, Mention, Rich, UserText

BUTTON_PREFIX = "h"
RED = 0xD9534F
BLUE = 0x3B6FB6
MAX_DESCRIPTION = 4096
MAX_FIELD = 1024
MAX_TITLE = 256
MAX_BUTTONS = 25
NO_MENTIONS = discord.AllowedMentions.none()
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>|<!(channel|here|everyone)[^>]*>",
                      re.IGNORECASE)
ZWSP = "\u200b"


def neutralise(text: str) -> str:
    """Make every mention in user text inert: a zero-width space breaks the syntax."""

    def breaker(m: re.Match[str]) -> str:
        s = m.group(0)
        return s[0] + ZWSP + s[1:]

    return _MENTION.sub(breaker, text)


def rich(value: Rich | None) -> str:
    """Discord markdown for rich text: bot words as they are, user text neutralised."""
    if value is None:
        return ""
    out: list[str] = []
    for part in value.parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, UserText):
            out.append(neutralise(part.text))
        elif isinstance(part, Mention):
            out.append(f"<@{part.user_id}>" if part.user_id.isdigit() else f"@{part.name}")
        elif isinstance(part, Channel):
            out.append(f"<#{part.channel_id}>" if part.channel_id.isdigit()
                       else f"#{part.channel_id}")
    return "".join(out)


@dataclass
class Rendered:
    """What one ``send``/``send_message`` call takes."""

    embed: discord.Embed
    view: discord.ui.View | None
    ephemeral: bool
    pings: tuple[int, ...] = ()  # members the bot itself mentions (``Mention``), for content

    def send_kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"embed": self.embed, "allowed_mentions": NO_MENTIONS}
        if self.pings and not self.ephemeral:
            # Mentions in an embed never notify: the bot's own ones go in the content too, and
            # only those members are allowed to be pinged (never @everyone, roles or user text).
            out["content"] = " ".join(f"<@{uid}>" for uid in self.pings)
            out["allowed_mentions"] = discord.AllowedMentions(
                everyone=False, roles=False, replied_user=False,
                users=[discord.Object(uid) for uid in self.pings])
        if self.view is not None:
            out["view"] = self.view
        return out


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def embed(reply: Reply) -> discord.Embed:
    lines = [rich(reply.text)] if reply.text else []
    for ln in reply.lines:
        head = f"**{ln.ref}** " if ln.ref else ""
        tail = f" · {ln.meta}" if ln.meta else ""
        lines.append(f"• {head}{rich(ln.text)}{tail}")
    out = discord.Embed(
        title=_cut(rich(reply.title), MAX_TITLE) if reply.title else None,
        description=_cut("\n".join(lines), MAX_DESCRIPTION) or None,
        colour=RED if reply.error else BLUE,
    )
    for f in reply.fields[:25]:
        out.add_field(name=_cut(f.label, MAX_TITLE) or ZWSP,
                      value=_cut(rich(f.value), MAX_FIELD) or ZWSP, inline=f.inline)
    if reply.footer:
        out.set_footer(text=_cut(reply.footer, 2048))
    return out


def custom_id(action: Action) -> str:
    return f"{BUTTON_PREFIX}:{action.action_id}:{action.value}"[:100]


def parse_custom_id(value: str) -> tuple[str, str] | None:
    """(action_id, value) of one of our buttons, or None for someone else's component."""
    prefix, _, rest = value.partition(":")
    if prefix != BUTTON_PREFIX or ":" not in rest:
        return None
    action_id, _, arg = rest.partition(":")
    return action_id, arg


_STYLES = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger}


def view(actions: list[Action]) -> discord.ui.View | None:
    """Buttons only: a click arrives as an interaction the client hands to ``Hromada.press``."""
    if not actions:
        return None
    out = discord.ui.View(timeout=None)
    for i, action in enumerate(actions[:MAX_BUTTONS]):
        out.add_item(discord.ui.Button(
            label=_cut(action.label, 80), custom_id=custom_id(action),
            style=_STYLES.get(action.style or "", discord.ButtonStyle.secondary), row=i // 5))
    # Stopped: the client keeps no per-message state; every click goes to ``on_interaction``.
    out.stop()
    return out


def pings(reply: Reply) -> tuple[int, ...]:
    """Discord ids of the members the bot mentions in a reply, in order, each once."""
    texts = [reply.title, reply.text, *(f.value for f in reply.fields),
             *(ln.text for ln in reply.lines)]
    out: dict[int, None] = {}
    for text in texts:
        for part in text.parts if text is not None else ():
            if isinstance(part, Mention) and part.user_id.isdigit():
                out.setdefault(int(part.user_id))
    return tuple(out)


def render(reply: Reply) -> Rendered:
    return Rendered(embed=embed(reply), view=view(reply.actions),
                    ephemeral=reply.visibility is not Visibility.PUBLIC, pings=pings(reply))


def notice_text(notice: Notice) -> str:
    return _cut(rich(notice.text), 2000)
