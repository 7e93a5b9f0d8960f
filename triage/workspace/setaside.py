"""Mail that opened no dossier, listed for the mediator: probable spam, messages kept aside to check,
and every non-request (automatic, list, delivery report). Nothing is invisible: one click
« C'est une demande » opens the dossier with the message and sends the acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.records import DossierOutcome
from triage.store.audit import Actor, record
from triage.store.models import Dossier, Message
from triage.workspace.process import private_event

SPAM = "spam"
NON_REQUEST_ROLES = ("auto_reply", "list", "bounce", "not_request")


@dataclass(frozen=True)
class SetAsideLists:
    """The three lists of the page, newest first."""

    spam: list[Message]
    to_check: list[Message]
    non_requests: list[Message]


def _unfiled(limit: int) -> Any:
    return (
        select(Message)
        .where(Message.dossier_id.is_(None), Message.direction == "in", Message.source != "scan")
        .order_by(Message.received_at.desc(), Message.id.desc())
        .limit(limit)
    )


def set_aside_lists(session: Session, limit: int = 200) -> SetAsideLists:
    """Probable spam, messages kept aside for checking, and non-requests, none in a dossier."""
    return SetAsideLists(
        spam=list(session.scalars(_unfiled(limit).where(Message.role == SPAM))),
        to_check=list(
            session.scalars(_unfiled(limit).where(Message.role == "flagged", Message.needs_review.is_(True)))
        ),
        non_requests=list(session.scalars(_unfiled(limit).where(Message.role.in_(NON_REQUEST_ROLES)))),
    )


def spam_count(session: Session) -> int:
    """How many probable spams wait in their list (for the link from the queue)."""
    return (
        session.scalar(
            select(func.count(Message.id)).where(
                Message.dossier_id.is_(None), Message.direction == "in", Message.role == SPAM
            )
        )
        or 0
    )


def rescue(
    session: Session, pipeline: Any, message_id: int, actor: Actor, now: datetime | None = None
) -> DossierOutcome:
    """« C'est une demande » : open the dossier with this message and queue the acknowledgement."""
    previous = session.get(Message, message_id)
    was = previous.role if previous is not None else ""
    outcome: DossierOutcome = pipeline.rescue(session, message_id)
    dossier = session.get(Dossier, outcome.dossier_id)
    if dossier is not None:
        private_event(
            session,
            dossier,
            "message_repris",
            "La médiatrice a reconnu une demande dans un message mis de côté "
            f"({'courrier indésirable probable' if was == SPAM else 'non-demande ou à vérifier'})",
            actor,
            details={"message_row_id": message_id, "previous_role": was},
            now=now,
        )
    record(
        session,
        actor,
        "message.rescue",
        dossier_id=outcome.dossier_id,
        details={"message_id": message_id, "previous_role": was},
        now=now,
    )
    return outcome
