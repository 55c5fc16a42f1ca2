"""Replies as plain console text."""

from __future__ import annotations

from collections.abc import Callable

from core.i18n import N_
from core.replies import Notice, Reply, Visibility


def _same(msgid: str) -> str:
    return msgid


def render(reply: Reply, *, channel: str = "#general",
           _: Callable[[str], str] = _same) -> str:
    """``_`` translates the console's own words (the tenant's language)."""
    body = reply.plain()
    if reply.error:
        return "\n".join("! " + ln if ln else ln for ln in body.splitlines())
    if reply.actions:
        numbered = [f"  [{n}] {a.label}" for n, a in enumerate(reply.actions, 1)]
        body = "\n".join(ln for ln in body.splitlines() if not ln.startswith("[")) + "\n" + (
            "\n".join(numbered) + "\n  " + _(N_("(press <n>)"))
        )
    if reply.image is not None:
        body += "\n" + _(N_("(picture written to {path})")).format(path=reply.image)
    if reply.visibility is Visibility.PUBLIC:
        return f"[{channel}] " + body.replace("\n", "\n  ")
    return body


def render_notice(notice: Notice, names: dict[str, str],
                  _: Callable[[str], str] = _same) -> str:
    if notice.sealed:  # to an anonymous author: whoever reads this console must not learn who
        return _(N_("→ DM to the anonymous author: {text}")).format(text=notice.text.plain())
    to = ", ".join(names.get(r, r) for r in notice.recipients)
    return _(N_("→ DM to {to}: {text}")).format(to=to, text=notice.text.plain())
