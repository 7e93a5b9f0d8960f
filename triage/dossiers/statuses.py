"""The states of a dossier along the mediation process, their outcomes, what citizens are told, and
the one status machine (`change_status`) that moves a dossier from one state to the next.

The codes are stored in `dossiers.status` / `dossiers.outcome`; the French texts are what the
citizen's tracking page and the mediator's workspace show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.articles import after
from triage.dossiers.timeline import EVENT_STATUS, SYSTEM, write_event
from triage.errors import DossierError
from triage.store.models import Dossier, Event

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Status:
    """One step of the process, as the citizen sees it."""

    code: str
    label: str  # short, for the timeline
    explanation: str  # plain French: what it means for the citizen
    next_step: str  # what happens next


STATUSES: dict[str, Status] = {
    s.code: s
    for s in (
        Status(
            "recue",
            "Demande reçue",
            "Votre demande est bien arrivée à la mission de médiation. Elle a été enregistrée.",
            "La médiatrice va lire votre demande et vous contacter, en général sous 15 jours.",
        ),
        Status(
            "en_examen",
            "En cours d'examen",
            "La médiatrice étudie votre demande pour vérifier qu'elle peut la prendre en charge "
            "(recevabilité).",
            "Vous serez informé(e) de la suite : médiation, transmission au service concerné ou "
            "orientation vers l'organisme compétent.",
        ),
        Status(
            "transmise_service",
            "Transmise au service concerné",
            "La médiatrice a transmis votre demande au service du Département concerné. "
            "Le service dispose de 15 jours pour lui répondre.",
            "La médiatrice vous tiendra informé(e) de la réponse du service.",
        ),
        Status(
            "reorientee",
            "Réorientée",
            "Votre demande ne relève pas du Département. La médiatrice vous indique l'organisme "
            "qui peut la traiter.",
            "Contactez l'organisme indiqué ci-dessous avec votre dossier.",
        ),
        Status(
            "mediation_en_cours",
            "Médiation en cours",
            "La médiatrice échange avec vous et avec le service concerné pour chercher une solution.",
            "La médiatrice vous recontactera au fil des échanges.",
        ),
        Status(
            "attente_usager",
            "En attente de votre réponse",
            "La médiatrice attend de votre part une réponse, des informations ou des documents pour "
            "poursuivre l'examen de votre demande.",
            "Répondez au message ou au courrier reçu en rappelant la référence du dossier. Sans réponse, "
            "la médiatrice vous relancera.",
        ),
        Status(
            "cloturee",
            "Clôturée",
            "Le traitement de votre demande est terminé.",
            "Vous avez reçu ou allez recevoir un courrier de fin de médiation. Les délais de recours "
            "reprennent à partir de sa date.",
        ),
        # the two ends of a request that never became a mediation (set from the triage queue)
        Status(
            "classee_sans_suite",
            "Classée sans suite",
            "La médiatrice a lu votre envoi : il n'a pas été enregistré comme une demande de médiation.",
            "Si vous souhaitez saisir la médiatrice d'un différend avec un service du Département, "
            "écrivez-lui de nouveau en décrivant votre situation et les démarches déjà faites.",
        ),
        Status(
            "rattachee",
            "Rattachée à un autre dossier",
            "Votre envoi concerne une demande déjà enregistrée : il a été joint à son dossier, "
            "qui est suivi à sa place.",
            "Suivez la suite avec le code de suivi du dossier indiqué, reçu avec son accusé de réception.",
        ),
    )
}
# Statuses set by the triage itself, never chosen in the dossier's « Nouvelle étape » list.
TRIAGE_ENDS = ("classee_sans_suite", "rattachee")

# Outcomes of a closed dossier (the annual report counts them).
OUTCOMES: dict[str, str] = {
    "resolution_complete": "Résolution complète",
    "resolution_partielle": "Résolution partielle",
    "sans_resolution": "Sans résolution",
    "abandon": "Abandon",
    "irrecevable": "Demande irrecevable",
    "reorientee": "Réorientée vers l'organisme compétent",
}

# Allowed transitions of the mediation process (art. 13-16 of the règlement).
TRANSITIONS: dict[str, frozenset[str]] = {
    "recue": frozenset(
        {"en_examen", "transmise_service", "reorientee", "mediation_en_cours", "attente_usager", "cloturee"}
    ),
    "en_examen": frozenset(
        {"transmise_service", "reorientee", "mediation_en_cours", "attente_usager", "cloturee"}
    ),
    "transmise_service": frozenset(
        {"en_examen", "mediation_en_cours", "reorientee", "attente_usager", "cloturee"}
    ),
    "reorientee": frozenset({"cloturee", "en_examen"}),
    "mediation_en_cours": frozenset({"transmise_service", "attente_usager", "cloturee"}),
    # waiting for the requester pauses the deadlines; the mediator resumes when the answer has come
    "attente_usager": frozenset(
        {"en_examen", "transmise_service", "mediation_en_cours", "reorientee", "cloturee"}
    ),
    "cloturee": frozenset({"en_examen"}),  # reopened
    "classee_sans_suite": frozenset(),  # undone only by « Annuler » (workspace.outcomes)
    "rattachee": frozenset(),
}


def status_label(code: str) -> str:
    """French label of a status code (the code itself when unknown)."""
    status = STATUSES.get(code)
    return status.label if status else code


def can_transition(current: str, target: str) -> bool:
    """Whether the process allows going from `current` to `target`."""
    return target in TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True)
class StatusChange:
    """What is asked for: the target status and what it needs."""

    target: str
    outcome: str | None = None  # required to close
    service: str = ""  # the Département service the request is sent to (transmise_service)
    reorientation: str | None = None  # target organisation code (reorientee)
    reorientation_name: str = ""  # its name, for the citizen's tracking page
    reorientation_article: str | None = None  # its article (« la » Préfecture); None: guessed from the name
    # set by `resume_after_reply` only: when the wait for the requester began (the clocks resume, not restart)
    waited_since: datetime | None = None


@dataclass(frozen=True)
class StatusChanged:
    """What a change did: the previous and new status (for the audit log)."""

    previous: str
    target: str
    outcome: str | None


def change_status(
    session: Session,
    dossier: Dossier,
    change: StatusChange,
    *,
    actor: str,
    now: datetime,
    service_answer_days: int,
    requester_wait_days: int,
) -> StatusChanged:
    """Move a dossier along the process and write the public event the citizen's page shows; refuse
    (DossierError) what the process does not allow."""
    target = change.target
    if target not in STATUSES:
        raise DossierError(f"statut inconnu : {target}", key=dossier.reference)
    if not can_transition(dossier.status, target):
        raise DossierError(
            f"passage de « {status_label(dossier.status)} » à « {status_label(target)} » non prévu par la procédure",
            key=dossier.reference,
        )
    previous = dossier.status
    details: dict[str, Any] = {"previous": previous}
    summary = STATUSES[target].label
    if change.waited_since is not None:
        summary = RESUMED
        if target == "transmise_service" and dossier.service_deadline and dossier.service_answered_at is None:
            # art. 15 clock suspended during the wait: it resumes with the days it had left
            dossier.service_deadline += _paris_day(now) - _paris_day(change.waited_since)
            details["service_deadline"] = dossier.service_deadline.isoformat()
    elif target == "transmise_service":
        if change.service.strip():
            dossier.service_concerned = change.service.strip()[:200]
        if not (dossier.service_concerned or "").strip():  # the 15-day clock runs for a named service only
            raise DossierError(
                "indiquez le service du Département à qui la demande est transmise", key=dossier.reference
            )
        summary = f"Transmise {after('à', dossier.service_concerned or '')}"
        # art. 15: the service answers within N days, counted in French calendar days
        dossier.service_deadline = now.astimezone(PARIS).date() + timedelta(days=service_answer_days)
        dossier.service_answered_at = None  # the clock runs until the service answers
        details["service_deadline"] = dossier.service_deadline.isoformat()
    elif target == "attente_usager":
        dossier.reminder_on = now.astimezone(PARIS).date() + timedelta(days=requester_wait_days)
        details["reminder_on"] = dossier.reminder_on.isoformat()
    elif target == "reorientee" and change.waited_since is None:
        code = change.reorientation or dossier.reorientation
        if not code or code == "none":
            raise DossierError(
                "indiquez vers quel organisme la demande est réorientée", key=dossier.reference
            )
        dossier.reorientation = code
        details["reorientation"] = code
        if change.reorientation_name:
            summary = f"Réorientée {after('vers', change.reorientation_name, change.reorientation_article)}"
    elif target == "cloturee" and change.waited_since is None:
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
    write_event(
        session,
        dossier.id,
        EVENT_STATUS,
        summary,
        at=now,
        public=True,
        actor=actor,
        details={"status": target, **details},
    )
    return StatusChanged(previous, target, change.outcome)


RESUMED = "Réponse de l'usager reçue : reprise du délai"


def _paris_day(moment: datetime) -> date:
    if moment.tzinfo is None:  # stored UTC read back naive (SQLite)
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(PARIS).date()


def resume_after_reply(
    session: Session,
    dossier: Dossier,
    *,
    now: datetime,
    service_answer_days: int,
    requester_wait_days: int,
) -> StatusChanged | None:
    """The requester's reply ends « En attente de votre réponse »: back to the state the dossier was in
    before the wait (« En cours d'examen » when that state cannot be resumed, « Demande reçue »), the
    deadlines running again; the reminder the wait had set is dropped. None when it was not waiting."""
    if dossier.status != "attente_usager":
        return None
    wait = next(
        (
            event
            for event in session.scalars(
                select(Event)
                .where(Event.dossier_id == dossier.id, Event.kind == EVENT_STATUS)
                .order_by(Event.at.desc(), Event.id.desc())
            )
            if (event.details or {}).get("status") == "attente_usager"
        ),
        None,
    )
    details = wait.details if wait is not None else {}
    previous = str(details.get("previous", ""))
    target = previous if can_transition("attente_usager", previous) else "en_examen"
    if dossier.reminder_on is not None and dossier.reminder_on.isoformat() == details.get("reminder_on"):
        dossier.reminder_on = None  # the wait's own reminder; one the mediator set since stays
    return change_status(
        session,
        dossier,
        StatusChange(target, waited_since=wait.at if wait is not None else now),
        actor=SYSTEM,
        now=now,
        service_answer_days=service_answer_days,
        requester_wait_days=requester_wait_days,
    )
