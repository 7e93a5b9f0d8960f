"""The dossier as a document: one PDF with the requester, the process, the timeline and every message
(received, sent, printed), private notes only when asked, for a transmission or the archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from triage.config import Settings
from triage.dossiers.statuses import OUTCOMES, status_label
from triage.notify.letters import render_pdf
from triage.store import dossier_data
from triage.store.access import notes_of, steps_of
from triage.store.db import Transaction
from triage.store.dossier_data import DossierLine
from triage.store.models import Dossier

ROLES = {
    "request": "Demande",
    "reply": "Réponse",
    "service_answer": "Réponse du service",
    "flagged": "Mis de côté",
    "auto_reply": "Réponse automatique",
    "bounce": "Non distribué",
    "document": "Document",
}


@dataclass(frozen=True)
class Entry:
    """One message of the document, received or sent."""

    at: datetime
    direction: str  # "Reçu" / "Envoyé"
    who: str
    subject: str
    text: str
    attachments: tuple[str, ...] = ()


def _sent_text(raw: bytes) -> tuple[str, tuple[str, ...]]:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(("plain",))
    text = body.get_content().replace("\r\n", "\n") if body is not None else ""
    return text, tuple(p.get_filename() or "pièce jointe" for p in msg.iter_attachments())


def entries(session: Transaction, dossier_id: int) -> list[Entry]:
    """Every message of the dossier, oldest first."""
    found = [
        Entry(
            m.received_at,
            "Reçu",
            m.from_address or m.channel,
            m.subject or ROLES.get(m.role, m.role),
            m.body_text,
            m.attachments,
        )
        for m in dossier_data.received(session, dossier_id)
    ]
    for o in dossier_data.mailed(session, dossier_id, suppressed=False):
        text, names = _sent_text(o.raw)
        found.append(Entry(o.created_at, "Envoyé", o.to_address, o.subject, text, names))
    for p in dossier_data.printed(session, dossier_id):
        found.append(
            Entry(
                p.created_at,
                "Envoyé",
                "courrier imprimé",
                p.kind,
                "(courrier imprimé : voir la file d'impression)",
            )
        )
    return sorted(found, key=lambda e: e.at)


def dossier_pdf(
    session: Transaction,
    settings: Settings,
    dossier: Dossier | DossierLine,
    *,
    notes: bool = False,
    now: datetime,
) -> bytes:
    """The PDF of the whole dossier (the web page hands its ORM dossier, the terminal a `DossierLine`)."""
    return render_pdf(
        "letters/dossier.html.j2",
        {
            "d": dossier,
            "service": settings.service,
            "status": status_label(dossier.status),
            "outcome": OUTCOMES.get(dossier.outcome or "", ""),
            "events": steps_of(session, dossier.id),
            "entries": entries(session, dossier.id),
            "notes": notes_of(session, dossier.id) if notes else [],
            "today": now,
        },
    )
