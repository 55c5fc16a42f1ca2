"""The bot removed from a server (GUILD_DELETE) is an uninstall; an outage is not; a rejoin is
an install within the retention period."""

from __future__ import annotations

from core import lifecycle
from tests.bots.discord.harness import DiscordHarness
from tests.bots.discord.test_discord_adapter import submit


def state(h: DiscordHarness):
    return next(r for r in lifecycle.tenants(h.hromada.db) if r.id == h.tenant)


async def test_removed_from_a_server_then_back(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice = h.user("alice")
    card = await submit(h, alice, "Quiet hours on Wednesday mornings")
    assert state(h).uninstalled_at is None

    # An outage: GUILD_DELETE with unavailable is not a removal.
    await h.fake.dispatch(h.guild.id, "GUILD_DELETE", {"id": str(h.guild.id),
                                                       "unavailable": True})
    await h.react(h.user("bob"), h.channel, card["id"], "👍")  # frames arrive in order
    assert state(h).uninstalled_at is None

    # Kicked: GUILD_DELETE without ``unavailable`` (discord-api-docs: "the user was removed").
    await h.fake.dispatch(h.guild.id, "GUILD_CREATE", h.fake.guild_payload(h.guild))
    await h.fake.dispatch(h.guild.id, "GUILD_DELETE", {"id": str(h.guild.id)})
    await h._until_finished(f"guild_remove:{h.guild.id}", 1)
    gone = state(h)
    assert gone.uninstalled_at is not None and gone.items == 1

    # Invited back: a GUILD_CREATE for a server the bot is not in, without ``unavailable``
    # (that field marks a server coming back from an outage), is a join.
    joined = {k: v for k, v in h.fake.guild_payload(h.guild).items() if k != "unavailable"}
    await h.fake.dispatch(h.guild.id, "GUILD_CREATE", joined)
    await h._until_finished(f"guild_join:{h.guild.id}", 1)
    back = state(h)
    assert back.uninstalled_at is None and back.items == 1


async def test_the_discord_token_is_never_stored(discord_h: DiscordHarness) -> None:
    """The bot token lives in DISCORD_TOKEN only: no table holds it, after real traffic."""
    from tests.bots.slack.test_slack_tokens import raw_dump

    h = discord_h
    await submit(h, h.user("alice"), "Quiet hours on Wednesday mornings")
    token = h.settings().discord_token
    assert token is not None
    dump = raw_dump(h.hromada)
    assert "Quiet hours" in dump  # the store was read, and it is the one the bot wrote to
    assert token.get_secret_value() not in dump
