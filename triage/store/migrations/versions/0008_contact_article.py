"""contacts keep their article (« la » Maison départementale…, « le » conciliateur…, none for France
Travail), so the tracking page and the letters name them as French does; NULL: guessed from the name

Revision ID: 0008_contact_article
Revises: 0007_search_rowids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_contact_article"
down_revision = "0007_search_rowids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("article", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("article")
