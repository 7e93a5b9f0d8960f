"""What the mediator prepares to write, in the database: reply templates, drafts, files of the dossier to send on.

`triage/correspondence/replies.py` and `drafts.py` hold the rules (placeholders, names, form values);
the rows are read and written here. The web pages still receive the rows themselves (`ReplyTemplate`,
`Draft`), as their templates read them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.store.models import Draft, Message, RawBlob, ReplyTemplate, StoredAttachment


def all_templates(session: Session) -> list[ReplyTemplate]:
    """Every template, by name."""
    return list(session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.name)))


def find_template(session: Session, template_id: int) -> ReplyTemplate | None:
    """The template of this id, if any."""
    return session.get(ReplyTemplate, template_id)


def template_named(session: Session, name: str) -> ReplyTemplate | None:
    """The template of this exact name, if any."""
    return session.scalar(select(ReplyTemplate).where(ReplyTemplate.name == name))


def write_template(session: Session, template: ReplyTemplate) -> None:
    """Insert or update a template (its id is known afterwards)."""
    session.add(template)
    session.flush()


def remove(session: Session, row: ReplyTemplate | Draft) -> None:
    """Delete a template or a draft."""
    session.delete(row)


def drafts_of(session: Session, dossier_id: int) -> list[Draft]:
    """The dossier's drafts, latest first."""
    return list(
        session.scalars(
            select(Draft)
            .where(Draft.dossier_id == dossier_id)
            .order_by(Draft.updated_at.desc(), Draft.id.desc())
        )
    )


def find_draft(session: Session, draft_id: int) -> Draft | None:
    """The draft of this id, if any."""
    return session.get(Draft, draft_id)


def write_draft(session: Session, draft: Draft) -> None:
    """Insert or update a draft (its id is known afterwards)."""
    session.add(draft)
    session.flush()


def sendable_attachments(session: Session, dossier_id: int) -> list[StoredAttachment]:
    """The files of the dossier's messages that can be sent on (stored, not too large), in order."""
    return list(
        session.scalars(
            select(StoredAttachment)
            .join(Message, StoredAttachment.message_id == Message.id)
            .where(
                Message.dossier_id == dossier_id,
                StoredAttachment.blob_id.is_not(None),
                StoredAttachment.too_large.is_(False),
            )
            .order_by(StoredAttachment.id)
        )
    )


def blob_bytes(session: Session, blob_id: int | None) -> bytes:
    """The bytes of a stored blob (the id comes from a row that points at one)."""
    assert blob_id is not None
    blob = session.get(RawBlob, blob_id)
    assert blob is not None
    return bytes(blob.data)
