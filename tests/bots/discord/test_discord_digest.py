"""The weekly digest on Discord: `/digest here` names the channel, the scheduler posts an embed
there once, its heat map follows as a reply to it, and nobody is pinged. A failing attachment
never posts the digest again."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bots.scheduler import DigestRunner
from core import outbox
from tests.bots.discord.harness import DiscordHarness


async def _seed(h: DiscordHarness) -> None:
    alice, bob, boss = h.user("alice"), h.user("bob"), h.user("boss", admin=True)
    await h.command(alice, "idea submit", {"text": "Quiet hours @everyone on Wednesdays"})
    card = h.last_card()
    await h.react(bob, h.channel, card["id"], "👍", added=True)
    await h.command(alice, "risk add", {"title": "Only one person can renew TLS"})
    await h.command(alice, "risk rate", {"ref": "R-1", "likelihood": 4, "impact": 5})
    await h.command(boss, "digest here", {})


def _digests(h: DiscordHarness) -> list[dict]:
    return [m for m in h.posted_messages()
            if "I-1" in json.dumps(m, ensure_ascii=False)
            and "R-1" in json.dumps(m, ensure_ascii=False)]


async def test_digest_here_then_scheduled_post(hromada, clock, tmp_path: Path) -> None:
    h = DiscordHarness(hromada)
    await h.start()
    try:
        await _seed(h)
        clock.advance(timedelta(days=7))
        runner = DigestRunner(hromada, h.deliveries, image_dir=tmp_path)
        first = await runner.tick()
        again = await runner.tick()

        assert len(first) == 1 and again == []
        (digest,) = _digests(h)
        bodies = [c.body for c in h.posted(h.channel) if "I-1" in json.dumps(c.body)]
        assert bodies[-1].get("allowed_mentions", {}).get("parse") == []
        assert "@everyone" not in json.dumps(bodies, ensure_ascii=False)
        pictures = [c for c in h.posted(h.channel) if c.files]
        assert len(pictures) == 1, "the heat map follows once"
        assert str(pictures[0].body["message_reference"]["message_id"]) == digest["id"]
        assert pictures[0].body.get("allowed_mentions", {}).get("parse") == []
    finally:
        await h.stop()


async def test_a_failing_attachment_never_posts_the_digest_twice(hromada, clock,
                                                                  tmp_path: Path) -> None:
    h = DiscordHarness(hromada)
    await h.start()
    try:
        await _seed(h)
        h.fake.failing_uploads = 1_000  # the attachment never goes through
        clock.advance(timedelta(days=7))
        runner = DigestRunner(hromada, h.deliveries, image_dir=tmp_path)
        for _ in range(40):  # forty minutes of scheduler ticks
            await runner.tick()
            clock.advance(timedelta(minutes=1))
        assert len(_digests(h)) == 1
        uploads = [c for c in h.posted(h.channel) if c.files]
        assert len(uploads) == outbox.PICTURE_TRIES  # bounded, then given up
        assert all(str(c.body["message_reference"]["message_id"]) == _digests(h)[0]["id"]
                   for c in uploads)
    finally:
        await h.stop()
