"""The words of a platform message, from text, blocks, attachments and embeds (pure)."""

from __future__ import annotations

from bots.words import attachment_words, block_words, discord_words, slack_words
from tests.fakes.payloads import discord as dframes
from tests.fakes.payloads import slack as sframes


def test_text_wins_and_attachments_add_their_words() -> None:
    msg = {"type": "message", "text": "See the runbook", "blocks": [sframes.rich_text("x")],
           "attachments": [sframes.attachment(pretext="Ops", title="Failover", text="Steps",
                                              field=("Owner", "DBA"), fallback="Failover")]}
    assert slack_words(msg).splitlines() == ["See the runbook", "Ops", "Bobby Tables",
                                             "Failover", "Steps", "Owner: DBA", "Slack API"]


def test_empty_text_reads_the_blocks() -> None:
    msg = sframes.app_message(team="T1", blocks=[
        sframes.section("*Freeze* Friday", "Owner: <@U1>"),
        {"type": "header", "text": {"type": "plain_text", "text": "Heads up"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "by ops"},
                                         {"type": "image", "image_url": "x", "alt_text": "y"}]},
        {"type": "divider"},
        {"type": "rich_text", "elements": [
            {"type": "rich_text_section", "elements": [
                {"type": "text", "text": "ask "}, {"type": "user", "user_id": "U2"},
                {"type": "text", "text": " in "}, {"type": "channel", "channel_id": "C9"},
                {"type": "text", "text": " or "},
                {"type": "link", "url": "https://x.example", "text": "the wiki"},
                {"type": "emoji", "name": "books"}, {"type": "broadcast", "range": "here"}]},
            {"type": "rich_text_list", "style": "bullet", "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]},
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "two"}]}]},
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "quoted"}]},
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "code"}]},
        ]},
    ])
    assert slack_words(msg).splitlines() == [
        "*Freeze* Friday", "Owner: <@U1>", "Heads up", "by ops",
        "ask <@U2> in <#C9> or <https://x.example|the wiki>:books:<!here>", "one", "two",
        "quoted", "code"]


def test_an_attachment_with_only_a_fallback_gives_the_fallback() -> None:
    assert attachment_words({"fallback": "Plain summary", "color": "#36a64f"}) == "Plain summary"
    assert attachment_words({"image_url": "https://x.example/a.png"}) == ""
    assert block_words({"type": "image", "image_url": "x", "alt_text": "y"}) == ""


def test_no_words_anywhere_is_empty_and_odd_shapes_do_not_crash() -> None:
    assert slack_words({"type": "message", "text": ""}) == ""
    assert slack_words({"text": None, "blocks": [None, 3, {"type": "section"}],
                        "attachments": ["x", {"fields": [None, {"title": "", "value": ""}]}]}
                       ) == ""


def test_bolt_shortcut_sample_message_reads_its_text() -> None:
    msg = {"client_msg_id": "zzzz-111-222-xxx-yyy", "type": "message", "text": "<@W222> test",
           "user": "W111", "ts": "1583636382.000300", "team": "T111",
           "blocks": [sframes.rich_text(" test", mention="U222")]}
    assert slack_words(msg) == "<@W222> test"
    assert slack_words({**msg, "text": ""}) == "<@U222> test"


def test_discord_content_else_embeds() -> None:
    embed = dframes.rich_embed()
    assert discord_words("hello", [embed]) == "hello"
    assert discord_words("", [embed]).splitlines() == [
        "On-call", "Incident review: payments outage",
        "Root cause was an expired TLS certificate on the gateway.",
        "Action: Automate certificate renewal", "Owner: Platform team", "Status bot"]
    assert discord_words("  ", [{"type": "image", "url": "https://x.example"}]) == ""
