"""The team's work: assignment with « mes dossiers / non attribués / tous », unread marks and their count,
reminder dates, and the email to the person in charge."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.mailfactory import mail
from tests.workspace_data import PASSWORD, add_request, add_users, fast_argon2, form_token, login
from triage import auth
from triage.clock import local_day, system_clock
from triage.dossiers.msgid import make_message_id
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.store.models import Dossier, OutboxItem, User
from triage.web.app import create_app

__all__ = ["fast_argon2"]


@pytest.fixture
def rt(sqlite_runtime: Runtime, fast_argon2: None) -> Runtime:
    sqlite_runtime.settings.web.secure_cookies = False
    add_users(sqlite_runtime)
    with sqlite_runtime.sessions.begin() as s:
        auth.create_user(
            s, "delegue", PASSWORD, "mediateur", display_name="Paul Délégué", email="paul@isere.example"
        )
        add_request(s, "MED-2026-00001")
        add_request(s, "MED-2026-00002", email="autre@example.org", name="Jean Autre")
    return sqlite_runtime


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    c = TestClient(create_app(rt))
    assert login(c, "mediatrice").status_code == 303
    return c


def post(client: TestClient, path: str, data: dict[str, str], page: str) -> int:
    token = form_token(client.get(page).text)
    return client.post(path, data={"csrf": token, **data}, follow_redirects=False).status_code


def user_id(rt: Runtime, username: str) -> int:
    with rt.sessions() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return user.id


def test_assigned_dossier_shows_in_my_dossiers_and_my_queue_not_in_unassigned(
    client: TestClient, rt: Runtime
) -> None:
    page = "/mediation/dossiers/MED-2026-00001"
    assert post(client, f"{page}/attribution", {"attribue_a": str(user_id(rt, "mediatrice"))}, page) == 303
    mine = client.get("/mediation/dossiers?attribution=moi").text
    assert "MED-2026-00001" in mine and "MED-2026-00002" not in mine and "Claire Médiatrice" in mine
    unassigned = client.get("/mediation/dossiers?attribution=aucun").text
    assert "MED-2026-00001" not in unassigned and "MED-2026-00002" in unassigned
    queue_mine = client.get("/mediation/?attribution=moi").text
    assert "MED-2026-00001" in queue_mine and "MED-2026-00002" not in queue_mine
    with rt.sessions() as s:  # giving oneself a dossier sends no email
        assert not s.scalars(select(OutboxItem).where(OutboxItem.kind == "team_notice")).all()


def test_assigning_to_a_colleague_emails_them_a_link_without_personal_data(
    client: TestClient, rt: Runtime
) -> None:
    page = "/mediation/dossiers/MED-2026-00001"
    assert post(client, f"{page}/attribution", {"attribue_a": str(user_id(rt, "delegue"))}, page) == 303
    assert (
        post(client, f"{page}/attribution", {"attribue_a": str(user_id(rt, "delegue"))}, page) == 303
    )  # again
    with rt.sessions() as s:
        [notice] = s.scalars(select(OutboxItem).where(OutboxItem.kind == "team_notice")).all()
        assert notice.to_address == "paul@isere.example" and notice.dossier_id is None
        assert b"MED-2026-00001" in notice.raw and b"Sylvie" not in notice.raw and b"Martin" not in notice.raw
    refused = post(client, f"{page}/attribution", {"attribue_a": str(user_id(rt, "courrier"))}, page)
    assert refused == 409


def test_a_reply_marks_the_dossier_unread_counts_it_in_the_navigation_and_tells_the_assignee(
    client: TestClient, rt: Runtime
) -> None:
    page = "/mediation/dossiers/MED-2026-00001"
    assert post(client, f"{page}/attribution", {"attribue_a": str(user_id(rt, "delegue"))}, page) == 303
    ours = make_message_id(rt.secret, "MED-2026-00001", "isere.example", "ack")
    reply = mail("Voici la notification de refus.", sender="sylvie.martin@example.org", in_reply_to=ours)
    outcome = Pipeline(rt).ingest_raw(RawMessage(source="eml", source_key="t", data=reply))
    assert outcome.outcome is IngestOutcome.ATTACHED
    listing = client.get("/mediation/dossiers?lu=non").text
    assert "1 non lu" in listing and "MED-2026-00001" in listing and "MED-2026-00002" not in listing
    with rt.sessions() as s:
        notices = s.scalars(select(OutboxItem).where(OutboxItem.kind == "team_notice")).all()
        assert [n.subject for n in notices][
            -1
        ] == "Médiature : Nouveau message de l'usager — dossier MED-2026-00001"
    client.get(page)  # reading the dossier clears the mark
    assert "non lu" not in client.get("/mediation/dossiers?lu=non").text
    assert post(client, f"{page}/non-lu", {}, page) == 303
    with rt.sessions() as s:
        d = s.scalar(select(Dossier).where(Dossier.reference == "MED-2026-00001"))
        assert d is not None and d.unread


def test_notifying_the_assignee_can_be_switched_off(client: TestClient, rt: Runtime) -> None:
    rt.settings.correspondence.notify_assignee = False
    page = "/mediation/dossiers/MED-2026-00001"
    assert post(client, f"{page}/attribution", {"attribue_a": str(user_id(rt, "delegue"))}, page) == 303
    with rt.sessions() as s:
        assert not s.scalars(select(OutboxItem).where(OutboxItem.kind == "team_notice")).all()


def test_reminder_date_lists_the_dossier_once_the_day_has_come(client: TestClient) -> None:
    page = "/mediation/dossiers/MED-2026-00002"
    assert post(client, f"{page}/rappel", {"rappel": local_day(system_clock()).isoformat()}, page) == 303
    due = client.get("/mediation/dossiers?rappel=echu").text
    assert "MED-2026-00002" in due and "MED-2026-00001" not in due
    assert post(client, f"{page}/rappel", {"rappel": "pas une date"}, page) == 409


def test_waiting_for_the_requester_pauses_the_deadlines_and_sets_a_reminder(rt: Runtime) -> None:
    from datetime import UTC, datetime, timedelta

    from triage.store.audit import Actor
    from triage.workspace import deadlines
    from triage.workspace.process import StatusChange, change_status

    later = datetime.now(UTC) + timedelta(days=200)
    with rt.sessions.begin() as s:
        d = s.scalar(select(Dossier).where(Dossier.reference == "MED-2026-00001"))
        assert d is not None
        assert "MED-2026-00001" in [
            i.reference for i in deadlines.compute(s, rt.settings, later).open_too_long
        ]
        change_status(s, rt.settings, d, StatusChange("attente_usager"), Actor(None, "claire"))
        assert d.reminder_on == local_day(system_clock()) + timedelta(
            days=rt.settings.deadlines.requester_wait_days
        )
        late = deadlines.compute(s, rt.settings, later)
        assert "MED-2026-00001" not in [i.reference for i in (*late.open_too_long, *late.no_first_contact)]
        assert [i.reference for i in late.reminders_due] == ["MED-2026-00001"]  # the reminder comes instead


def test_the_digest_lists_each_mediators_own_dossiers_first(rt: Runtime) -> None:
    from datetime import UTC, datetime, timedelta

    from triage.workspace import deadlines

    with rt.sessions.begin() as s:
        d = s.scalar(select(Dossier).where(Dossier.reference == "MED-2026-00002"))
        assert d is not None
        d.assignee_id = s.scalar(select(User.id).where(User.username == "delegue"))
        items = deadlines.queue_digest(s, rt.settings, rt.secret, datetime.now(UTC) + timedelta(days=200))
        texts = {i.to_address: message_from_bytes(i.raw, policy=policy.default).get_content() for i in items}
    mine = texts["paul@isere.example"].split("Réponses des services")[0]
    assert (
        "Vos dossiers concernés : 1" in mine and "MED-2026-00002 —" in mine and "MED-2026-00001" not in mine
    )
    assert "Vos dossiers concernés : 0" in texts["claire@isere.example"]


def test_triage_by_a_mediator_assigns_the_dossier_to_her(client: TestClient, rt: Runtime) -> None:
    assert post(client, "/mediation/tri/MED-2026-00001/accepter", {}, "/mediation/") == 303
    me = user_id(rt, "mediatrice")
    with rt.sessions() as s:
        d = s.scalar(select(Dossier).where(Dossier.reference == "MED-2026-00001"))
        assert d is not None and d.triage_status == "reviewed" and d.assignee_id == me
