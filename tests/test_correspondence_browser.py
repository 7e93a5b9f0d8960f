"""Correspondence in a real browser (Debian's chromium): a free message with an attachment written from a
reply template; a dossier assigned then found in « mes dossiers »; axe-core finds no violation."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser import LiveServer, assert_accessible
from tests.workspace_data import PASSWORD, add_attachment, add_request, add_users, fast_argon2
from triage.runtime import Runtime
from triage.store.models import OutboxItem, ReplyTemplate
from triage.web.app import create_app

pytestmark = pytest.mark.browser
__all__ = ["fast_argon2"]  # a fixture imported for pytest (browser and page come from conftest)
REF = "MED-2026-00001"


@pytest.fixture
def server(sqlite_runtime: Runtime, fast_argon2: None) -> Iterator[LiveServer]:
    rt = sqlite_runtime
    rt.settings.web.secure_cookies = False  # plain http on loopback
    add_users(rt)
    with rt.sessions.begin() as s:
        d, _ = add_request(s, REF)
        add_attachment(s, d, "notification-refus.pdf", b"%PDF-1.4 refus", "application/pdf")
        add_request(s, "MED-2026-00002", email="jean.dupont@example.org", name="Jean Dupont")
    with LiveServer(create_app(rt)) as live:
        yield live


def log_in(page: Any, server: LiveServer) -> None:
    page.goto(server.url("/mediation/dossiers"))
    page.get_by_label("Identifiant").fill("mediatrice")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(server.url("/mediation/dossiers"))


def test_free_message_with_an_attachment_from_a_reply_template(
    page: Any, server: LiveServer, sqlite_runtime: Runtime, tmp_path: Path
) -> None:
    log_in(page, server)
    page.get_by_role("link", name="Modèles de réponse").click()
    page.get_by_label("Nom du modèle").fill("Accusé de lecture")
    page.get_by_label("Objet").fill("Votre dossier {reference}")
    page.get_by_label("Texte").fill("{formule},\n\nJ'ai bien lu votre dossier {reference} du {date_demande}.")
    page.get_by_role("button", name="Enregistrer le modèle").click()
    assert page.get_by_role("status").inner_text() == "Modèle enregistré."
    assert_accessible(page)
    with sqlite_runtime.sessions() as s:
        assert s.scalar(select(ReplyTemplate.name)) == "Accusé de lecture"

    page.goto(server.url(f"/mediation/dossiers/{REF}"))
    page.get_by_role("link", name="Écrire un message").click()
    page.get_by_label("Partir d'un modèle de réponse").select_option(label="Accusé de lecture")
    page.get_by_role("button", name="Utiliser ce modèle").click()
    assert (
        "J'ai bien lu votre dossier MED-2026-00001 du 2 novembre 2026."
        in page.get_by_label("Message", exact=True).input_value()
    )
    assert_accessible(page)
    page.get_by_label("notification-refus.pdf").check()
    upload = tmp_path / "courrier-scanne.txt"
    upload.write_text("lettre retapée", encoding="utf-8")
    page.get_by_label("Joindre des fichiers").set_input_files(str(upload))
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.wait_for_url(server.url(f"/mediation/dossiers/{REF}?fait=message#courriers"))
    with sqlite_runtime.sessions() as s:
        [item] = s.scalars(select(OutboxItem).where(OutboxItem.kind == "message")).all()
    sent = message_from_bytes(item.raw, policy=policy.default)
    assert item.to_address == "sylvie.martin@example.org"
    assert sent["Subject"] == "Votre dossier MED-2026-00001"
    assert sorted(p.get_filename() for p in sent.iter_attachments()) == [
        "courrier-scanne.txt",
        "notification-refus.pdf",
    ]
    assert "Madame,\n\nJ'ai bien lu votre dossier" in sent.get_body(("plain",)).get_content().replace(
        "\r\n", "\n"
    )


def test_assigned_dossier_is_found_in_my_dossiers(page: Any, server: LiveServer) -> None:
    log_in(page, server)
    page.goto(server.url("/mediation/dossiers/MED-2026-00002"))
    page.get_by_label("Dossier suivi par").select_option(label="Claire Médiatrice (moi)")
    page.get_by_role("button", name="Attribuer").click()
    assert page.get_by_role("status").inner_text() == "Attribution enregistrée."
    assert_accessible(page)
    page.goto(server.url("/mediation/dossiers"))
    page.get_by_label("Attribution").select_option(label="Mes dossiers")
    page.get_by_role("button", name="Filtrer").click()
    rows = page.locator("tbody tr").all_inner_texts()
    assert len(rows) == 1 and "MED-2026-00002" in rows[0] and "Claire Médiatrice" in rows[0]
    assert_accessible(page)
