"""Personal data in the store: anonymise dossiers, purge what has outlived its term, drop orphan blobs.

Anonymising a dossier keeps exactly what the annual report reads (triage.store.report_queries: year, dates,
channel, referrer, status, outcome, territory, direction, domain, sub-chapter, admissibility,
reorientation) and the tracking token hash (the citizen's link still answers, without any content).
Everything else that could name or describe a person goes: requester identity and contact details,
subject, message texts and headers, raw bytes, attachments, scan originals, extracted data, notes, drafts,
labelled examples, outgoing copies and letters. Files on disk are returned to the caller, who deletes
them once the transaction has committed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Delete, Engine, Update, delete, exists, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from triage.store.models import (
    AddressStatus,
    Dossier,
    Draft,
    Event,
    LabelledExample,
    MailboxItem,
    Message,
    Note,
    OutboxItem,
    PrintJob,
    QuarantineItem,
    RawBlob,
    ScanFile,
    ScanPageRow,
    StoredAttachment,
    SuggestionRow,
)

# the dossier columns that go (everything the report does not read and that may identify someone)
CLEARED_DOSSIER_VALUES = {
    "requester_civility": "",
    "requester_name": "",
    "requester_email": "",
    "requester_phone": "",
    "requester_address": "",
    "requester_postcode": "",
    "requester_commune": "",
    "subject": "",
    "service_concerned": "",
}
CLEARED_MESSAGE_VALUES: dict[str, Any] = {
    "subject": "",
    "from_name": "",
    "from_address": "",
    "reply_to": None,
    "to_addresses": [],
    "message_id": None,
    "in_reply_to": None,
    "references": [],
    "body_text": "",
    "quoted_text": "",
    "signature": "",
    "html_sanitised": "",
    "form_fields": None,
    "defects": [],
    "flag_reason": "",
    "kind_reason": "",
    "source_key": "",
    "raw_blob_id": None,
}


@dataclass
class Purge:
    """What one purge removed: counts per kind, and files to delete after commit."""

    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    outbox_ids: list[tuple[int, datetime, str]] = field(
        default_factory=list
    )  # (id, created_at, kind) of .eml copies

    def add(self, kind: str, n: int) -> None:
        """Count `n` more items of `kind`."""
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def merge(self, other: Purge) -> None:
        """Add another purge's counts and files to this one."""
        for kind, n in other.counts.items():
            self.add(kind, n)
        self.files += other.files
        self.outbox_ids += other.outbox_ids


def affected(session: Session, stmt: Update | Delete) -> int:
    """Run an UPDATE or DELETE; how many rows it changed."""
    return int(cast("CursorResult[Any]", session.execute(stmt)).rowcount or 0)


def _ids(session: Session, stmt: object) -> list[int]:
    return [int(i) for i in session.scalars(stmt)]  # type: ignore[call-overload]


def _scan_files(session: Session, message_ids: Sequence[int], purge: Purge) -> None:
    """Forget the originals of scanned letters (the rows stay as the dedupe guard, without name or path)."""
    if not message_ids:
        return
    # the page texts, as read and as corrected, are the letter's words
    purge.add(
        "scan_pages", affected(session, delete(ScanPageRow).where(ScanPageRow.message_id.in_(message_ids)))
    )
    rows = session.execute(
        select(ScanFile.id, ScanFile.stored_path).where(ScanFile.message_row_id.in_(message_ids))
    ).all()
    purge.files += [Path(p) for _, p in rows if p]
    if rows:
        session.execute(
            update(ScanFile).where(ScanFile.id.in_([r[0] for r in rows])).values(filename="", stored_path="")
        )
    purge.add("scans", len(rows))


def _attachments(session: Session, message_ids: Sequence[int], purge: Purge) -> None:
    if not message_ids:
        return
    n = affected(session, delete(StoredAttachment).where(StoredAttachment.message_id.in_(message_ids)))
    purge.add("attachments", n or 0)


def clear_messages(session: Session, message_ids: Sequence[int], purge: Purge) -> None:
    """Empty messages of every text, header and byte (the rows stay: date, channel, role, direction)."""
    if not message_ids:
        return
    _attachments(session, message_ids, purge)
    _scan_files(session, message_ids, purge)
    session.execute(update(Message).where(Message.id.in_(message_ids)).values(**CLEARED_MESSAGE_VALUES))
    purge.add("messages", len(message_ids))


