"""Slack payloads in the shapes Slack sends them, every field the published samples carry.

Sources (github.com/slackapi/bolt-python, commit a2f21ae4):
- ``tests/scenario_tests_async/test_events.py`` ``reaction_added_body``: the Events API
  envelope (token, team_id, enterprise_id, api_app_id, event, type, event_id, event_time,
  authed_users) and the reaction event (type, user, item{type, channel, ts}, reaction,
  item_user, event_ts);
- ``tests/scenario_tests/test_message_bot.py``: ``authorizations``, ``is_ext_shared_channel``,
  ``event_context`` of newer envelopes, and the bot message shapes (``bot_id``,
  ``bot_profile``; classic ``subtype: bot_message`` with ``username``);
- ``tests/scenario_tests_async/test_shortcut.py`` ``message_shortcut_body``: the
  ``message_action`` payload (team{id, domain, enterprise_id, enterprise_name}, user, channel,
  callback_id, trigger_id, message_ts, message{client_msg_id, type, text, user, ts, team,
  blocks[rich_text]}, response_url, action_ts, token);
- ``tests/slack_bolt_async/context/test_async_ack.py`` ``sample_attachments``: a legacy
  attachment with every field (fallback, color, pretext, author_*, title, title_link, text,
  fields, image_url, thumb_url, footer, footer_icon, ts).
Ids and words are ours; the shapes are theirs.
"""

from __future__ import annotations

import time
from typing import Any

Json = dict[str, Any]


def envelope(event: Json, *, team: str, bot_user: str, event_id: str,
             enterprise_id: str | None = None) -> Json:
    """An Events API ``event_callback`` around ``event``."""
    out: Json = {"token": "verification_token", "team_id": team, "api_app_id": "A0HROMADA",
                 "event": event, "type": "event_callback", "event_id": event_id,
                 "event_time": int(time.time()), "authed_users": [bot_user],
                 "authorizations": [{"enterprise_id": enterprise_id, "team_id": team,
                                     "user_id": bot_user, "is_bot": True,
                                     "is_enterprise_install": False}],
                 "is_ext_shared_channel": False,
                 "event_context": f"1-{event.get('type', 'event')}-{team}"}
    if enterprise_id is not None:
        out["enterprise_id"] = enterprise_id
    return out


def reaction(*, added: bool, user: str, channel: str, ts: str, reaction: str,
             item_user: str | None) -> Json:
    """``reaction_added`` / ``reaction_removed``."""
    event: Json = {"type": "reaction_added" if added else "reaction_removed", "user": user,
                   "item": {"type": "message", "channel": channel, "ts": ts},
                   "reaction": reaction, "event_ts": f"{time.time():.6f}"}
    if item_user:
        event["item_user"] = item_user
    return event


def message_shortcut(*, team: str, user: str, user_name: str, channel: str,
                     channel_name: str, message: Json, response_url: str,
                     callback_id: str, trigger_id: str) -> Json:
    """A message shortcut (``message_action``) on ``message`` as Slack shows it."""
    return {
        "type": "message_action", "token": "verification_token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team, "domain": team.lower(), "enterprise_id": None,
                 "enterprise_name": None},
        "user": {"id": user, "name": user_name},
        "channel": {"id": channel, "name": channel_name},
        "callback_id": callback_id, "trigger_id": trigger_id,
        "message_ts": message["ts"], "message": message, "response_url": response_url,
    }


def rich_text(text: str, *, mention: str | None = None) -> Json:
    """The ``rich_text`` block Slack adds to what a person types (with a user mention)."""
    elements: list[Json] = []
    if mention:
        elements.append({"type": "user", "user_id": mention})
    elements.append({"type": "text", "text": text})
    return {"type": "rich_text", "block_id": "d7eJ",
            "elements": [{"type": "rich_text_section", "elements": elements}]}


def attachment(*, pretext: str, title: str, text: str, field: tuple[str, str],
               fallback: str) -> Json:
    """A legacy attachment with every field of bolt-python's sample."""
    return {
        "fallback": fallback, "color": "#2eb886", "pretext": pretext,
        "author_name": "Bobby Tables", "author_link": "http://flickr.com/bobby/",
        "author_icon": "http://flickr.com/icons/bobby.jpg", "title": title,
        "title_link": "https://api.slack.com/", "text": text,
        "fields": [{"title": field[0], "value": field[1], "short": False}],
        "image_url": "http://my-website.com/path/to/image.jpg",
        "thumb_url": "http://example.com/path/to/thumb.png", "footer": "Slack API",
        "footer_icon": "https://platform.slack-edge.com/img/default_application_icon.png",
        "ts": 123456789,
    }


def classic_bot_message(*, attachments: list[Json]) -> Json:
    """A classic bot's message (``subtype: bot_message``): no user, words only in attachments."""
    return {"type": "message", "subtype": "bot_message", "text": "", "username": "classic-bot",
            "bot_id": "B888", "attachments": attachments}


def app_message(*, team: str, blocks: list[Json]) -> Json:
    """An app's message (``bot_id`` and ``bot_profile``) whose words are only in blocks."""
    return {"bot_id": "B999", "type": "message", "text": "", "user": "UB111", "team": team,
            "bot_profile": {"id": "B999", "deleted": False, "name": "other-app",
                            "updated": 1607307935, "app_id": "A222",
                            "icons": {"image_36": "https://a.slack-edge.com/bot_36.png"},
                            "team_id": team},
            "blocks": blocks}


def section(text: str, *fields: str) -> Json:
    """A Block Kit ``section`` with mrkdwn text and fields."""
    out: Json = {"type": "section", "block_id": "s1", "text": {"type": "mrkdwn", "text": text}}
    if fields:
        out["fields"] = [{"type": "mrkdwn", "text": f} for f in fields]
    return out


# The message events below follow Slack's published samples of the ``message_changed`` and
# ``message_deleted`` subtypes (api.slack.com/events/message/message_changed and
# .../message_deleted): a hidden event in the channel whose ``message`` is the message as it
# now reads (with ``edited``) and whose ``previous_message`` is how it read before; a deletion
# names the message by ``deleted_ts``.


def message_changed(*, channel: str, user: str, team: str, ts: str, text: str,
                    previous_text: str) -> Json:
    now = f"{time.time():.6f}"
    message: Json = {"client_msg_id": "5d2f4a8e-0000-4000-8000-000000000001", "type": "message",
                     "text": text, "user": user, "team": team,
                     "edited": {"user": user, "ts": now}, "blocks": [rich_text(text)],
                     "ts": ts, "source_team": team, "user_team": team}
    previous: Json = {"client_msg_id": message["client_msg_id"], "type": "message",
                      "text": previous_text, "user": user, "team": team, "ts": ts,
                      "blocks": [rich_text(previous_text)]}
    return {"type": "message", "subtype": "message_changed", "message": message,
            "previous_message": previous, "channel": channel, "hidden": True, "ts": now,
            "event_ts": now, "channel_type": "channel"}


def message_deleted(*, channel: str, user: str, team: str, ts: str, previous_text: str) -> Json:
    now = f"{time.time():.6f}"
    previous: Json = {"type": "message", "text": previous_text, "user": user, "team": team,
                      "ts": ts, "blocks": [rich_text(previous_text)]}
    return {"type": "message", "subtype": "message_deleted", "previous_message": previous,
            "channel": channel, "hidden": True, "ts": now, "deleted_ts": ts, "event_ts": now,
            "channel_type": "channel"}
