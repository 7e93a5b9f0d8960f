"""Dossiers as plain records for the terminal, scripts and the dossier document.

`mediature dossiers list|show|pdf`, `triage/correspondence/export.py` (JSON) and
`triage/correspondence/document.py` (PDF) read their rows here: a `DossierLine` per dossier, and each
message received, mailed or printed as a frozen record (never ORM rows). The timeline and the notes
come from `store.access` (`steps_of`, `notes_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.store.models import Dossier, Message, OutboxItem, PrintJob, SuggestionRow, User


@dataclass(frozen=True)
class DossierLine:
    """What the lists, `dossiers show` and the dossier document say about one dossier."""

    id: int
    reference: str
    received_at: datetime
    channel: str
    status: str
    outcome: str | None
    subject: str
    requester_civility: str
    requester_name: str
    requester_email: str
    requester_phone: str
    requester_address: str
    requester_postcode: str
    requester_commune: str
    requester_territory: str
    service_concerned: str
    direction: str
    domain: str | None
    assignee: str | None  # login name
    unread: bool
    reminder_on: date | None
    service_deadline: date | None
    service_answered_at: datetime | None
    closed_at: datetime | None
    anonymised_at: datetime | None


@dataclass(frozen=True)
class Received:
    """A message of the dossier (email, letter, document) with its attachments' names."""

    id: int
    received_at: datetime
    direction: str
    from_address: str
    to_addresses: tuple[str, ...]
    subject: str
    body_text: str
    channel: str
    role: str
    kind: str
    message_id: str | None
    attachments: tuple[str, ...]


@dataclass(frozen=True)
class Mailed:
    """A mail of the outbox about the dossier."""

    created_at: datetime
    sent_at: datetime | None
    to_address: str
    subject: str
    kind: str
    message_id: str | None
    status: str
    raw: bytes


@dataclass(frozen=True)
class Printed:
    """A letter of the print queue about the dossier."""

    created_at: datetime
    kind: str
    status: str


def lines_of(session: Session, rows: list[Dossier]) -> list[DossierLine]:
    """The records of these dossier rows (assignees' login names read in one query)."""
    ids = {d.assignee_id for d in rows if d.assignee_id}
    names = {u.id: u.username for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [
        DossierLine(
            id=d.id,
            reference=d.reference,
            received_at=d.received_at,
            channel=d.channel,
            status=d.status,
            outcome=d.outcome,
            subject=d.subject,
            requester_civility=d.requester_civility,
            requester_name=d.requester_name,
            requester_email=d.requester_email,
            requester_phone=d.requester_phone,
            requester_address=d.requester_address,
            requester_postcode=d.requester_postcode,
            requester_commune=d.requester_commune,
            requester_territory=d.requester_territory,
            service_concerned=d.service_concerned,
            direction=d.direction,
            domain=d.domain,
            assignee=names.get(d.assignee_id) if d.assignee_id else None,
            unread=bool(d.unread),
            reminder_on=d.reminder_on,
            service_deadline=d.service_deadline,
            service_answered_at=d.service_answered_at,
            closed_at=d.closed_at,
            anonymised_at=d.anonymised_at,
        )
        for d in rows
    ]


def dossier_lines(
    session: Session, *, status: str | None, limit: int, assignee: str | None = None, unread: bool = False
) -> list[DossierLine]:
    """Dossiers not merged into another, most recent first (`assignee` « - »: those assigned to nobody)."""
    stmt = select(Dossier).where(Dossier.merged_into_id.is_(None))
    if status:
        stmt = stmt.where(Dossier.status == status)
    if assignee == "-":
        stmt = stmt.where(Dossier.assignee_id.is_(None))
    elif assignee:
        stmt = stmt.where(Dossier.assignee_id.in_(select(User.id).where(User.username == assignee)))
    if unread:
        stmt = stmt.where(Dossier.unread.is_(True))
    rows = session.scalars(stmt.order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(limit)).all()
    return lines_of(session, list(rows))


def count_dossiers(session: Session, status: str | None) -> int:
    """How many dossiers not merged into another (with this status, if given)."""
    stmt = select(func.count()).select_from(Dossier).where(Dossier.merged_into_id.is_(None))
    if status:
        stmt = stmt.where(Dossier.status == status)
    return session.scalar(stmt) or 0


def dossier_line(session: Session, reference: str) -> DossierLine | None:
    """The dossier of this reference, if there is one."""
    d = session.scalar(select(Dossier).where(Dossier.reference == reference))
    return lines_of(session, [d])[0] if d is not None else None


def unread_count(session: Session, user_id: int | None = None) -> int:
    """Dossiers not merged into another with new mail not yet read (only the user's own when given)."""
    query = (
        select(func.count())
        .select_from(Dossier)
        .where(Dossier.unread.is_(True), Dossier.merged_into_id.is_(None))
    )
    if user_id is not None:
        query = query.where(Dossier.assignee_id == user_id)
    return int(session.scalar(query) or 0)


def messages_to_review(session: Session) -> int:
    """Messages set aside for the mediator to check."""
    return (
        session.scalar(select(func.count()).select_from(Message).where(Message.needs_review.is_(True))) or 0
    )


def latest_suggestions(session: Session, ids: list[int]) -> dict[int, SuggestionRow]:
    """The latest suggestion of each dossier (`workspace.queue.label_to_check` reads these rows)."""
    if not ids:
        return {}
    rows = session.scalars(
        select(SuggestionRow).where(SuggestionRow.dossier_id.in_(ids)).order_by(SuggestionRow.id)
    )
    return {s.dossier_id: s for s in rows}


def received(session: Session, dossier_id: int) -> list[Received]:
    """The dossier's messages, in the order received."""
    rows = session.scalars(
        select(Message).where(Message.dossier_id == dossier_id).order_by(Message.received_at, Message.id)
    )
    return [
        Received(
            id=m.id,
            received_at=m.received_at,
            direction=m.direction,
            from_address=m.from_address,
            to_addresses=tuple(m.to_addresses or []),
            subject=m.subject,
            body_text=m.body_text,
            channel=m.channel,
            role=m.role,
            kind=m.kind,
            message_id=m.message_id,
            attachments=tuple(a.filename for a in m.attachments),
        )
        for m in rows
    ]


def mailed(session: Session, dossier_id: int, *, suppressed: bool = True) -> list[Mailed]:
    """The dossier's mails of the outbox, in creation order (without those suppressed unless asked)."""
    stmt = select(OutboxItem).where(OutboxItem.dossier_id == dossier_id)
    if not suppressed:
        stmt = stmt.where(OutboxItem.status != "suppressed")
    return [
        Mailed(
            o.created_at,
            o.sent_at,
            o.to_address,
            o.subject,
            o.kind,
            o.message_id,
            o.status,
            bytes(o.raw or b""),
        )
        for o in session.scalars(stmt.order_by(OutboxItem.id))
    ]


def printed(session: Session, dossier_id: int) -> list[Printed]:
    """The dossier's letters of the print queue, in creation order."""
    rows = session.scalars(select(PrintJob).where(PrintJob.dossier_id == dossier_id).order_by(PrintJob.id))
    return [Printed(p.created_at, p.kind, p.status) for p in rows]
