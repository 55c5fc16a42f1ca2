"""Platform tokens at rest: Fernet-encrypted under data keys that the deployment secret wraps.

Envelope encryption: each data key is a random Fernet key, stored only wrapped (encrypted)
under a key derived from the deployment secret. Tokens are encrypted under the newest data key;
``MultiFernet`` still reads tokens written under older ones, so processes keep working while
``hromada keys rotate`` re-encrypts every token under a fresh key and drops the old keys.
A database copy alone therefore holds no usable token, and rotating never needs a new
deployment secret (which also keys anonymous-author hashes and must stay stable).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Column, DateTime, Text, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, SQLModel

log = logging.getLogger(__name__)

PREFIX = "fernet:"  # marks an encrypted value; anything else is a token from before encryption
# Every column that holds a platform token: (table, id column, token columns).
TOKEN_COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("slack_installations", "id",
     ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")),
    ("slack_bots", "id", ("bot_token", "bot_refresh_token")),
)


class TokenKey(SQLModel, table=True):
    __tablename__ = "token_keys"

    id: int | None = Field(default=None, primary_key=True)
    wrapped: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class WrongSecret(RuntimeError):
    """The stored keys were wrapped under another deployment secret."""


def wrapping_key(secret: bytes) -> Fernet:
    """The key-encrypting key: derived from the deployment secret, never stored."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"hromada token data-key wrap v1").derive(secret)
    return Fernet(base64.urlsafe_b64encode(derived))


class TokenCipher:
    """Encrypts and decrypts tokens; keeps the unwrapped data keys in memory only."""

    def __init__(self, engine: Engine, secret: bytes) -> None:
        self.engine = engine
        self.wrap = wrapping_key(secret)
        self._fernet: MultiFernet | None = None

    # -- keys ------------------------------------------------------------------------

    def _load(self, conn: Connection) -> MultiFernet | None:
        rows = conn.execute(select(TokenKey.wrapped).order_by(TokenKey.id.desc())).all()  # type: ignore[union-attr]
        if not rows:
            return None
        keys = []
        for (wrapped,) in rows:
            try:
                keys.append(Fernet(self.wrap.decrypt(wrapped.encode())))
            except InvalidToken:
                raise WrongSecret(
                    "the stored token keys were made with another HROMADA_SECRET_KEY: "
                    "start every process of a deployment with the same secret") from None
        return MultiFernet(keys)

    def _new_key(self, conn: Connection) -> None:
        key = Fernet.generate_key()
        conn.execute(TokenKey.__table__.insert().values(  # type: ignore[attr-defined]
            wrapped=self.wrap.encrypt(key).decode(), created_at=datetime.now(UTC)))

    def _ensure(self, conn: Connection) -> MultiFernet:
        loaded = self._load(conn)
        if loaded is None:
            # Two processes may both create one; both keys stay readable and the newest
            # writes, so no lock is needed for correctness.
            self._new_key(conn)
            loaded = self._load(conn)
        assert loaded is not None
        self._fernet = loaded
        return loaded

    def fernet(self, *, reload: bool = False) -> MultiFernet:
        if self._fernet is None or reload:
            with self.engine.begin() as conn:
                return self._ensure(conn)
        return self._fernet

    # -- values ----------------------------------------------------------------------

    def encrypt(self, value: str | None) -> str | None:
        if not value or value.startswith(PREFIX):
            return value
        return PREFIX + self.fernet().encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        if not value or not value.startswith(PREFIX):
            return value
        token = value[len(PREFIX):].encode()
        try:
            return self.fernet().decrypt(token).decode()
        except InvalidToken:
            # Another process rotated the keys since we loaded them.
            return self.fernet(reload=True).decrypt(token).decode()

    # -- whole store -----------------------------------------------------------------

    def encrypt_plaintext(self) -> int:
        """Encrypts every token still stored in plain text; returns how many."""
        with self.engine.begin() as conn:
            return self.encrypt_plaintext_in(conn)

    def encrypt_plaintext_in(self, conn: Connection) -> int:
        """The same inside a transaction the caller owns (a migration's)."""
        fernet = self._ensure(conn)
        return _rewrite(conn, lambda v: PREFIX + fernet.encrypt(v.encode()).decode())

    def decrypt_all_in(self, conn: Connection) -> int:
        """Back to plain text (a migration's downgrade only)."""
        fernet = self._ensure(conn)
        return _rewrite(conn, lambda v: fernet.decrypt(v[len(PREFIX):].encode()).decode(),
                        encrypted=True)

    def rotate(self) -> int:
        """A fresh data key; every token re-encrypted under it; older keys deleted."""
        with self.engine.begin() as conn:
            old_keys = conn.execute(select(func.count()).select_from(TokenKey)).scalar_one()
            self._new_key(conn)
            new = self._load(conn)
            assert new is not None

            def again(value: str) -> str:
                if not value.startswith(PREFIX):
                    return PREFIX + new.encrypt(value.encode()).decode()
                return PREFIX + new.rotate(value[len(PREFIX):].encode()).decode()

            count = _rewrite(conn, again, everything=True)
            newest = conn.execute(select(TokenKey.id).order_by(TokenKey.id.desc())  # type: ignore[union-attr]
                                  .limit(1)).scalar_one()
            conn.execute(TokenKey.__table__.delete().where(  # type: ignore[attr-defined]
                TokenKey.id != newest))
            log.info("token keys rotated: %d values re-encrypted, %d old keys removed",
                     count, old_keys)
        self._fernet = None
        return count


def _existing(conn: Connection, tables: Iterable[str]) -> set[str]:
    from sqlalchemy import inspect

    names = set(inspect(conn).get_table_names())
    return {t for t in tables if t in names}


def _rewrite(conn: Connection, change: Callable[[str], str], *, everything: bool = False,
             encrypted: bool = False) -> int:
    """Applies ``change`` to every plaintext token value (every value with ``everything``,
    every encrypted one with ``encrypted``)."""
    count = 0
    present = _existing(conn, [t for t, _, _ in TOKEN_COLUMNS])
    for table, key, columns in TOKEN_COLUMNS:
        if table not in present:
            continue
        rows = conn.execute(text(f"SELECT {key}, {', '.join(columns)} FROM {table}")).all()
        for row in rows:
            updates = {}
            for col, value in zip(columns, row[1:], strict=True):
                if not value:
                    continue
                sealed = str(value).startswith(PREFIX)
                if everything or sealed == encrypted:
                    updates[col] = change(str(value))
            if updates:
                sets = ", ".join(f"{c} = :{c}" for c in updates)
                conn.execute(text(f"UPDATE {table} SET {sets} WHERE {key} = :_id"),
                             {**updates, "_id": row[0]})
                count += len(updates)
    return count
