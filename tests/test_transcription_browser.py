"""« Vérifier la transcription » in a real browser: the mediator sees the flag in the queue and on the
dossier, opens the page, sees the scanned page beside its OCR text, corrects it, and the suggestion follows
the corrected text. Chromium with axe-core; real Tesseract and the shipped suggester."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import LiveServer, assert_accessible
from tests.faint_scans import CORRECTED, open_letter, pipeline_for
from tests.workspace_data import PASSWORD, add_users, fast_argon2
from triage.runtime import Runtime
from triage.web.app import create_app

pytestmark = pytest.mark.browser
__all__ = ["fast_argon2"]  # a fixture imported for pytest (browser and page come from conftest)


@pytest.fixture
def server(sqlite_runtime: Runtime, fast_argon2: None, tmp_path: Path) -> Iterator[LiveServer]:
    rt = sqlite_runtime
    rt.settings.web.secure_cookies = False  # plain http on loopback
    add_users(rt)
    _, message_id, reference = open_letter(rt, tmp_path, faint=True)
    with LiveServer(create_app(rt, pipeline=pipeline_for(rt))) as live:
        live.letter = (message_id, reference)  # type: ignore[attr-defined]
        yield live


def log_in(page: Any, server: LiveServer, username: str) -> None:
    page.goto(server.url("/connexion"))
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_mediator_corrects_a_doubtful_transcription_and_the_suggestion_follows(
    page: Any, server: LiveServer
) -> None:
    message_id, reference = server.letter  # type: ignore[attr-defined]
    log_in(page, server, "mediatrice")
    page.goto(server.url("/mediation/"))
    # the queue line carries the flag; the opened request says why and links to the page
    assert page.locator(f"#d-{reference} .puce.transcription").count() == 1
    assert "Transcription à vérifier" in page.locator("[data-detail]").inner_text()
    page.goto(server.url(f"/mediation/dossiers/{reference}"))
    assert "Transcription à vérifier" in page.locator("section[aria-labelledby=titre-messages]").inner_text()
    suggestion_before = page.locator("section[aria-labelledby=titre-tri] table").first.inner_text()
    assert "Autonomie – personnes handicapées" not in suggestion_before
    page.get_by_role("link", name="Vérifier la transcription").click()
    page.wait_for_url(f"**/courrier/transcriptions/{message_id}")
    image = page.get_by_role("img", name="Image de la page 1 du courrier numérisé")
    image.wait_for()
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert image.evaluate("i => i.naturalWidth") > 500
    field = page.get_by_label("Texte de la page 1")
    assert field.input_value().strip() and "MDPH" not in field.input_value()
    assert "transcription à vérifier" in page.locator("#titre-page-1").inner_text()
    assert_accessible(page)
    field.fill(CORRECTED)
    page.get_by_role("button", name="Enregistrer la transcription").click()
    page.wait_for_url(f"**/mediation/dossiers/{reference}?fait=transcription")
    assert "Transcription enregistrée" in page.get_by_role("status").first.inner_text()
    messages = page.locator("section[aria-labelledby=titre-messages]").inner_text()
    assert "MDPH a refusé de renouveler" in messages and "Transcription à vérifier" not in messages
    assert (
        "Autonomie – personnes handicapées"
        in page.locator("section[aria-labelledby=titre-tri] table").first.inner_text()
    )
    assert (
        "Transcription du courrier corrigée"
        in page.locator("section[aria-labelledby=titre-historique]").inner_text()
    )
    assert_accessible(page)
    # back on the page, the OCR text is still there to compare
    page.goto(server.url(f"/courrier/transcriptions/{message_id}"))
    assert page.get_by_label("Texte de la page 1").input_value() == CORRECTED
    page.locator("summary", has_text="Texte lu par l'OCR").click()
    assert (
        page.locator("details .texte").is_visible()
        and "MDPH" not in page.locator("details .texte").inner_text()
    )
    assert_accessible(page)
