"""The citizen's tracking pages, in-process: right dossier, neutral errors, no leaks, headers, rate limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from triage.dossiers.tracking import hash_token, new_check_key, new_token, normalise_code
from triage.runtime import Runtime
from triage.store.models import Dossier, Event
from triage.web.app import create_app


def _dossier(
    rt: Runtime, reference: str, name: str = "Sylvie Martin", status: str = "recue"
) -> tuple[str, str]:
    token, key = new_token(), new_check_key()
    received = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    with rt.sessions.begin() as s:
        d = Dossier(
            reference=reference,
            year=2026,
            tracking_token_hash=hash_token(token),
            tracking_key=key,
            channel="email",
            status=status,
            received_at=received,
            requester_name=name,
            requester_email="sylvie.martin@example.org",
            subject="Refus de carte mobilité inclusion",
            requester_address="12 rue des Alpes",
        )
        s.add(d)
        s.flush()
        s.add(
            Event(
                dossier_id=d.id,
                at=received,
                kind="status",
                public=True,
                summary="Demande reçue",
                details={"status": "recue"},
            )
        )
        s.add(
            Event(
                dossier_id=d.id,
                at=received,
                kind="note",
                public=False,
                summary="Appel de la fille de l'usagère",
            )
        )
    return token, key


@pytest.fixture
def client(sqlite_runtime: Runtime) -> TestClient:
    return TestClient(create_app(sqlite_runtime))


def test_link_shows_the_dossier_without_personal_details(client: TestClient, sqlite_runtime: Runtime) -> None:
    token, _ = _dossier(sqlite_runtime, "MED-2026-00007")
    page = client.get(f"/suivi/{token}")
    assert page.status_code == 200
    assert "MED-2026-00007" in page.text and "Demande reçue" in page.text and "2 novembre 2026" in page.text
    assert "S. M." in page.text
    for secret in ("Sylvie", "Martin", "sylvie.martin", "mobilité", "rue des Alpes", "Appel de la fille"):
        assert secret not in page.text


def test_reference_and_code_find_the_same_dossier(client: TestClient, sqlite_runtime: Runtime) -> None:
    _, key = _dossier(sqlite_runtime, "MED-2026-00008")
    page = client.post("/suivi", data={"reference": "med-2026-00008", "code": key.lower()})
    assert page.status_code == 200 and "MED-2026-00008" in page.text
    combined = client.post("/suivi", data={"reference": f"MED-2026-00008-{key}", "code": ""})
    assert combined.status_code == 200 and "MED-2026-00008" in combined.text


def test_wrong_token_and_wrong_code_get_the_same_neutral_answer(
    client: TestClient, sqlite_runtime: Runtime
) -> None:
    _, key = _dossier(sqlite_runtime, "MED-2026-00009")
    wrong_key = "ZZZZ" if key != "ZZZZ" else "YYYY"
    by_code = client.post("/suivi", data={"reference": "MED-2026-00009", "code": wrong_key})
    by_token = client.get("/suivi/" + new_token())
    unknown_ref = client.post("/suivi", data={"reference": "MED-2026-99999", "code": key})
    assert by_code.status_code == by_token.status_code == unknown_ref.status_code == 404
    assert by_code.text == by_token.text == unknown_ref.text


def test_repeated_failures_are_rate_limited(client: TestClient, sqlite_runtime: Runtime) -> None:
    token, _ = _dossier(sqlite_runtime, "MED-2026-00010")
    for _ in range(10):
        assert client.get("/suivi/" + new_token()).status_code == 404
    assert client.get("/suivi/" + new_token()).status_code == 429
    assert client.get(f"/suivi/{token}").status_code == 200  # a 192-bit token is no oracle: never refused


def test_pages_carry_noindex_and_a_strict_csp(client: TestClient, sqlite_runtime: Runtime) -> None:
    page = client.get("/suivi")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in page.text
    assert "http://" not in page.text.replace("http://127.0.0.1", "") and "https://" not in page.text


def test_health_reports_the_database(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == "ok"


def test_code_normalisation_accepts_what_people_type() -> None:
    assert normalise_code(" med-2026-00042 ", "k7px") == ("MED-2026-00042", "K7PX")
    assert normalise_code("MED-2026-00042 K7PX") == ("MED-2026-00042", "K7PX")
    assert normalise_code("MED-2026-00042", "K0P1") == ("MED-2026-00042", "KOPI")
    assert normalise_code("DROP TABLE", "x") is None


def test_reoriented_dossier_shows_the_organisation_to_contact(
    client: TestClient, sqlite_runtime: Runtime
) -> None:
    token, _ = _dossier(sqlite_runtime, "MED-2026-00011", status="reorientee")
    with sqlite_runtime.sessions.begin() as s:
        from sqlalchemy import select

        d = s.scalars(select(Dossier).where(Dossier.reference == "MED-2026-00011")).one()
        d.reorientation = "prefecture"
    page = client.get(f"/suivi/{token}")
    assert page.status_code == 200
    assert "Réorientée vers la Préfecture de l'Isère" in page.text.replace("&#39;", "'"), page.text
    assert "L'organisme à contacter" in page.text
    assert "Préfecture" in page.text
