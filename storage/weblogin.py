"""One-time sign-in links for the web pages (``hromada web login``): only a hash is kept.

A link is good until ``WebLogin.expires_at`` and for one use: redeeming deletes its row (one
conditional DELETE, so two clicks at the same moment cannot both sign in), and expired rows go
when the next link is made. Nothing of a used link stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, delete
from sqlmodel import Field, Session, SQLModel, col, select


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


def add(session: Session, row: WebLogin) -> WebLogin:
    session.add(row)
    session.flush()
    return row


def redeem(session: Session, token_hash: str, now: datetime) -> WebLogin | None:
    """Use the link up (its row goes) and return it; None when unknown, expired or used."""
    row = session.execute(select(WebLogin).where(
        col(WebLogin.token_hash) == token_hash,
        col(WebLogin.expires_at) > now)).scalars().first()
    if row is None:
        return None
    gone = session.execute(delete(WebLogin).where(col(WebLogin.id) == row.id)
                           .execution_options(synchronize_session=False))
    if gone.rowcount != 1:  # type: ignore[attr-defined]
        return None  # another click took it at the same moment
    session.expunge(row)
    found: WebLogin = row
    return found


def usable(session: Session, token_hash: str, now: datetime) -> bool:
    """Whether the link would still sign in (unused, unexpired), without using it."""
    return session.execute(select(WebLogin.id).where(
        col(WebLogin.token_hash) == token_hash,
        col(WebLogin.expires_at) > now)).first() is not None


def sweep(session: Session, now: datetime) -> int:
    """Links past their time go."""
    gone = session.execute(delete(WebLogin).where(col(WebLogin.expires_at) <= now)
                           .execution_options(synchronize_session=False))
    return int(gone.rowcount)  # type: ignore[attr-defined]
