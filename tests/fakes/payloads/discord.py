"""Gateway frames in the shapes discord-api-docs publishes, every field they list.

Source: github.com/discord/discord-api-docs (commit c98d64bc), developers/events/
gateway-events.mdx "Message Reaction Add/Remove/Remove All/Remove Emoji" event field tables;
developers/resources/emoji.mdx "Standard Emoji Example" ({"id": null, "name": "🔥"}) and the
custom emoji example ({"id", "name", "animated"}); developers/resources/message.mdx "Reaction
Types" (NORMAL 0, BURST 1) and the embed object (title, type, description, url, timestamp,
color, footer, image, thumbnail, provider, author, fields). Optional fields ("?") are present
where the docs say Discord sends them (guild reactions: ``guild_id``, ``member``,
``message_author_id``; ``burst_colors`` with a super-reaction).
"""

from __future__ import annotations

from typing import Any

NORMAL, BURST = 0, 1


def emoji(name: str, *, emoji_id: str | None = None, animated: bool | None = None
          ) -> dict[str, Any]:
    """A partial emoji: standard ones carry ``id: null``; custom ones an id (and animated)."""
    out: dict[str, Any] = {"id": emoji_id, "name": name}
    if animated is not None:
        out["animated"] = animated
    return out


def reaction_add(*, user_id: str, channel_id: str, message_id: str, guild_id: str,
                 member: dict[str, Any], emoji: dict[str, Any], message_author_id: str,
                 burst: bool = False) -> dict[str, Any]:
    """MESSAGE_REACTION_ADD: user_id, channel_id, message_id, guild_id?, member?, emoji,
    message_author_id?, burst, burst_colors?, type."""
    return {
        "user_id": user_id, "channel_id": channel_id, "message_id": message_id,
        "guild_id": guild_id, "member": member, "emoji": emoji,
        "message_author_id": message_author_id, "burst": burst,
        "burst_colors": ["#ffd24a", "#f6b93b"] if burst else [],
        "type": BURST if burst else NORMAL,
    }


def reaction_remove(*, user_id: str, channel_id: str, message_id: str, guild_id: str,
                    emoji: dict[str, Any], burst: bool = False) -> dict[str, Any]:
    """MESSAGE_REACTION_REMOVE: user_id, channel_id, message_id, guild_id?, emoji, burst,
    type (no member, no burst_colors)."""
    return {"user_id": user_id, "channel_id": channel_id, "message_id": message_id,
            "guild_id": guild_id, "emoji": emoji, "burst": burst,
            "type": BURST if burst else NORMAL}


def reaction_remove_all(*, channel_id: str, message_id: str, guild_id: str) -> dict[str, Any]:
    """MESSAGE_REACTION_REMOVE_ALL: channel_id, message_id, guild_id?."""
    return {"channel_id": channel_id, "message_id": message_id, "guild_id": guild_id}


def reaction_remove_emoji(*, channel_id: str, guild_id: str, message_id: str,
                          emoji: dict[str, Any]) -> dict[str, Any]:
    """MESSAGE_REACTION_REMOVE_EMOJI: channel_id, guild_id?, message_id, emoji."""
    return {"channel_id": channel_id, "guild_id": guild_id, "message_id": message_id,
            "emoji": emoji}


def rich_embed() -> dict[str, Any]:
    """An embed with the words a bot or a link preview puts there, message content empty."""
    return {
        "title": "Incident review: payments outage",
        "type": "rich",
        "description": "Root cause was an expired TLS certificate on the gateway.",
        "url": "https://status.example.com/incidents/42",
        "timestamp": "2026-11-30T10:00:00.000000+00:00",
        "color": 15158332,
        "footer": {"text": "Status bot"},
        "image": {"url": "https://status.example.com/graph.png"},
        "thumbnail": {"url": "https://status.example.com/thumb.png"},
        "provider": {"name": "Status"},
        "author": {"name": "On-call"},
        "fields": [{"name": "Action", "value": "Automate certificate renewal", "inline": False},
                   {"name": "Owner", "value": "Platform team", "inline": True}],
    }


# discord-api-docs, gateway-events.mdx "Message Update": a message object (every field of
# message.mdx's Message Object, as MESSAGE_CREATE carries it) with ``guild_id?`` and
# ``member?`` (the author's partial guild member) and ``edited_timestamp`` set. "Message
# Delete": id, channel_id, guild_id?.


def message_update(message: dict[str, Any], *, content: str, guild_id: str,
                   member: dict[str, Any]) -> dict[str, Any]:
    """MESSAGE_UPDATE of ``message`` (as the fake stores it) with new ``content``."""
    partial = {k: v for k, v in member.items() if k != "user"}
    return {**message, "content": content, "guild_id": guild_id, "member": partial,
            "edited_timestamp": "2026-03-02T09:05:00.000000+00:00"}


def message_delete(*, message_id: str, channel_id: str, guild_id: str) -> dict[str, Any]:
    """MESSAGE_DELETE: id, channel_id, guild_id?."""
    return {"id": message_id, "channel_id": channel_id, "guild_id": guild_id}


def message_create(message: dict[str, Any], *, guild_id: str,
                   member: dict[str, Any]) -> dict[str, Any]:
    """MESSAGE_CREATE: a message object (as the fake stores it) with ``guild_id`` and the
    author's partial guild ``member`` (gateway-events.mdx "Message Create")."""
    partial = {k: v for k, v in member.items() if k != "user"}
    return {**message, "guild_id": guild_id, "member": partial}
