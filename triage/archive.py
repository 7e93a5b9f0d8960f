"""Keeping what came in: raw bytes (content-addressed), message rows and their attachments.

Writes that two workers may race on (the same attachment in two messages, a counter row, an address
status) use INSERT ... ON CONFLICT DO NOTHING, so that the only unique violation an ingestion
transaction can meet is the one that means "this message is already here" (Message.dedupe_key).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from triage.records import Attachment, ParsedMessage, ScanDocument
from triage.store.models import Base, Message, RawBlob, StoredAttachment


def insert_ignore(session: Session, model: type[Base], values: dict[str, Any], key: list[str]) -> None:
    """INSERT a row unless one with the same `key` columns exists (waits for a concurrent writer)."""
    dialect = session.get_bind().dialect.name
    table: Table = model.__table__  # type: ignore[assignment]
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(dialect)
    session.execute(stmt)


def store_blob(session: Session, data: bytes, sha256: str | None = None) -> int:
    """The id of the blob holding `data`, stored once whatever the number of messages citing it."""
    digest = sha256 or hashlib.sha256(data).hexdigest()
    table = RawBlob.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # one statement for a new blob: INSERT ... ON CONFLICT DO NOTHING RETURNING id (no row on conflict)
    stmt = (
        dialect.insert(table)
        .values(sha256=digest, size=len(data), data=data)
        .on_conflict_do_nothing(index_elements=["sha256"])
        .returning(table.c.id)
    )
    blob_id = session.execute(stmt).scalar()
    if blob_id is None:
        blob_id = session.scalar(select(RawBlob.id).where(RawBlob.sha256 == digest))
    assert blob_id is not None
    return int(blob_id)


def _attachments(session: Session, row: Message, attachments: tuple[Attachment, ...]) -> None:
    for att in attachments:
        blob_id = store_blob(session, att.data, att.sha256) if att.data is not None else None
        session.add(
            StoredAttachment(
                message_id=row.id,
                filename=att.filename,
                content_type=att.content_type,
                declared_type=att.declared_type[:200],
                size=att.size,
                sha256=att.sha256,
                too_large=att.too_large,
                blob_id=blob_id,
            )
        )


def store_mail(
    session: Session,
    parsed: ParsedMessage,
    raw: bytes,
    *,
    source: str,
    source_key: str,
    received_at: datetime,
    role: str,
    dossier_id: int | None = None,
) -> Message:
    """Insert the message row (flushed, so a duplicate fails here), its raw bytes and attachments."""
    row = Message(
        dossier_id=dossier_id,
        raw_blob_id=store_blob(session, raw, parsed.content_hash),
        direction="in",
        channel=parsed.channel.value,
        kind=parsed.kind.value,
        kind_reason=parsed.kind_reason,
        role=role,
        source=source[:16],
        source_key=source_key,
        dedupe_key=parsed.dedupe_key,
        content_hash=parsed.content_hash,
        message_id=(parsed.message_id or None) and parsed.message_id[:998],
        in_reply_to=(parsed.in_reply_to or None) and parsed.in_reply_to[:998],
        references=list(parsed.references),
        subject=parsed.subject,
        from_name=parsed.from_name[:320],
        from_address=parsed.from_address[:320],
        reply_to=(parsed.reply_to or None) and parsed.reply_to[:320],
        to_addresses=list(parsed.to),
        sent_at=parsed.date,
        received_at=received_at,
        body_text=parsed.text,
        quoted_text=parsed.quoted,
        signature=parsed.signature,
        html_sanitised=parsed.html,
        form_fields=_form_fields(parsed),
        defects=list(parsed.defects),
    )
    session.add(row)
    session.flush()  # the unique dedupe_key is checked here
    _attachments(session, row, parsed.attachments)
    return row


def store_scan(
    session: Session,
    doc: ScanDocument,
    original: bytes,
    *,
    received_at: datetime,
    role: str,
    dossier_id: int | None = None,
) -> Message:
    """Insert the message row of a scanned letter, with the original file as blob and attachment."""
    blob_id = store_blob(session, original, doc.sha256)
    row = Message(
        dossier_id=dossier_id,
        raw_blob_id=blob_id,
        direction="in",
        channel="courrier",
        kind="request",
        role=role,
        source="scan",
        source_key=doc.path,
        dedupe_key=doc.sha256,
        content_hash=doc.sha256,
        subject=doc.filename,
        received_at=received_at,
        body_text=doc.text,
        scan_pages=doc.pages,
        scan_method=doc.method[:16],
        ocr_confidence=doc.mean_confidence,
    )
    session.add(row)
    session.flush()
    session.add(
        StoredAttachment(
            message_id=row.id,
            filename=doc.filename[:500],
            content_type=doc.content_type,
            declared_type=doc.content_type,
            size=len(original),
            sha256=doc.sha256,
            blob_id=blob_id,
        )
    )
    return row


def _form_fields(parsed: ParsedMessage) -> dict[str, Any] | None:
    if parsed.form is None:
        return None
    from dataclasses import asdict

    return asdict(parsed.form)
