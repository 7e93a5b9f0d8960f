"""suggestions keep which labels are « à vérifier » (calibrated per-label thresholds of the model)

Revision ID: 0005_suggestion_to_check
Revises: 0004_retention
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_suggestion_to_check"
down_revision = "0004_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("to_check", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_column("to_check")
