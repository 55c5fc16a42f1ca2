"""Replies as plain console text."""

from __future__ import annotations

from core.replies import Notice, Reply, Visibility


def render(reply: Reply, *, channel: str = "#general") -> str:
    body = reply.plain()
    if reply.error:
        return "\n".join("! " + ln if ln else ln for ln in body.splitlines())
    if reply.actions:
        numbered = [f"  [{n}] {a.label}" for n, a in enumerate(reply.actions, 1)]
        body = "\n".join(ln for ln in body.splitlines() if not ln.startswith("[")) + "\n" + (
            "\n".join(numbered) + "\n  (press <n>)"
        )
    if reply.visibility is Visibility.PUBLIC:
        return f"[{channel}] " + body.replace("\n", "\n  ")
    return body


def render_notice(notice: Notice, names: dict[str, str]) -> str:
    to = ", ".join(names.get(r, r) for r in notice.recipients)
    return f"→ DM to {to}: {notice.text.plain()}"
