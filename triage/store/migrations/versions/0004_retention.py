"""retention: anonymisation date and per-dossier extension

Revision ID: 0004_retention
Revises: 0003_tracking_lockout
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triage.store.models

revision = "0004_retention"
down_revision = "0003_tracking_lockout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymised_at", triage.store.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("retention_extended_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("retention_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_dossiers_anonymised_at"), ["anonymised_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossiers_anonymised_at"))
        batch_op.drop_column("retention_reason")
        batch_op.drop_column("retention_extended_until")
        batch_op.drop_column("anonymised_at")
