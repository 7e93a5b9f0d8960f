"""A refused message on the « Écrire » page, in a real browser without JavaScript: the page opens at the
form, the refusal is inside it, everything typed is kept except the file to attach; corrected, it leaves
once. axe-core on the refused page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.browser import LiveServer, assert_accessible, workspace_server
from tests.workspace_data import PASSWORD, fast_argon2, received_for_examination
from triage.runtime import Runtime
from triage.store.models import PrintJob

pytestmark = pytest.mark.browser
__all__ = ["fast_argon2"]

WRITE = "/mediation/dossiers/MED-2026-00001/ecrire"


@pytest.fixture
def server(sqlite_runtime: Runtime, fast_argon2: None) -> Iterator[LiveServer]:
    def seed(session: Session) -> None:
        received_for_examination(session)

    with workspace_server(sqlite_runtime, seed) as live:
        yield live


def log_in(page: Any, server: LiveServer) -> None:
    """Log in as the mediator through the login form, landing on the « Écrire » page."""
    page.goto(server.url(WRITE))
    page.get_by_label("Identifiant").fill("mediatrice")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(server.url(WRITE))


def test_a_refused_message_opens_at_its_form_with_what_was_typed(
    browser: Any, server: LiveServer, sqlite_runtime: Runtime, tmp_path: Any
) -> None:
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=False, viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(b"%PDF-1.4 plan")
    try:
        log_in(page, server)
        form = page.locator("#form-ecrire")
        form.get_by_label("Destinataire").select_option("autre")
        form.get_by_label("Nom").fill("Service des routes")
        form.get_by_label("Par courrier imprimé (file d'impression)").check()
        form.get_by_label("Objet (la référence du dossier est ajoutée)").fill("Travaux devant le domicile")
        form.get_by_label("Message", exact=True).fill("Bonjour,\n\nOù en est le chantier ?")
        form.get_by_label("Joindre des fichiers (non gardés dans un brouillon)").set_input_files(str(plan))
        form.get_by_role("button", name="Envoyer").click()

        # refused (no postal address for a printed letter): the page opens at the form, the reason inside it
        page.wait_for_url("**/ecrire#form-ecrire")
        form = page.locator("#form-ecrire")
        alert = form.get_by_role("alert")
        assert "Adresse postale du destinataire manquante" in alert.inner_text()
        assert alert.evaluate("e => e.getBoundingClientRect().top") < 768  # visible without scrolling
        assert form.get_by_label("Destinataire").input_value() == "autre"
        assert form.get_by_label("Nom").input_value() == "Service des routes"
        assert form.get_by_label("Par courrier imprimé (file d'impression)").is_checked()
        assert form.get_by_label("Objet (la référence du dossier est ajoutée)").input_value() == (
            "Travaux devant le domicile"
        )
        assert form.get_by_label("Message", exact=True).input_value() == "Bonjour,\n\nOù en est le chantier ?"
        assert "Joignez de nouveau les fichiers" in alert.inner_text()
        assert page.get_by_role("link", name="Aller au formulaire").get_attribute("href") == "#form-ecrire"
        with sqlite_runtime.sessions() as s:
            assert (
                s.scalar(select(func.count()).select_from(PrintJob).where(PrintJob.kind != "acknowledgement"))
                == 0
            )

        # corrected: the address added, the file attached again, it leaves once
        form.get_by_label("Adresse postale (courrier imprimé)").fill(
            "Service des routes\n7 rue Fantin-Latour\n38000 Grenoble"
        )
        form.get_by_label("Joindre des fichiers (non gardés dans un brouillon)").set_input_files(str(plan))
        form.get_by_role("button", name="Envoyer").click()
        page.wait_for_url("**?fait=message#courriers")
    finally:
        context.close()
    with sqlite_runtime.sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(PrintJob).where(PrintJob.kind != "acknowledgement"))
            == 1
        )


def test_the_refused_write_page_passes_axe(page: Any, server: LiveServer) -> None:
    log_in(page, server)
    form = page.locator("#form-ecrire")
    form.get_by_label("Objet (la référence du dossier est ajoutée)").fill("Relance")
    form.get_by_role("button", name="Envoyer").click()  # an empty message
    page.wait_for_url("**/ecrire#form-ecrire")
    assert "Le message est vide" in page.locator("#form-ecrire").get_by_role("alert").inner_text()
    assert (
        page.locator("#form-ecrire").get_by_label("Objet (la référence du dossier est ajoutée)").input_value()
        == "Relance"
    )
    assert_accessible(page)
