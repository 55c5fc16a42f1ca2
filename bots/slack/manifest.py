"""The Slack app manifest, generated from the one command registry.

``hromada manifest slack`` prints it; ``manifests/slack.yaml`` is its checked-in copy (a test
fails when they differ). Paste it into https://api.slack.com/apps → "From an app manifest".
"""

from __future__ import annotations

from typing import Any

import yaml

from bots.slack.app import BOT_EVENTS, BOT_SCOPES, SHORTCUT_ID
from core.registry import P, Registry

DEFAULT_URL = "https://hromada.example.com"
NAME = "Hromada"
DESCRIPTION = "Ideas, risks, knowledge, pulses and people: an internal social network in Slack."
USAGE_LIMIT = 1000
DESCRIPTION_LIMIT = 2000
# Slack's manifest schema caps a shortcut's name at 24 characters; a longer one makes
# "Create New App -> From an app manifest" fail for every new user.
SHORTCUT_NAME = "Save to Hromada"
SHORTCUT_NAME_LIMIT = 24
SIGN_IN_SCOPES = ("openid", "profile")  # "Sign in with Slack" for the web pages


def check_base_url(base_url: str) -> str:
    """Slack only calls request URLs over HTTPS, so anything else is refused up front."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"the URL must start with https:// and name a host, not {base_url!r}")
    return base_url.strip().rstrip("/")


def usage_hint(registry: Registry, group_name: str) -> str:
    """``<text> | anon | list | show ...``: the default form first, then each subcommand word."""
    group = registry.groups[group_name]
    parts: list[str] = []
    # Sorted, not in registration order: that follows import order, which tests vary.
    for cmd in sorted(group.commands, key=lambda c: c.path):
        if cmd.name == group.default:
            shown = " ".join(p.placeholder() for p in cmd.params)
            if shown:
                parts.insert(0, shown)
            continue
        word = cmd.words[0]
        if word not in parts:
            parts.append(word)
    hint = " | ".join(parts)
    return hint if len(hint) <= USAGE_LIMIT else hint[: USAGE_LIMIT - 1] + "…"


def build_manifest(registry: Registry | None = None, *, base_url: str = DEFAULT_URL,
                   socket_mode: bool = False) -> dict[str, Any]:
    """The manifest as a dict: commands, scopes, events, shortcut, App Home, transport."""
    if registry is None:
        from core.app import REGISTRY  # importing the facade registers every feature's commands

        registry = REGISTRY
    base = check_base_url(base_url)
    events_url = f"{base}/slack/events"
    commands = []
    for group in registry.groups.values():
        if not group.commands:
            continue
        command: dict[str, Any] = {
            "command": f"/{group.name}",
            "description": group.help[:DESCRIPTION_LIMIT],
            "usage_hint": usage_hint(registry, group.name),
            # Slack writes @mentions as <@U…|name> only when asked; members are read that way.
            "should_escape": any(p.kind is P.MEMBER for c in group.commands for p in c.params),
        }
        if not socket_mode:
            command["url"] = events_url
        commands.append(command)
    event_subscriptions: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket_mode:
        event_subscriptions = {"request_url": events_url, **event_subscriptions}
        interactivity["request_url"] = events_url
    if len(SHORTCUT_NAME) > SHORTCUT_NAME_LIMIT:
        raise ValueError(f"shortcut name over Slack's {SHORTCUT_NAME_LIMIT} characters")
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": NAME, "description": DESCRIPTION,
                                "background_color": "#2c5f8a"},
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": True},
            "bot_user": {"display_name": NAME, "always_online": True},
            "shortcuts": [{"name": SHORTCUT_NAME, "type": "message",
                           "callback_id": SHORTCUT_ID,
                           "description": "Save this message as a searchable knowledge snippet"}],
            "slash_commands": commands,
        },
        # The install's redirect, then "Sign in with Slack" for the web pages (OpenID
        # Connect: user scopes openid and profile, back at /auth/slack/callback).
        "oauth_config": {"redirect_urls": [f"{base}/slack/oauth_redirect",
                                           f"{base}/auth/slack/callback"],
                         "scopes": {"bot": list(BOT_SCOPES), "user": list(SIGN_IN_SCOPES)}},
        "settings": {
            "event_subscriptions": event_subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(registry: Registry | None = None, *, base_url: str = DEFAULT_URL,
                  socket_mode: bool = False) -> str:
    header = ("# Generated from the command registry by `hromada manifest slack`; do not edit.\n"
              "# Create the app at https://api.slack.com/apps -> From an app manifest.\n")
    body = yaml.safe_dump(build_manifest(registry, base_url=base_url, socket_mode=socket_mode),
                          sort_keys=False, allow_unicode=True, width=100)
    return header + body
