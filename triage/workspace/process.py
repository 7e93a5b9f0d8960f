"""The mediation process on one dossier: status changes (art. 11-16 of the règlement), first contact
(art. 7), private notes and the requester's details. Every status change writes a public event, so
the citizen's tracking page follows, and an audit entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from triage.clock import system_clock
from triage.config import Settings
from triage.dossiers import statuses
from triage.dossiers.statuses import STATUSES, StatusChange, StatusChanged, can_transition
from triage.dossiers.timeline import EVENT_STATUS, write_event
from triage.errors import DossierError
from triage.store.audit import Actor, record
from triage.store.models import Dossier, Note

__all__ = ["StatusChange", "allowed_targets", "change_status", "private_event", "public_event"]

# What the mediator may edit in the requester's details: attribute -> French label.
EDITABLE_FIELDS: dict[str, str] = {
    "requester_civility": "Civilité",
    "requester_name": "Nom et prénom",
    "requester_email": "Courriel",
    "requester_phone": "Téléphone",
    "requester_address": "Adresse postale (rue, complément)",
    "requester_postcode": "Code postal",
    "requester_commune": "Commune",
    "requester_territory": "Territoire",
    "subject": "Objet de la demande",
    "service_concerned": "Service concerné",
    "direction": "Direction",
}
MAX_FIELD_LENGTH = {
    "requester_postcode": 10,
    "requester_civility": 32,
    "requester_phone": 64,
    "requester_email": 320,
    "requester_commune": 120,
    "requester_territory": 120,
    "direction": 120,
    "requester_name": 200,
    "service_concerned": 200,
}
CONTACT_WAYS = {
    "telephone": "par téléphone",
    "courriel": "par courriel",
    "courrier": "par courrier",
    "rendez_vous": "en rendez-vous",
}


def public_event(
    session: Session,
    dossier: Dossier,
    summary: str,
    actor: Actor,
    *,
    kind: str = EVENT_STATUS,
    details: dict[str, object] | None = None,
    now: datetime | None = None,
) -> int:
    """A timeline event the citizen sees (no personal data in `summary`); its id."""
    return write_event(
        session,
        dossier.id,
        kind,
        summary,
        at=now or system_clock(),
        public=True,
        actor=actor.name,
        details={"status": dossier.status, **(details or {})},
    )


def private_event(
    session: Session,
    dossier: Dossier,
    kind: str,
    summary: str,
    actor: Actor,
    *,
    details: dict[str, object] | None = None,
    now: datetime | None = None,
) -> int:
    """A timeline event only the mediator sees; its id."""
    return write_event(
        session, dossier.id, kind, summary, at=now or system_clock(), actor=actor.name, details=details
    )


def allowed_targets(dossier: Dossier) -> list[str]:
    """Statuses the process allows from the dossier's current one, in process order."""
    return [code for code in STATUSES if can_transition(dossier.status, code)]


def change_status(
    session: Session,
    settings: Settings,
    dossier: Dossier,
    change: StatusChange,
    actor: Actor,
    now: datetime | None = None,
) -> StatusChanged:
    """Move a dossier along the process (triage.dossiers.statuses) and audit who did it."""
    now = now or system_clock()
    done = statuses.change_status(
        session,
        dossier,
        change,
        actor=actor.name,
        now=now,
        service_answer_days=settings.deadlines.service_answer_days,
        requester_wait_days=settings.deadlines.requester_wait_days,
    )
    record(
        session,
        actor,
        "dossier.status",
        dossier_id=dossier.id,
        details={
            "from": done.previous,
            "to": done.target,
            **({"outcome": done.outcome} if done.outcome else {}),
        },
        now=now,
    )
    return done


def record_first_contact(
    session: Session,
    dossier: Dossier,
    actor: Actor,
    way: str = "telephone",
    now: datetime | None = None,
    *,
    automatic: bool = False,
) -> bool:
    """Note the mediator's first contact with the citizen (art. 7); False when already noted."""
    if dossier.first_contact_at is not None:
        return False
    now = now or system_clock()
    dossier.first_contact_at = now
    public_event(
        session,
        dossier,
        "Premier contact de la médiatrice",
        actor,
        kind="first_contact",
        details={"way": way},
        now=now,
    )
    if not automatic:
        record(session, actor, "dossier.first_contact", dossier_id=dossier.id, details={"way": way}, now=now)
    return True


def add_note(
    session: Session, dossier: Dossier, actor: Actor, text: str, now: datetime | None = None
) -> Note:
    """A private note of the mediator on the dossier."""
    text = (text or "").strip()
    if not text:
        raise DossierError("la note est vide", key=dossier.reference)
    note = Note(dossier_id=dossier.id, user_id=actor.user_id, at=now or system_clock(), text=text[:20000])
    session.add(note)
    record(session, actor, "dossier.note", dossier_id=dossier.id, details={"length": len(text)}, now=now)
    return note


def update_details(
    session: Session, dossier: Dossier, actor: Actor, values: dict[str, str], now: datetime | None = None
) -> list[str]:
    """Edit the requester's details; return the names of the fields that changed (audited, not their values)."""
    changed = []
    for field_name in EDITABLE_FIELDS:
        if field_name not in values:
            continue
        value = (values[field_name] or "").strip()
        if field_name == "requester_email":
            value = value.lower()
            if value and (value.count("@") != 1 or any(c.isspace() for c in value)):
                raise DossierError("adresse de courriel invalide", key=dossier.reference)
        limit = MAX_FIELD_LENGTH.get(field_name)
        if limit:
            value = value[:limit]
        if (getattr(dossier, field_name) or "") != value:
            setattr(dossier, field_name, value)
            changed.append(field_name)
    if changed:
        private_event(
            session,
            dossier,
            "details",
            "Coordonnées modifiées : " + ", ".join(EDITABLE_FIELDS[f].lower() for f in changed),
            actor,
            details={"fields": changed},
            now=now,
        )
        record(session, actor, "dossier.details", dossier_id=dossier.id, details={"fields": changed}, now=now)
    return changed
