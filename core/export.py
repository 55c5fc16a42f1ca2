"""Every item of a tenant as CSV or JSON. Anonymous items carry no author, ever."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import Session

from core.refs import format_ref
from storage import repos
from storage.models import Item, Member

COLUMNS = ["ref", "kind", "title", "body", "status", "author", "score", "up", "down",
           "likelihood", "impact", "owner", "tags", "source_link", "created_at"]


def rows(session: Session, tenant_id: str) -> Iterator[dict[str, object]]:
    members = {m.id: m for m in session.execute(
        select(Member).where(Member.tenant_id == tenant_id)).scalars()}

    def name(member_id: int | None) -> str:
        m = members.get(member_id) if member_id is not None else None
        if m is None:
            return ""
        return "former member" if m.former else m.display_name

    stmt = select(Item).where(Item.tenant_id == tenant_id).order_by(Item.kind, Item.number)
    for item in session.execute(stmt).scalars():
        up, down = repos.tally(session, tenant_id, item.id or 0)
        yield {
            "ref": format_ref(item.kind, item.number),
            "kind": item.kind,
            "title": item.title,
            "body": item.body,
            "status": item.status,
            "author": "anonymous" if item.anonymous else name(item.author_id),
            "score": up - down,
            "up": up,
            "down": down,
            "likelihood": item.likelihood,
            "impact": item.impact,
            "owner": name(item.owner_id),
            "tags": " ".join(repos.tags_of(session, tenant_id, item.id or 0)),
            "source_link": item.source_link or "",
            "created_at": _utc(item.created_at).isoformat(),
        }


def _utc(when: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware: the export says UTC either way."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def export(session: Session, tenant_id: str, fmt: str) -> str:
    data = list(rows(session, tenant_id))
    if fmt == "json":
        return json.dumps({"tenant": tenant_id, "items": data}, ensure_ascii=False, indent=2)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(data)
    return buf.getvalue()
