"""Quarantine: what could not be processed is kept with its raw bytes and the reason, never dropped.

The same bytes failing again raise the attempt count of their row instead of adding one. Retrying
runs the pipeline again on the stored bytes; on success the row is marked resolved with the message
it became.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from triage.clock import system_clock
from triage.errors import NotFoundError, StoreError
from triage.parse.charsets import printable_name
from triage.records import DossierOutcome, IngestOutcome, RawMessage
from triage.store.db import transaction
from triage.store.messages import insert_ignore, store_blob
from triage.store.models import QuarantineItem, RawBlob

if TYPE_CHECKING:
    from triage.pipeline import Pipeline

Mark = Callable[[Session, DossierOutcome], None]


@dataclass(frozen=True)
class QuarantineSummary:
    """One quarantined item as the CLI and the web show it."""

    id: int
    source: str
    source_key: str
    reason: str
    error_type: str
    attempts: int
    size: int
    created_at: datetime
    last_attempt_at: datetime
    resolved_at: datetime | None
    resolved_message_id: int | None


def put(
    sessions: sessionmaker[Session],
    *,
    source: str,
    source_key: str,
    data: bytes,
    reason: str,
    error_type: str = "",
    mark: Mark | None = None,
) -> DossierOutcome:
    """Keep `data` with `reason` in a fresh transaction; raise StoreError if even that is impossible."""
    digest = hashlib.sha256(data).hexdigest()
    source_key = printable_name(source_key)  # a file name that is not UTF-8 must not fail the INSERT
    outcome = DossierOutcome(IngestOutcome.QUARANTINED, detail=reason)
    try:
        with transaction(sessions) as session:
            blob_id = store_blob(session, data, digest)
            insert_ignore(
                session,
                QuarantineItem,
                {
                    "source": source[:16],
                    "source_key": source_key,
                    "sha256": digest,
                    "raw_blob_id": blob_id,
                    "reason": reason,
                    "error_type": error_type[:64],
                    "attempts": 0,
                    "created_at": system_clock(),
                    "last_attempt_at": system_clock(),
                },
                ["sha256"],
            )
            session.execute(
                update(QuarantineItem)
                .where(QuarantineItem.sha256 == digest)
                .values(
                    attempts=QuarantineItem.attempts + 1,
                    reason=reason,
                    error_type=error_type[:64],
                    last_attempt_at=system_clock(),
                    resolved_at=None,
                )
            )
            if mark is not None:
                mark(session, outcome)
    except SQLAlchemyError as err:
        # the database itself is failing: the caller must not acknowledge the item (it is retried)
        raise StoreError(
            "base de données indisponible : l'élément n'a pas pu être mis en quarantaine"
        ) from err
    return outcome


def _summary(item: QuarantineItem, size: int) -> QuarantineSummary:
    return QuarantineSummary(
        id=item.id,
        source=item.source,
        source_key=item.source_key,
        reason=item.reason,
        error_type=item.error_type,
        attempts=item.attempts,
        size=size,
        created_at=item.created_at,
        last_attempt_at=item.last_attempt_at,
        resolved_at=item.resolved_at,
        resolved_message_id=item.resolved_message_id,
    )


def list_items(session: Session, *, include_resolved: bool = False) -> list[QuarantineSummary]:
    """Quarantined items, oldest first (resolved ones only when asked)."""
    stmt = select(QuarantineItem, RawBlob.size).join(RawBlob, RawBlob.id == QuarantineItem.raw_blob_id)
    if not include_resolved:
        stmt = stmt.where(QuarantineItem.resolved_at.is_(None))
    return [_summary(item, size) for item, size in session.execute(stmt.order_by(QuarantineItem.id)).all()]


def get_item(session: Session, item_id: int) -> tuple[QuarantineSummary, bytes]:
    """One item and its raw bytes; NotFoundError when there is no such item."""
    row = session.execute(
        select(QuarantineItem, RawBlob)
        .join(RawBlob, RawBlob.id == QuarantineItem.raw_blob_id)
        .where(QuarantineItem.id == item_id)
    ).first()
    if row is None:
        raise NotFoundError(f"aucun élément n° {item_id} en quarantaine")
    item, blob = row
    return _summary(item, blob.size), bytes(blob.data)


def _resolver(item_id: int) -> Mark:
    def mark(session: Session, outcome: DossierOutcome) -> None:
        if outcome.outcome is IngestOutcome.QUARANTINED:
            return
        session.execute(
            update(QuarantineItem)
            .where(QuarantineItem.id == item_id)
            .values(resolved_at=system_clock(), resolved_message_id=outcome.message_row_id, last_attempt_at=system_clock())
        )

    return mark


def retry(pipeline: Pipeline, item_id: int) -> DossierOutcome:
    """Run the pipeline again on a quarantined item's bytes; resolved when it now goes through."""
    with transaction(pipeline.runtime.sessions) as session:
        summary, data = get_item(session, item_id)
    if summary.resolved_at is not None:
        return DossierOutcome(
            IngestOutcome.DUPLICATE, message_row_id=summary.resolved_message_id, detail="déjà résolu"
        )
    if summary.source == "scan":
        return _retry_scan(pipeline, summary, data)
    raw = RawMessage(source=summary.source, source_key=summary.source_key, data=data)
    return pipeline.ingest_raw(raw, mark=_resolver(item_id))


def _retry_scan(pipeline: Pipeline, summary: QuarantineSummary, data: bytes) -> DossierOutcome:
    try:
        from triage.sources.scans import read_scan_file
    except ImportError:
        return DossierOutcome(
            IngestOutcome.QUARANTINED, detail="lecture des courriers numérisés indisponible"
        )
    suffix = Path(summary.source_key).suffix or ".bin"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"quarantaine-{summary.id}{suffix}"
        path.write_bytes(data)
        try:
            doc = read_scan_file(path, pipeline.settings)
        except Exception as err:  # OCR still failing: count the attempt, keep the item
            return pipeline.quarantine_bytes(
                "scan",
                summary.source_key,
                data,
                f"lecture du courrier impossible : {err}",
                type(err).__name__,
            )
    return pipeline.ingest_scan(doc, data, mark=_resolver(summary.id))
