"""Writing outgoing messages into the outbox, in the caller's transaction (exactly once per key)."""

from __future__ import annotations

from datetime import datetime

from triage.clock import system_clock
from triage.config import Settings
from triage.notify.compose import Outgoing, compose
from triage.store.db import Transaction
from triage.store.outbox import NewOutgoing, Queued, add_outgoing, queued_outgoing


def enqueue(
    session: Transaction,
    settings: Settings,
    out: Outgoing,
    *,
    kind: str,
    idempotency_key: str,
    dossier_id: int | None,
    refusal: str | None = None,
    now: datetime | None = None,
) -> Queued:
    """Add a message to the outbox (or return the one already there for this key).

    A refused automatic message is still recorded, as `suppressed` with the reason, so the mediator
    sees that nothing was sent and why.
    """
    existing = queued_outgoing(session, idempotency_key)
    if existing is not None:
        return existing
    now = now or system_clock()
    return add_outgoing(
        session,
        NewOutgoing(
            kind=kind,
            idempotency_key=idempotency_key,
            dossier_id=dossier_id,
            automatic=out.automatic,
            to_address=out.to_address.strip().lower(),
            subject=out.subject,
            message_id=out.message_id,
            raw=compose(settings, out, now=now),
            status="suppressed" if refusal else "pending",
            last_error=refusal or "",
            created_at=now,
        ),
    )
