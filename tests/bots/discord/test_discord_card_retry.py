"""An item card Discord refused: its author gets it privately with "Post it again", which
posts it once so reactions reach the item."""

from __future__ import annotations

from tests.bots.discord.harness import DiscordHarness
from tests.bots.store_checks import score


async def test_a_refused_card_offers_post_it_again(hromada) -> None:
    h = DiscordHarness(hromada)
    await h.start()
    try:
        alice, bob = h.user("alice"), h.user("bob")
        h.fake.fail_next("POST", f"/channels/{h.channel}/messages", 403)
        answer = await h.command(alice, "idea submit", {"text": "Standing desks for support"})
        assert h.posted_messages() == []
        assert "Post it again" in h.buttons(answer)
        assert "I could not post I-1" in str(answer.body)

        await h.click(alice, answer, "Post it again")
        [card] = h.posted_messages()
        assert "I-1" in str(card)
        await h.react(bob, h.channel, card["id"], "👍")
        assert score(hromada, "idea", 1) == 1
        await h.click(alice, answer, "Post it again")  # pressed twice: still one card
        assert len(h.posted_messages()) == 1
    finally:
        await h.stop()
