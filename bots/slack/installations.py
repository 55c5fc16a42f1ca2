"""Multi-workspace installs kept in our own database, tokens encrypted.

slack_sdk's SQLAlchemy stores are synchronous; Bolt's ``AsyncApp`` wants async ones. These
wrappers run the synchronous store in a worker thread, so one engine (ours, migrated by Alembic
revisions 0004 and 0012) serves the core and the installs alike. The tables are never created at
runtime. Every token is encrypted on its way in and decrypted on its way out
(``storage.tokens``): the rows never hold a usable token.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from logging import Logger
from typing import Any, TypeVar

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from storage.tokens import TokenCipher

log = logging.getLogger(__name__)

T = TypeVar("T", Installation, Bot)
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")

STATE_SECONDS = 600


class DbInstallationStore(AsyncInstallationStore):
    """Installations and bot tokens per workspace, in the ``slack_installations``/``slack_bots``
    tables."""

    def __init__(self, *, client_id: str, engine: Engine, cipher: TokenCipher,
                 on_install: Callable[[str | None], None] | None = None) -> None:
        self.sync = SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=log)
        self.cipher = cipher
        self.on_install = on_install

    @property
    def logger(self) -> Logger:
        return log

    def _sealed(self, value: Installation | Bot) -> Installation | Bot:
        sealed = copy.copy(value)
        for name in TOKEN_FIELDS:
            if hasattr(sealed, name):
                setattr(sealed, name, self.cipher.encrypt(getattr(sealed, name)))
        return sealed

    def _opened(self, value: T | None) -> T | None:
        if value is not None:
            for name in TOKEN_FIELDS:
                if hasattr(value, name):
                    setattr(value, name, self.cipher.decrypt(getattr(value, name)))
        return value

    def _save(self, installation: Installation) -> None:
        self.sync.save(self._sealed(installation))  # type: ignore[arg-type]
        if self.on_install is not None:
            self.on_install(installation.team_id)

    def _save_bot(self, bot: Bot) -> None:
        self.sync.save_bot(self._sealed(bot))  # type: ignore[arg-type]

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self._save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self._save_bot, bot)

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        found = await asyncio.to_thread(self.sync.find_bot, enterprise_id=enterprise_id,
                                        team_id=team_id,
                                        is_enterprise_install=is_enterprise_install)
        return await asyncio.to_thread(self._opened, found)

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False,
                                      ) -> Installation | None:
        found = await asyncio.to_thread(self.sync.find_installation,
                                        enterprise_id=enterprise_id, team_id=team_id,
                                        user_id=user_id,
                                        is_enterprise_install=is_enterprise_install)
        return await asyncio.to_thread(self._opened, found)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.sync.delete_bot, enterprise_id=enterprise_id,
                                team_id=team_id)

    async def async_delete_installation(self, *, enterprise_id: str | None,
                                        team_id: str | None, user_id: str | None = None) -> None:
        await asyncio.to_thread(self.sync.delete_installation, enterprise_id=enterprise_id,
                                team_id=team_id, user_id=user_id)


class DbStateStore(AsyncOAuthStateStore):
    """OAuth ``state`` values, single use, ten minutes, in ``slack_oauth_states``."""

    def __init__(self, *, engine: Engine, expiration_seconds: int = STATE_SECONDS) -> None:
        self.sync = SQLAlchemyOAuthStateStore(expiration_seconds=expiration_seconds,
                                              engine=engine, logger=log)

    @property
    def logger(self) -> Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.sync.issue, *args, **kwargs)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.sync.consume, state)
