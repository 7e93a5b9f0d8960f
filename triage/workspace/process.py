"""The mediation process on one dossier: status changes (art. 11-16 of the règlement), first contact
(art. 7), private notes and the requester's details. Every status change writes a public event, so
the citizen's tracking page follows, and an audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from triage.config import Settings
from triage.dossiers.statuses import OUTCOMES, STATUSES, can_transition, status_label
from triage.errors import DossierError
from triage.store.audit import Actor, record
from triage.store.models import Dossier, Event, Note
from triage.workspace.common import local_day, utcnow

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
MAX_FIELD_LENGTH = {"requester_postcode": 10, "requester_civility": 32, "requester_phone": 64,
                    "requester_email": 320, "requester_commune": 120, "requester_territory": 120,
                    "direction": 120, "requester_name": 200, "service_concerned": 200}
CONTACT_WAYS = {
    "telephone": "par téléphone",
    "courriel": "par courriel",
    "courrier": "par courrier",
    "rendez_vous": "en rendez-vous",
}


@dataclass(frozen=True)
class StatusChange:
    """What the mediator asks for: the target status and what it needs."""

    target: str
    outcome: str | None = None  # required to close
    service: str = ""  # the Département service the request is sent to (transmise_service)
    reorientation: str | None = None  # target organisation code (reorientee)
    reorientation_name: str = ""  # its name, for the citizen's tracking page


def public_event(session: Session, dossier: Dossier, summary: str, actor: Actor, *, kind: str = "statut",
                 details: dict[str, object] | None = None, now: datetime | None = None) -> Event:
    """A timeline event the citizen sees (no personal data in `summary`)."""
    event = Event(dossier_id=dossier.id, at=now or utcnow(), kind=kind, public=True, summary=summary,
                  details={"status": dossier.status, **(details or {})}, actor=actor.name[:64])
    session.add(event)
    return event


def private_event(session: Session, dossier: Dossier, kind: str, summary: str, actor: Actor, *,
                  details: dict[str, object] | None = None, now: datetime | None = None) -> Event:
    """A timeline event only the mediator sees."""
    event = Event(dossier_id=dossier.id, at=now or utcnow(), kind=kind, public=False, summary=summary,
                  details=details or {}, actor=actor.name[:64])
    session.add(event)
    return event


def service_deadline(settings: Settings, now: datetime | None = None) -> date:
    """The day the service's answer is due (art. 15: 15 days)."""
    return local_day(now) + timedelta(days=settings.deadlines.service_answer_days)


def allowed_targets(dossier: Dossier) -> list[str]:
    """Statuses the process allows from the dossier's current one, in process order."""
    return [code for code in STATUSES if can_transition(dossier.status, code)]


def change_status(session: Session, settings: Settings, dossier: Dossier, change: StatusChange, actor: Actor,
                  now: datetime | None = None) -> Event:
    """Move a dossier along the process; refuse what the process does not allow."""
    now = now or utcnow()
    target = change.target
    if target not in STATUSES:
        raise DossierError(f"statut inconnu : {target}", key=dossier.reference)
    if not can_transition(dossier.status, target):
        raise DossierError(
            f"passage de « {status_label(dossier.status)} » à « {status_label(target)} » non prévu par la procédure",
            key=dossier.reference,
        )
    previous = dossier.status
    details: dict[str, object] = {"previous": previous}
    summary = STATUSES[target].label
    if target == "transmise_service":
        if change.service.strip():
            dossier.service_concerned = change.service.strip()[:200]
        if not (dossier.service_concerned or "").strip():  # the 15-day clock runs for a named service only
            raise DossierError("indiquez le service du Département à qui la demande est transmise",
                               key=dossier.reference)
        dossier.service_deadline = service_deadline(settings, now)
        dossier.service_answered_at = None  # the clock runs until the service answers
        details["service_deadline"] = dossier.service_deadline.isoformat()
    elif target == "attente_usager":
        dossier.reminder_on = local_day(now) + timedelta(days=settings.deadlines.requester_wait_days)
        details["reminder_on"] = dossier.reminder_on.isoformat()
    elif target == "reorientee":
        code = change.reorientation or dossier.reorientation
        if not code or code == "none":
            raise DossierError("indiquez vers quel organisme la demande est réorientée", key=dossier.reference)
        dossier.reorientation = code
        details["reorientation"] = code
        if change.reorientation_name:
            summary = f"Réorientée vers {change.reorientation_name}"
    elif target == "cloturee":
        if change.outcome not in OUTCOMES:
            raise DossierError("choisissez l'issue du dossier pour le clôturer", key=dossier.reference)
        dossier.outcome = change.outcome
        dossier.closed_at = now
        details["outcome"] = change.outcome
        summary = f"Clôturée : {OUTCOMES[change.outcome].lower()}"
    if previous == "cloturee":
        dossier.outcome = None
        dossier.closed_at = None
        summary = "Dossier rouvert — en cours d'examen"
    dossier.status = target
    event = public_event(session, dossier, summary, actor, details=details, now=now)
    record(session, actor, "dossier.status", dossier_id=dossier.id,
           details={"from": previous, "to": target, **({"outcome": change.outcome} if change.outcome else {})},
           now=now)
    return event


def record_first_contact(session: Session, dossier: Dossier, actor: Actor, way: str = "telephone",
                         now: datetime | None = None, *, automatic: bool = False) -> bool:
    """Note the mediator's first contact with the citizen (art. 7); False when already noted."""
    if dossier.first_contact_at is not None:
        return False
    now = now or utcnow()
    dossier.first_contact_at = now
    public_event(session, dossier, "Premier contact de la médiatrice", actor, kind="first_contact",
                 details={"way": way}, now=now)
    if not automatic:
        record(session, actor, "dossier.first_contact", dossier_id=dossier.id, details={"way": way}, now=now)
    return True


def add_note(session: Session, dossier: Dossier, actor: Actor, text: str, now: datetime | None = None) -> Note:
    """A private note of the mediator on the dossier."""
    text = (text or "").strip()
    if not text:
        raise DossierError("la note est vide", key=dossier.reference)
    note = Note(dossier_id=dossier.id, user_id=actor.user_id, at=now or utcnow(), text=text[:20000])
    session.add(note)
    record(session, actor, "dossier.note", dossier_id=dossier.id, details={"length": len(text)}, now=now)
    return note


def update_details(session: Session, dossier: Dossier, actor: Actor, values: dict[str, str],
                   now: datetime | None = None) -> list[str]:
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
        private_event(session, dossier, "details", "Coordonnées modifiées : "
                      + ", ".join(EDITABLE_FIELDS[f].lower() for f in changed), actor,
                      details={"fields": changed}, now=now)
        record(session, actor, "dossier.details", dossier_id=dossier.id, details={"fields": changed}, now=now)
    return changed
