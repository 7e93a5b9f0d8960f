"""Error answers: ids too large for the database are a 404, and every error carries the security headers."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.workspace_data import add_attachment, add_request, add_users, fast_argon2, form_token, login
from triage.runtime import Runtime
from triage.web.app import create_app

__all__ = ["fast_argon2"]

HUGE = "9" * 30
HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "permissions-policy",
)


@pytest.fixture
def rt(runtime: Runtime, fast_argon2: None) -> Runtime:
    runtime.settings.web.secure_cookies = False  # TestClient speaks plain http
    add_users(runtime)
    with runtime.sessions.begin() as s:
        d, _ = add_request(s, "MED-2026-00001")
        add_attachment(s, d, "avis.pdf", b"%PDF-1.4", "application/pdf")
    return runtime


def _logged_in(rt: Runtime, username: str) -> TestClient:
    client = TestClient(create_app(rt))
    assert login(client, username).status_code == 303
    return client


@pytest.mark.parametrize("digits", [HUGE, "9" * 19, "2147483648"])
def test_ids_too_large_for_an_integer_are_not_found(rt: Runtime, digits: str) -> None:
    mediator = _logged_in(rt, "mediatrice")
    assert mediator.get(f"/mediation/pieces-jointes/{digits}").status_code == 404
    assert mediator.get(f"/mediation/rapport/{digits}.csv").status_code == 404
    admin = _logged_in(rt, "admin")
    token = form_token(admin.get("/admin/").text)
    answer = admin.post(f"/admin/utilisateurs/{digits}/desactiver", data={"csrf": token})
    assert answer.status_code == 404 and "introuvable" in answer.text.lower()


def _assert_secured(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name in HEADERS:
        assert name in headers, (response.status_code, name)  # type: ignore[attr-defined]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


def test_error_answers_carry_the_security_headers(sqlite_runtime: Runtime, fast_argon2: None) -> None:
    sqlite_runtime.settings.web.secure_cookies = False
    add_users(sqlite_runtime)
    app = create_app(sqlite_runtime)

    async def broken(request: Request) -> Response:
        raise RuntimeError("panne simulée")

    app.router.routes.append(Route("/panne", broken))
    client = TestClient(app, raise_server_exceptions=False)
    not_found = client.get("/nulle-part")
    assert not_found.status_code == 404 and not_found.text == "Page introuvable."
    wrong_method = client.delete("/suivi")
    assert wrong_method.status_code == 405
    too_large = client.post(
        "/suivi", content=b"x" * 100_000, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert too_large.status_code == 413
    crash = client.get("/panne")
    assert crash.status_code == 500 and "panne" not in crash.text and "Erreur interne" in crash.text
    assert login(client, "mediatrice").status_code == 303
    csrf = client.post("/mediation/dossiers/MED-2026-00001/note", data={"csrf": "faux", "texte": "x"})
    assert csrf.status_code == 403
    for response in (not_found, wrong_method, too_large, crash, csrf):
        _assert_secured(response)
