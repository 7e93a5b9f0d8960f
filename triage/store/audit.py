"""The audit log: every read of a dossier and every change, with who did it and when.

Entries carry ids, references, field names and codes, never the content that was read or typed.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.clock import system_clock
from triage.store.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user (web) or a terminal user (CLI), or the system."""

    user_id: int | None
    name: str
    role: str = ""

    @classmethod
    def system(cls) -> Actor:
        """The worker and other automatic processes."""
        return cls(None, "systeme")

    @classmethod
    def terminal(cls) -> Actor:
        """Whoever runs the command, named by the operating-system account."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry in some containers
            name = "inconnu"
        return cls(None, f"terminal:{name}", "mediateur")


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    dossier_id: int | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one entry in the caller's transaction (so it commits or rolls back with the change)."""
    entry = AuditEntry(
        at=now or system_clock(),
        user_id=actor.user_id,
        actor=actor.name[:120],
        action=action,
        dossier_id=dossier_id,
        details=details or {},
    )
    session.add(entry)
    return entry


def entries(session: Session, *, dossier_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
    """The latest entries, newest first (for one dossier when given)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if dossier_id is not None:
        query = query.where(AuditEntry.dossier_id == dossier_id)
    return list(session.scalars(query))
