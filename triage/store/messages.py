"""Keeping what came in: raw bytes (content-addressed), message rows and their attachments.

Writes that two workers may race on (the same attachment in two messages, a counter row, an address
status) use INSERT ... ON CONFLICT DO NOTHING, so that the only unique violation an ingestion
transaction can meet is the one that means "this message is already here" (Message.dedupe_key).

The ingestion hot path writes with prepared Core statements (built once per dialect, so SQLAlchemy
compiles each of them once) on the session's own connection: the ORM unit of work cost more than the
database itself. Rows stay in the caller's transaction exactly as before. On PostgreSQL, where every
statement is a round trip, new bytes and the row citing them go in one statement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from triage.records import Attachment, ParsedMessage, ScanDocument, ScanPage
from triage.store.models import Base, Message, RawBlob, ScanPageRow, StoredAttachment

_BLOBS: Table = RawBlob.__table__  # type: ignore[assignment]
_MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_ATTACHMENTS: Table = StoredAttachment.__table__  # type: ignore[assignment]
_BLOB_ID = select(_BLOBS.c.id).where(_BLOBS.c.sha256 == bindparam("sha"))
_INSERT_ATTACHMENT = insert(_ATTACHMENTS)
_INSERT_SCAN_PAGE = insert(ScanPageRow)


def connection(session: Session) -> Connection:
    """The connection of the session's transaction (Core statements skip the ORM machinery)."""
    return session.connection()


def dialect_insert(dialect: str) -> Any:
    """The INSERT construct of the dialect (for ON CONFLICT clauses)."""
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(dialect)  # pragma: no cover - only SQLite and PostgreSQL are supported


@cache
def insert_ignore_statement(table: Table, key: tuple[str, ...], dialect: str) -> Any:
    """INSERT ... ON CONFLICT (key) DO NOTHING for `table`, built once per dialect."""
    return dialect_insert(dialect)(table).on_conflict_do_nothing(index_elements=list(key))


@cache
def _new_blob_statement(dialect: str) -> Any:
    # one statement for a new blob: INSERT ... ON CONFLICT DO NOTHING RETURNING id (no row on conflict)
    return (
        dialect_insert(dialect)(_BLOBS)
        .on_conflict_do_nothing(index_elements=["sha256"])
        .returning(_BLOBS.c.id)
    )


@cache
def _column_defaults(table: Table) -> tuple[tuple[str, Any, bool], ...]:
    """(key, default, whether the default is a callable) of every column but the primary key."""
    out = []
    for column in table.columns:
        if column.primary_key:
            continue
        default = column.default
        if default is None:
            out.append((column.key, None, False))
        elif default.is_callable or default.is_scalar:
            out.append((column.key, getattr(default, "arg", None), bool(default.is_callable)))
        else:  # pragma: no cover - SQL expression defaults are not used in this schema
            raise NotImplementedError(column.key)
    return tuple(out)


def _full_row(table: Table, values: Mapping[str, Any], leave_out: str) -> dict[str, Any]:
    """`values` completed with the columns' Python defaults, as an INSERT would (for INSERT ... SELECT)."""
    row: dict[str, Any] = {}
    for key, default, call in _column_defaults(table):
        if key == leave_out:
            continue
        if key in values:
            row[key] = values[key]
        else:
            row[key] = default(None) if call else default  # SQLAlchemy wraps callables to take a context
    return row


@cache
def _row_with_new_blob_statement(table: Table, blob_column: str) -> Any:
    """PostgreSQL: INSERT the blob (ON CONFLICT DO NOTHING) and the row citing it in one statement.
    No row when the bytes were already stored: the caller then inserts the row alone (a new statement
    sees the bytes another transaction committed meanwhile, which this statement's snapshot may not)."""
    blob = (
        postgresql.insert(_BLOBS)
        .values(
            sha256=bindparam("blob_sha256", type_=_BLOBS.c.sha256.type),
            size=bindparam("blob_size", type_=_BLOBS.c.size.type),
            data=bindparam("blob_data", type_=_BLOBS.c.data.type),
        )
        .on_conflict_do_nothing(index_elements=["sha256"])
        .returning(_BLOBS.c.id)
        .cte("blob")
    )
    keys = [key for key, _d, _c in _column_defaults(table) if key != blob_column]
    return (
        insert(table)
        .from_select(
            [blob_column, *keys], select(blob.c.id, *(bindparam(k, type_=table.c[k].type) for k in keys))
        )
        .returning(table.c.id)
    )


@cache
def _insert_returning_id(table: Table) -> Any:
    return insert(table).returning(table.c.id)


