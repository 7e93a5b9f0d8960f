"""The mediator's personal-data page: dossiers anonymised soon (extension with a reason), the access zip,
and erasure only after the address is typed again."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from starlette.testclient import TestClient

from tests.privacy_world import JEANNE, build
from tests.workspace_data import add_users, fast_argon2, form_token, login
from triage.runtime import Runtime
from triage.store.models import AuditEntry, Dossier
from triage.web.app import create_app

__all__ = ["fast_argon2"]
PAGE = "/mediation/donnees-personnelles"


def test_mediator_extends_exports_and_erases_from_the_web(sqlite_runtime: Runtime, fast_argon2: None) -> None:
    rt = sqlite_runtime
    rt.settings.web.secure_cookies = False
    add_users(rt)
    closed = datetime.now(UTC).replace(year=datetime.now(UTC).year - 5) + timedelta(days=10)
    world = build(rt, closed_at=closed)
    client = TestClient(create_app(rt))
    assert login(client, "mediatrice").status_code == 303
    page = client.get(PAGE)
    assert (
        page.status_code == 200
        and world.jeanne_refs[0] in page.text
        and world.jeanne_refs[1] not in page.text
    )
    token = form_token(page.text)

    until = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    done = client.post(
        f"{PAGE}/prolonger",
        data={"csrf": token, "reference": world.jeanne_refs[0], "until": until, "reason": "contentieux"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert world.jeanne_refs[0] not in client.get(PAGE).text

    answer = client.post(f"{PAGE}/export", data={"csrf": token, "email": JEANNE.email})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as zf:
        assert JEANNE.name in zf.read("synthese.html").decode()

    ask = client.post(f"{PAGE}/effacer", data={"csrf": token, "email": JEANNE.email})
    assert ask.status_code == 200 and "retapez" in ask.text and world.jeanne_refs[1] in ask.text
    wrong = client.post(
        f"{PAGE}/effacer", data={"csrf": token, "email": JEANNE.email, "confirmation": "x@y.example"}
    )
    assert "ne correspond pas" in wrong.text
    with rt.sessions() as s:
        assert (
            s.scalar(select(Dossier.anonymised_at).where(Dossier.reference == world.jeanne_refs[1])) is None
        )
    erased = client.post(
        f"{PAGE}/effacer", data={"csrf": token, "email": JEANNE.email, "confirmation": JEANNE.email.upper()}
    )
    assert "Effacement fait : 2 dossier(s)" in erased.text
    with rt.sessions() as s:
        assert (
            s.scalar(select(Dossier.requester_email).where(Dossier.reference == world.jeanne_refs[1])) == ""
        )
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"retention.extend", "privacy.export", "privacy.erase"} <= actions