def delete_messages(session: Session, message_ids: Sequence[int], purge: Purge) -> None:
    """Delete messages outright (mail that never was a request), with what points at them."""
    if not message_ids:
        return
    _attachments(session, message_ids, purge)
    _scan_files(session, message_ids, purge)
    session.execute(
        update(ScanFile).where(ScanFile.message_row_id.in_(message_ids)).values(message_row_id=None)
    )
    session.execute(
        update(MailboxItem).where(MailboxItem.message_row_id.in_(message_ids)).values(message_row_id=None)
    )
    session.execute(
        update(QuarantineItem)
        .where(QuarantineItem.resolved_message_id.in_(message_ids))
        .values(resolved_message_id=None)
    )
    session.execute(
        update(SuggestionRow).where(SuggestionRow.message_id.in_(message_ids)).values(message_id=None)
    )
    session.execute(delete(Message).where(Message.id.in_(message_ids)))
    purge.add("messages_deleted", len(message_ids))


def anonymise_dossiers(session: Session, dossier_ids: Sequence[int], now: datetime) -> Purge:
    """Anonymise the given dossiers in the caller's transaction (see the module docstring)."""
    purge = Purge()
    ids = list(dossier_ids)
    if not ids:
        return purge
    emails = {e for e in session.scalars(select(Dossier.requester_email).where(Dossier.id.in_(ids))) if e}
    message_ids = _ids(session, select(Message.id).where(Message.dossier_id.in_(ids)))
    clear_messages(session, message_ids, purge)
    session.execute(
        update(SuggestionRow)
        .where(SuggestionRow.dossier_id.in_(ids))
        .values(extracted={}, reasons={}, highlights={})
    )
    purge.add(
        "labelled_examples",
        affected(session, delete(LabelledExample).where(LabelledExample.dossier_id.in_(ids))),
    )
    purge.add("notes", affected(session, delete(Note).where(Note.dossier_id.in_(ids))))
    purge.add("drafts", affected(session, delete(Draft).where(Draft.dossier_id.in_(ids))))
    # private events may quote what was said or typed; public ones are written for the tracking page
    session.execute(
        update(Event).where(Event.dossier_id.in_(ids), Event.public.is_(False)).values(summary="")
    )
    session.execute(update(Event).where(Event.dossier_id.in_(ids)).values(details={}))
    outbox = session.execute(
        select(OutboxItem.id, OutboxItem.created_at, OutboxItem.kind).where(OutboxItem.dossier_id.in_(ids))
    ).all()
    purge.outbox_ids += [(int(i), c, k) for i, c, k in outbox]
    if outbox:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.dossier_id.in_(ids))
            .values(to_address="", subject="", raw=b"")
        )
    purge.add("outbox", len(outbox))
    purge.add(
        "print_jobs", affected(session, update(PrintJob).where(PrintJob.dossier_id.in_(ids)).values(pdf=b""))
    )
    session.execute(
        update(Dossier).where(Dossier.id.in_(ids)).values(anonymised_at=now, **CLEARED_DOSSIER_VALUES)
    )
    forget_addresses(session, emails)
    purge.add("dossiers", len(ids))
    return purge


def forget_addresses(session: Session, emails: Iterable[str]) -> None:
    """Drop the bounce record of addresses that no dossier or message uses any more."""
    for email in emails:
        used = session.scalar(
            select(
                or_(
                    exists().where(Dossier.requester_email == email),
                    exists().where(Message.from_address == email),
                )
            )
        )
        if not used:
            session.execute(delete(AddressStatus).where(AddressStatus.address == email))


def delete_orphan_blobs(session: Session) -> int:
    """Delete raw blobs that no message, attachment or quarantine item points at any more."""
    stmt = delete(RawBlob).where(
        ~exists().where(Message.raw_blob_id == RawBlob.id),
        ~exists().where(StoredAttachment.blob_id == RawBlob.id),
        ~exists().where(QuarantineItem.raw_blob_id == RawBlob.id),
    )
    return affected(session, stmt)


def truncate_wal(engine: Engine) -> None:
    """SQLite: copy the write-ahead log into the file and empty it, so that old page images go too
    (secure_delete already zeroes what is deleted in the file itself); nothing on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError:
        pass  # busy: the next run truncates it
    finally:
        raw.close()


def references_of(session: Session, ids: list[int]) -> list[str]:
    """The references of these dossiers, sorted."""
    return sorted(session.scalars(select(Dossier.reference).where(Dossier.id.in_(ids))))
