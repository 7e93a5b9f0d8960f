"""Free messages written from a dossier: by email through the outbox or as a printed letter through the
print queue, exactly once per key, with the CRPA mention the law asks for, recorded in the timeline."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from triage.config import Settings
from triage.correspondence.answers import reply_to_for
from triage.dossiers.msgid import make_message_id
from triage.errors import DossierError
from triage.notify.acknowledge import greeting
from triage.notify.compose import Outgoing, OutgoingFile, safe_address
from triage.notify.letters import queue_print, render_pdf
from triage.notify.outbox import enqueue
from triage.notify.postal import postal_lines
from triage.runtime import Runtime
from triage.store.audit import Actor, record
from triage.store.db import Transaction
from triage.store.models import Dossier
from triage.store.outbox import queued_letter, queued_outgoing
from triage.workspace.letters import LetterKind, place_of
from triage.workspace.process import StatusChange, change_status, private_event, record_first_contact

DELIVERIES = {"courriel": "Par courriel", "courrier": "Par courrier imprimé (file d'impression)"}
# The CRPA mentions a free message may carry: code -> (label for the form, text added to the message).
MENTIONS: dict[str, tuple[str, str]] = {
    "": ("Aucune", ""),
    "transmission": (
        "Transmission à un service ou à l'autorité compétente (art. L114-2 CRPA)",
        (
            "Conformément à l'article L114-2 du code des relations entre le public et l'administration, la "
            "demande est transmise à l'autorité compétente pour la traiter et la personne qui l'a formée en est "
            "avisée. Les délais au terme desquels une décision implicite peut naître ne courent qu'à compter "
            "de la réception de la demande par cette autorité."
        ),
    ),
    "fin_mediation": (
        "Avis de fin de médiation (reprise des délais de recours)",
        (
            "La médiation a pris fin à la date du présent message. Pour les questions qui relevaient de la "
            "médiation, les délais de recours contentieux recommencent à courir à compter de cette date et les "
            "délais de prescription repartent pour une durée qui ne peut être inférieure à six mois (articles "
            "L1112-24 du code général des collectivités territoriales et L213-6 du code de justice "
            "administrative). Conservez ce message : il fait foi de cette date."
        ),
    ),
}


@dataclass(frozen=True)
class FreeMessage:
    """What the mediator writes: to whom, how, and what."""

    to_address: str
    body: str
    subject: str = ""
    to_name: str = ""
    delivery: str = "courriel"  # courriel / courrier
    recipient_lines: tuple[str, ...] = ()  # postal address, for a printed letter
    attachments: tuple[OutgoingFile, ...] = ()
    mention: str = ""  # a key of MENTIONS
    key: str = ""  # idempotency key from the caller (a form nonce); else derived from the content
    to_requester: bool = False  # a printed letter to the requester (an email is recognised by its address)
    direction: str = ""  # a directory service's direction: a transmission files the dossier under it


@dataclass(frozen=True)
class SentMessage:
    """What went out (or had already gone out for this key)."""

    message_id: str | None
    outbox_id: int | None
    print_job_id: int | None
    created: bool


def content_key(reference: str, msg: FreeMessage) -> str:
    """The default idempotency key: the same message to the same person is queued only once."""
    h = hashlib.sha256()
    for part in (reference, msg.delivery, msg.to_address.strip().lower(), msg.subject, msg.body, msg.mention):
        h.update(part.encode() + b"\0")
    for f in msg.attachments:
        h.update(f.filename.encode() + b"\0" + hashlib.sha256(f.data).digest())
    return h.hexdigest()[:40]


def subject_for(dossier: Dossier, subject: str) -> str:
    """The subject, carrying the reference (so an answer without our headers still finds its dossier)."""
    subject = re.sub(r"\s+", " ", subject or "").strip() or "Votre demande de médiation"
    if dossier.reference.lower() not in subject.lower():
        subject = f"{subject} — dossier {dossier.reference}"
    return subject[:300]


def signature(settings: Settings) -> str:
    """The signature closing every free message."""
    s = settings.service
    return "\n".join([s.mediator_title, s.name, s.organisation, *s.address_lines, f"Tél. {s.phone}", s.email])


def body_with_mention(body: str, mention: str) -> str:
    """The body followed by the legal mention (when one is chosen)."""
    if mention not in MENTIONS:
        raise DossierError(f"mention inconnue : {mention}")
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()  # browsers post CRLF
    if MENTIONS[mention][1]:
        text += "\n\n" + MENTIONS[mention][1]
    return text


def _existing(session: Transaction, key: str) -> SentMessage | None:
    item = queued_outgoing(session, key)
    if item is not None:
        return SentMessage(item.message_id, item.id, None, False)
    job = queued_letter(session, key)
    if job is not None:
        return SentMessage(None, None, job.id, False)
    return None


def is_transmission_recipient(dossier: Dossier, msg: FreeMessage) -> bool:
    """A transmission mention on a message to anyone but the requester hands the request to that service."""
    return (
        msg.mention == "transmission"
        and msg.to_address.strip().lower() != (dossier.requester_email or "").lower()
    )


def validate(settings: Settings, dossier: Dossier, msg: FreeMessage) -> None:
    """Refuse what cannot be sent (French messages for the mediator)."""
    ref = dossier.reference
    if msg.delivery not in DELIVERIES:
        raise DossierError("choisissez l'envoi par courriel ou par courrier", key=ref)
    if not msg.body.strip():
        raise DossierError("le message est vide", key=ref)
    if msg.mention not in MENTIONS:
        raise DossierError(f"mention inconnue : {msg.mention}", key=ref)
    if msg.delivery == "courriel":
        try:
            safe_address(msg.to_name, msg.to_address)
        except ValueError as err:
            raise DossierError("adresse de courriel du destinataire invalide", key=ref) from err
    elif not [line for line in msg.recipient_lines if line.strip()]:
        raise DossierError(
            "adresse postale du destinataire manquante : envoi par courrier impossible", key=ref
        )
    if sum(len(f.data) for f in msg.attachments) > settings.correspondence.max_attachment_bytes:
        raise DossierError("pièces jointes trop volumineuses", key=ref)
    if msg.mention == "fin_mediation" and dossier.status != "cloturee":
        raise DossierError(
            "clôturez d'abord le dossier : l'avis de fin de médiation en donne la date", key=ref
        )


def send_message(
    session: Transaction, runtime: Runtime, dossier: Dossier, msg: FreeMessage, actor: Actor
) -> SentMessage:
    """Queue a free message on a dossier (once per key), write the timeline and the audit log."""
    settings = runtime.settings
    now = runtime.clock()
    key = f"msg:{dossier.reference}:{msg.key or content_key(dossier.reference, msg)}"[:200]
    already = _existing(session, key)
    if already is not None:
        return already
    validate(settings, dossier, msg)
    to_requester = msg.to_requester or (
        bool(msg.to_address) and msg.to_address.strip().lower() == (dossier.requester_email or "").lower()
    )
    transmission = is_transmission_recipient(dossier, msg)
    if transmission and msg.direction.strip():
        dossier.direction = msg.direction.strip()[:120]
    if transmission and dossier.status != "transmise_service":
        change_status(
            session,
            settings,
            dossier,
            StatusChange("transmise_service", service=msg.to_name or msg.to_address),
            actor,
            now=now,
        )
    elif transmission:
        dossier.service_answered_at = None  # a new transmission restarts the clock's wait for an answer
    kind = "message_transmission" if transmission else "message"
    text = body_with_mention(msg.body, msg.mention)
    subject = subject_for(dossier, msg.subject)
    recipient = msg.to_name or msg.to_address or "le destinataire"
    if msg.delivery == "courriel":
        domain = settings.smtp.from_address.rsplit("@", 1)[-1]
        out = Outgoing(
            to_address=msg.to_address,
            to_name=msg.to_name,
            subject=subject,
            text=f"{text}\n\n-- \n{signature(settings)}\n",
            html=None,
            message_id=make_message_id(runtime.secret, dossier.reference, domain, "msg"),
            automatic=False,
            reply_to=reply_to_for(settings, runtime.secret, dossier.reference),
            attachments=msg.attachments,
        )
        item = enqueue(session, settings, out, kind=kind, idempotency_key=key, dossier_id=dossier.id, now=now)
        sent = SentMessage(item.message_id, item.id, None, True)
        how = "mis en envoi par courriel"
    else:
        pdf = render_pdf(
            "letters/message_libre.html.j2", _letter_context(settings, dossier, msg, subject, text, now)
        )
        job = queue_print(session, dossier_id=dossier.id, kind=kind, idempotency_key=key, pdf=pdf, now=now)
        sent = SentMessage(None, None, job.id, True)
        how = "à imprimer et à poster (file d'impression)"
    private_event(
        session,
        dossier,
        "message_envoye",
        f"Message « {subject} » pour {recipient} : {how}",
        actor,
        details={
            "outbox_id": sent.outbox_id,
            "print_job_id": sent.print_job_id,
            "kind": kind,
            "to": msg.to_address.strip().lower(),
            "mention": msg.mention,
            "attachments": [f.filename for f in msg.attachments],
        },
        now=now,
    )
    if to_requester:
        record_first_contact(session, dossier, actor, msg.delivery, automatic=True, now=now)
    record(
        session,
        actor,
        "dossier.message",
        dossier_id=dossier.id,
        now=now,
        details={
            "kind": kind,
            "delivery": msg.delivery,
            "outbox_id": sent.outbox_id,
            "print_job_id": sent.print_job_id,
            "attachments": len(msg.attachments),
        },
    )
    return sent


def _letter_context(
    settings: Settings, dossier: Dossier, msg: FreeMessage, subject: str, text: str, now: datetime
) -> dict[str, Any]:
    lines = list(postal_lines("\n".join(msg.recipient_lines)))
    return {
        "layout": "letters/courrier_layout.html.j2",
        "kind": LetterKind("message", subject, True, False),
        "reference": dossier.reference,
        "today": now,
        "place": place_of(settings.service),
        "service": settings.service,
        "recipient_name": msg.to_name,
        "recipient_lines": lines,
        "recipient_city": "",
        "subject": subject,
        "greeting": greeting(dossier.requester_civility),
        "paragraphs": [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()],
        "attachments": [f.filename for f in msg.attachments],
        "algorithmic_mention": False,
    }
