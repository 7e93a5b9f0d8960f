"""Documents brought in person or handed over by phone follow-up: uploaded onto the dossier as a message of
its own (kind « document »), with the file kept like any attachment."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.clock import system_clock
from triage.errors import DossierError
from triage.notify.compose import OutgoingFile
from triage.store.audit import Actor, record
from triage.store.messages import store_blob
from triage.store.models import Dossier, Message, StoredAttachment
from triage.workspace.process import private_event

WAYS = {
    "permanence": "remis en main propre (permanence, accueil)",
    "courrier": "reçu par courrier",
    "telephone": "annoncé par téléphone, reçu ensuite",
    "courriel": "reçu par un autre courriel",
}


def add_document(
    session: Session,
    dossier: Dossier,
    file: OutgoingFile,
    actor: Actor,
    *,
    way: str,
    description: str = "",
    max_bytes: int,
    now: datetime | None = None,
) -> Message:
    """Keep an uploaded document on the dossier (once per file content and dossier)."""
    if way not in WAYS:
        raise DossierError("indiquez comment le document a été reçu", key=dossier.reference)
    if not file.data:
        raise DossierError("le fichier est vide", key=dossier.reference)
    if len(file.data) > max_bytes:
        raise DossierError("fichier trop volumineux", key=dossier.reference)
    now = now or system_clock()
    digest = hashlib.sha256(file.data).hexdigest()
    dedupe = hashlib.sha256(f"document|{dossier.reference}|{digest}".encode()).hexdigest()
    text = description.strip()[:2000] or f"Document {WAYS[way]}."
    message = Message(
        dossier_id=dossier.id,
        direction="in",
        channel=way,
        kind="document",
        role="document",
        source="web",
        source_key=file.filename[:200],
        dedupe_key=dedupe,
        content_hash=digest,
        subject=file.filename[:200],
        body_text=text,
        received_at=now,
        from_address="",
    )
    if session.scalar(select(Message.id).where(Message.dedupe_key == dedupe)) is not None:
        raise DossierError("ce document est déjà dans le dossier", key=dossier.reference)
    session.add(message)
    session.flush()
    blob_id = store_blob(session, file.data, digest)
    session.add(
        StoredAttachment(
            message_id=message.id,
            filename=file.filename[:500],
            content_type=file.content_type,
            size=len(file.data),
            sha256=digest,
            blob_id=blob_id,
        )
    )
    private_event(
        session,
        dossier,
        "document",
        f"Document ajouté : {file.filename[:120]} ({WAYS[way]})",
        actor,
        details={"message_row_id": message.id},
        now=now,
    )
    record(
        session,
        actor,
        "dossier.document_added",
        dossier_id=dossier.id,
        details={"message_id": message.id},
        now=now,
    )
    return message
