"""Accounts: who may open the dossiers to whom (issue 12 #2), password strength and login throttling
that never lets an attacker lock someone out (issue 12 #10)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.workspace_data import PASSWORD, add_request, add_users, fast_argon2, form_token, login
from triage import auth
from triage.cli import _register, app
from triage.errors import AuthError
from triage.runtime import Runtime
from triage.store.models import AuditEntry, User
from triage.web.app import create_app

__all__ = ["fast_argon2"]
WRONG = "pas-le-bon-mot-de-passe"


@pytest.fixture
def rt(sqlite_runtime: Runtime, fast_argon2: None) -> Runtime:
    sqlite_runtime.settings.web.secure_cookies = False  # TestClient speaks plain http
    sqlite_runtime.settings.web.login_max_delay_seconds = 0.05  # the slowdown exists; tests need not wait
    add_users(sqlite_runtime)
    with sqlite_runtime.sessions.begin() as s:
        add_request(s, "MED-2026-00001")
    return sqlite_runtime


def _client(app, username: str | None = None, address: str = "192.0.2.10") -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app, client=(address, 40000))
    if username:
        assert login(client, username).status_code == 303
    return client


def _user_id(rt: Runtime, username: str) -> int:
    with rt.sessions() as s:
        return int(s.scalar(select(User.id).where(User.username == username)))


# --------------------------------------------------------------------------- issue 12 #2


def test_admin_cannot_create_a_mediator_account_and_read_the_dossiers(rt: Runtime) -> None:
    app = create_app(rt)
    admin = _client(app, "admin")
    token = form_token(admin.get("/admin/").text)
    answer = admin.post(
        "/admin/utilisateurs",
        data={
            "csrf": token,
            "identifiant": "intrus",
            "role": "mediateur",
            "mot_de_passe": PASSWORD,
            "confirmation": PASSWORD,
        },
    )
    assert answer.status_code == 403 and "mediature users" in answer.text
    assert login(_client(app), "intrus").status_code == 401
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.username == "intrus")) == 0


def test_admin_cannot_reset_a_mediator_password(rt: Runtime) -> None:
    app = create_app(rt)
    admin = _client(app, "admin")
    page = admin.get("/admin/").text
    assert "mediature users passwd mediatrice" in page and '<option value="mediateur">' not in page
    target = _user_id(rt, "mediatrice")
    answer = admin.post(
        f"/admin/utilisateurs/{target}/mot-de-passe",
        data={
            "csrf": form_token(page),
            "mot_de_passe": "une toute autre phrase secrète",
            "confirmation": "une toute autre phrase secrète",
        },
    )
    assert answer.status_code == 403
    assert (
        login(_client(app, address="192.0.2.11"), "mediatrice").status_code == 303
    )  # old password still works
    assert (
        login(_client(app, address="192.0.2.12"), "mediatrice", "une toute autre phrase secrète").status_code
        == 401
    )


def test_admin_still_manages_mail_service_and_admin_accounts_with_an_audit_entry(rt: Runtime) -> None:
    app = create_app(rt)
    admin = _client(app, "admin")
    token = form_token(admin.get("/admin/").text)
    new_password = "lampe verte sur le quai"
    for username, role in (("agent2", "courrier"), ("admin2", "admin")):
        created = admin.post(
            "/admin/utilisateurs",
            data={
                "csrf": token,
                "identifiant": username,
                "role": role,
                "mot_de_passe": PASSWORD,
                "confirmation": PASSWORD,
            },
        )
        assert created.status_code == 200 and "Compte créé" in created.text
    reset = admin.post(
        f"/admin/utilisateurs/{_user_id(rt, 'courrier')}/mot-de-passe",
        data={"csrf": token, "mot_de_passe": new_password, "confirmation": new_password},
    )
    assert reset.status_code == 200
    assert login(_client(app, address="192.0.2.20"), "courrier", new_password).status_code == 303
    with rt.sessions() as s:
        actions = [
            (e.action, e.details)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like("users.%")))
        ]
    assert ("users.password", {"user_id": _user_id(rt, "courrier"), "role": "courrier"}) in actions
    assert sum(1 for action, _ in actions if action == "users.create") == 2


def test_mediator_creates_a_mediator_and_resets_a_mediator_password(rt: Runtime) -> None:
    app = create_app(rt)
    mediator = _client(app, "mediatrice")
    token = form_token(mediator.get("/admin/").text)
    created = mediator.post(
        "/admin/utilisateurs",
        data={
            "csrf": token,
            "identifiant": "adjointe",
            "role": "mediateur",
            "mot_de_passe": PASSWORD,
            "confirmation": PASSWORD,
        },
    )
    assert created.status_code == 200
    reset = mediator.post(
        f"/admin/utilisateurs/{_user_id(rt, 'adjointe')}/mot-de-passe",
        data={
            "csrf": token,
            "mot_de_passe": "lampe verte sur le quai",
            "confirmation": "lampe verte sur le quai",
        },
    )
    assert reset.status_code == 200
    with rt.sessions() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "users.create"))
        assert entry is not None and entry.details["role"] == "mediateur" and entry.actor == "mediatrice"


def test_terminal_promotes_an_account_to_mediator_and_it_is_audited(home: Path, rt: Runtime) -> None:
    _register()
    result = CliRunner().invoke(
        app,
        ["users", "role", "admin", "mediateur"],
        env={"MEDIATURE_HOME": str(home), "MEDIATURE_SECRET_KEY": "test-secret-key-not-for-production"},
    )
    assert result.exit_code == 0, result.output
    with rt.sessions() as s:
        assert s.scalar(select(User.role).where(User.username == "admin")) == "mediateur"
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "users.role"))
        assert (
            entry is not None and entry.details["to"] == "mediateur" and entry.actor.startswith("terminal:")
        )


def test_only_roles_that_read_dossiers_may_grant_them() -> None:
    with pytest.raises(AuthError):
        auth.check_grant("admin", "mediateur")
    with pytest.raises(AuthError):
        auth.check_grant("courrier", "mediateur")
    auth.check_grant("mediateur", "mediateur")
    auth.check_grant(None, "mediateur")  # the terminal on the server
    assert set(auth.grantable_roles("admin")) == {"courrier", "admin"}


# --------------------------------------------------------------------------- issue 12 #10


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaa", "motdepasse123", "azertyuiop123", "P@ssw0rd12345", "123456789012", "mediature2026"],
)
def test_common_or_patterned_passwords_are_refused_with_a_french_reason(password: str) -> None:
    with pytest.raises(AuthError) as refused:
        auth.check_password_policy(password)
    assert "trop facile à deviner" in refused.value.message and "phrase" in refused.value.message


def test_repeats_get_a_specific_french_explanation() -> None:
    with pytest.raises(AuthError) as refused:
        auth.check_password_policy("aaaaaaaaaaaa")
    assert "répétition" in refused.value.message


def test_a_password_made_of_the_account_name_is_refused() -> None:
    with pytest.raises(AuthError):
        auth.check_password_policy("claire.dupont38", ("claire.dupont", "Claire Dupont"))


@pytest.mark.parametrize("password", ["correct-horse-battery-staple", "lampe verte sur le quai"])
def test_long_unusual_passphrases_are_accepted(password: str) -> None:
    auth.check_password_policy(password)


def test_weak_password_is_refused_in_the_admin_form(rt: Runtime) -> None:
    mediator = _client(create_app(rt), "mediatrice")
    token = form_token(mediator.get("/admin/").text)
    answer = mediator.post(
        "/admin/utilisateurs",
        data={
            "csrf": token,
            "identifiant": "faible",
            "role": "courrier",
            "mot_de_passe": "aaaaaaaaaaaa",
            "confirmation": "aaaaaaaaaaaa",
        },
    )
    assert answer.status_code == 403 and "trop facile à deviner" in answer.text


def test_failures_from_one_address_never_lock_the_owner_out_elsewhere(rt: Runtime) -> None:
    app = create_app(rt)
    attacker = _client(app, address="203.0.113.66")
    for _ in range(rt.settings.web.login_max_failures):
        assert login(attacker, "mediatrice", WRONG).status_code == 401
    # the attacker's address is held back for this account, even with the right password: no oracle
    held = login(attacker, "mediatrice", PASSWORD)
    assert held.status_code == 429 and "autres postes" in held.text
    # the owner, from her own desk, gets in at once
    assert login(_client(app, address="192.0.2.30"), "mediatrice").status_code == 303
    with rt.sessions() as s:
        assert s.scalar(select(User.locked_until).where(User.username == "mediatrice")) is None


def test_unknown_and_known_accounts_get_the_same_refusal(rt: Runtime) -> None:
    app = create_app(rt)
    known = login(_client(app, address="198.51.100.1"), "mediatrice", WRONG)
    unknown = login(_client(app, address="198.51.100.2"), "personne", WRONG)
    assert known.status_code == unknown.status_code == 401

    def page(text: str, name: str) -> str:
        return re.sub(r'value="[0-9a-f]{64}"', "", text.replace(name, "X"))  # the login form's own token

    assert page(known.text, "mediatrice") == page(unknown.text, "personne")


def test_a_distributed_guess_is_slowed_down_but_the_owner_still_gets_in(rt: Runtime) -> None:
    rt.settings.web.login_max_delay_seconds = 0.4
    app = create_app(rt)
    for n in range(8):  # one failure from each of many addresses: no pair limit applies
        assert login(_client(app, address=f"203.0.113.{n}"), "mediatrice", WRONG).status_code == 401
    started = time.monotonic()
    assert login(_client(app, address="192.0.2.40"), "mediatrice").status_code == 303
    assert time.monotonic() - started >= 0.4  # the slowdown applied to the account...
    started = time.monotonic()
    assert login(_client(app, address="192.0.2.41"), "mediatrice").status_code == 303
    assert time.monotonic() - started < 0.4  # ...and a success clears it


def test_login_delay_grows_then_stays_capped() -> None:
    assert [auth.login_delay(n, 5, 8.0) for n in (0, 4, 5, 6, 7, 8, 9, 50)] == [0, 0, 1, 2, 4, 8, 8, 8]
