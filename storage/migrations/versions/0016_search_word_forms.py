"""search word forms: lemmatised search text, a searchable body, a word index over bodies

``item.search_text`` (title, aliases, tags) is rewritten with every word in its dictionary
form (``storage.lemmas``), and the new ``item.search_body`` holds the body's distinct
dictionary forms. Bodies get a word index (not trigrams: body words are matched whole, typos
are the titles' business): an FTS5 table ``item_fts_body`` on SQLite, a GIN index on the
``simple`` tsvector on PostgreSQL. The search-version trigger of 0005 now also fires when
``search_body`` changes, so in-process indexes reload. The backfill uses ``storage.lemmas``
as it is when the migration runs.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage import lemmas

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BODY_FTS_TRIGGERS = {
    "item_fts_body_ai": "AFTER INSERT ON item BEGIN "
    "INSERT INTO item_fts_body(rowid, search_body) VALUES (new.id, new.search_body); END",
    "item_fts_body_ad": "AFTER DELETE ON item BEGIN "
    "INSERT INTO item_fts_body(item_fts_body, rowid, search_body) VALUES ('delete', old.id, old.search_body); END",
    "item_fts_body_au": "AFTER UPDATE OF search_body ON item BEGIN "
    "INSERT INTO item_fts_body(item_fts_body, rowid, search_body) VALUES ('delete', old.id, old.search_body); "
    "INSERT INTO item_fts_body(rowid, search_body) VALUES (new.id, new.search_body); END",
}
BODY_INDEX = "ix_item_body_words"

# The 0005 version trigger, with or without search_body among the watched columns.
CHANGED = (
    "{o}.title IS {ne} {n}.title OR {o}.search_text IS {ne} {n}.search_text "
    "OR {o}.status IS {ne} {n}.status OR {o}.kind IS {ne} {n}.kind "
    "OR {o}.tenant_id IS {ne} {n}.tenant_id"
)
BODY_CHANGED = " OR {o}.search_body IS {ne} {n}.search_body"
COLUMNS = "title, search_text, status, kind, tenant_id"


def _bump(row: str) -> str:
    return (
        f"INSERT INTO item_fts_version (tenant_id, kind, inserts, version) "
        f"VALUES ({row}.tenant_id, {row}.kind, 0, 1) "
        f"ON CONFLICT (tenant_id, kind) DO UPDATE SET version = item_fts_version.version + 1;"
    )


def _version_trigger(with_body: bool) -> None:
    dialect = op.get_bind().dialect.name
    columns = COLUMNS + (", search_body" if with_body else "")
    if dialect == "sqlite":
        when = (CHANGED + (BODY_CHANGED if with_body else "")).format(o="old", n="new", ne="NOT")
        op.execute("DROP TRIGGER IF EXISTS item_fts_version_au")
        op.execute(f"CREATE TRIGGER item_fts_version_au AFTER UPDATE OF {columns} ON item "
                   f"WHEN {when} BEGIN {_bump('old')} {_bump('new')} END")
    elif dialect == "postgresql":
        when = (CHANGED + (BODY_CHANGED if with_body else "")).format(
            o="OLD", n="NEW", ne="DISTINCT FROM")
        op.execute("DROP TRIGGER IF EXISTS item_fts_version_au ON item")
        op.execute(f"CREATE TRIGGER item_fts_version_au AFTER UPDATE OF {columns} ON item "
                   f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION item_fts_version_bump()")


def upgrade() -> None:
    op.add_column("item", sa.Column("search_body", sqlmodel.sql.sqltypes.AutoString(),
                                    nullable=False, server_default=""))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, search_text, body FROM item")).all()
    updates = [{"id": r[0], "t": lemmas.lemmatise(r[1] or ""), "b": lemmas.body_words(r[2] or "")}
               for r in rows]
    for start in range(0, len(updates), 1000):
        conn.execute(sa.text("UPDATE item SET search_text = :t, search_body = :b WHERE id = :id"),
                     updates[start:start + 1000])
    if conn.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE item_fts_body USING fts5(search_body, content='item', "
                   "content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
        op.execute("INSERT INTO item_fts_body(item_fts_body) VALUES ('rebuild')")
        for name, body in BODY_FTS_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    elif conn.dialect.name == "postgresql":
        op.execute(f"CREATE INDEX {BODY_INDEX} ON item "
                   "USING gin (to_tsvector('simple', search_body))")
    _version_trigger(with_body=True)


def downgrade() -> None:
    conn = op.get_bind()
    _version_trigger(with_body=False)
    if conn.dialect.name == "sqlite":
        for name in BODY_FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS item_fts_body")
    elif conn.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {BODY_INDEX}")
    # Search text as it was: the title, the aliases and the tags, as typed, normalised.
    extra: dict[int, list[str]] = {}
    for item_id, name in conn.execute(sa.text("SELECT item_id, name FROM alias ORDER BY name")):
        extra.setdefault(int(item_id), []).append(str(name))
    for item_id, tag in conn.execute(sa.text("SELECT item_id, tag FROM tag ORDER BY tag")):
        extra.setdefault(int(item_id), []).append(str(tag))
    rows = conn.execute(sa.text("SELECT id, title FROM item")).all()
    updates = [{"id": r[0], "t": lemmas.plain(" ".join([r[1], *extra.get(int(r[0]), [])]))}
               for r in rows]
    for start in range(0, len(updates), 1000):
        conn.execute(sa.text("UPDATE item SET search_text = :t WHERE id = :id"),
                     updates[start:start + 1000])
    # Plain ALTER (SQLite >= 3.35 too): a batch copy of ``item`` would drop its triggers.
    op.execute("ALTER TABLE item DROP COLUMN search_body")
