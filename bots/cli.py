"""The ``hromada`` command line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import typer

from core.config import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Hromada: an internal social network inside Slack and Discord.")
db_app = typer.Typer(no_args_is_help=True, help="The store: migrations.")
app.add_typer(db_app, name="db")
discord_app = typer.Typer(no_args_is_help=True, help="Discord: application commands.")
app.add_typer(discord_app, name="discord")


def _settings() -> Settings:
    from pydantic import ValidationError

    from bots.runtime import setup_logging

    try:
        settings = Settings()
    except ValidationError as exc:  # a bad setting: one line each, no traceback
        for error in exc.errors():
            typer.echo(f"hromada: {str(error['msg']).removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None
    setup_logging(settings.log_level, settings.log_format)
    return settings


@contextmanager
def _refusing() -> Iterator[None]:
    """A process whose key is not the deployment's stops here: one line, exit status 2."""
    from core.keys import KeyMismatch

    try:
        yield
    except KeyMismatch as exc:
        typer.echo(f"hromada: refusing to start: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve() -> None:
    """Run every configured platform with the scheduler; the console chat when none is."""
    settings = _settings()
    slack = settings.slack_bot_token is not None or settings.slack_client_id  # token or OAuth
    if not slack and settings.discord_token is None:
        _chat(settings, name="you", admin=True, tenant="demo", platforms_hint=True)
        return
    from bots.serve import serve as run_platforms

    with _refusing():
        run_platforms(settings)


@app.command()
def chat(
    as_: str = typer.Option("you", "--as", help="Who you are in the chat."),
    admin: bool = typer.Option(False, "--admin", help="Be a platform admin (moderator)."),
    tenant: str = typer.Option("demo", "--tenant", help="Tenant name, console:NAME."),
) -> None:
    """The console chat: one line a command, from a terminal or a pipe."""
    _chat(_settings(), name=as_, admin=admin, tenant=tenant, platforms_hint=False)


def _chat(settings: Settings, *, name: str, admin: bool, tenant: str,
          platforms_hint: bool) -> None:
    from bots.console.chat import ConsoleChat
    from bots.runtime import build
    from core.clock import OffsetClock

    with _refusing():
        hromada = build(settings, clock=OffsetClock())
    console = ConsoleChat(hromada, tenant=tenant, name=name, admin=admin)
    stop_ops = None
    web_line = ""
    # `hromada serve` with no token (make run) always serves the web; `hromada chat` when PORT
    # is set. Probes and metrics come along on the same port.
    if platforms_hint or "port" in settings.model_fields_set:
        from bots.console.delivery import ConsoleDelivery
        from bots.delivery import Deliveries
        from bots.ops import Ops, serve_in_thread
        from bots.web.app import build_web

        deliveries = Deliveries()
        deliveries.add(ConsoleDelivery(names=console.names, words=console._))
        # Reachable from other machines only when asked for (PORT or a public URL set);
        # `make run`'s demo listens on loopback, where its links point.
        exposed = "port" in settings.model_fields_set or settings.public_url is not None
        try:
            stop_ops = serve_in_thread(Ops(hromada, web=build_web(hromada, settings,
                                                                  deliveries)),
                                       port=settings.port,
                                       host="0.0.0.0" if exposed else "127.0.0.1")
            web_line = (f"Web view: {settings.web_url}/ (sign in with: hromada web login "
                        f"--as {name}{' --admin' if admin else ''} --tenant {tenant})")
        except OSError as exc:
            web_line = (f"Web view not served: port {settings.port} is taken "
                        f"({exc.strerror}); set PORT to another port. The chat goes on.")
    interactive = sys.stdin.isatty()
    if interactive or platforms_hint:
        console.greet(platforms=platforms_hint)
    if web_line and (interactive or platforms_hint):
        typer.echo(web_line)
    try:
        if interactive:
            while True:
                try:
                    line = input("> ")
                except EOFError:
                    break
                if line.strip() in ("quit", "exit"):
                    break
                console.handle(line) if line.strip() else None
        else:
            console.run(sys.stdin)
    except KeyboardInterrupt:
        pass
    finally:
        if stop_ops is not None:
            stop_ops()
        hromada.db.dispose()


web_app = typer.Typer(no_args_is_help=True, help="The web pages.")
app.add_typer(web_app, name="web")


@web_app.command("login")
def web_login(
    as_: str = typer.Option("you", "--as", help="The console member to sign in as."),
    admin: bool = typer.Option(False, "--admin", help="As a platform admin (moderator)."),
    tenant: str = typer.Option("demo", "--tenant", help="Tenant name, console:NAME."),
) -> None:
    """Print a one-time link (10 minutes, one use) that signs a console member in to the web."""
    from bots.runtime import build
    from core import web_login as links

    settings = _settings()
    with _refusing():
        hromada = build(settings)
    try:
        token = links.issue(hromada.db, hromada.clock, tenant_id=_tenant_id(tenant),
                            name=as_, admin=admin)
    finally:
        hromada.db.dispose()
    typer.echo(f"{settings.web_url}/login/link/{token}")
    typer.echo(f"(one use, valid {int(links.LINK_TTL.total_seconds() // 60)} minutes)",
               err=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured store (and seal tokens stored before)."""
    from bots.runtime import deployment_secret
    from storage.db import Database
    from storage.tokens import TokenCipher

    settings = _settings()
    db = Database(settings.effective_database_url)
    try:
        db.upgrade()
        TokenCipher(db.engine, deployment_secret(settings, db)).encrypt_plaintext()
    finally:
        db.dispose()
    typer.echo("store is up to date")


keys_app = typer.Typer(no_args_is_help=True, help="The keys that encrypt stored tokens.")
app.add_typer(keys_app, name="keys")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored platform token under a fresh key and delete the old keys."""
    from bots.runtime import deployment_secret
    from storage.db import Database
    from storage.tokens import TokenCipher, WrongSecret

    settings = _settings()
    db = Database(settings.effective_database_url)
    try:
        db.upgrade()
        count = TokenCipher(db.engine, deployment_secret(settings, db)).rotate()
    except WrongSecret as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    typer.echo(f"re-encrypted {count} tokens under a new key; old keys deleted")


@app.command()
def config() -> None:
    """Print the effective configuration, secrets masked."""
    for key, value in _settings().masked().items():
        typer.echo(f"{key}={value}")


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.command()
def export(
    tenant: str = typer.Option(..., "--tenant",
                               help="slack:T0123, discord:81234, or a console name."),
    format: ExportFormat = typer.Option(ExportFormat.json, "--format"),
) -> None:
    """Write every item of a tenant to stdout."""
    from core.export import export as do_export
    from storage.db import Database

    settings = _settings()
    db = Database(settings.effective_database_url)
    db.upgrade()
    tenant_id = tenant if ":" in tenant else f"console:{tenant}"
    with db.uow() as session:
        sys.stdout.write(do_export(session, tenant_id, format.value))
    db.dispose()


@discord_app.command("sync")
def discord_sync(
    guild: int | None = typer.Option(None, "--guild", help="Register in one guild only (instant)."),
) -> None:
    """Register the application commands, generated from the command registry."""
    import asyncio

    from bots.discord.runner import sync_commands
    from bots.runtime import build

    settings = _settings()
    if settings.discord_token is None:
        typer.echo("DISCORD_TOKEN is not set", err=True)
        raise typer.Exit(2)
    with _refusing():
        hromada = build(settings)
    try:
        names = asyncio.run(sync_commands(hromada, settings, guild_id=guild))
    finally:
        hromada.db.dispose()
    where = f"guild {guild}" if guild else "globally"
    typer.echo(f"synced {len(names)} commands {where}: {', '.join(names)}")


manifest_app = typer.Typer(no_args_is_help=True, help="Platform manifests from the registry.")
app.add_typer(manifest_app, name="manifest")


@manifest_app.command("slack")
def manifest_slack(
    url: str = typer.Option("https://hromada.example.com", "--url",
                            help="Public https:// base URL of this server (HTTP mode)."),
    socket_mode: bool = typer.Option(False, "--socket-mode", help="Socket Mode instead of HTTP."),
    output: str | None = typer.Option(None, "--output", "-o",
                                      help="Write here (e.g. manifests/slack.yaml), not stdout."),
) -> None:
    """The Slack app manifest: commands, scopes, events, shortcut, App Home."""
    from pathlib import Path

    from bots.slack.manifest import manifest_yaml

    try:
        text = manifest_yaml(base_url=url, socket_mode=socket_mode)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--url") from None
    if output:
        Path(output).write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
    else:
        sys.stdout.write(text)


tenant_app = typer.Typer(no_args_is_help=True, help="Workspaces and servers Hromada serves.")
app.add_typer(tenant_app, name="tenant")


def _tenant_id(tenant: str) -> str:
    return tenant if ":" in tenant else f"console:{tenant}"


@tenant_app.command("list")
def tenant_list() -> None:
    """Every tenant: members, items, and when an uninstalled one will be purged."""
    from core import lifecycle
    from storage.db import Database

    db = Database(_settings().effective_database_url)
    try:
        db.upgrade()
        rows = lifecycle.tenants(db)
    finally:
        db.dispose()
    typer.echo(f"{'tenant':<28} {'members':>7} {'items':>6}  state")
    for row in rows:
        state = "active" if row.purge_at is None else (
            f"uninstalled {row.uninstalled_at:%Y-%m-%d}, purged after {row.purge_at:%Y-%m-%d}")
        typer.echo(f"{row.id:<28} {row.members:>7} {row.items:>6}  {state}")


@tenant_app.command("purge")
def tenant_purge(
    tenant: str = typer.Argument(..., help="slack:T0123, discord:81234, or a console name."),
    yes: bool = typer.Option(False, "--yes", help="Really delete everything of this tenant."),
) -> None:
    """Delete every row of one tenant now: items, votes, members, settings, installs."""
    from core import lifecycle
    from storage import lifecycle as store
    from storage.db import Database

    tenant_id = _tenant_id(tenant)
    db = Database(_settings().effective_database_url)
    try:
        db.upgrade()
        with db.engine.connect() as conn:
            rows = store.footprint(conn, tenant_id)
        if not rows:
            typer.echo(f"error: no tenant {tenant_id} (see: hromada tenant list)", err=True)
            raise typer.Exit(1)
        if not yes:
            typer.echo(f"{tenant_id} has {sum(rows.values())} rows in {len(rows)} tables. "
                       "Nothing was deleted; add --yes to delete them all, for good.", err=True)
            raise typer.Exit(2)
        counts = lifecycle.purge(db, tenant_id)
    finally:
        db.dispose()
    typer.echo(f"purged {tenant_id}: {sum(counts.values())} rows")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
