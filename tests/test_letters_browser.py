"""Letters from the dossier page in a real browser: one form per template, the preview before anything
leaves (« Préparer » → « Modifier » / « Envoyer »), a refusal shown inside the form with what was typed kept,
and closing that leads to the dated end-of-mediation notice. axe-core on every page; one flow without
JavaScript (server round-trips only)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser import LiveServer, assert_accessible, workspace_server
from tests.workspace_data import PASSWORD, fast_argon2, received_for_examination
from triage.clock import system_clock
from triage.runtime import Runtime
from triage.store.models import Dossier, Event, OutboxItem, PrintJob
from triage.workspace.common import local_day

pytestmark = pytest.mark.browser
__all__ = ["fast_argon2"]

DOSSIER = "/mediation/dossiers/MED-2026-00001"


@pytest.fixture
def server(sqlite_runtime: Runtime, fast_argon2: None) -> Iterator[LiveServer]:
    def seed(session: Session) -> None:
        received_for_examination(session).status = "en_examen"

    with workspace_server(sqlite_runtime, seed) as live:
        yield live


def log_in(page: Any, server: LiveServer, path: str = DOSSIER) -> None:
    page.goto(server.url(DOSSIER))
    page.get_by_label("Identifiant").fill("mediatrice")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(server.url(DOSSIER))
    if path != DOSSIER:
        page.goto(server.url(path))


def letter_form(page: Any) -> Any:
    return page.locator("#form-courrier")


def test_choosing_a_template_shows_only_its_form(page: Any, server: LiveServer) -> None:
    log_in(page, server)
    form = letter_form(page)
    # a receivable dossier proposes the transmission to the service, never « Réorientation »
    assert form.get_by_role("heading").inner_text().startswith("Transmission au service du Département")
    assert page.get_by_role("link", name=re.compile(r"Transmission au service.*\(proposé\)")).is_visible()
    assert form.get_by_label("Service du Département (annuaire)").is_visible()
    assert form.get_by_label("Pièces demandées (une par ligne)").count() == 0
    assert_accessible(page)

    page.get_by_role("link", name="Demande de pièces manquantes").click()
    page.wait_for_url("**modele=pieces#courriers")
    form = letter_form(page)
    assert form.get_by_label("Pièces demandées (une par ligne)").is_visible()
    assert form.get_by_label(re.compile("Date limite")).is_visible()
    for other in (
        "Service du Département (annuaire)",
        "Issue de la médiation",
        "Transmettre aussi la demande",
    ):
        assert form.get_by_label(re.compile(re.escape(other))).count() == 0, other
    assert_accessible(page)

    page.get_by_role("link", name="Avis daté de fin de médiation", exact=True).click()
    form = letter_form(page)
    assert form.get_by_label("Issue de la médiation").is_visible()
    assert form.get_by_label("Fin de la médiation le").input_value() == local_day(system_clock()).isoformat()
    assert form.get_by_label("Pièces demandées (une par ligne)").count() == 0


def test_preview_then_send_queues_the_letter_exactly_once_without_javascript(
    browser: Any, server: LiveServer, sqlite_runtime: Runtime
) -> None:
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        log_in(page, server)
        form = letter_form(page)
        form.get_by_label("Service du Département (annuaire)").select_option(
            label="Maison départementale de l'autonomie (mda@isere.example)"
        )
        form.get_by_label("Par courrier imprimé (file d'impression)").check()
        form.get_by_label(re.compile("Votre question au service")).fill("Pouvez-vous réexaminer la CMI ?")
        form.get_by_role("button", name="Préparer (aperçu avant envoi)").click()

        # the preview: the printed pages of the very PDF, nothing queued yet
        assert page.get_by_role("heading", name=re.compile("Aperçu avant envoi")).is_visible()
        pages = page.locator("img.page-courrier")
        assert pages.count() >= 1 and (pages.first.get_attribute("src") or "").startswith("data:image/png")
        page.locator("summary", has_text="Texte du courrier").click()
        text = page.locator(".apercu-courrier").inner_text()
        assert "qui concerne la Maison départementale de l'autonomie" in text
        assert "Pouvez-vous réexaminer la CMI ?" in text
        with sqlite_runtime.sessions() as s:
            assert s.scalar(select(PrintJob).where(PrintJob.kind == "letter_transmission")) is None

        # « Modifier »: back to the form with everything typed
        page.get_by_role("button", name="Modifier").click()
        form = letter_form(page)
        assert form.get_by_label(re.compile("Votre question au service")).input_value() == (
            "Pouvez-vous réexaminer la CMI ?"
        )
        assert form.get_by_label("Par courrier imprimé (file d'impression)").is_checked()
        form.get_by_role("button", name="Préparer (aperçu avant envoi)").click()

        # « Envoyer », then the same form posted again (a double click, a resubmission): one letter only
        fields = {
            str(i.get_attribute("name")): str(i.get_attribute("value"))
            for i in page.locator("form.actions input[type=hidden]").all()
        }
        page.get_by_role("button", name="Envoyer").click()
        page.wait_for_url("**?fait=courrier#courriers")
        again = page.request.post(server.url(f"{DOSSIER}/courrier"), form={**fields, "action": "envoyer"})
        assert again.ok and "?fait=courrier" in again.url
    finally:
        context.close()
    with sqlite_runtime.sessions() as s:
        jobs = s.scalars(select(PrintJob).where(PrintJob.kind == "letter_transmission")).all()
        dossier = s.scalar(select(Dossier))
        assert dossier is not None
        key = dossier.tracking_key
        assert dossier.status == "transmise_service" and dossier.service_deadline is not None
    assert len(jobs) == 1
    import pypdfium2 as pdfium

    printed = pdfium.PdfDocument(jobs[0].pdf)[0].get_textpage().get_text_range()
    assert "38000 GRENOBLE" in printed and key not in printed


def test_a_refused_letter_keeps_what_was_typed_in_the_form(page: Any, server: LiveServer) -> None:
    log_in(page, server, f"{DOSSIER}?modele=pieces")
    form = letter_form(page)
    form.get_by_label(re.compile("Votre texte")).fill("Merci de nous envoyer ces pièces rapidement.")
    form.get_by_role("button", name="Préparer (aperçu avant envoi)").click()  # no document listed
    form = letter_form(page)
    assert form.get_by_role("alert").inner_text() == "Listez les pièces demandées."
    assert form.get_by_label(re.compile("Votre texte")).input_value() == (
        "Merci de nous envoyer ces pièces rapidement."
    )
    assert page.get_by_role("heading", name="Action impossible").count() == 0
    # the page opens at the form; the top of the page says so and links to it
    assert page.url.endswith("/courrier#form-courrier")
    assert page.get_by_role("link", name="Aller au formulaire").get_attribute("href") == "#form-courrier"
    assert_accessible(page)

    # a status change refused by the process: shown in the status form, the chosen step kept
    page.goto(server.url(DOSSIER))
    status_form = page.locator("#form-statut")
    status_form.get_by_label("Nouvelle étape").select_option("transmise_service")
    status_form.get_by_label(re.compile("Service du Département concerné")).fill("")
    status_form.get_by_role("button", name="Changer d'étape").click()
    status_form = page.locator("#form-statut")
    assert status_form.get_by_role("alert").inner_text() == (
        "Indiquez le service du Département à qui la demande est transmise."
    )
    assert status_form.get_by_label("Nouvelle étape").input_value() == "transmise_service"
    assert_accessible(page)


def test_closing_proposes_the_dated_end_of_mediation_notice(
    page: Any, server: LiveServer, sqlite_runtime: Runtime
) -> None:
    log_in(page, server)
    assert page.get_by_label("Nouvelle étape").locator("option", has_text="Clôturée").count() == 0
    page.get_by_role("link", name="Clôturer : issue et avis daté de fin de médiation").click()
    form = letter_form(page)
    form.get_by_role("button", name="Préparer (aperçu avant envoi)").click()
    assert letter_form(page).get_by_role("alert").inner_text() == "Choisissez l'issue de la médiation."
    form = letter_form(page)
    form.get_by_label("Issue de la médiation").select_option("resolution_partielle")
    form.get_by_label("Par courriel (boîte d'envoi)").check()
    form.get_by_role("button", name="Préparer (aperçu avant envoi)").click()
    today = f"{local_day(system_clock()):%d/%m/%Y}"
    text = page.locator(".apercu-courrier").inner_text()
    assert "a pris fin le" in text and "recommencent à courir" in text
    assert_accessible(page)
    with sqlite_runtime.sessions() as s:
        assert s.scalar(select(Dossier.status)) == "en_examen"  # the preview closed nothing
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_url("**?fait=courrier#courriers")
    history = page.locator(".historique").inner_text()
    assert f"Avis de fin de médiation daté du {today}" in history
    assert "Clôturée : résolution partielle" in history
    assert_accessible(page)
    with sqlite_runtime.sessions() as s:
        assert s.scalar(select(Dossier.status)) == "cloturee"
        assert len(s.scalars(select(OutboxItem).where(OutboxItem.kind == "letter_fin_mediation")).all()) == 1
        assert (
            s.scalar(select(Event).where(Event.summary.like("Avis de fin de médiation daté du%"))) is not None
        )
    # once closed, the dossier proposes the conclusion
    page.goto(server.url(DOSSIER))
    assert letter_form(page).get_by_role("heading").inner_text() == "Conclusion de la médiation"
