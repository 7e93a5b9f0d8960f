"""Where an item came from, recorded with what became of it, in the transaction that stores it.

The pipeline calls `record` once per item, inside the item's own transaction (or, when that
transaction failed, in the one that quarantines the bytes or notes a concurrent duplicate): "stored"
and "seen" commit together or not at all. A source never writes here; it is told the outcome after
the commit and does its own follow-up (move or flag the message on the server, move the file).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from triage.records import DossierOutcome, MailboxOrigin, Origin, QuarantineOrigin
from triage.store import mailbox_items, quarantine


def record(session: Session, origin: Origin | None, outcome: DossierOutcome, *, at: datetime) -> None:
    """Remember `origin` with `outcome` in the caller's transaction (nothing for an item without one).

    A mailbox item already recorded by a concurrent worker makes this fail here (IntegrityError),
    so that the caller's transaction rolls back and nothing is stored twice.
    """
    if isinstance(origin, MailboxOrigin):
        mailbox_items.add(session, origin, outcome)
    elif isinstance(origin, QuarantineOrigin):
        quarantine.resolve(session, origin.item_id, outcome, at=at)
