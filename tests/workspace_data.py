"""Test data for the mediation workspace: requests with a stored suggestion, accounts, logged-in clients."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_dossier
from triage import auth
from triage.runtime import Runtime
from triage.store.models import (
    Contact,
    Dossier,
    Message,
    RawBlob,
    ReferenceCounter,
    StoredAttachment,
    SuggestionRow,
)

PASSWORD = "correct-horse-battery-staple"
CMI_TEXT = (
    "Bonjour Madame la médiatrice,\nMa demande de carte mobilité inclusion a été refusée par la MDPH. "
    "J'ai fait un RAPO en juillet, sans réponse depuis trois mois.\nSylvie Martin, 12 rue des Alpes, 38100 Grenoble"
)


def add_request(
    session: Session,
    reference: str,
    *,
    text: str = CMI_TEXT,
    suggestion: tuple[str, float, str, float, str, float] | None = (
        "autonomie_handicap",
        0.91,
        "recevable",
        0.82,
        "none",
        0.95,
    ),
    html: str = "",
    received_at: datetime | None = None,
    **dossier_fields: object,
) -> tuple[Dossier, str]:
    """A pending dossier with its request message and (optionally) a stored suggestion."""
    dossier, token = make_dossier(session, reference, received_at=received_at, **dossier_fields)  # type: ignore[arg-type]
    # keep the year's counter ahead of seeded references, so dossiers opened later get new numbers
    number = int(reference.rsplit("-", 1)[1])
    counter = session.get(ReferenceCounter, dossier.year)
    if counter is None:
        session.add(ReferenceCounter(year=dossier.year, last_value=number))
    elif counter.last_value < number:
        counter.last_value = number
    digest = hashlib.sha256(f"{reference}{text}".encode()).hexdigest()
    message = Message(
        dossier_id=dossier.id,
        channel=dossier.channel,
        kind="request",
        role="request",
        source="eml",
        dedupe_key=digest,
        content_hash=digest,
        subject=dossier.subject,
        body_text=text,
        html_sanitised=html,
        from_address=dossier.requester_email,
        received_at=dossier.received_at,
        message_id=f"<{reference.lower()}@example.org>",
    )
    session.add(message)
    session.flush()
    if suggestion is not None:
        domain, dc, adm, ac, reo, rc = suggestion
        session.add(
            SuggestionRow(
                dossier_id=dossier.id,
                message_id=message.id,
                model_version="test-1",
                domain=domain,
                domain_confidence=dc,
                admissibility=adm,
                admissibility_confidence=ac,
                reorientation=reo,
                reorientation_confidence=rc,
                reasons={
                    "domain": ["Règle « cmi » : carte mobilité inclusion"],
                    "admissibility": ["RAPO sans réponse"],
                    "reorientation": [],
                    "general": [],
                },
                highlights={
                    "domain": ["carte mobilité inclusion", "MDPH"],
                    "admissibility": ["RAPO"],
                    "reorientation": [],
                },
            )
        )
    session.flush()
    return dossier, token


def add_attachment(session: Session, dossier: Dossier, filename: str, data: bytes, content_type: str) -> int:
    """An attachment stored on the dossier's request message; returns its id."""
    message = dossier.messages[0]
    digest = hashlib.sha256(data).hexdigest()
    blob = RawBlob(sha256=digest, size=len(data), data=data)
    session.add(blob)
    session.flush()
    att = StoredAttachment(
        message_id=message.id,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        blob_id=blob.id,
    )
    session.add(att)
    session.flush()
    return att.id


def add_users(rt: Runtime) -> None:
    """One account per role: mediatrice, courrier, admin."""
    with rt.sessions.begin() as session:
        auth.create_user(
            session,
            "mediatrice",
            PASSWORD,
            "mediateur",
            display_name="Claire Médiatrice",
            email="claire@isere.example",
        )
        auth.create_user(session, "courrier", PASSWORD, "courrier", display_name="Service courrier")
        auth.create_user(session, "admin", PASSWORD, "admin", display_name="Administration")


def form_token(html: str) -> str:
    """The first CSRF token of a page."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Log a TestClient in through the login form; returns the response of the POST."""
    page = client.get("/connexion")
    return client.post(
        "/connexion",
        data={"identifiant": username, "mot_de_passe": password, "csrf": form_token(page.text)},
        follow_redirects=False,
    )


def utc(*args: int) -> datetime:
    """A UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheaper argon2 parameters in tests (the shipped ones cost ~0.4 s per hash on a loaded machine)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


def add_service(session: Session) -> Contact:
    """A service of the Département in the directory, with its email and postal address."""
    contact = Contact(
        kind="service",
        name="Maison départementale de l'autonomie",
        email="mda@isere.example",
        postal_address="15 avenue Doyen Louis Weil\n38000 Grenoble",
    )
    session.add(contact)
    return contact


def received_for_examination(session: Session, reference: str = "MED-2026-00001") -> Dossier:
    """A receivable request about disability (CMI), triaged, being examined, with a directory service."""
    dossier, _ = add_request(session, reference)
    dossier.domain, dossier.admissibility, dossier.reorientation = "autonomie_handicap", "recevable", "none"
    add_service(session)
    return dossier
