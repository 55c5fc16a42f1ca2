"""One-time sign-in links for the web pages (``hromada web login``): only a hash is kept.

A link is good for ``WebLogin.expires_at`` and for one use: redeeming is one conditional
UPDATE, so two clicks at the same moment cannot both sign in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, update
from sqlmodel import Field, Session, SQLModel, select


class WebLogin(SQLModel, table=True):
    __tablename__ = "web_login"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the link's token: a copy of the store signs nobody in.
    token_hash: str = Field(max_length=64, unique=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100, index=True)
    user_id: str = Field(max_length=100)
    display_name: str = Field(default="", max_length=200)
    is_admin: bool = False
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None,
                                     sa_column=Column(DateTime(timezone=True), nullable=True))


def add(session: Session, row: WebLogin) -> WebLogin:
    session.add(row)
    session.flush()
    return row


def redeem(session: Session, token_hash: str, now: datetime) -> WebLogin | None:
    """Mark the link used and return it; None when unknown, expired or used already."""
    done = session.execute(
        update(WebLogin)
        .where(WebLogin.token_hash == token_hash,  # type: ignore[arg-type]
               WebLogin.used_at.is_(None),  # type: ignore[union-attr]
               WebLogin.expires_at > now)  # type: ignore[arg-type,operator]
        .values(used_at=now))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.execute(
        select(WebLogin).where(WebLogin.token_hash == token_hash)).scalars().one()


def usable(session: Session, token_hash: str, now: datetime) -> bool:
    """Whether the link would still sign in (unused, unexpired), without using it."""
    row = session.execute(
        select(WebLogin).where(WebLogin.token_hash == token_hash)).scalars().first()
    if row is None or row.used_at is not None:
        return False
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite hands back naive UTC
        from datetime import UTC

        expires = expires.replace(tzinfo=UTC)
    return expires > now


def sweep(session: Session, now: datetime) -> int:
    """Links past their time go (used or not)."""
    from sqlalchemy import delete

    gone = session.execute(delete(WebLogin).where(
        WebLogin.expires_at <= now))  # type: ignore[arg-type,operator]
    return int(gone.rowcount)  # type: ignore[attr-defined]
