"""Answers coming back into a dossier: who we wrote to, a signed reply address in the recipients, and what
an answer from a service to a transmission changes (it stops the art. 15 clock)."""

from __future__ import annotations

from datetime import datetime

from triage.config import Settings
from triage.dossiers.msgid import make_reply_address, reference_from_reply_address
from triage.dossiers.statuses import resume_after_reply
from triage.records import ParsedMessage
from triage.store.audit import Actor, record
from triage.store.db import Transaction
from triage.store.models import Dossier
from triage.store.outbox import recipients_of

# Outbox kinds that hand a request to a service or body: an answer from their recipient is the service's answer.
TRANSMISSION_KINDS = frozenset(
    {"letter_transmission", "message_transmission", "letter_reorientation_transmission"}
)
EVENT_SERVICE_ANSWER = "reponse_service"


def written_to(session: Transaction, dossier_id: int) -> dict[str, bool]:
    """Every address the mediation wrote to about this dossier -> whether it received a transmission."""
    found: dict[str, bool] = {}
    for address, kind in recipients_of(session, dossier_id):
        address = address.lower()
        found[address] = found.get(address, False) or kind in TRANSMISSION_KINDS
    return found


def reply_to_for(settings: Settings, secret: bytes, reference: str) -> str | None:
    """The signed plus-address replies to this dossier should go to, when configured (else None)."""
    if not settings.correspondence.reply_plus_address:
        return None
    base = settings.correspondence.reply_address or settings.service.email
    return make_reply_address(secret, base, reference)


def reply_address_references(secret: bytes, parsed: ParsedMessage) -> list[str]:
    """Dossier references carried by a signed reply address among the recipients, without repeats."""
    refs: list[str] = []
    for address in parsed.to:
        ref = reference_from_reply_address(secret, address)
        if ref and ref not in refs:
            refs.append(ref)
    return refs


def record_answer(dossier: Dossier, *, service_answer: bool, received_at: datetime) -> bool:
    """A message joined the dossier: mark it unread; a service's answer stops the clock. Returns whether
    the clock was stopped now (the first answer since the transmission)."""
    dossier.unread = True
    if service_answer and dossier.service_answered_at is None:
        dossier.service_answered_at = received_at
        return True
    return False


def end_wait_for_requester(
    session: Transaction, settings: Settings, dossier: Dossier, *, now: datetime
) -> bool:
    """The requester's own reply joined the dossier: a wait for it (« En attente de votre réponse ») ends
    by itself, the deadlines resume (triage.dossiers.statuses.resume_after_reply). Whether it ended."""
    done = resume_after_reply(
        session,
        dossier,
        now=now,
        service_answer_days=settings.deadlines.service_answer_days,
        requester_wait_days=settings.deadlines.requester_wait_days,
    )
    if done is None:
        return False
    record(
        session,
        Actor.system(),
        "dossier.status",
        dossier_id=dossier.id,
        details={"from": done.previous, "to": done.target, "reason": "reponse_usager"},
        now=now,
    )
    return True
