"""correspondence: assignee, unread, reminder and service answer on dossiers; contacts, reply templates, drafts

Revision ID: 0002_correspondence
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triage.store.models

revision = "0002_correspondence"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(
            sa.Column("service_answered_at", triage.store.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unread", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("reminder_on", sa.Date(), nullable=True))
        batch.create_foreign_key(op.f("fk_dossiers_assignee_id_users"), "users", ["assignee_id"], ["id"])
        batch.create_index(op.f("ix_dossiers_assignee_id"), ["assignee_id"])
        batch.create_index(op.f("ix_dossiers_unread"), ["unread"])
        batch.create_index(op.f("ix_dossiers_reminder_on"), ["reminder_on"])
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("direction", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("postal_address", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", triage.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("code", name=op.f("uq_contacts_code")),
    )
    op.create_index(op.f("ix_contacts_email"), "contacts", ["email"])
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", triage.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_reply_templates_name")),
    )
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("to_name", sa.String(length=200), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("mention", sa.String(length=32), nullable=False),
        sa.Column("updated_at", triage.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"], name=op.f("fk_drafts_dossier_id_dossiers")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_drafts_user_id_users")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_drafts_contact_id_contacts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
    )
    op.create_index(op.f("ix_drafts_dossier_id"), "drafts", ["dossier_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_drafts_dossier_id"), table_name="drafts")
    op.drop_table("drafts")
    op.drop_table("reply_templates")
    op.drop_index(op.f("ix_contacts_email"), table_name="contacts")
    op.drop_table("contacts")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index(op.f("ix_dossiers_reminder_on"))
        batch.drop_index(op.f("ix_dossiers_unread"))
        batch.drop_index(op.f("ix_dossiers_assignee_id"))
        batch.drop_constraint(op.f("fk_dossiers_assignee_id_users"), type_="foreignkey")
        batch.drop_column("reminder_on")
        batch.drop_column("unread")
        batch.drop_column("assignee_id")
        batch.drop_column("service_answered_at")
