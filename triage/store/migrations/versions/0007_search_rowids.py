"""search rowids: SQLite's FTS5 rows numbered by dossier (rowid = dossier id × 2³² + message id)

A search then reads only rowids to know which dossiers match (no lookup per matching message), and the
excerpts of one dossier are one rowid range. Dossier rows: dossier id × 2³²; message rows: dossier id ×
2³² + message id (a message on no dossier: its id alone, dossier 0). PostgreSQL is unchanged.

Revision ID: 0007_search_rowids
Revises: 0006_search
"""

from __future__ import annotations

from alembic import op

revision = "0007_search_rowids"
down_revision = "0006_search"
branch_labels = None
depends_on = None

SHIFT = 4294967296  # 2**32, as triage.store.search.ROWID_SHIFT
DOSSIER_ROW = "new.reference || ' ' || coalesce(new.requester_name, ''), coalesce(new.subject, '')"
MESSAGE_ROW = "coalesce(new.subject, ''), coalesce(new.body_text, '')"
INSERT = "INSERT INTO search_index(rowid, kind, dossier_id, title, body) VALUES "
MESSAGE_ROWID = f"coalesce({{0}}.dossier_id, 0) * {SHIFT} + {{0}}.id"
TRIGGERS = (
    "dossier_insert",
    "dossier_update",
    "dossier_delete",
    "message_insert",
    "message_update",
    "message_delete",
)

SQLITE = [
    (
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "kind UNINDEXED, dossier_id UNINDEXED, title, body, tokenize = 'unicode61 remove_diacritics 2')"
    ),
    (
        f"CREATE TRIGGER search_dossier_insert AFTER INSERT ON dossiers BEGIN {INSERT}"
        f"(new.id * {SHIFT}, 'dossier', new.id, {DOSSIER_ROW}); END"
    ),
    (
        "CREATE TRIGGER search_dossier_update AFTER UPDATE OF reference, requester_name, subject ON dossiers BEGIN "
        f"DELETE FROM search_index WHERE rowid = old.id * {SHIFT}; {INSERT}"
        f"(new.id * {SHIFT}, 'dossier', new.id, {DOSSIER_ROW}); END"
    ),
    (
        "CREATE TRIGGER search_dossier_delete AFTER DELETE ON dossiers BEGIN "
        f"DELETE FROM search_index WHERE rowid = old.id * {SHIFT}; END"
    ),
    (
        f"CREATE TRIGGER search_message_insert AFTER INSERT ON messages BEGIN {INSERT}"
        f"({MESSAGE_ROWID.format('new')}, 'message', new.dossier_id, {MESSAGE_ROW}); END"
    ),
    (
        "CREATE TRIGGER search_message_update AFTER UPDATE OF dossier_id, subject, body_text ON messages BEGIN "
        f"DELETE FROM search_index WHERE rowid = {MESSAGE_ROWID.format('old')}; {INSERT}"
        f"({MESSAGE_ROWID.format('new')}, 'message', new.dossier_id, {MESSAGE_ROW}); END"
    ),
    (
        "CREATE TRIGGER search_message_delete AFTER DELETE ON messages BEGIN "
        f"DELETE FROM search_index WHERE rowid = {MESSAGE_ROWID.format('old')}; END"
    ),
    (
        "INSERT INTO search_index(rowid, kind, dossier_id, title, body) SELECT id * "
        + str(SHIFT)
        + ", 'dossier', "
        "id, reference || ' ' || coalesce(requester_name, ''), coalesce(subject, '') FROM dossiers"
    ),
    (
        "INSERT INTO search_index(rowid, kind, dossier_id, title, body) SELECT coalesce(dossier_id, 0) * "
        + str(SHIFT)
        + " + id, 'message', dossier_id, coalesce(subject, ''), coalesce(body_text, '') FROM messages"
    ),
]


def _drop() -> None:
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS search_{trigger}")
    op.execute("DROP TABLE IF EXISTS search_index")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop()
        for statement in SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        import importlib

        _drop()
        previous = importlib.import_module("triage.store.migrations.versions.0006_search")
        for statement in previous.SQLITE:
            op.execute(statement)
