"""Rich text: bot wording, user-provided text and mentions kept apart.

User text is carried as ``UserText`` so that every renderer can make its mentions inert;
only ``Mention`` parts, which the bot itself creates, may ever ping someone.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserText:
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel the bot names by its platform id (where an anonymous card went)."""

    channel_id: str


Segment = str | UserText | Mention | Channel


@dataclass(frozen=True, slots=True)
class Rich:
    parts: tuple[Segment, ...] = ()

    def plain(self) -> str:
        """Text with mentions written as @name: for logs, tests and the console."""
        out: list[str] = []
        for p in self.parts:
            if isinstance(p, str):
                out.append(p)
            elif isinstance(p, UserText):
                out.append(p.text)
            elif isinstance(p, Channel):
                out.append(f"#{p.channel_id}")
            else:
                out.append(f"@{p.name}")
        return "".join(out)

    def __add__(self, other: Rich | Segment) -> Rich:
        if isinstance(other, Rich):
            return Rich(self.parts + other.parts)
        return Rich((*self.parts, other))

    def __bool__(self) -> bool:
        return any(p.text if isinstance(p, UserText) else True for p in self.parts)

    def __str__(self) -> str:
        return self.plain()


_formatter = string.Formatter()


def fmt(template: str, **values: object) -> Rich:
    """Fill a (translated) template; ``UserText``, ``Mention`` and ``Rich`` values stay marked."""
    parts: list[Segment] = []
    for literal, field, spec, conv in _formatter.parse(template):
        if literal:
            parts.append(literal)
        if field is None:
            continue
        value = values[field]
        if isinstance(value, Rich):
            parts.extend(value.parts)
        elif isinstance(value, UserText | Mention | Channel):
            parts.append(value)
        else:
            if conv:
                value = _formatter.convert_field(value, conv)
            parts.append(format(value, spec or ""))
    return Rich(tuple(_merge(parts)))


def join(items: Iterable[Rich | Segment], sep: str = ", ") -> Rich:
    parts: list[Segment] = []
    for i, item in enumerate(items):
        if i:
            parts.append(sep)
        parts.extend(item.parts if isinstance(item, Rich) else (item,))
    return Rich(tuple(_merge(parts)))


def plain(text: str) -> Rich:
    return Rich((text,)) if text else Rich()


def user(text: str) -> Rich:
    return Rich((UserText(text),))


def _merge(parts: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + p
        elif p != "":
            out.append(p)
    return out