def _insert_citing(
    conn: Connection, table: Table, blob_column: str, values: Mapping[str, Any], data: bytes, sha256: str
) -> int:
    """Insert a row of `table` whose `blob_column` points at the blob of `data` (stored once); its id."""
    if conn.dialect.name == "postgresql":
        params = _full_row(table, values, blob_column)
        params.update(blob_sha256=sha256, blob_size=len(data), blob_data=data)
        row_id = conn.execute(_row_with_new_blob_statement(table, blob_column), params).scalar()
        if row_id is not None:
            return int(row_id)
        # the bytes were there already (committed, or the insert would have happened): look them up
        blob_id = conn.execute(_BLOB_ID, {"sha": sha256}).scalar()
        if blob_id is None:  # pragma: no cover - blobs are never deleted
            blob_id = _store_blob(conn, data, sha256)
    else:
        blob_id = _store_blob(conn, data, sha256)
    return int(conn.execute(_insert_returning_id(table), {**values, blob_column: blob_id}).scalar_one())


def insert_ignore(session: Session, model: type[Base], values: dict[str, Any], key: list[str]) -> None:
    """INSERT a row unless one with the same `key` columns exists (waits for a concurrent writer)."""
    conn = connection(session)
    table: Table = model.__table__  # type: ignore[assignment]
    conn.execute(insert_ignore_statement(table, tuple(key), conn.dialect.name), values)


def store_blob(session: Session, data: bytes, sha256: str | None = None) -> int:
    """The id of the blob holding `data`, stored once whatever the number of messages citing it."""
    return _store_blob(connection(session), data, sha256)


def _store_blob(conn: Connection, data: bytes, sha256: str | None) -> int:
    digest = sha256 or hashlib.sha256(data).hexdigest()
    blob_id = conn.execute(
        _new_blob_statement(conn.dialect.name), {"sha256": digest, "size": len(data), "data": data}
    ).scalar()
    if blob_id is None:
        blob_id = conn.execute(_BLOB_ID, {"sha": digest}).scalar()
    assert blob_id is not None
    return int(blob_id)


def _insert_attachments(conn: Connection, rows: list[dict[str, Any]], blobs: list[bytes | None]) -> None:
    """Insert attachment rows in order, each with its bytes stored once as a blob (None: too large)."""
    if conn.dialect.name == "postgresql":
        for row, data in zip(rows, blobs, strict=True):  # one round trip each
            if data is None:
                conn.execute(_INSERT_ATTACHMENT, row)
            else:
                _insert_citing(conn, _ATTACHMENTS, "blob_id", row, data, row["sha256"])
        return
    for row, data in zip(rows, blobs, strict=True):
        row["blob_id"] = _store_blob(conn, data, row["sha256"]) if data is not None else None
    if rows:
        conn.execute(_INSERT_ATTACHMENT, rows)  # one executemany for all attachments of a message


def _attachments(conn: Connection, message_row_id: int, attachments: tuple[Attachment, ...]) -> None:
    rows = [
        {
            "message_id": message_row_id,
            "filename": att.filename,
            "content_type": att.content_type,
            "declared_type": att.declared_type[:200],
            "size": att.size,
            "sha256": att.sha256,
            "too_large": att.too_large,
        }
        for att in attachments
    ]
    _insert_attachments(conn, rows, [att.data for att in attachments])


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
    flag_reason: str = "",
) -> int:
    """Insert the message row (a duplicate fails here), its raw bytes and attachments; return its id.
    A non-empty `flag_reason` puts the message up for the mediator's review."""
    conn = connection(session)
    row_id = _insert_citing(
        conn,
        _MESSAGES,
        "raw_blob_id",
        {
            "dossier_id": dossier_id,
            "direction": "in",
            "channel": parsed.channel.value,
            "kind": parsed.kind.value,
            "kind_reason": parsed.kind_reason,
            "role": role,
            "source": source[:16],
            "source_key": source_key,
            "dedupe_key": parsed.dedupe_key,
            "content_hash": parsed.content_hash,
            "message_id": (parsed.message_id or None) and parsed.message_id[:998],
            "in_reply_to": (parsed.in_reply_to or None) and parsed.in_reply_to[:998],
            "references": list(parsed.references),
            "subject": parsed.subject,
            "from_name": parsed.from_name[:320],
            "from_address": parsed.from_address[:320],
            "reply_to": (parsed.reply_to or None) and parsed.reply_to[:320],
            "to_addresses": list(parsed.to),
            "sent_at": parsed.date,
            "received_at": received_at,
            "body_text": parsed.text,
            "quoted_text": parsed.quoted,
            "signature": parsed.signature,
            "html_sanitised": parsed.html,
            "form_fields": _form_fields(parsed),
            "defects": list(parsed.defects),
            "flag_reason": flag_reason,
            "needs_review": bool(flag_reason),
        },
        raw,
        parsed.content_hash,
    )
    _attachments(conn, row_id, parsed.attachments)
    return row_id


