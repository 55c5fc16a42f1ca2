"""Settings from the environment and a ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path("data"), validation_alias=_env("HROMADA_DATA_DIR"))
    database_url: str | None = Field(default=None, validation_alias=_env("HROMADA_DATABASE_URL"))
    secret_key: SecretStr | None = Field(default=None, validation_alias=_env("HROMADA_SECRET_KEY"))
    log_level: str = Field(default="INFO", validation_alias=_env("HROMADA_LOG_LEVEL"))
    log_format: Literal["text", "json"] = Field(default="text",
                                                validation_alias=_env("HROMADA_LOG_FORMAT"))

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_client_id: str | None = Field(default=None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_CLIENT_SECRET")
    )
    slack_api_url: str | None = Field(default=None, validation_alias=_env("SLACK_API_URL"))
    port: int = Field(default=3000, validation_alias=_env("PORT"))
    # Where people reach the web pages (redirect URIs, sign-in links, "Open in Hromada" links
    # in chat); unset: http://127.0.0.1:$PORT, and chat replies carry no links.
    public_url: str | None = Field(default=None, validation_alias=_env("HROMADA_PUBLIC_URL"))
    # Threads for core calls in each adapter; unset: none on SQLite (the core runs on the
    # event loop: a hand-off to a thread cost more than most commands), two on PostgreSQL
    # (its round trips release the GIL, so threads overlap them).
    slack_core_workers: int | None = Field(default=None, ge=0, le=16,
                                           validation_alias=_env("HROMADA_SLACK_CORE_WORKERS"))
    discord_core_workers: int | None = Field(
        default=None, ge=0, le=16, validation_alias=_env("HROMADA_DISCORD_CORE_WORKERS"))

    discord_token: SecretStr | None = Field(default=None, validation_alias=_env("DISCORD_TOKEN"))
    # "Sign in with Discord" on the web pages (OAuth2, scopes identify and guilds).
    discord_client_id: str | None = Field(default=None,
                                          validation_alias=_env("DISCORD_CLIENT_ID"))
    discord_client_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("DISCORD_CLIENT_SECRET")
    )
    discord_api_url: str | None = Field(default=None, validation_alias=_env("DISCORD_API_URL"))
    discord_shard_count: int | None = Field(
        default=None, validation_alias=_env("DISCORD_SHARD_COUNT")
    )
    # The shards this process runs (e.g. "0,1"); the others run elsewhere on the same store.
    discord_shard_ids: tuple[int, ...] | None = Field(
        default=None, validation_alias=_env("DISCORD_SHARD_IDS")
    )
    # Discord allows one IDENTIFY per rate-limit bucket per 5 s; tests shorten the window.
    discord_identify_window: float = Field(
        default=5.0, gt=0, le=60, validation_alias=_env("DISCORD_IDENTIFY_WINDOW")
    )
    # Unset: asked from GET /gateway/bot (session_start_limit.max_concurrency).
    discord_max_concurrency: int | None = Field(
        default=None, ge=1, validation_alias=_env("DISCORD_MAX_CONCURRENCY")
    )
    # The privileged server members intent: member joins start onboarding journeys. Off by
    # default; turn it on in the Developer Portal too, or Discord refuses the connection.
    discord_members_intent: bool = Field(
        default=False, validation_alias=_env("DISCORD_MEMBERS_INTENT")
    )
    # How often each process looks for due digests (tests run it fast).
    scheduler_tick_seconds: float = Field(
        default=60, ge=0.1, le=3600, validation_alias=_env("HROMADA_SCHEDULER_TICK_SECONDS")
    )

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _shard_id_list(cls, value: object) -> object:
        """``DISCORD_SHARD_IDS=0,1`` (or a list); an empty value means every shard."""
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not parts:
                return None
            if not all(p.isascii() and p.isdigit() for p in parts):
                raise ValueError("DISCORD_SHARD_IDS must be shard numbers separated by commas, "
                                 f"like 0,1 (got {value!r})")
            return tuple(int(p) for p in parts)
        if isinstance(value, int):  # one shard: the environment's "1" arrives decoded as JSON
            return (value,)
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        ids = self.discord_shard_ids
        if ids is None:
            return self
        count = self.discord_shard_count
        if not count:
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total number of "
                             "shards over all processes)")
        wrong = [i for i in ids if i >= count]
        if wrong:
            raise ValueError(f"DISCORD_SHARD_IDS {list(wrong)} must be below DISCORD_SHARD_COUNT "
                             f"{count} (shards are numbered from 0)")
        if len(set(ids)) != len(ids):
            raise ValueError("DISCORD_SHARD_IDS names a shard twice")
        return self

    @property
    def web_url(self) -> str:
        """The web pages' base URL, without a trailing slash."""
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    @property
    def effective_database_url(self) -> str:
        from storage.db import default_url

        return self.database_url or default_url(self.data_dir)

    def masked(self) -> dict[str, str]:
        """The effective configuration, secrets shown only as set or unset."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown = "****** (set)"
            elif value is None:
                shown = "(unset)"
            else:
                shown = str(value)
            out[name.upper()] = shown
        out["DATABASE (effective)"] = _mask_url(self.effective_database_url)
        return out


def _mask_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
