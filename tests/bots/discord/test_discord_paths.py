"""The adapter's less travelled paths: deferral, apologies, deliveries, translation, rendering."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from discord.app_commands import locale_str
from discord.app_commands.translator import TranslationContextLocation as Loc
from PIL import Image

import bots.discord.bot as discord_bot
from bots.discord.commands import discord_routes, translate_for
from bots.discord.render import neutralise, render
from bots.discord.runner import restore_api
from core.app import Hromada
from core.commands import REGISTRY
from core.registry import P, Param, Registry
from core.replies import Action, Notice, Reply, Visibility
from core.text import Mention, Rich, UserText
from tests.bots.discord.harness import DiscordHarness, embed_text


async def test_direct_answers_when_not_acking_first(
    discord_h: DiscordHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ACK_FIRST a quick core call is answered in the callback itself (type 4)."""
    monkeypatch.setattr(discord_bot, "ACK_FIRST", False)
    h = discord_h
    alice = h.user("alice")
    call = await h.command(alice, "idea submit", {"text": "Direct idea"})
    assert call.callback.body["type"] == 4 and call.ephemeral and "I-1" in call.text
    assert "I-1" in embed_text(h.posted()[-1].body)
    assert not h.fake.rest("PATCH")
    listed = await h.command(alice, "idea list", {})
    assert listed.callback.body["type"] == 4 and "Direct idea" in listed.text


@asynccontextmanager
async def with_core_workers(hromada: Hromada, monkeypatch: pytest.MonkeyPatch,
                            workers: int) -> AsyncIterator[DiscordHarness]:
    """A harness whose adapter runs the core in ``workers`` threads, as the setting asks."""
    monkeypatch.setenv("HROMADA_DISCORD_CORE_WORKERS", str(workers))
    h = DiscordHarness(hromada)
    await h.start()
    try:
        assert h.adapter is not None and h.adapter._workers == workers
        yield h
    finally:
        await h.stop()


