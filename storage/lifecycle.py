"""A tenant's whole footprint: counted and deleted across every table that carries it.

Tables are read from the live schema, not from the models, so a table that a later migration
adds (or one no model describes, like the search version counters) is never forgotten.
"""

from __future__ import annotations

from sqlalchemy import MetaData, delete, func, select
from sqlalchemy.engine import Connection

SLACK_TABLES = ("slack_installations", "slack_bots")


def _tables(conn: Connection) -> MetaData:
    meta = MetaData()
    meta.reflect(conn, views=False)
    return meta


def footprint(conn: Connection, tenant_id: str) -> dict[str, int]:
    """Rows per table that belong to the tenant (only tables where it has any)."""
    meta = _tables(conn)
    out: dict[str, int] = {}
    for table in meta.sorted_tables:
        if "tenant_id" in table.c:
            n = conn.execute(select(func.count()).select_from(table)
                             .where(table.c.tenant_id == tenant_id)).scalar_one()
            if n:
                out[table.name] = n
    tenant = meta.tables["tenant"]
    if conn.execute(select(func.count()).select_from(tenant)
                    .where(tenant.c.id == tenant_id)).scalar_one():
        out["tenant"] = 1
    return out


def purge(conn: Connection, tenant_id: str) -> dict[str, int]:
    """Deletes every row of the tenant, children before parents; returns rows per table."""
    meta = _tables(conn)
    out: dict[str, int] = {}
    for table in reversed(meta.sorted_tables):
        if "tenant_id" in table.c:
            n = conn.execute(delete(table).where(table.c.tenant_id == tenant_id)).rowcount
            if n:
                out[table.name] = n
    platform, _, team = tenant_id.partition(":")
    if platform == "slack":
        for name in SLACK_TABLES:
            if name in meta.tables:
                table = meta.tables[name]
                n = conn.execute(delete(table).where(table.c.team_id == team)).rowcount
                if n:
                    out[name] = n
    tenant = meta.tables["tenant"]
    if conn.execute(delete(tenant).where(tenant.c.id == tenant_id)).rowcount:
        out["tenant"] = 1
    return out
