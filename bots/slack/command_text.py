"""Slash command text as the member wrote it.

Slack always escapes ``&``, ``<`` and ``>`` in a command's text, and with "Escape channels,
users, and links" on (``should_escape: true`` in the manifest) it also wraps what it
recognised: ``#teamwork`` becomes ``<#C0TEAMWRK|teamwork>``, ``@ann`` becomes
``<@U0ANN|ann>``, a link ``<https://…|what they typed>``. The core's grammar reads plain
words, so this turns the markup back before anything is matched or stored. Only real markup
is unwrapped: a ``<`` the member typed arrives as ``&lt;`` and is never taken for a mention.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITY = {"amp": "&", "lt": "<", "gt": ">"}
_USER = re.compile(r"^@([UWB][A-Z0-9]{1,64})(?:\|(.*))?$", re.S)
_CHANNEL = re.compile(r"^#(C[A-Z0-9]{1,64}|G[A-Z0-9]{1,64})(?:\|(.*))?$", re.S)
_SPECIAL = re.compile(r"^!(\w[\w^.\-]*)(?:\|(.*))?$", re.S)


def _unescape(text: str) -> str:
    return re.sub(r"&(amp|lt|gt);", lambda m: _ENTITY[m.group(1)], text)


def _unwrap(inner: str) -> str:
    """One ``<…>`` of Slack markup, as the words the member typed."""
    if m := _USER.match(inner):
        # The registry's member syntax: the id matches the member, the name is for reading.
        label = _unescape(m.group(2) or "")
        if not label or any(c.isspace() or c == ">" for c in label):
            return f"<@{m.group(1)}>"  # a label the grammar could not carry: the id suffices
        return f"<@{m.group(1)}|{label}>"
    if m := _CHANNEL.match(inner):
        return "#" + _unescape(m.group(2) or m.group(1))
    if m := _SPECIAL.match(inner):
        # <!here>, <!channel>, <!subteam^S1|@team>, <!date^…|fallback>: inert words.
        name, label = m.group(1).split("^", 1)[0], m.group(2)
        if name in ("here", "channel", "everyone") or not label:
            return "@" + name
        return _unescape(label)
    target, bar, label = inner.partition("|")
    return _unescape(label if bar and label else target)  # a link: what they typed


def command_text(raw: str) -> str:
    """The text of a slash command with Slack's escaping and markup undone."""
    return _TOKEN.sub(lambda m: _unwrap(m.group(1)) if m.group(1) is not None
                      else _ENTITY[m.group(2)], raw)
