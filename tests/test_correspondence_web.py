"""Writing from a dossier in the web workspace: reply templates, the directory, drafts, free messages with
attachments by email or printed letter."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.workspace_data import add_attachment, add_request, add_users, fast_argon2, form_token, login
from triage.report.labels import direction_label
from triage.runtime import Runtime
from triage.store.models import (
    Contact,
    Dossier,
    Draft,
    Event,
    Message,
    OutboxItem,
    PrintJob,
    ReplyTemplate,
    StoredAttachment,
)
from triage.web.app import create_app

__all__ = ["fast_argon2"]
REF = "MED-2026-00001"


@pytest.fixture
def rt(sqlite_runtime: Runtime, fast_argon2: None) -> Runtime:
    sqlite_runtime.settings.web.secure_cookies = False  # TestClient speaks plain http
    add_users(sqlite_runtime)
    with sqlite_runtime.sessions.begin() as s:
        d, _ = add_request(s, REF)
        add_attachment(s, d, "avis.pdf", b"%PDF-1.4 avis", "application/pdf")
    return sqlite_runtime


def attachment_id(rt: Runtime) -> int:
    """The one attachment the fixture stored."""
    with rt.sessions() as s:
        return int(s.scalars(select(StoredAttachment.id)).one())


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    c = TestClient(create_app(rt))
    assert login(c, "mediatrice").status_code == 303
    return c


def post(
    client: TestClient, path: str, data: dict[str, object], files: object = None, page: str = ""
) -> object:
    token = form_token(client.get(page or path).text)
    return client.post(path, data={"csrf": token, **data}, files=files, follow_redirects=False)


def test_reply_template_with_placeholders_fills_the_message_for_the_dossier(
    client: TestClient, rt: Runtime
) -> None:
    answer = post(
        client,
        "/mediation/modeles",
        {
            "nom": "Demande de précisions",
            "objet": "Votre demande {reference}",
            "texte": "{formule},\n\nPour votre dossier {reference} reçu le {date_demande}, pouvez-vous préciser ?\n\n{mediatrice}",
        },
    )
    assert answer.status_code == 303  # type: ignore[attr-defined]
    with rt.sessions() as s:
        template = s.scalar(select(ReplyTemplate))
        assert template is not None and template.name == "Demande de précisions"
    edited = post(
        client,
        f"/mediation/modeles/{template.id}",
        {
            "nom": "Demande de précisions",
            "objet": "Votre demande {reference}",
            "texte": "{formule},\n\nMadame {nom}, pour votre dossier {reference} reçu le {date_demande}, précisez.",
        },
    )
    assert edited.status_code == 303  # type: ignore[attr-defined]
    wrong = post(client, "/mediation/modeles", {"nom": "Faute", "texte": "Bonjour {prenom}"})
    assert wrong.status_code == 409 and "{prenom}" in wrong.text  # type: ignore[attr-defined]
    page = client.get(f"/mediation/dossiers/{REF}/ecrire?modele={template.id}").text
    assert (
        "Madame,\n\nMadame Sylvie Martin, pour votre dossier MED-2026-00001 reçu le 2 novembre 2026" in page
    )
    assert 'value="Votre demande MED-2026-00001"' in page


def test_directory_entry_is_offered_as_a_recipient_and_the_message_leaves_once_with_both_attachments(
    client: TestClient, rt: Runtime
) -> None:
    saved = post(
        client,
        "/mediation/annuaire",
        {
            "type": "service",
            "direction": "Direction des solidarités",
            "nom": "Service RSA",
            "courriel": "RSA@isere.example",
            "adresse": "7 rue Fantin-Latour\n38000 Grenoble",
            "actif": "oui",
        },
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    with rt.sessions() as s:
        contact = s.scalar(select(Contact))
        assert contact is not None and contact.email == "rsa@isere.example"
    page = client.get(f"/mediation/dossiers/{REF}/ecrire").text
    assert f'value="contact:{contact.id}"' in page and "Direction des solidarités — Service RSA" in page
    form = {
        "destinataire": f"contact:{contact.id}",
        "envoi": "courriel",
        "objet": "Situation de Mme Martin",
        "message": "Madame, Monsieur,\n\nJe vous transmets la demande.",
        "mention": "transmission",
        "pieces": str(attachment_id(rt)),
        "action": "envoyer",
        "nonce": "form-1",
    }
    files = [("fichiers", ("courrier-usager.txt", b"lettre manuscrite retapee", "text/plain"))]
    page_url = f"/mediation/dossiers/{REF}/ecrire"
    sent = post(client, page_url, form, files=files)
    assert sent.status_code == 303  # type: ignore[attr-defined]
    again = post(client, page_url, form, files=files)  # a double click: the same form nonce
    assert again.status_code == 303  # type: ignore[attr-defined]
    with rt.sessions() as s:
        [item] = s.scalars(select(OutboxItem).where(OutboxItem.dossier_id.is_not(None))).all()
        assert item.to_address == "rsa@isere.example" and item.kind == "message_transmission"
        mail = message_from_bytes(item.raw, policy=policy.default)
        names = sorted(p.get_filename() for p in mail.iter_attachments())
        assert names == ["avis.pdf", "courrier-usager.txt"]
        text = mail.get_body(("plain",)).get_content()
        assert "article L114-2 du code des relations entre le public et l'administration" in text
        assert s.scalar(select(Event).where(Event.kind == "message_envoye")) is not None
    shown = client.get(f"/mediation/dossiers/{REF}").text
    assert "Transmise au service concerné" in shown
    with rt.sessions() as s:  # filed under the directory's direction: the report counts it there
        d = s.scalar(select(Dossier).where(Dossier.reference == REF))
        assert (
            d is not None
            and d.direction == "Direction des solidarités"
            and d.service_concerned == "Service RSA"
        )
        assert direction_label(d.direction, set()) == "Direction des solidarités"


def test_draft_is_kept_then_sent_as_a_printed_letter_and_discarded(client: TestClient, rt: Runtime) -> None:
    page_url = f"/mediation/dossiers/{REF}/ecrire"
    kept = post(
        client,
        page_url,
        {
            "destinataire": "usager",
            "envoi": "courrier",
            "objet": "Point d'étape",
            "message": "Madame,\n\nVotre dossier avance.",
            "action": "brouillon",
        },
    )
    assert kept.status_code == 303  # type: ignore[attr-defined]
    with rt.sessions() as s:
        draft = s.scalar(select(Draft))
        assert draft is not None and draft.body == "Madame,\n\nVotre dossier avance."
    resumed = client.get(f"{page_url}?brouillon={draft.id}").text
    assert "Votre dossier avance." in resumed and f'name="brouillon" value="{draft.id}"' in resumed
    sent = post(
        client,
        page_url,
        {
            "destinataire": "usager",
            "envoi": "courrier",
            "objet": "Point d'étape",
            "message": "Madame,\n\nVotre dossier avance.",
            "action": "envoyer",
            "brouillon": str(draft.id),
            "nonce": "form-2",
        },
        page=f"{page_url}?brouillon={draft.id}",
    )
    assert sent.status_code == 303  # type: ignore[attr-defined]
    with rt.sessions() as s:
        assert s.scalar(select(Draft)) is None
        job = s.scalar(select(PrintJob).where(PrintJob.kind == "message"))
        assert job is not None and job.pdf.startswith(b"%PDF")
        assert not s.scalars(select(OutboxItem).where(OutboxItem.kind == "message")).all()


def test_an_attachment_of_another_dossier_cannot_be_sent(client: TestClient, rt: Runtime) -> None:
    with rt.sessions.begin() as s:
        other, _ = add_request(s, "MED-2026-00002", email="autre@example.org")
        foreign = add_attachment(s, other, "secret.pdf", b"%PDF-1.4 autre dossier", "application/pdf")
    refused = post(
        client,
        f"/mediation/dossiers/{REF}/ecrire",
        {
            "destinataire": "usager",
            "envoi": "courriel",
            "message": "Bonjour",
            "pieces": str(foreign),
            "action": "envoyer",
            "nonce": "form-3",
        },
    )
    assert refused.status_code == 409  # type: ignore[attr-defined]
    with rt.sessions() as s:
        assert not s.scalars(select(OutboxItem).where(OutboxItem.kind == "message")).all()


def test_an_outside_body_edited_in_the_directory_receives_the_reorientation_and_shows_on_the_tracking_page(
    client: TestClient, rt: Runtime
) -> None:
    with rt.sessions.begin() as s:
        d, token = add_request(s, "MED-2026-00003", email="paul@example.org", name="Paul Durand")
        d.reorientation = "caf"
    saved = post(
        client,
        "/mediation/annuaire",
        {
            "type": "externe",
            "code": "caf",
            "nom": "CAF de l'Isère — pôle médiation",
            "courriel": "mediation@caf38.example",
            "adresse": "3 rue des Alliés\n38051 Grenoble Cedex 9",
            "telephone": "04 00 00 00 01",
            "actif": "oui",
        },
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    dossier_url = "/mediation/dossiers/MED-2026-00003"
    sent = post(
        client,
        f"{dossier_url}/courrier",
        {
            "modele": "reorientation",
            "envoi": "courriel",
            "transmettre": "oui",
            "nonce": "letter-1",
            "action": "envoyer",
        },
        page=dossier_url,
    )
    assert sent.status_code == 303  # type: ignore[attr-defined]
    with rt.sessions() as s:
        forwarded = s.scalar(select(OutboxItem).where(OutboxItem.kind == "letter_reorientation_transmission"))
        assert forwarded is not None and forwarded.to_address == "mediation@caf38.example"
    tracking = TestClient(create_app(rt)).get(f"/suivi/{token}").text
    assert "pôle médiation" in tracking and "04 00 00 00 01" in tracking


def test_the_dossier_pdf_is_a_forced_download(client: TestClient) -> None:
    answer = client.get(f"/mediation/dossiers/{REF}/dossier.pdf")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert answer.headers["content-disposition"].startswith(
        'attachment; filename="dossier-MED-2026-00001.pdf"'
    )


def test_a_document_brought_in_person_is_kept_on_the_dossier_once(client: TestClient, rt: Runtime) -> None:
    page = f"/mediation/dossiers/{REF}"
    files = [("document", ("avis-imposition.pdf", b"%PDF-1.4 avis d'imposition 2025", "application/pdf"))]
    data = {"moyen": "permanence", "description": "Avis d'imposition apporté à la permanence de Voiron"}
    added = post(client, f"{page}/documents", data, files=files, page=page)
    assert added.status_code == 303  # type: ignore[attr-defined]
    again = post(client, f"{page}/documents", data, files=files, page=page)
    assert again.status_code == 409  # type: ignore[attr-defined]
    with rt.sessions() as s:
        [doc] = s.scalars(select(Message).where(Message.kind == "document")).all()
        assert doc.channel == "permanence" and [a.filename for a in doc.attachments] == [
            "avis-imposition.pdf"
        ]
        assert doc.body_text.startswith("Avis d'imposition apporté")
    shown = client.get(page).text
    assert "avis-imposition.pdf" in shown and "Document ajouté" in shown


def test_the_article_chosen_in_the_directory_is_kept_and_an_unknown_one_is_refused(
    client: TestClient, rt: Runtime
) -> None:
    entry = {"type": "service", "nom": "Pôle habitat", "courriel": "habitat@isere.example", "actif": "oui"}
    saved = post(client, "/mediation/annuaire", {**entry, "article": "le"})
    assert saved.status_code == 303  # type: ignore[attr-defined]
    page = client.get(saved.headers["location"]).text  # type: ignore[attr-defined]
    assert '<option value="le" selected>' in page
    refused = post(client, "/mediation/annuaire", {**entry, "nom": "Pôle jeunesse", "article": "del"})
    assert refused.status_code == 409  # type: ignore[attr-defined]
    guessed = post(client, "/mediation/annuaire", {**entry, "nom": "France Travail Voiron", "article": ""})
    assert guessed.status_code == 303  # type: ignore[attr-defined]
    with rt.sessions() as s:
        articles = {name: article for name, article in s.execute(select(Contact.name, Contact.article))}
    assert articles["Pôle habitat"] == "le" and articles["France Travail Voiron"] is None
    assert "Pôle jeunesse" not in articles
