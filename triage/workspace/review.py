"""The mediator's triage decisions: accept, correct, bulk-accept; messages kept aside (merge and « classée sans
suite » are in workspace.outcomes).

Suggestions stay advisory: labels land on the dossier only here, by a person's action. Every
confirmation and correction becomes a LabelledExample that `mediature train` learns from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.clock import system_clock
from triage.config import Settings
from triage.correspondence.team import assign
from triage.errors import DossierError
from triage.privacy.pseudonymise import known_from, pseudonymise
from triage.records import Extraction
from triage.store.audit import Actor, record
from triage.store.models import Dossier, LabelledExample, Message
from triage.store.transcriptions import dossiers_to_check
from triage.workspace.common import latest_suggestion, request_text
from triage.workspace.labels import label_choices
from triage.workspace.process import StatusChange, change_status, private_event
from triage.workspace.queue import LABEL_KINDS, is_confident, pending_dossiers


@dataclass(frozen=True)
class Labels:
    """The three labels the mediator settles on."""

    domain: str
    admissibility: str
    reorientation: str


def _check_pending(dossier: Dossier) -> None:
    if dossier.triage_status in ("merged", "not_request") or dossier.merged_into_id is not None:
        raise DossierError("ce dossier a été joint à un autre ou écarté", key=dossier.reference)


def confirm(
    session: Session,
    settings: Settings,
    dossier: Dossier,
    labels: Labels,
    actor: Actor,
    now: datetime | None = None,
) -> LabelledExample:
    """Set the dossier's labels, store the labelled example and start the examination."""
    now = now or system_clock()
    _check_pending(dossier)
    choices = label_choices(settings)
    for kind, choice_kind in (
        ("domain", "domains"),
        ("admissibility", "admissibility"),
        ("reorientation", "reorientation"),
    ):
        if not choices.valid(choice_kind, getattr(labels, kind)):
            raise DossierError(
                f"valeur inconnue pour {kind} : {getattr(labels, kind)}", key=dossier.reference
            )
    suggestion = latest_suggestion(session, dossier.id)
    changed = [k for k in LABEL_KINDS if suggestion is None or getattr(suggestion, k) != getattr(labels, k)]
    corrected = bool(changed)
    dossier.domain, dossier.admissibility = labels.domain, labels.admissibility
    dossier.reorientation = labels.reorientation
    dossier.triage_status = "reviewed"
    example = session.scalar(select(LabelledExample).where(LabelledExample.dossier_id == dossier.id))
    if example is None:
        example = LabelledExample(
            dossier_id=dossier.id, text="", domain="", admissibility="", reorientation=""
        )
        session.add(example)
    # stored without the people in it: names, addresses, emails, phones, dates of birth become placeholders
    example.text = pseudonymise(
        request_text(session, dossier),
        known_from(dossier, Extraction.from_json(suggestion.extracted) if suggestion else None),
    )
    example.domain, example.admissibility = labels.domain, labels.admissibility
    example.reorientation = labels.reorientation
    example.corrected = corrected
    example.user_id = actor.user_id
    example.created_at = now
    summary = (
        "Tri confirmé"
        if not corrected
        else "Tri corrigé ("
        + ", ".join(
            {"domain": "domaine", "admissibility": "recevabilité", "reorientation": "réorientation"}[k]
            for k in changed
        )
        + ")"
    )
    private_event(
        session,
        dossier,
        "triage",
        summary,
        actor,
        now=now,
        details={
            "domain": labels.domain,
            "admissibility": labels.admissibility,
            "reorientation": labels.reorientation,
            "corrected": changed,
            "suggestion_id": suggestion.id if suggestion else None,
        },
    )
    record(
        session,
        actor,
        "triage.correct" if corrected else "triage.accept",
        dossier_id=dossier.id,
        details={"changed": changed},
        now=now,
    )
    if dossier.status == "recue":
        change_status(session, settings, dossier, StatusChange("en_examen"), actor, now=now)
    if (
        settings.correspondence.assign_on_triage
        and dossier.assignee_id is None
        and actor.user_id is not None
        and actor.role == "mediateur"
    ):
        assign(
            session, settings, b"", dossier, actor.user_id, actor
        )  # to oneself: no email, no secret needed
    session.flush()
    return example


def accept(
    session: Session, settings: Settings, dossier: Dossier, actor: Actor, now: datetime | None = None
) -> LabelledExample:
    """Accept the stored suggestion as it is."""
    suggestion = latest_suggestion(session, dossier.id)
    if suggestion is None:
        raise DossierError("pas de suggestion à accepter : choisissez les étiquettes", key=dossier.reference)
    labels = Labels(suggestion.domain, suggestion.admissibility, suggestion.reorientation)
    return confirm(session, settings, dossier, labels, actor, now=now)


def bulk_accept(
    session: Session,
    settings: Settings,
    actor: Actor,
    threshold: float | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Accept every pending suggestion whose three labels reach the confidence threshold; return references."""
    threshold = settings.triage.confidence_threshold if threshold is None else threshold
    accepted = []
    dossiers = pending_dossiers(session)
    # a letter whose transcription is « à vérifier » was judged on doubtful text: never accepted in bulk
    doubtful = dossiers_to_check(session, settings.scans.transcription_check_below, [d.id for d in dossiers])
    for dossier in dossiers:
        if dossier.id not in doubtful and is_confident(latest_suggestion(session, dossier.id), threshold):
            accept(session, settings, dossier, actor, now=now)
            accepted.append(dossier.reference)
    if accepted:
        record(
            session,
            actor,
            "triage.bulk_accept",
            details={"count": len(accepted), "threshold": threshold},
            now=now,
        )
    return accepted


# --------------------------------------------------------------------------- messages kept aside


def flagged_messages(session: Session, limit: int = 100) -> list[Message]:
    """Messages the pipeline kept aside (a reply from an unknown address, a letter citing a dossier), oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.needs_review.is_(True), Message.dossier_id.is_(None), Message.role != "spam"
            )  # probable spam has its own list (workspace.setaside)
            .order_by(Message.received_at, Message.id)
            .limit(limit)
        )
    )


def attach_message(
    session: Session, message: Message, dossier: Dossier, actor: Actor, now: datetime | None = None
) -> None:
    """Join a message kept aside to a dossier, after the mediator has read it."""
    if not message.needs_review or message.dossier_id is not None:
        raise DossierError("ce message n'est pas en attente de rattachement")
    message.dossier_id = dossier.id
    message.needs_review = False
    message.role = "reply"
    private_event(
        session,
        dossier,
        "message_rattache",
        "Message mis de côté rattaché par la médiatrice",
        actor,
        details={"message_row_id": message.id},
        now=now,
    )
    record(
        session, actor, "message.attach", dossier_id=dossier.id, details={"message_id": message.id}, now=now
    )


def dismiss_message(session: Session, message: Message, actor: Actor, now: datetime | None = None) -> None:
    """Set aside a flagged message for good (not about any dossier)."""
    if not message.needs_review:
        raise DossierError("ce message n'est pas en attente")
    message.needs_review = False
    message.role = "not_request"
    record(session, actor, "message.dismiss", details={"message_id": message.id}, now=now)
