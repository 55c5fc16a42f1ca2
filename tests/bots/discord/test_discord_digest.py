"""The weekly digest on Discord: `/digest here` names the channel, the scheduler posts an embed
there once with the heat map attached, and nobody is pinged."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bots.scheduler import DigestRunner
from tests.bots.discord.harness import DiscordHarness


async def test_digest_here_then_scheduled_post(hromada, clock, tmp_path: Path) -> None:
    h = DiscordHarness(hromada)
    await h.start()
    try:
        alice, bob, boss = h.user("alice"), h.user("bob"), h.user("boss", admin=True)
        await h.command(alice, "idea submit", {"text": "Quiet hours @everyone on Wednesdays"})
        card = h.last_card()
        await h.react(bob, h.channel, card["id"], "👍", added=True)
        await h.command(alice, "risk add", {"title": "Only one person can renew TLS"})
        await h.command(alice, "risk rate", {"ref": "R-1", "likelihood": 4, "impact": 5})
        await h.command(boss, "digest here", {})

        clock.advance(timedelta(days=7))
        runner = DigestRunner(hromada, h.deliveries, image_dir=tmp_path)
        first = await runner.tick()
        again = await runner.tick()

        assert len(first) == 1 and again == []
        digests = [c for c in h.posted(h.channel)
                   if "I-1" in json.dumps(c.body, ensure_ascii=False)
                   and "R-1" in json.dumps(c.body, ensure_ascii=False)
                   and c.files]
        assert len(digests) == 1, "one digest with the heat map attached"
        body = digests[0].body
        assert body.get("allowed_mentions", {}).get("parse") == []
        assert "@everyone" not in json.dumps(body, ensure_ascii=False)
    finally:
        await h.stop()
