"""search version: per tenant and kind, counters of inserts and of changes to searchable state

In-process search indexes (core/search_index.py) read them (one primary-key look-up) before
every query, so several processes stay correct: triggers count every insert, and bump the
version on every update of the title, search text or status and on every delete, whatever
code path made them. The table's name starts with
``item_fts`` because, like the FTS5 table, it belongs to the search index and no model
describes it.

Revision ID: 0005
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = (
    "CREATE TABLE item_fts_version (tenant_id VARCHAR(100) NOT NULL, kind VARCHAR(16) NOT NULL, "
    "inserts BIGINT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (tenant_id, kind))"
)
CHANGED = (
    "{o}.title IS {ne} {n}.title OR {o}.search_text IS {ne} {n}.search_text "
    "OR {o}.status IS {ne} {n}.status OR {o}.kind IS {ne} {n}.kind "
    "OR {o}.tenant_id IS {ne} {n}.tenant_id"
)
COLUMNS = "title, search_text, status, kind, tenant_id"


def _bump(row: str, column: str = "version") -> str:
    first = "1, 0" if column == "inserts" else "0, 1"
    return (
        f"INSERT INTO item_fts_version (tenant_id, kind, inserts, version) "
        f"VALUES ({row}.tenant_id, {row}.kind, {first}) "
        f"ON CONFLICT (tenant_id, kind) DO UPDATE SET {column} = item_fts_version.{column} + 1;"
    )


def upgrade() -> None:
    op.execute(TABLE)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        when = CHANGED.format(o="old", n="new", ne="NOT")
        op.execute(f"CREATE TRIGGER item_fts_version_au AFTER UPDATE OF {COLUMNS} ON item "
                   f"WHEN {when} BEGIN {_bump('old')} {_bump('new')} END")
        op.execute(f"CREATE TRIGGER item_fts_version_ad AFTER DELETE ON item "
                   f"BEGIN {_bump('old')} END")
        op.execute(f"CREATE TRIGGER item_fts_version_ai AFTER INSERT ON item "
                   f"BEGIN {_bump('new', 'inserts')} END")
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION item_fts_version_bump() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {_bump('NEW', 'inserts')} RETURN NULL; END IF; "
            f"{_bump('OLD')} "
            f"IF TG_OP = 'UPDATE' THEN {_bump('NEW')} END IF; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        when = CHANGED.format(o="OLD", n="NEW", ne="DISTINCT FROM")
        op.execute(f"CREATE TRIGGER item_fts_version_au AFTER UPDATE OF {COLUMNS} ON item "
                   f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION item_fts_version_bump()")
        op.execute("CREATE TRIGGER item_fts_version_ad AFTER DELETE ON item "
                   "FOR EACH ROW EXECUTE FUNCTION item_fts_version_bump()")
        op.execute("CREATE TRIGGER item_fts_version_ai AFTER INSERT ON item "
                   "FOR EACH ROW EXECUTE FUNCTION item_fts_version_bump()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS item_fts_version_au")
        op.execute("DROP TRIGGER IF EXISTS item_fts_version_ad")
        op.execute("DROP TRIGGER IF EXISTS item_fts_version_ai")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS item_fts_version_au ON item")
        op.execute("DROP TRIGGER IF EXISTS item_fts_version_ad ON item")
        op.execute("DROP TRIGGER IF EXISTS item_fts_version_ai ON item")
        op.execute("DROP FUNCTION IF EXISTS item_fts_version_bump()")
    op.execute("DROP TABLE IF EXISTS item_fts_version")
