"""Every refused form of the dossier, Écrire and new-request pages comes back inside its form, with what was
typed kept and nothing changed (409), on SQLite and PostgreSQL (the refused action is rolled back to a
savepoint)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.workspace_data import add_request, add_users, fast_argon2, form_token, login
from triage.runtime import Runtime
from triage.store.models import Dossier, Draft, OutboxItem, PrintJob, StoredAttachment
from triage.web.app import create_app

__all__ = ["fast_argon2"]

REF = "MED-2026-00001"
PAGE = f"/mediation/dossiers/{REF}"


@pytest.fixture
def rt(runtime: Runtime, fast_argon2: None) -> Runtime:
    runtime.settings.web.secure_cookies = False  # TestClient speaks plain http
    add_users(runtime)
    with runtime.sessions.begin() as s:
        add_request(s, REF)
    return runtime


def client(rt: Runtime, role: str = "mediatrice") -> tuple[TestClient, str]:
    """A logged-in client and a CSRF token."""
    web = TestClient(create_app(rt))
    assert login(web, role).status_code == 303
    return web, form_token(web.get("/mediation/" if role == "mediatrice" else "/courrier/").text)


def form(html: str, form_id: str) -> str:
    """The HTML of the form with this id (from its <form> tag to its end)."""
    match = re.search(rf'<form [^>]*id="{form_id}"[^>]*>.*?</form>', html, re.S)
    assert match, f"no form {form_id} in the page"
    return match.group(0)


def refusal_in(answer, form_id: str, said: str) -> str:  # type: ignore[no-untyped-def]
    """Checks the refusal is a 409 shown inside the form, which its action reopens; returns the form."""
    assert answer.status_code == 409, answer.status_code
    assert "<h1>Action impossible</h1>" not in answer.text
    shown = form(answer.text, form_id)
    assert (
        f'#{form_id}"' in shown.split(">", 1)[0]
    )  # the action carries the anchor: the page opens at the form
    assert 'role="alert"' in shown and said in shown, shown
    assert f'href="#{form_id}"' in answer.text  # the top of the page links to the form
    return shown


def test_refused_requester_details_stay_in_their_form_and_change_nothing(rt: Runtime) -> None:
    web, token = client(rt)
    answer = web.post(
        f"{PAGE}/coordonnees",
        data={"csrf": token, "requester_name": "Mme Nouveau Nom", "requester_email": "pas-une-adresse"},
    )
    shown = refusal_in(answer, "form-coordonnees", "Adresse de courriel invalide")
    assert 'value="Mme Nouveau Nom"' in shown and 'value="pas-une-adresse"' in shown
    with rt.sessions() as s:
        assert s.scalar(select(Dossier.requester_name)) != "Mme Nouveau Nom"


def test_refused_assignment_stays_in_its_form_and_changes_nothing(rt: Runtime) -> None:
    web, token = client(rt)
    with rt.sessions() as s:
        before = s.scalar(select(Dossier.assignee_id))
    answer = web.post(f"{PAGE}/attribution", data={"csrf": token, "attribue_a": "quelqu'un"})
    refusal_in(answer, "form-attribution", "Personne inconnue")
    with rt.sessions() as s:
        assert s.scalar(select(Dossier.assignee_id)) == before


def test_refused_reminder_date_stays_in_its_form_with_the_date_typed(rt: Runtime) -> None:
    web, token = client(rt)
    answer = web.post(f"{PAGE}/rappel", data={"csrf": token, "rappel": "31/02/2026"})
    shown = refusal_in(answer, "form-rappel", "Date de rappel invalide")
    assert 'value="31/02/2026"' in shown
    with rt.sessions() as s:
        assert s.scalar(select(Dossier.reminder_on)) is None


def test_refused_document_keeps_its_description_and_way_but_not_the_file(rt: Runtime) -> None:
    web, token = client(rt)
    fields = {"csrf": token, "moyen": "courrier", "description": "Avis d'imposition 2025"}
    empty = web.post(
        f"{PAGE}/documents", data=fields, files={"document": ("avis.pdf", b"", "application/pdf")}
    )
    shown = refusal_in(empty, "form-document", "Le fichier est vide")
    assert 'value="Avis d&#39;imposition 2025"' in shown
    assert '<option value="courrier" selected>' in shown
    none = web.post(
        f"{PAGE}/documents", data=fields, files={"document": ("", b"", "application/octet-stream")}
    )
    refusal_in(none, "form-document", "Choisissez un fichier")
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StoredAttachment)) == 0


def test_refused_message_stays_in_the_write_form_with_everything_typed_but_the_files(rt: Runtime) -> None:
    web, token = client(rt)
    page = web.get(f"{PAGE}/ecrire").text
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert nonce
    answer = web.post(
        f"{PAGE}/ecrire",
        data={
            "csrf": token,
            "nonce": nonce.group(1),
            "action": "envoyer",
            "destinataire": "autre",
            "envoi": "courriel",
            "nom": "Service des routes",
            "courriel": "pas-une-adresse",
            "objet": "Votre demande de travaux",
            "message": "Bonjour,\n\nPouvez-vous nous dire où en est le chantier ?",
        },
        files={"fichiers": ("plan.pdf", b"%PDF-1.4 plan", "application/pdf")},
    )
    shown = refusal_in(answer, "form-ecrire", "Adresse de courriel du destinataire invalide")
    assert '<option value="autre" selected>' in shown
    assert 'value="Service des routes"' in shown and 'value="pas-une-adresse"' in shown
    assert 'value="Votre demande de travaux"' in shown
    assert "Pouvez-vous nous dire où en est le chantier ?</textarea>" in shown
    assert f'name="nonce" value="{nonce.group(1)}"' in shown  # sent once, even after a correction
    assert "Joignez de nouveau les fichiers" in shown
    empty_draft = web.post(
        f"{PAGE}/ecrire",
        data={
            "csrf": token,
            "action": "envoyer",
            "destinataire": "usager",
            "objet": "Relance",
            "message": " ",
        },
    )
    assert 'value="Relance"' in refusal_in(empty_draft, "form-ecrire", "Le message est vide")
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem)) == 0
        assert s.scalar(select(func.count()).select_from(PrintJob)) == 0
        assert s.scalar(select(func.count()).select_from(Draft)) == 0


@pytest.mark.parametrize(
    ("role", "path"), [("mediatrice", "/mediation/dossiers/nouveau"), ("courrier", "/courrier/demande")]
)
def test_refused_new_request_stays_in_its_form_with_everything_typed(
    rt: Runtime, role: str, path: str
) -> None:
    web, token = client(rt, role)
    typed = {
        "canal": "telephone",
        "origine": "elu",
        "nom_origine": "M. Conseiller",
        "date_reception": "2026-03-02",
        "civilite": "Madame",
        "nom": "Jeanne Martin",
        "courriel": "jeanne@example.org",
        "telephone": "04 76 00 00 00",
        "adresse": "3 rue des Alpes",
        "code_postal": "38000",
        "commune": "Grenoble",
        "objet": "Aide sociale",
        "resume": "trop court",
    }
    answer = web.post(path, data={"csrf": token, **typed, "resume": "court"})
    shown = refusal_in(answer, "form-nouvelle", "Résumez la demande en quelques mots")
    for name in (
        "nom_origine",
        "date_reception",
        "nom",
        "courriel",
        "telephone",
        "code_postal",
        "commune",
        "objet",
    ):
        assert f'value="{typed[name]}"' in shown, name
    assert "3 rue des Alpes</textarea>" in shown and ">court</textarea>" in shown
    for name in ("canal", "origine", "civilite"):
        assert f'<option value="{typed[name]}" selected>' in shown, name
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Dossier)) == 1


def test_refused_join_on_the_dossier_page_stays_in_its_form_with_the_reference_typed(rt: Runtime) -> None:
    web, token = client(rt)
    answer = web.post(
        f"/mediation/tri/{REF}/joindre", data={"csrf": token, "cible": "med-2026-09999", "retour": PAGE}
    )
    shown = refusal_in(answer, "form-joindre", "introuvable")
    assert 'value="med-2026-09999"' in shown  # as typed
    itself = web.post(f"/mediation/tri/{REF}/joindre", data={"csrf": token, "cible": REF, "retour": PAGE})
    refusal_in(itself, "form-joindre", "Une demande ne peut pas être jointe à elle-même")
    with rt.sessions() as s:
        assert s.scalar(select(Dossier.merged_into_id)) is None
