"""search: full-text index over dossiers and messages (SQLite FTS5, PostgreSQL tsvector 'french')

SQLite: a FTS5 table `search_index` (tokenizer unicode61 remove_diacritics 2: « handicapé » finds
« handicape »), one row per dossier (rowid 2·id: reference, requester's name, summary) and one per
message (rowid 2·id + 1: subject, body text, which holds the OCR text of scanned letters), kept in step
by triggers on dossiers and messages. PostgreSQL: GIN indexes over to_tsvector('mediature_french', …)
expressions on the same columns (triage.store.search writes its queries with the very same expressions);
`mediature_french` is the 'french' configuration with accents removed before stemming (extension
unaccent, trusted: the database owner may create it).

Revision ID: 0006_search
Revises: 0005_suggestion_to_check
"""

from __future__ import annotations

from alembic import op

revision = "0006_search"
down_revision = "0005_suggestion_to_check"
branch_labels = None
depends_on = None

DOSSIER_ROW = "new.reference || ' ' || coalesce(new.requester_name, ''), coalesce(new.subject, '')"
MESSAGE_ROW = "coalesce(new.subject, ''), coalesce(new.body_text, '')"

SQLITE = [
    (
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "kind UNINDEXED, dossier_id UNINDEXED, title, body, tokenize = 'unicode61 remove_diacritics 2')"
    ),
    # dossiers
    (
        "CREATE TRIGGER search_dossier_insert AFTER INSERT ON dossiers BEGIN "
        f"INSERT INTO search_index(rowid, kind, dossier_id, title, body) VALUES (2 * new.id, 'dossier', new.id, "
        f"{DOSSIER_ROW}); "
        "END"
    ),
    (
        "CREATE TRIGGER search_dossier_update AFTER UPDATE OF reference, requester_name, subject ON dossiers BEGIN "
        "DELETE FROM search_index WHERE rowid = 2 * old.id; "
        f"INSERT INTO search_index(rowid, kind, dossier_id, title, body) VALUES (2 * new.id, 'dossier', new.id, "
        f"{DOSSIER_ROW}); "
        "END"
    ),
    (
        "CREATE TRIGGER search_dossier_delete AFTER DELETE ON dossiers BEGIN "
        "DELETE FROM search_index WHERE rowid = 2 * old.id; END"
    ),
    # messages (scanned letters carry their OCR text in body_text)
    (
        "CREATE TRIGGER search_message_insert AFTER INSERT ON messages BEGIN "
        "INSERT INTO search_index(rowid, kind, dossier_id, title, body) VALUES (2 * new.id + 1, 'message', "
        f"new.dossier_id, {MESSAGE_ROW}); "
        "END"
    ),
    (
        "CREATE TRIGGER search_message_update AFTER UPDATE OF dossier_id, subject, body_text ON messages BEGIN "
        "DELETE FROM search_index WHERE rowid = 2 * old.id + 1; "
        "INSERT INTO search_index(rowid, kind, dossier_id, title, body) VALUES (2 * new.id + 1, 'message', "
        f"new.dossier_id, {MESSAGE_ROW}); "
        "END"
    ),
    (
        "CREATE TRIGGER search_message_delete AFTER DELETE ON messages BEGIN "
        "DELETE FROM search_index WHERE rowid = 2 * old.id + 1; END"
    ),
    # what is already there
    (
        "INSERT INTO search_index(rowid, kind, dossier_id, title, body) SELECT 2 * id, 'dossier', id, "
        "reference || ' ' || coalesce(requester_name, ''), coalesce(subject, '') FROM dossiers"
    ),
    (
        "INSERT INTO search_index(rowid, kind, dossier_id, title, body) SELECT 2 * id + 1, 'message', dossier_id, "
        "coalesce(subject, ''), coalesce(body_text, '') FROM messages"
    ),
]

# the expressions must stay identical to triage.store.search.PG_DOSSIER_DOCUMENT / PG_MESSAGE_DOCUMENT
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION mediature_french (COPY = french)",
    (
        "ALTER TEXT SEARCH CONFIGURATION mediature_french ALTER MAPPING FOR "
        "asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH unaccent, french_stem"
    ),
    (
        "CREATE INDEX search_dossiers_fts ON dossiers USING gin (to_tsvector('mediature_french'::regconfig, "
        "reference || ' ' || coalesce(requester_name, '') || ' ' || coalesce(subject, '')))"
    ),
    (
        "CREATE INDEX search_messages_fts ON messages USING gin (to_tsvector('mediature_french'::regconfig, "
        "coalesce(subject, '') || ' ' || coalesce(body_text, '')))"
    ),
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in (
            "dossier_insert",
            "dossier_update",
            "dossier_delete",
            "message_insert",
            "message_update",
            "message_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS search_{trigger}")
        op.execute("DROP TABLE IF EXISTS search_index")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS search_dossiers_fts")
        op.execute("DROP INDEX IF EXISTS search_messages_fts")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS mediature_french")
