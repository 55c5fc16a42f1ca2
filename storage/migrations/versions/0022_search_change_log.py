"""search change log: which items changed, in order, so in-process indexes update in place

0005's counters told an in-process search index (``core/search_index.py``) *that* a tenant's
items of a kind changed, not *which*: any update or delete meant reloading the kind, a stall of
seconds at 100,000 items. Now the same triggers also number every insert, update and delete
per tenant and kind (``item_fts_version.seq``) and write the item's id under that number to
``item_fts_change``; an index reads the ids past the number it reflects and reloads only those
rows. The number is taken under the counter row's lock, so it follows commit order, and a
rolled-back write takes its log row with it: the numbers have no gaps. The log keeps the last
``KEEP`` changes per tenant and kind (pruned by the trigger every ``PRUNE_EVERY`` changes); an
index further behind than that is rebuilt beside the one serving and swapped in.

Revision ID: 0022
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEEP = 20_000
PRUNE_EVERY = 1024

TABLE = (
    "CREATE TABLE item_fts_change (tenant_id VARCHAR(100) NOT NULL, kind VARCHAR(16) NOT NULL, "
    "seq BIGINT NOT NULL, item_id BIGINT NOT NULL, PRIMARY KEY (tenant_id, kind, seq))"
)
# 0005's and 0016's definitions (what the downgrade restores): which changes count.
CHANGED = (
    "{o}.title IS {ne} {n}.title OR {o}.search_text IS {ne} {n}.search_text "
    "OR {o}.status IS {ne} {n}.status OR {o}.kind IS {ne} {n}.kind "
    "OR {o}.tenant_id IS {ne} {n}.tenant_id OR {o}.search_body IS {ne} {n}.search_body"
)
COLUMNS = "title, search_text, status, kind, tenant_id, search_body"


def _sqlite_log(row: str, insert: bool) -> str:
    """Count the change on the row's (tenant, kind), log the item under its number, prune."""
    counts = "inserts = item_fts_version.inserts + 1" if insert else (
        "version = item_fts_version.version + 1")
    first = "1, 0" if insert else "0, 1"
    key = f"tenant_id = {row}.tenant_id AND kind = {row}.kind"
    return (
        f"INSERT INTO item_fts_version (tenant_id, kind, inserts, version, seq) "
        f"VALUES ({row}.tenant_id, {row}.kind, {first}, 1) "
        f"ON CONFLICT (tenant_id, kind) DO UPDATE SET {counts}, seq = item_fts_version.seq + 1; "
        f"INSERT INTO item_fts_change (tenant_id, kind, seq, item_id) "
        f"SELECT tenant_id, kind, seq, {row}.id FROM item_fts_version WHERE {key}; "
        f"DELETE FROM item_fts_change WHERE {key} AND seq <= (SELECT seq - {KEEP} "
        f"FROM item_fts_version WHERE {key} AND seq % {PRUNE_EVERY} = 0); "
    )


PG_LOG = f"""
CREATE FUNCTION item_fts_log(t VARCHAR, k VARCHAR, item BIGINT, ins INTEGER) RETURNS void AS $$
DECLARE n BIGINT;
BEGIN
  INSERT INTO item_fts_version (tenant_id, kind, inserts, version, seq)
  VALUES (t, k, ins, 1 - ins, 1)
  ON CONFLICT (tenant_id, kind) DO UPDATE SET inserts = item_fts_version.inserts + ins,
    version = item_fts_version.version + 1 - ins, seq = item_fts_version.seq + 1
  RETURNING item_fts_version.seq INTO n;
  INSERT INTO item_fts_change (tenant_id, kind, seq, item_id) VALUES (t, k, n, item);
  IF n % {PRUNE_EVERY} = 0 THEN
    DELETE FROM item_fts_change WHERE tenant_id = t AND kind = k AND seq <= n - {KEEP};
  END IF;
END $$ LANGUAGE plpgsql
"""
PG_BUMP = """
CREATE OR REPLACE FUNCTION item_fts_version_bump() RETURNS trigger AS $$ BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM item_fts_log(NEW.tenant_id, NEW.kind, NEW.id, 1);
    RETURN NULL;
  END IF;
  PERFORM item_fts_log(OLD.tenant_id, OLD.kind, OLD.id, 0);
  IF TG_OP = 'UPDATE' THEN
    PERFORM item_fts_log(NEW.tenant_id, NEW.kind, NEW.id, 0);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql
"""


def _old_bump(row: str, column: str = "version") -> str:
    first = "1, 0" if column == "inserts" else "0, 1"
    return (
        f"INSERT INTO item_fts_version (tenant_id, kind, inserts, version) "
        f"VALUES ({row}.tenant_id, {row}.kind, {first}) "
        f"ON CONFLICT (tenant_id, kind) DO UPDATE SET {column} = item_fts_version.{column} + 1;"
    )


PG_OLD_BUMP = (
    "CREATE OR REPLACE FUNCTION item_fts_version_bump() RETURNS trigger AS $$ BEGIN "
    f"IF TG_OP = 'INSERT' THEN {_old_bump('NEW', 'inserts')} RETURN NULL; END IF; "
    f"{_old_bump('OLD')} "
    f"IF TG_OP = 'UPDATE' THEN {_old_bump('NEW')} END IF; "
    "RETURN NULL; END $$ LANGUAGE plpgsql"
)


def _sqlite_triggers(logged: bool) -> None:
    for name in ("item_fts_version_ai", "item_fts_version_ad", "item_fts_version_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    when = CHANGED.format(o="old", n="new", ne="NOT")
    if logged:
        added = _sqlite_log("new", insert=True)
        removed = _sqlite_log("old", insert=False)
        changed = removed + _sqlite_log("new", insert=False)
    else:
        added, removed = _old_bump("new", "inserts"), _old_bump("old")
        changed = removed + " " + _old_bump("new")
    op.execute(f"CREATE TRIGGER item_fts_version_ai AFTER INSERT ON item BEGIN {added} END")
    op.execute(f"CREATE TRIGGER item_fts_version_ad AFTER DELETE ON item BEGIN {removed} END")
    op.execute(f"CREATE TRIGGER item_fts_version_au AFTER UPDATE OF {COLUMNS} ON item "
               f"WHEN {when} BEGIN {changed} END")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("ALTER TABLE item_fts_version ADD COLUMN seq BIGINT NOT NULL DEFAULT 0")
    op.execute(TABLE)
    if dialect == "sqlite":
        _sqlite_triggers(logged=True)
    elif dialect == "postgresql":
        op.execute(PG_LOG)
        op.execute(PG_BUMP)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers(logged=False)
    elif dialect == "postgresql":
        op.execute(PG_OLD_BUMP)
        op.execute("DROP FUNCTION IF EXISTS item_fts_log(VARCHAR, VARCHAR, BIGINT, INTEGER)")
    op.execute("DROP TABLE IF EXISTS item_fts_change")
    # Plain ALTER (SQLite >= 3.35 too); the table is not ``item``, whose triggers a copy loses.
    op.execute("ALTER TABLE item_fts_version DROP COLUMN seq")
