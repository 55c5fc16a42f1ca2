"""Platform-neutral replies. Adapters render them as Block Kit, embeds or console text."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from core.text import Rich


class Visibility(StrEnum):
    PRIVATE = "private"  # ephemeral: only the member who asked sees it
    PUBLIC = "public"  # posted in the channel as a message the bot owns


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: Rich
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Line:
    """One entry of a list: a ref, its text, and a short trailer (score, status)."""

    text: Rich
    ref: str | None = None
    meta: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """A button. ``action_id`` names the core action; ``value`` is its argument."""

    label: str
    action_id: str
    value: str
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to other members (author, voters): one direct message each.

    ``group`` asks for one conversation of all recipients together where the platform has one
    (a coffee introduction: a Slack group DM); elsewhere it is still one direct message each."""

    recipients: tuple[str, ...]
    text: Rich
    item_id: int | None = None
    group: bool = False
    # To an anonymous author through their sealed reference: renderers never name the
    # recipient, and no log line carries it.
    sealed: bool = False
    # Buttons under the message (an onboarding pulse's answers); renderers that cannot show
    # them in a direct message leave them out.
    actions: tuple[Action, ...] = ()


@dataclass
class Reply:
    text: Rich
    visibility: Visibility = Visibility.PRIVATE
    title: Rich | None = None
    fields: list[Field] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    footer: str = ""
    # When the reply is posted publicly, the posted message stands for this item:
    # the adapter records its id with ``Hromada.attach_message`` so reactions reach it.
    item_id: int | None = None
    image: Path | None = None
    error: bool = False
    # A public reply goes to this channel instead of the one it was asked in (an anonymous
    # card moved to the main channel); None: where it was asked.
    channel: str | None = None
    # Shown only to the member who asked, beside a public post (an anonymous author's
    # confirmation, with its "hear back" button).
    private: Reply | None = None
    # For adapters whose public post needs a private acknowledgement of its own (Discord's
    # interaction): "Posted I-3 in this channel.", made in the command's own unit of work.
    posted_note: str = ""

    def plain(self) -> str:
        """Every visible word, in reading order: for the console, logs and tests."""
        out = []
        if self.title:
            out.append(self.title.plain())
        if self.text:
            out.append(self.text.plain())
        out.extend(f"{f.label}: {f.value.plain()}" for f in self.fields)
        for ln in self.lines:
            head = f"{ln.ref} " if ln.ref else ""
            tail = f" ({ln.meta})" if ln.meta else ""
            out.append(f"• {head}{ln.text.plain()}{tail}")
        out.extend(f"[{a.label}]" for a in self.actions)
        if self.footer:
            out.append(self.footer)
        return "\n".join(out)
