"""The right of access's queries: one person's dossiers, and everything stored about each, as typed records.

`triage/privacy/access.py` validates the criteria, names the files and writes the zip; the rows it shows
are read here and handed over as frozen records (never ORM rows) with the bytes of the original files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from triage.store import transcriptions
from triage.store.dossier_data import DossierLine, lines_of
from triage.store.models import (
    AuditEntry,
    Dossier,
    Event,
    Message,
    Note,
    OutboxItem,
    PrintJob,
    QuarantineItem,
    RawBlob,
    ScanFile,
    StoredAttachment,
)


def digits(phone: str) -> str:
    """The digits of a phone number, +33 folded to 0 (06 12 34 56 78 = 0612345678 = +33 6 12 34 56 78)."""
    only = re.sub(r"\D", "", phone)
    return "0" + only[2:] if only.startswith("33") and len(only) == 11 else only


@dataclass(frozen=True)
class StoredFile:
    """An original file: the name it was stored under, and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class MessageCopy:
    """A message or letter with its original files (raw message, attachments, scans still on disk)."""

    id: int
    received_at: datetime
    direction: str
    channel: str
    subject: str
    from_name: str
    from_address: str
    body_text: str
    ocr_text: str | None  # what OCR had read, when a scanned letter was corrected by hand
    raw: bytes
    attachments: tuple[StoredFile, ...]
    scans: tuple[StoredFile, ...]


@dataclass(frozen=True)
class Step:
    """A line of the dossier's timeline."""

    at: datetime
    kind: str
    summary: str
    public: bool


@dataclass(frozen=True)
class NoteCopy:
    """A note of the mediator."""

    at: datetime
    text: str


@dataclass(frozen=True)
class Dispatch:
    """Something sent to the person: a mail of the outbox (`printed` False) or a printed letter."""

    id: int
    at: datetime
    kind: str
    to: str
    subject: str
    status: str
    printed: bool
    data: bytes


@dataclass(frozen=True)
class Consultation:
    """A line of the audit log about the dossier."""

    at: datetime
    actor: str
    action: str


def find_dossiers(session: Session, email: str, phone: str, name: str, postcode: str) -> list[DossierLine]:
    """The person's dossiers, oldest first, then in order of registration (`email` already normalised)."""
    conds: list[Any] = []
    if email:
        conds.append(func.lower(Dossier.requester_email) == email)
        conds.append(
            Dossier.id.in_(select(Message.dossier_id).where(func.lower(Message.from_address) == email))
        )
    if name:
        conds.append(
            and_(
                func.lower(Dossier.requester_name) == name.lower(),
                Dossier.requester_postcode == postcode,
            )
        )
    found = list(session.scalars(select(Dossier).where(or_(*conds)))) if conds else []
    if phone:
        wanted = digits(phone)
        candidates = session.scalars(select(Dossier).where(Dossier.requester_phone != ""))
        found += [d for d in candidates if digits(d.requester_phone) == wanted]
    unique = {d.id: d for d in found}
    return lines_of(session, sorted(unique.values(), key=lambda d: (d.received_at, d.id)))


def _blob(session: Session, blob_id: int | None) -> bytes:
    if blob_id is None:
        return b""
    return bytes(session.scalar(select(RawBlob.data).where(RawBlob.id == blob_id)) or b"")


def _message_copy(session: Session, m: Message) -> MessageCopy:
    attachments = []
    for a in session.scalars(select(StoredAttachment).where(StoredAttachment.message_id == m.id)):
        data = _blob(session, a.blob_id)
        if data:
            attachments.append(StoredFile(a.filename or f"piece-{a.id}", data))
    scans = []
    for scan in session.scalars(select(ScanFile).where(ScanFile.message_row_id == m.id)):
        path = Path(scan.stored_path) if scan.stored_path else None
        if path is not None and path.is_file():
            scans.append(StoredFile(scan.filename or path.name, path.read_bytes()))
    return MessageCopy(
        id=m.id,
        received_at=m.received_at,
        direction=m.direction,
        channel=m.channel,
        subject=m.subject,
        from_name=m.from_name,
        from_address=m.from_address,
        body_text=m.body_text,
        ocr_text=transcriptions.ocr_text(session, m.id) if m.source == "scan" else None,
        raw=_blob(session, m.raw_blob_id),
        attachments=tuple(attachments),
        scans=tuple(scans),
    )


def messages_of(session: Session, dossier_id: int) -> list[MessageCopy]:
    """The dossier's messages and letters, in the order received."""
    rows = session.scalars(
        select(Message).where(Message.dossier_id == dossier_id).order_by(Message.received_at)
    )
    return [_message_copy(session, m) for m in rows]


def loose_messages_from(session: Session, email: str) -> list[MessageCopy]:
    """Messages from `email` (normalised) that belong to no dossier, in the order received."""
    rows = session.scalars(
        select(Message)
        .where(Message.dossier_id.is_(None), func.lower(Message.from_address) == email)
        .order_by(Message.received_at)
    )
    return [_message_copy(session, m) for m in rows]


def steps_of(session: Session, dossier_id: int) -> list[Step]:
    """The dossier's timeline, oldest first."""
    rows = session.scalars(select(Event).where(Event.dossier_id == dossier_id).order_by(Event.at, Event.id))
    return [Step(e.at, e.kind, e.summary or "", e.public) for e in rows]


def notes_of(session: Session, dossier_id: int) -> list[NoteCopy]:
    """The mediator's notes on the dossier, oldest first."""
    rows = session.scalars(select(Note).where(Note.dossier_id == dossier_id).order_by(Note.at))
    return [NoteCopy(n.at, n.text) for n in rows]


def dispatches_of(session: Session, dossier_id: int) -> list[Dispatch]:
    """What was sent about the dossier: mails of the outbox, then printed letters, each in creation order."""
    mails = [
        Dispatch(
            o.id,
            o.sent_at or o.created_at,
            o.kind,
            o.to_address,
            o.subject,
            o.status,
            False,
            bytes(o.raw or b""),
        )
        for o in session.scalars(
            select(OutboxItem).where(OutboxItem.dossier_id == dossier_id).order_by(OutboxItem.id)
        )
    ]
    letters = [
        Dispatch(
            p.id,
            p.exported_at or p.created_at,
            p.kind,
            "courrier postal",
            "",
            p.status,
            True,
            bytes(p.pdf or b""),
        )
        for p in session.scalars(
            select(PrintJob).where(PrintJob.dossier_id == dossier_id).order_by(PrintJob.id)
        )
    ]
    return mails + letters


def consultations_of(session: Session, dossier_id: int) -> list[Consultation]:
    """Who read or changed the dossier (the audit log), oldest first."""
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.dossier_id == dossier_id).order_by(AuditEntry.at)
    )
    return [Consultation(a.at, a.actor, a.action) for a in rows]


def quarantined_naming(session: Session, email: str) -> list[StoredFile]:
    """Quarantined items whose bytes contain `email` (normalised), named `element-<id>.eml`."""
    needle = email.encode()
    found = []
    for q in session.scalars(select(QuarantineItem)):
        data = _blob(session, q.raw_blob_id)
        if needle in data.lower():
            found.append(StoredFile(f"element-{q.id}.eml", data))
    return found
