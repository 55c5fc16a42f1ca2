"""The console as a platform: digests and notices printed where the chat prints."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from core.i18n import N_
from core.replies import Notice, Reply


def _same(msgid: str) -> str:
    return msgid


class ConsoleDelivery:
    """Prints a posted reply section by section and says where its picture was written."""

    platform = "console"

    def __init__(self, out: TextIO | None = None, *, names: dict[str, str] | None = None,
                 words: Callable[[str], str] = _same) -> None:
        self.out = out or sys.stdout
        self.names = names if names is not None else {}
        self._ = words
        self.posted: list[tuple[str, str, Reply]] = []
        self.notified: list[Notice] = []

    async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> str:
        self.posted.append((tenant_id, channel_id, reply))
        print(render_post(reply, channel_id, self._), file=self.out, flush=True)
        return str(len(self.posted))

    async def post_picture(self, tenant_id: str, channel_id: str, message_id: str,
                           reply: Reply) -> None:
        if reply.image is not None:
            print(f"[#{channel_id}] " + self._(N_("(picture written to {path})")).format(
                path=reply.image), file=self.out, flush=True)

    async def notify(self, tenant_id: str, notices: list[Notice]) -> list[str]:
        """A line per recipient; one line naming them all for a group notice (as a group DM)."""
        for notice in notices:
            self.notified.append(notice)
            if notice.sealed:  # to an anonymous author: never named
                print(self._(N_("→ DM to the anonymous author: {text}")).format(
                    text=notice.text.plain()), file=self.out, flush=True)
                continue
            groups = [notice.recipients] if notice.group else [(r,) for r in notice.recipients]
            for people in groups:
                print(self._(N_("→ DM to {to}: {text}")).format(
                    to=", ".join(self.names.get(u, u) for u in people),
                    text=notice.text.plain()), file=self.out, flush=True)
            if notice.actions:
                print("\n".join(f"  [{n}] {a.label}" for n, a in enumerate(notice.actions, 1))
                      + "\n  " + self._(N_("(press <n>)")), file=self.out, flush=True)
        return []


def render_post(reply: Reply, channel_id: str, _: Callable[[str], str] = _same) -> str:
    """A posted message: title, text, each section under its heading, the picture's path."""
    out = []
    if reply.title:
        out.append(reply.title.plain())
    if reply.text:
        out.append(reply.text.plain())
    for field in reply.fields:
        out.append("")
        out.append(f"*{field.label}*")
        out.extend(field.value.plain().splitlines())
    if reply.footer:
        out.append(reply.footer)
    if reply.image is not None:
        out.append(_(N_("(picture written to {path})")).format(path=reply.image))
    return f"[#{channel_id}] " + "\n  ".join(out)
