"""The words a person sees in a platform message, from every place a platform puts them.

📚 saves what people read; on Slack that may live only in legacy ``attachments`` or in Block
Kit ``blocks`` (a bot's or an app's message has an empty ``text``), on Discord only in
``embeds``. Pure functions over the platforms' published JSON shapes: no client, no I/O.
Slack words keep Slack's markup (``<@U1>``, ``<https://..|label>``) for the adapter to resolve.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def _s(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _join(parts: list[str]) -> str:
    return "\n".join(p for p in (x.strip() for x in parts) if p)


def _pair(name: str, value: str) -> str:
    return f"{name}: {value}" if name and value else name or value


# -- Slack ----------------------------------------------------------------------------


def slack_words(message: Json) -> str:
    """A Slack message's words: its ``text`` (else its blocks' words), then its attachments'."""
    text = _s(message.get("text")) or _join(
        [block_words(b) for b in message.get("blocks") or [] if isinstance(b, dict)])
    extra = [attachment_words(a) for a in message.get("attachments") or []
             if isinstance(a, dict)]
    return _join([text, *extra])


def attachment_words(att: Json) -> str:
    """A legacy attachment: pretext, author, title, text, fields, footer (else its fallback,
    the plain summary Slack shows where attachments cannot be drawn); its own blocks too."""
    fields = [_pair(_s(f.get("title")), _s(f.get("value")))
              for f in att.get("fields") or [] if isinstance(f, dict)]
    blocks = [block_words(b) for b in att.get("blocks") or [] if isinstance(b, dict)]
    words = _join([_s(att.get("pretext")), _s(att.get("author_name")), _s(att.get("title")),
                   _s(att.get("text")), *fields, *blocks, _s(att.get("footer"))])
    return words or _s(att.get("fallback"))


def _text_object(obj: Any) -> str:
    return _s(obj.get("text")) if isinstance(obj, dict) else _s(obj)


def block_words(block: Json) -> str:
    """One Block Kit block: rich text (what people type), section, header, context, markdown."""
    kind = block.get("type")
    if kind == "rich_text":
        return _join([_rich(el) for el in block.get("elements") or [] if isinstance(el, dict)])
    if kind in ("section", "header", "markdown"):
        fields = [_text_object(f) for f in block.get("fields") or []]
        return _join([_text_object(block.get("text")), *fields])
    if kind == "context":
        return " ".join(_text_object(el) for el in block.get("elements") or []
                        if isinstance(el, dict) and el.get("type") in ("mrkdwn", "plain_text"))
    return ""


def _rich(element: Json) -> str:
    """A rich_text section/list/quote/preformatted, as one line per section or list item."""
    kind = element.get("type")
    inner = [el for el in element.get("elements") or [] if isinstance(el, dict)]
    if kind == "rich_text_list":
        return _join([_rich(el) for el in inner])
    return "".join(_inline(el) for el in inner)


def _inline(el: Json) -> str:
    kind = el.get("type")
    if kind == "text":
        return str(el.get("text") or "")
    if kind == "link":
        url, label = _s(el.get("url")), _s(el.get("text"))
        return f"<{url}|{label}>" if label else f"<{url}>"
    if kind == "user":
        return f"<@{el.get('user_id', '')}>"
    if kind == "channel":
        return f"<#{el.get('channel_id', '')}>"
    if kind == "usergroup":
        return f"@{el.get('usergroup_id', '')}"
    if kind == "broadcast":
        return f"<!{el.get('range', 'here')}>"
    if kind == "emoji":
        return f":{el.get('name', '')}:"
    if kind in ("rich_text_section", "rich_text_quote", "rich_text_preformatted"):
        return _rich(el)
    return ""


# -- Discord --------------------------------------------------------------------------


def discord_words(content: str, embeds: list[Json]) -> str:
    """A Discord message's words: its content, else its embeds' (a bot's or a link's card)."""
    return _s(content) or _join([embed_words(e) for e in embeds if isinstance(e, dict)])


def embed_words(embed: Json) -> str:
    """An embed: author, title, description, fields ("name: value"), footer."""
    fields = [_pair(_s(f.get("name")), _s(f.get("value")))
              for f in embed.get("fields") or [] if isinstance(f, dict)]
    return _join([_s((embed.get("author") or {}).get("name")), _s(embed.get("title")),
                  _s(embed.get("description")), *fields,
                  _s((embed.get("footer") or {}).get("text"))])
