"""Quarantine: what could not be processed is kept with its raw bytes and the reason, never dropped.

The same bytes failing again raise the attempt count of their row instead of adding one. Retrying
runs the pipeline again on the stored bytes; on success the row is marked resolved with the message
it became.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage.errors import NotFoundError
from triage.parse.charsets import printable_name
from triage.records import DossierOutcome, IngestOutcome
from triage.store.messages import insert_ignore, store_blob
from triage.store.models import QuarantineItem, RawBlob


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
    session: Session,
    *,
    source: str,
    source_key: str,
    data: bytes,
    reason: str,
    error_type: str = "",
    at: datetime,
) -> DossierOutcome:
    """Keep `data` with `reason` in the caller's transaction (the same bytes again count one more attempt)."""
    digest = hashlib.sha256(data).hexdigest()
    source_key = printable_name(source_key)  # a file name that is not UTF-8 must not fail the INSERT
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
            "created_at": at,
            "last_attempt_at": at,
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
            last_attempt_at=at,
            resolved_at=None,
        )
    )
    return DossierOutcome(IngestOutcome.QUARANTINED, detail=reason)


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


def resolve(session: Session, item_id: int, outcome: DossierOutcome, *, at: datetime) -> None:
    """Mark an item resolved by the outcome of a new attempt (nothing when it is quarantined again)."""
    if outcome.outcome is IngestOutcome.QUARANTINED:
        return
    session.execute(
        update(QuarantineItem)
        .where(QuarantineItem.id == item_id)
        .values(resolved_at=at, resolved_message_id=outcome.message_row_id, last_attempt_at=at)
    )
