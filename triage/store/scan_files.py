"""Scanned files already taken in: the `scan_files` table, keyed by the SHA-256 of the file's bytes.

The pipeline records a scan here in the transaction that stores it; the drop folder and
`mediature scan add` ask `earlier` before spending OCR on bytes already imported.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.records import DossierOutcome, IngestOutcome, ScanDocument
from triage.store.messages import insert_ignore
from triage.store.models import Dossier, Message, ScanFile


def record(session: Session, doc: ScanDocument, outcome: DossierOutcome) -> None:
    """Remember a scan with what became of it, in the caller's transaction (once per SHA-256)."""
    insert_ignore(
        session,
        ScanFile,
        {
            "sha256": doc.sha256,
            "filename": doc.filename[:500],
            "stored_path": doc.path,
            "outcome": outcome.outcome.value,
            "message_row_id": outcome.message_row_id,
        },
        ["sha256"],
    )


def earlier(sessions: sessionmaker[Session], sha256: str) -> DossierOutcome | None:
    """The outcome of an earlier intake of the same bytes, None for bytes never taken in."""
    with sessions() as session:
        row = session.execute(
            select(ScanFile.message_row_id, Message.dossier_id, Dossier.reference)
            .outerjoin(Message, Message.id == ScanFile.message_row_id)
            .outerjoin(Dossier, Dossier.id == Message.dossier_id)
            .where(ScanFile.sha256 == sha256)
        ).first()
    if row is None:
        return None
    return DossierOutcome(IngestOutcome.DUPLICATE, row[0], row[1], row[2], detail="courrier déjà importé")
