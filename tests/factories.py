"""Small builders for test data that bypass the pipeline (for tests of later stages)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from triage.dossiers.tracking import hash_token, new_check_key, new_token
from triage.store.models import Dossier, Event


def make_dossier(
    session: Session,
    reference: str,
    *,
    channel: str = "email",
    email: str = "sylvie.martin@example.org",
    name: str = "Sylvie Martin",
    civility: str = "Madame",
    address: str = "12 rue des Alpes",
    postcode: str = "38100",
    commune: str = "Grenoble",
    status: str = "recue",
    received_at: datetime | None = None,
) -> tuple[Dossier, str]:
    """A dossier with a public 'Demande reçue' event; returns it and its plaintext tracking token."""
    token = new_token()
    received = received_at or datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    dossier = Dossier(
        reference=reference,
        year=received.year,
        tracking_token_hash=hash_token(token),
        tracking_key=new_check_key(),
        channel=channel,
        status=status,
        received_at=received,
        requester_name=name,
        requester_civility=civility,
        requester_email=email,
        requester_address=address,
        requester_postcode=postcode,
        requester_commune=commune,
        subject="Refus de carte mobilité inclusion",
    )
    session.add(dossier)
    session.flush()
    session.add(
        Event(
            dossier_id=dossier.id,
            at=received,
            kind="status",
            public=True,
            summary="Demande reçue",
            details={"status": "recue"},
        )
    )
    return dossier, token
