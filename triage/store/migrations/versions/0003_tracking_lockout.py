"""tracking lockout: failed tracking-code attempts per dossier and the end of its suspension

Revision ID: 0003_tracking_lockout
Revises: 0002_correspondence
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triage.store.models

revision = "0003_tracking_lockout"
down_revision = "0002_correspondence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("tracking_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("tracking_locked_until", triage.store.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("tracking_locked_until")
        batch.drop_column("tracking_failures")
