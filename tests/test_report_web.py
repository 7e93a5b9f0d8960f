"""The report in the mediator's workspace: logged-in mediators only, CSRF on every form, downloads."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests import report_data as data
from tests.workspace_data import add_users, fast_argon2, form_token, login
from triage.runtime import Runtime
from triage.web import report_routes
from triage.web.app import create_app

__all__ = ["fast_argon2"]


@pytest.fixture
def app(sqlite_runtime: Runtime, fast_argon2: None):  # type: ignore[no-untyped-def]
    sqlite_runtime.settings.web.secure_cookies = False  # TestClient speaks plain http
    add_users(sqlite_runtime)
    with sqlite_runtime.sessions.begin() as session:
        data.load(session)
    application = create_app(sqlite_runtime)
    present = {getattr(r, "path", "") for r in application.router.routes}
    application.router.routes.extend(r for r in report_routes.routes() if r.path not in present)
    return application


def _client(app, role: str | None = None) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    if role:
        assert login(client, role).status_code == 303
    return client


def test_anonymous_visitors_never_get_the_report(app) -> None:  # type: ignore[no-untyped-def]
    client = _client(app)
    for path in (
        "/mediation/rapport",
        "/mediation/rapport/2025.pdf",
        "/mediation/rapport/2025.csv",
        "/mediation/rapport/2025/commentaires",
    ):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/connexion"), path
    answer = client.post("/mediation/rapport/2025/commentaires", data={"synthese": "x", "csrf": "x"})
    assert answer.status_code == 403


def test_roles_without_access_to_dossiers_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    for role in ("courrier", "admin"):
        client = _client(app, role)
        assert client.get("/mediation/rapport?annee=2025").status_code == 403
        assert client.get("/mediation/rapport/2025.csv").status_code == 403


def test_mediator_reads_the_report_and_downloads_it(app) -> None:  # type: ignore[no-untyped-def]
    client = _client(app, "mediatrice")
    page = client.get("/mediation/rapport?annee=2025")
    assert page.status_code == 200
    assert "Rapport d'activité" in page.text and 'href="/mediation/rapport/rapport.css"' in page.text
    assert "<style>" not in page.text  # the workspace's CSP forbids inline styles
    assert "Sylvie Martin-Roux" not in page.text and "MED-2025-00001" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert client.get("/mediation/rapport/rapport.css").headers["content-type"].startswith("text/css")
    csv = client.get("/mediation/rapport/2025.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    assert csv.content.decode("utf-8").lstrip("\ufeff").startswith("annee;tableau;titre")
    pdf = client.get("/mediation/rapport/2025.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert client.get("/mediation/rapport?annee=abc").status_code == 409


def test_mediator_writes_texts_and_follows_recommendations_from_the_workspace(app) -> None:  # type: ignore[no-untyped-def]
    client = _client(app, "mediatrice")
    editing = client.get("/mediation/rapport/2025/commentaires")
    assert editing.status_code == 200
    csrf = form_token(editing.text)
    refused = client.post("/mediation/rapport/2025/commentaires", data={"synthese": "Sans jeton."})
    assert refused.status_code == 403
    saved = client.post(
        "/mediation/rapport/2025/commentaires",
        data={"csrf": csrf, "synthese": "Une année de montée en charge.", "conclusion": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    added = client.post(
        "/mediation/rapport/2025/preconisations",
        follow_redirects=False,
        data={
            "csrf": csrf,
            "titre": "Généraliser les permanences",
            "description": "Dans chaque territoire.",
            "services": "Directions territoriales\nMaisons du Département",
            "statut": "proposee",
        },
    )
    assert added.status_code == 303
    editing = client.get("/mediation/rapport/2025/commentaires")
    assert "Généraliser les permanences" in editing.text
    rec_id = editing.text.split("/mediation/rapport/preconisations/", 1)[1].split("/", 1)[0]
    step = client.post(
        f"/mediation/rapport/preconisations/{rec_id}/avancement",
        follow_redirects=False,
        data={
            "csrf": csrf,
            "annee": "2025",
            "date": "2025-10-06",
            "note": "Validée en comité.",
            "statut": "validee",
        },
    )
    assert step.status_code == 303
    report = client.get("/mediation/rapport?annee=2025").text
    assert "Une année de montée en charge." in report
    assert "Généraliser les permanences" in report and "Validée en comité." in report
    assert "Directions territoriales ; Maisons du Département" in report
    bad = client.post(
        f"/mediation/rapport/preconisations/{rec_id}/avancement",
        data={"csrf": csrf, "annee": "2025", "note": "x", "statut": "terminee"},
    )
    assert bad.status_code == 409 and "Statut inconnu" in bad.text  # the French error page
