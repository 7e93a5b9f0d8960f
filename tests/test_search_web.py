"""« Rechercher » for the mediator: the page /mediation/recherche (filters, highlighted excerpts, paging,
keyboard, axe) and `mediature dossiers search`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.browser import LiveServer, assert_accessible
from tests.test_correspondence_cli import SECRET
from tests.test_workspace_cli import cli, run
from tests.workspace_data import PASSWORD, add_request, add_users, fast_argon2, login
from triage.config import load_settings
from triage.runtime import Runtime
from triage.store.models import AuditEntry
from triage.web.app import create_app

__all__ = ["cli", "fast_argon2"]


def _seed(session: Any) -> None:
    add_request(session, "MED-2026-00001", text="Ma fille handicapée attend la prestation depuis six mois.")
    add_request(
        session,
        "MED-2026-00002",
        name="Jean Dupont",
        email="jean@example.org",
        channel="courrier",
        text="Le foyer réclame un arriéré de loyer <script>alert(1)</script>.",
    )
    for n in range(3, 26):
        add_request(
            session,
            f"MED-2026-{n:05d}",
            name=f"Usager {n}",
            email=f"u{n}@example.org",
            text="Une demande de prestation parmi d'autres.",
        )


@pytest.fixture
def rt(sqlite_runtime: Runtime, fast_argon2: None) -> Runtime:
    sqlite_runtime.settings.web.secure_cookies = False
    add_users(sqlite_runtime)
    with sqlite_runtime.sessions.begin() as session:
        _seed(session)
    return sqlite_runtime


def test_search_page_highlights_escapes_filters_pages_and_keeps_the_words_out_of_the_journal(
    rt: Runtime,
) -> None:
    client = TestClient(create_app(rt))
    assert login(client, "mediatrice").status_code == 303
    empty = client.get("/mediation/recherche")
    assert empty.status_code == 200 and 'href="/mediation/recherche" aria-current="page"' in empty.text
    page = client.get("/mediation/recherche", params={"q": "arriere"})
    assert "1 dossier trouvé" in page.text and "MED-2026-00002" in page.text
    assert "<mark>arriéré</mark>" in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert (
        "Aucun dossier trouvé"
        in client.get("/mediation/recherche", params={"q": "arriere", "canal": "email"}).text
    )
    first = client.get("/mediation/recherche", params={"q": "prestation", "canal": "email"})
    assert "24 dossiers trouvés — page 1 sur 2" in first.text
    assert 'href="/mediation/recherche?q=prestation&amp;canal=email&amp;page=2"' in first.text
    second = client.get("/mediation/recherche", params={"q": "prestation", "canal": "email", "page": "2"})
    assert second.text.count("<li>\n      <h3>") == 4 and "MED-2026-00001" in second.text
    assert "Classés du plus récemment enregistré au plus ancien." in second.text
    listed = client.get("/mediation/recherche", params={"canal": "courrier"})  # a filter alone lists
    assert "1 dossier trouvé" in listed.text and "MED-2026-00002" in listed.text
    with rt.sessions() as session:
        details = [
            e.details
            for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "dossiers.search"))
        ]
    assert details and all("prestation" not in json.dumps(d) and "arri" not in json.dumps(d) for d in details)


def test_cli_search_prints_initials_in_the_table_and_excerpts_in_json(cli: CliRunner, home: Path) -> None:
    rt = Runtime.open(
        load_settings(None, environ={"MEDIATURE_HOME": str(home), "MEDIATURE_SECRET_KEY": SECRET})
    )
    with rt.sessions.begin() as session:
        _seed(session)
    rt.close()
    table = run(cli, "dossiers", "search", "arriere loyer")
    assert "MED-2026-00002" in table and "J. D." in table
    assert "Dupont" not in table and "loyer" not in table.split("trouvé")[1]
    [line] = run(cli, "dossiers", "search", "arriere loyer", "--json").strip().splitlines()
    found = json.loads(line)
    assert found["reference"] == "MED-2026-00002"
    assert found["matches"][0]["excerpt"].count("[") == 2 and "[arriéré]" in found["matches"][0]["excerpt"]
    assert run(cli, "dossiers", "search", "introuvable", "--json").strip() == ""


@pytest.fixture
def server(rt: Runtime) -> Iterator[LiveServer]:
    with LiveServer(create_app(rt)) as live:
        yield live


@pytest.mark.browser
def test_search_is_reached_and_used_from_the_keyboard_and_passes_axe(page: Any, server: LiveServer) -> None:
    page.goto(server.url("/mediation/"))
    page.get_by_label("Identifiant").fill("mediatrice")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(server.url("/mediation/"))
    page.get_by_role("link", name="Rechercher").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(server.url("/mediation/recherche"))
    assert page.evaluate("document.activeElement.id") == "recherche-q"  # typing can start at once
    assert_accessible(page)
    page.keyboard.type("handicape")
    page.keyboard.press("Enter")
    page.wait_for_url("**/mediation/recherche?q=handicape*")
    assert page.locator("mark").first.inner_text() == "handicapée"
    assert_accessible(page)
    page.get_by_role("link", name="MED-2026-00001").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(server.url("/mediation/dossiers/MED-2026-00001"))
