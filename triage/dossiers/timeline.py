"""A dossier's timeline: the one way to write an event. Public events are shown on the citizen's
tracking page (no personal data in their summary); the others only in the mediator's workspace.

Events are written with one prepared Core INSERT on the session's connection, in the caller's
transaction (the ingestion hot path writes them too): they commit or roll back with the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from triage.store.messages import connection
from triage.store.models import Event

SYSTEM = "systeme"  # the actor of events nobody typed (ingestion, notifications)
EVENT_RECEIVED = "demande_recue"
EVENT_MESSAGE = "message_recu"
EVENT_AUTO_REPLY = "reponse_automatique"
EVENT_BOUNCE = "non_distribue"
EVENT_FLAGGED = "message_signale"
EVENT_STATUS = "statut"
EVENT_ACKNOWLEDGEMENT = "acknowledgement"

_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)


def write_event(
    session: Session,
    dossier_id: int,
    kind: str,
    summary: str,
    *,
    at: datetime,
    public: bool = False,
    details: Mapping[str, Any] | None = None,
    actor: str = SYSTEM,
) -> int:
    """Append one event to a dossier's timeline, in the caller's transaction; return its id."""
    event_id = (
        connection(session)
        .execute(
            _INSERT_EVENT,
            {
                "dossier_id": dossier_id,
                "at": at,
                "kind": kind,
                "public": public,
                "summary": summary,
                "details": dict(details or {}),
                "actor": actor[:64],
            },
        )
        .scalar_one()
    )
    return int(event_id)
