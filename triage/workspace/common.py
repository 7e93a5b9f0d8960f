"""Small helpers shared by the workspace modules: the Paris day, the request text, the latest suggestion."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.clock import PARIS as PARIS  # the workspace's modules import the Paris day from here
from triage.clock import local_day as local_day
from triage.errors import NotFoundError
from triage.store.models import Dossier, Message, SuggestionRow


def find_dossier(session: Session, reference: str) -> Dossier:
    """The dossier with this reference, or NotFoundError."""
    ref = (reference or "").strip().upper()
    dossier = session.scalar(select(Dossier).where(Dossier.reference == ref))
    if dossier is None:
        raise NotFoundError("dossier introuvable", key=ref)
    return dossier


def request_message(session: Session, dossier_id: int) -> Message | None:
    """The message that opened the dossier (else its earliest incoming message)."""
    rows = session.scalars(
        select(Message)
        .where(Message.dossier_id == dossier_id, Message.direction == "in")
        .order_by(Message.received_at, Message.id)
    ).all()
    for row in rows:
        if row.role == "request":
            return row
    return rows[0] if rows else None


def request_text(session: Session, dossier: Dossier) -> str:
    """The text the triage suggestion was computed on (the request's body, else the subject)."""
    message = request_message(session, dossier.id)
    if message is not None and message.body_text.strip():
        return message.body_text
    return dossier.subject or ""


def latest_suggestion(session: Session, dossier_id: int) -> SuggestionRow | None:
    """The most recent suggestion stored on a dossier."""
    return session.scalar(
        select(SuggestionRow)
        .where(SuggestionRow.dossier_id == dossier_id)
        .order_by(SuggestionRow.created_at.desc(), SuggestionRow.id.desc())
        .limit(1)
    )


def fold(text: str) -> str:
    """Lower-case, accents removed, spaces collapsed (for comparing names)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(plain.replace("-", " ").split())


def name_key(name: str) -> str:
    """'MARTIN Sylvie' and 'Sylvie Martin' give the same key."""
    return " ".join(sorted(fold(name).split()))


def phone_key(phone: str) -> str:
    """The last nine digits of a French phone number (+33 4 76… and 04 76… match)."""
    digits = "".join(c for c in phone or "" if c.isdigit())
    return digits[-9:] if len(digits) >= 9 else ""
