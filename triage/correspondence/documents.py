"""Documents brought in person or handed over by phone follow-up: uploaded onto the dossier as a message of
its own (kind « document »), with the file kept like any attachment."""

from __future__ import annotations

import hashlib
from datetime import datetime

from triage.clock import system_clock
from triage.errors import DossierError
from triage.notify.compose import OutgoingFile
from triage.store.audit import Actor, record
from triage.store.db import Transaction
from triage.store.messages import add_document as add_document_message
from triage.store.models import Dossier
from triage.workspace.process import private_event

WAYS = {
    "permanence": "remis en main propre (permanence, accueil)",
    "courrier": "reçu par courrier",
    "telephone": "annoncé par téléphone, reçu ensuite",
    "courriel": "reçu par un autre courriel",
}


def add_document(
    session: Transaction,
    dossier: Dossier,
    file: OutgoingFile,
    actor: Actor,
    *,
    way: str,
    description: str = "",
    max_bytes: int,
    now: datetime | None = None,
) -> int:
    """Keep an uploaded document on the dossier (once per file content and dossier); its message's id."""
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
    message_id = add_document_message(
        session,
        dossier_id=dossier.id,
        way=way,
        filename=file.filename,
        content_type=file.content_type,
        data=file.data,
        sha256=digest,
        dedupe_key=dedupe,
        text=text,
        at=now,
    )
    if message_id is None:
        raise DossierError("ce document est déjà dans le dossier", key=dossier.reference)
    private_event(
        session,
        dossier,
        "document",
        f"Document ajouté : {file.filename[:120]} ({WAYS[way]})",
        actor,
        details={"message_row_id": message_id},
        now=now,
    )
    record(
        session,
        actor,
        "dossier.document_added",
        dossier_id=dossier.id,
        details={"message_id": message_id},
        now=now,
    )
    return message_id
