"""What the dossier workspace shows: messages with attachments, the timeline, letters sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from triage.store.models import Dossier, Event, Message, Note, OutboxItem, PrintJob, User

OUTBOX_STATES = {
    "pending": "en attente d'envoi",
    "sending": "en cours d'envoi",
    "sent": "envoyé",
    "failed": "échec d'envoi",
    "suppressed": "non envoyé (protection)",
    "cancelled": "annulé (demande rattachée ou classée sans suite)",
}
PRINT_STATES = {
    "pending": "à imprimer",
    "exported": "exporté pour impression",
    "printed": "imprimé",
    "cancelled": "retiré de la file d'impression",
}
# what the outbox and print queue call each thing they send, in French (letters: "letter_" + letter code)
SENT_KINDS = {
    "acknowledgement": "Accusé de réception",
    "digest": "Récapitulatif des échéances",
    "letter_reorientation": "Lettre de réorientation",
    "letter_reorientation_transmission": "Transmission de la demande à l'organisme compétent",
    "letter_transmission": "Lettre de transmission au service",
    "letter_pieces": "Demande de pièces manquantes",
    "letter_fin_mediation": "Avis daté de fin de médiation",
    "letter_conclusion": "Conclusion de la médiation",
}
ACTOR_NAMES = {"systeme": "Médiature (automatique)", "": "Médiature (automatique)"}


def sent_kind(code: str) -> str:
    """French name of an outbox or print-queue kind (a readable fallback for a new one)."""
    return SENT_KINDS.get(code) or code.removeprefix("letter_").replace("_", " ").capitalize()


@dataclass(frozen=True)
class TimelineEntry:
    """One dated line of the dossier's history."""

    at: datetime
    kind: str
    title: str
    public: bool  # shown on the citizen's tracking page
    actor: str
    note: str = ""  # a private note's text


@dataclass(frozen=True)
class LetterRow:
    """An outgoing message or a printed letter of the dossier."""

    at: datetime
    kind: str
    channel: str  # courriel / courrier
    state: str
    subject: str
    print_job_id: int | None


def messages(session: Session, dossier_id: int) -> list[Message]:
    """The dossier's messages and scans, oldest first, with their attachments."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.dossier_id == dossier_id)
            .options(selectinload(Message.attachments))
            .order_by(Message.received_at, Message.id)
        )
    )


def timeline(session: Session, dossier: Dossier) -> list[TimelineEntry]:
    """Events and notes, newest first."""
    names = {u.id: u.display_name or u.username for u in session.scalars(select(User))}
    entries = [
        TimelineEntry(e.at, e.kind, e.summary, e.public, ACTOR_NAMES.get(e.actor or "", e.actor or ""))
        for e in session.scalars(select(Event).where(Event.dossier_id == dossier.id))
    ]
    entries += [
        TimelineEntry(n.at, "note", "Note", False, names.get(n.user_id or 0, ""), note=n.text)
        for n in session.scalars(select(Note).where(Note.dossier_id == dossier.id))
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)


def letters(session: Session, dossier_id: int) -> list[LetterRow]:
    """Emails and printed letters of the dossier, newest first."""
    rows = [
        LetterRow(
            o.created_at,
            sent_kind(o.kind),
            "courriel",
            OUTBOX_STATES.get(o.status, o.status),
            o.subject,
            None,
        )
        for o in session.scalars(select(OutboxItem).where(OutboxItem.dossier_id == dossier_id))
    ]
    rows += [
        LetterRow(p.created_at, sent_kind(p.kind), "courrier", PRINT_STATES.get(p.status, p.status), "", p.id)
        for p in session.scalars(select(PrintJob).where(PrintJob.dossier_id == dossier_id))
    ]
    return sorted(rows, key=lambda r: r.at, reverse=True)
