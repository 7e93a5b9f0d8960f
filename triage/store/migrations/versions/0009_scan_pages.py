"""scan pages: each page of a scanned letter with its OCR confidence, its text as read and as corrected

Letters taken in before this revision get their pages from the stored text (split at the form feeds
that separate pages), each with the letter's mean confidence: the closest there is to what OCR said.

Revision ID: 0009_scan_pages
Revises: 0008_contact_article
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triage.store.models

revision = "0009_scan_pages"
down_revision = "0008_contact_article"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("ocr_text", sa.Text(), nullable=False),
        sa.Column("corrected_text", sa.Text(), nullable=True),
        sa.Column("corrected_at", triage.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("corrected_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["corrected_by_id"], ["users.id"], name=op.f("fk_scan_pages_corrected_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_scan_pages_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_pages")),
        sa.UniqueConstraint("message_id", "number", name="uq_scan_pages_message_number"),
    )
    op.create_index(op.f("ix_scan_pages_message_id"), "scan_pages", ["message_id"])
    _backfill()


def _backfill() -> None:
    conn = op.get_bind()
    messages = sa.table(
        "messages",
        sa.column("id", sa.Integer),
        sa.column("source", sa.String),
        sa.column("body_text", sa.Text),
        sa.column("scan_method", sa.String),
        sa.column("ocr_confidence", sa.Float),
    )
    pages = sa.table(
        "scan_pages",
        sa.column("message_id", sa.Integer),
        sa.column("number", sa.Integer),
        sa.column("method", sa.String),
        sa.column("confidence", sa.Float),
        sa.column("words", sa.Integer),
        sa.column("ocr_text", sa.Text),
    )
    rows = conn.execute(
        sa.select(
            messages.c.id, messages.c.body_text, messages.c.scan_method, messages.c.ocr_confidence
        ).where(messages.c.source == "scan")
    ).all()
    for message_id, body, method, confidence in rows:
        texts = [t.strip() for t in (body or "").split("\f")] or [""]
        values = [
            {
                "message_id": message_id,
                "number": number,
                "method": method or "ocr",
                "confidence": confidence if method == "ocr" else None,
                "words": len(text.split()),
                "ocr_text": text,
            }
            for number, text in enumerate(texts, start=1)
        ]
        conn.execute(sa.insert(pages), values)


def downgrade() -> None:
    op.drop_index(op.f("ix_scan_pages_message_id"), table_name="scan_pages")
    op.drop_table("scan_pages")