async def test_slow_core_work_is_deferred_then_answered_by_an_edit(
    hromada: Hromada, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With core threads (PostgreSQL's default) and without ACK_FIRST, past the budget the
    interaction is deferred, then edited."""
    monkeypatch.setattr(discord_bot, "ACK_FIRST", False)
    monkeypatch.setattr(discord_bot, "ACK_AFTER", 0)
    async with with_core_workers(hromada, monkeypatch, 2) as h:
        alice = h.user("alice")
        call = await h.command(alice, "idea submit", {"text": "Deferred idea"})
        assert call.deferred and call.ephemeral and "I-1" in call.text
        assert "I-1" in embed_text(h.posted()[-1].body)
        listed = await h.command(alice, "idea list", {})
        assert listed.deferred and "Deferred idea" in listed.text


def test_core_threads_by_store(hromada: Hromada) -> None:
    """Unset, the adapters run the core on the loop on SQLite and in two threads on
    PostgreSQL; a configured number always wins."""
    from bots.runtime import core_workers

    assert core_workers(None, hromada) == (0 if hromada.db.is_sqlite else 2)
    assert core_workers(3, hromada) == 3
    assert core_workers(0, hromada) == 0


async def test_unexpected_error_is_logged_with_request_id_and_apologised(
    discord_h: DiscordHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = discord_h

    def broken(*_a: object, **_k: object) -> Reply:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(h.hromada, "invoke", broken)
    with caplog.at_level(logging.ERROR, logger="bots.discord.bot"):
        call = await h.command(h.user("alice"), "idea list", {})
    text = call.text
    request_id = call.callback.path.split("/")[2]
    assert "Sorry" in text and request_id in text
    assert "disk on fire" not in text
    record = next(r for r in caplog.records if r.getMessage() == "discord request failed")
    assert record.request_id == request_id  # type: ignore[attr-defined]


async def test_delivery_posts_images_and_direct_messages(
    discord_h: DiscordHarness, tmp_path: Path
) -> None:
    h = discord_h
    alice = h.user("alice")
    picture = tmp_path / "risks.png"
    Image.new("RGB", (4, 4), "white").save(picture)
    delivery = h.deliveries.for_tenant(h.tenant)
    assert delivery is not None and delivery.platform == "discord"
    reply = Reply(text=Rich(("Weekly digest ", UserText("@everyone"))),
                  visibility=Visibility.PUBLIC, image=picture)
    await delivery.post(h.tenant, str(h.channel), reply)
    post = h.posted()[-1]
    assert post.files == ["risks.png"]
    assert post.body["embeds"][0]["image"]["url"] == "attachment://risks.png"
    assert post.body["allowed_mentions"]["parse"] == []
    assert "@\u200beveryone" in embed_text(post.body)
    await delivery.notify(h.tenant, [Notice((alice["id"],), Rich(("I-1 is now done.",)))])
    assert h.dms(alice) == ["I-1 is now done."]


def test_render_neutralises_user_text_and_keeps_bot_words() -> None:
    assert neutralise("hi @everyone <@123> <@!45> <@&6> <#7> <!here> @here") == (
        "hi @\u200beveryone <\u200b@123> <\u200b@!45> <\u200b@&6> <\u200b#7> <\u200b!here> "
        "@\u200bhere")
    reply = Reply(text=Rich(("Thanks ", Mention("99", "bo"), " for ", UserText("@here x"))),
                  actions=[Action("Submit anyway", "dup.submit", "4", "primary")])
    out = render(reply)
    assert out.ephemeral
    assert out.embed.description == "Thanks <@99> for @\u200bhere x"
    kwargs = out.send_kwargs()
    assert kwargs["allowed_mentions"].to_dict()["parse"] == []
    button = kwargs["view"].children[0]
    assert button.custom_id == "h:dup.submit:4" and button.label == "Submit anyway"


def test_translator_uses_catalogs_and_never_sends_invalid_names() -> None:
    assert translate_for("uk", locale_str("idea", name="idea"), Loc.group_name,
                         menu=False) == "ідея"
    assert translate_for("uk", locale_str("zzz-unknown"), Loc.command_name, menu=False) is None
    described = translate_for("uk", locale_str("Submit an idea; everyone can vote on it.",
                                               msgid="Submit an idea; everyone can vote on it."),
                              Loc.command_description, menu=False)
    assert described and described != "Submit an idea; everyone can vote on it."
    assert translate_for("uk", locale_str("Save to knowledge"), Loc.command_name,
                         menu=True) == "Зберегти в знання"
    assert translate_for("en", locale_str("idea", name="idea"), Loc.group_name,
                         menu=False) is None


def test_routes_cover_every_registry_command_once() -> None:
    routes = discord_routes(REGISTRY)
    assert sorted(r.command.path for r in routes) == sorted(c.path for c in REGISTRY.commands)
    assert len({r.names for r in routes}) == len(routes)
    by_path = {r.command.path: r.names for r in routes}
    assert by_path[("idea", "submit")] == ("idea", "submit")
    assert by_path[("hromada", "settings")] == ("hromada", "settings", "show")
    assert by_path[("hromada", "settings", "language")] == ("hromada", "settings", "language")


def test_routes_refuse_paths_discord_cannot_hold() -> None:
    reg = Registry()
    reg.group("deep", "too deep")
    reg.command("deep a b c", Param("x", P.WORD), help="x")(lambda ctx, x: Reply(Rich()))
    with pytest.raises(ValueError, match="too deep"):
        discord_routes(reg)
    alone = Registry()
    alone.group("kudos", "kudos")
    alone.command("kudos", Param("text", P.TEXT), help="thanks")(lambda ctx, text: Reply(Rich()))
    assert [r.names for r in discord_routes(alone)] == [("kudos",)]


async def test_cli_discord_sync_registers_in_a_guild(db_url: str, tmp_path: Path) -> None:
    """``hromada discord sync --guild ID`` end to end against the fake (run in a thread,
    since the command starts its own event loop)."""
    import discord.gateway
    import discord.http
    from typer.testing import CliRunner

    from bots.cli import app
    from tests.fakes.discord_server import FakeDiscord

    fake = FakeDiscord()
    guild = fake.add_guild()
    await fake.start()
    saved_api = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    root = logging.getLogger()
    saved_log = (root.handlers[:], root.level)
    env = {"DISCORD_TOKEN": "cli-token", "DISCORD_API_URL": fake.url,
           "HROMADA_DATABASE_URL": db_url, "HROMADA_DATA_DIR": str(tmp_path),
           "HROMADA_SECRET_KEY": "k"}
    try:
        result = await asyncio.to_thread(
            CliRunner().invoke, app, ["discord", "sync", "--guild", str(guild.id)], env=env)
    finally:
        root.handlers[:], _ = saved_log
        root.setLevel(saved_log[1])
        restore_api(*saved_api)
        await fake.stop()
    assert result.exit_code == 0, result.output
    assert f"guild {guild.id}" in result.output and "idea" in result.output
    assert {c["name"] for c in fake.commands[str(guild.id)]} >= {"idea", "kb", "hromada"}
    assert fake.calls[0].path == "/users/@me"


async def test_a_refused_post_is_logged_and_the_bot_keeps_serving(
    discord_h: DiscordHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """No access to the channel: the idea is saved, the member gets the card privately with
    "Post it again", the failure is logged with the request id, and the next command works."""
    h = discord_h
    alice = h.user("alice")
    h.fake.fail_next("POST", f"/channels/{h.channel}/messages")
    with caplog.at_level(logging.WARNING, logger="bots.discord.bot"):
        call = await h.command(alice, "idea submit", {"text": "Posted nowhere"})
    assert "I-1" in call.text and "Post it again" in h.buttons(call)
    failed = [r for r in caplog.records
              if r.getMessage().startswith("item card not posted")]
    assert failed and failed[0].request_id == call.callback.path.split("/")[2]  # type: ignore[attr-defined]
    listed = await h.command(alice, "idea list", {})
    assert "Posted nowhere" in listed.text


async def test_ack_first_defers_before_the_core_runs(
    discord_h: DiscordHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ACK_FIRST the first callback is the empty "thinking" defer; the answer edits it."""
    monkeypatch.setattr(discord_bot, "ACK_FIRST", True)
    h = discord_h
    alice = h.user("alice")
    call = await h.command(alice, "idea submit", {"text": "Deferred first"})
    assert call.callback.body["type"] == 5 and call.ephemeral and "I-1" in call.text
    assert "I-1" in embed_text(h.posted()[-1].body)


async def test_core_on_the_loop_answers_in_the_first_callback(
    hromada: Hromada, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HROMADA_DISCORD_CORE_WORKERS=0: no pool; the answer is always ready, never deferred,
    even with a zero budget (a pool would defer here: see the test above)."""
    monkeypatch.setattr(discord_bot, "ACK_AFTER", 0)
    async with with_core_workers(hromada, monkeypatch, 0) as h:
        alice = h.user("alice")
        call = await h.command(alice, "idea submit", {"text": "Inline idea"})
        assert call.callback.body["type"] == 4 and call.ephemeral and "I-1" in call.text
        assert "I-1" in embed_text(h.posted()[-1].body)
        listed = await h.command(alice, "idea list", {})
        assert listed.callback.body["type"] == 4 and "Inline idea" in listed.text
