"""Nothing is invisible (issue 10 item 5, issue 12 finding 13): probable spam and non-requests are listed
for the mediator, and « C'est une demande » opens the dossier and queues the acknowledgement."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.mailfactory import mail
from tests.workspace_data import add_users, fast_argon2, form_token, login  # noqa: F401 - fixture
from triage.notify.acknowledge import Notifier
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.store.models import AuditEntry, Dossier, Message, OutboxItem
from triage.web.app import create_app

FORM = (
    "Civilité : Monsieur\nNom : DURAND\nPrénom : Paul\nCommune : Voiron\n"
    "Démarches déjà effectuées :\n  courrier au service RSA en juin, sans réponse\n"
    "Message : Mon RSA est suspendu depuis trois mois.\n"
)


@pytest.fixture
def rt(sqlite_runtime: Runtime, fast_argon2: None) -> Runtime:  # noqa: F811 - the fixture above
    sqlite_runtime.settings.web.secure_cookies = False
    add_users(sqlite_runtime)
    return sqlite_runtime


def _pipeline(rt: Runtime) -> Pipeline:
    """The shipped pipeline without the suggester (not what is tested here), with the real notifier."""
    return Pipeline(rt, notifier=Notifier.from_runtime(rt))


def _ingest(rt: Runtime, data: bytes, key: str) -> int:
    outcome = _pipeline(rt).ingest_raw(RawMessage("eml", key, data))
    assert outcome.outcome is not IngestOutcome.OPENED and outcome.message_row_id
    return int(outcome.message_row_id)


def _client(rt: Runtime) -> TestClient:
    client = TestClient(create_app(rt, pipeline=_pipeline(rt)))
    assert login(client, "mediatrice").status_code == 303
    return client


def test_probable_spam_is_listed_and_rescued_with_an_acknowledgement(rt: Runtime) -> None:
    spam_id = _ingest(
        rt,
        mail(
            "Bonjour, mon APA a été refusée.",
            sender="Lucie <lucie.r@exemple.example>",
            headers={"X-Spam-Flag": "YES"},
        ),
        "spam",
    )
    client = _client(rt)
    page = client.get("/mediation/mis-de-cote")
    assert page.status_code == 200 and "Courrier indésirable probable" in page.text
    assert "lucie.r@exemple.example" in page.text and "X-Spam-Flag" in page.text
    assert "lucie.r@exemple.example" not in client.get("/mediation/").text  # not flooding the queue
    with rt.sessions() as session:
        assert session.scalar(select(OutboxItem.id)) is None
    answer = client.post(
        f"/mediation/mis-de-cote/{spam_id}/demande",
        data={"csrf": form_token(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/mediation/dossiers/")
    with rt.sessions() as session:
        dossier = session.scalars(select(Dossier)).one()
        row = session.get(Message, spam_id)
        assert row is not None and (row.dossier_id, row.role) == (dossier.id, "request")
        assert dossier.requester_email == "lucie.r@exemple.example"
        out = session.scalars(select(OutboxItem)).one()
        assert (out.kind, out.to_address, out.status) == (
            "acknowledgement",
            "lucie.r@exemple.example",
            "pending",
        )
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "message.rescue"))
    assert "lucie.r@exemple.example" not in client.get("/mediation/mis-de-cote").text


def test_automatic_form_of_an_unknown_robot_is_rescued_as_a_form_for_its_reply_to(rt: Runtime) -> None:
    row_id = _ingest(
        rt,
        mail(
            FORM,
            sender="robot@formulaires.exemple.example",
            subject="Nouvelle soumission",
            headers={"Auto-Submitted": "auto-generated", "Reply-To": "paul.durand@exemple.example"},
        ),
        "form",
    )
    client = _client(rt)
    page = client.get("/mediation/mis-de-cote")
    assert "À vérifier" in page.text and "robot@formulaires.exemple.example" in page.text
    client.post(f"/mediation/mis-de-cote/{row_id}/demande", data={"csrf": form_token(page.text)})
    with rt.sessions() as session:
        dossier = session.scalars(select(Dossier)).one()
        assert (dossier.channel, dossier.requester_email) == ("formulaire", "paul.durand@exemple.example")
        assert dossier.requester_name == "Paul Durand"
        assert session.scalars(select(OutboxItem.to_address)).one() == "paul.durand@exemple.example"


def test_out_of_office_is_listed_as_a_non_request(rt: Runtime) -> None:
    _ingest(
        rt,
        mail(
            "Je suis absente jusqu'au 12.",
            subject="Réponse automatique : absente",
            sender="agent@exemple.example",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        "ooo",
    )
    page = _client(rt).get("/mediation/mis-de-cote")
    section = page.text.split('id="titre-non-demandes"', 1)[1]
    assert "agent@exemple.example" in section and "est une demande" in section


def test_probable_spam_from_a_known_requester_can_be_attached_to_the_dossier(rt: Runtime) -> None:
    pipeline = _pipeline(rt)
    opened = pipeline.ingest_raw(RawMessage("eml", "first", mail(sender="Lucie <lucie.r@exemple.example>")))
    spam_id = _ingest(
        rt,
        mail(
            "Voici le document demandé.",
            sender="Lucie <lucie.r@exemple.example>",
            headers={"X-Spam-Status": "Yes, score=6.1 required=5.0"},
        ),
        "spam",
    )
    client = _client(rt)
    page = client.get("/mediation/mis-de-cote")
    assert f"/mediation/messages/{spam_id}/rattacher" in page.text
    answer = client.post(
        f"/mediation/messages/{spam_id}/rattacher",
        data={"csrf": form_token(page.text), "cible": opened.reference},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with rt.sessions() as session:
        row = session.get(Message, spam_id)
        assert row is not None and row.dossier_id == opened.dossier_id and not row.needs_review