def store_scan(
    session: Session,
    doc: ScanDocument,
    original: bytes,
    *,
    received_at: datetime,
    role: str,
    dossier_id: int | None = None,
    flag_reason: str = "",
) -> int:
    """Insert the message row of a scanned letter, with the original file as blob and attachment;
    return its id. A non-empty `flag_reason` puts the letter up for the mediator's review."""
    conn = connection(session)
    blob_id = _store_blob(conn, original, doc.sha256)  # the letter's raw bytes and its attachment
    row_id = conn.execute(
        _insert_returning_id(_MESSAGES),
        {
            "dossier_id": dossier_id,
            "raw_blob_id": blob_id,
            "direction": "in",
            "channel": "courrier",
            "kind": "request",
            "role": role,
            "source": "scan",
            "source_key": doc.path,
            "dedupe_key": doc.sha256,
            "content_hash": doc.sha256,
            "subject": doc.filename,
            "received_at": received_at,
            "body_text": doc.text,
            "scan_pages": doc.pages,
            "scan_method": doc.method[:16],
            "ocr_confidence": doc.mean_confidence,
            "flag_reason": flag_reason,
            "needs_review": bool(flag_reason),
        },
    ).scalar_one()
    conn.execute(
        _INSERT_ATTACHMENT,
        {
            "message_id": row_id,
            "filename": doc.filename[:500],
            "content_type": doc.content_type,
            "declared_type": doc.content_type,
            "size": len(original),
            "sha256": doc.sha256,
            "blob_id": blob_id,
        },
    )
    # each page as read, for « Vérifier la transcription »
    conn.execute(_INSERT_SCAN_PAGE, [{"message_id": row_id, **page} for page in _scan_pages(doc)])
    return int(row_id)


def _scan_pages(doc: ScanDocument) -> list[dict[str, Any]]:
    """The page rows of a scan: as read page by page, else cut from its text at the page breaks
    (each page then carries the document's mean confidence)."""
    pages = doc.page_texts or tuple(
        ScanPage(number, text.strip(), doc.method, doc.mean_confidence if doc.method == "ocr" else None, 0)
        for number, text in enumerate(doc.text.split("\f"), start=1)
    )
    return [
        {
            "number": page.number,
            "method": page.method[:16],
            "confidence": page.confidence,
            "words": page.words or len(page.text.split()),
            "ocr_text": page.text,
            "corrected_text": None,
            "corrected_at": None,
            "corrected_by_id": None,
        }
        for page in pages
    ]


def store_typed(
    session: Session,
    *,
    dossier_id: int,
    channel: str,
    text: str,
    subject: str,
    from_name: str,
    from_address: str,
    source_key: str,
    received_at: datetime,
    dedupe_key: str,
    content_hash: str,
) -> int:
    """Insert the message row of a request typed in by the mediator or the mail service; return its id."""
    row_id = (
        connection(session)
        .execute(
            _insert_returning_id(_MESSAGES),
            {
                "dossier_id": dossier_id,
                "direction": "in",
                "channel": channel,
                "kind": "request",
                "role": "request",
                "source": "manual",
                "source_key": source_key,
                "dedupe_key": dedupe_key,
                "content_hash": content_hash,
                "subject": subject,
                "from_name": from_name[:320],
                "from_address": from_address[:320],
                "received_at": received_at,
                "body_text": text,
            },
        )
        .scalar_one()
    )
    return int(row_id)


def _form_fields(parsed: ParsedMessage) -> dict[str, Any] | None:
    return None if parsed.form is None else asdict(parsed.form)


def raw_bytes(session: Session, message_row_id: int) -> tuple[Message, bytes]:
    """An incoming message row and its raw bytes (as received); LookupError when either is missing."""
    message = session.get(Message, message_row_id)
    if message is None or message.raw_blob_id is None:
        raise LookupError(message_row_id)
    blob = session.get(RawBlob, message.raw_blob_id)
    if blob is None:
        raise LookupError(message_row_id)
    return message, bytes(blob.data)


def join_dossier(session: Session, message_row_id: int, dossier_id: int, *, channel: str) -> None:
    """A message kept aside becomes the request of a dossier (the mediator's decision)."""
    session.execute(
        update(Message)
        .where(Message.id == message_row_id)
        .values(dossier_id=dossier_id, role="request", needs_review=False, channel=channel)
        .execution_options(synchronize_session="fetch")
    )


def add_document(
    session: Session,
    *,
    dossier_id: int,
    way: str,
    filename: str,
    content_type: str,
    data: bytes,
    sha256: str,
    dedupe_key: str,
    text: str,
    at: datetime,
) -> int | None:
    """A document received outside the mailbox, as a message with its file; None when its `dedupe_key`
    is already taken (the same file on the same dossier)."""
    if session.scalar(select(Message.id).where(Message.dedupe_key == dedupe_key)) is not None:
        return None
    message = Message(
        dossier_id=dossier_id,
        direction="in",
        channel=way,
        kind="document",
        role="document",
        source="web",
        source_key=filename[:200],
        dedupe_key=dedupe_key,
        content_hash=sha256,
        subject=filename[:200],
        body_text=text,
        received_at=at,
        from_address="",
    )
    session.add(message)
    session.flush()
    session.add(
        StoredAttachment(
            message_id=message.id,
            filename=filename[:500],
            content_type=content_type,
            size=len(data),
            sha256=sha256,
            blob_id=store_blob(session, data, sha256),
        )
    )
    return message.id
