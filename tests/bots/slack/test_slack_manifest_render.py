"""The generated manifest matches the checked-in one; rendering keeps user mentions inert."""

from __future__ import annotations

from pathlib import Path

import yaml

from bots.slack import render
from bots.slack.manifest import build_manifest, manifest_yaml
from core.app import REGISTRY
from core.replies import Action, Field, Line, Reply
from core.text import Mention, Rich, UserText

ROOT = Path(__file__).resolve().parents[3]


def test_checked_in_manifest_is_the_generated_one() -> None:
    checked_in = (ROOT / "manifests" / "slack.yaml").read_text(encoding="utf-8")
    assert checked_in == manifest_yaml(), "run: hromada manifest slack -o manifests/slack.yaml"


def test_manifest_has_one_command_per_group_and_every_event() -> None:
    manifest = yaml.safe_load(manifest_yaml())
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {f"/{g.name}" for g in REGISTRY.groups.values() if g.commands}
    assert {"reaction_added", "reaction_removed", "app_home_opened"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"])
    assert manifest["features"]["shortcuts"][0]["callback_id"] == "save_to_hromada"
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    socket = build_manifest(socket_mode=True)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert all("url" not in c for c in socket["features"]["slash_commands"])


def test_user_text_mentions_are_inert_and_bot_mentions_ping() -> None:
    nasty = "<!channel> <!here> <!everyone> <@U123> <@U9|bob> @channel @here @everyone a&b"
    reply = Reply(text=Rich(("Said: ", UserText(nasty), " to ", Mention("U777", "Ann"))),
                  title=Rich((UserText("@here title"),)),
                  fields=[Field("From", Rich((UserText("<@U1>"),)))],
                  lines=[Line(Rich((UserText("<!here> line"),)), ref="I-1", meta="new")],
                  actions=[Action("Go", "dup.vote", "1:2", "primary"),
                           Action("Go", "dup.submit", "2")],
                  footer="Usage: /idea show <ref>")
    for text in (render.fallback(reply), str(render.blocks(reply))):
        for raw in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U9|bob>", "<@U1>",
                    "@channel", "@here", "@everyone", "<ref>"):
            assert raw not in text
    assert "<@U777>" in render.fallback(reply)
    assert "a&amp;b" in render.fallback(reply)
    ids = [b["action_id"] for b in render.blocks(reply)[-2]["elements"]]
    assert len(set(ids)) == 2
    assert [render.core_action(i) for i in ids] == ["dup.vote", "dup.submit"]
