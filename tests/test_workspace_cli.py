"""The terminal side of the workspace: accounts (`mediature users`), `mediature queue`, `review`, `digest`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.workspace_data import add_request, fast_argon2
from triage import auth
from triage.config import load_settings
from triage.runtime import Runtime
from triage.store import quarantine
from triage.store.models import AuditEntry, Dossier, LabelledExample, OutboxItem, PrintJob, User

__all__ = ["fast_argon2"]


@pytest.fixture
def cli(home: Path, monkeypatch: pytest.MonkeyPatch, fast_argon2: None) -> Iterator[CliRunner]:
    """The CLI in-process on the temporary home (SQLite)."""
    monkeypatch.setenv("MEDIATURE_HOME", str(home))
    monkeypatch.setenv("MEDIATURE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("COLUMNS", "200")
    for key in ("MEDIATURE_DATABASE_URL", "MEDIATURE_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    from triage.cli import _register

    _register()
    yield CliRunner()
    _drop_runtime()


def _drop_runtime() -> None:
    from triage.cli import STATE

    if STATE.runtime is not None:
        STATE.runtime.close()
        STATE.runtime = None


def run(cli: CliRunner, *args: str, input: str | None = None, ok: bool = True) -> str:
    from triage.cli import app

    _drop_runtime()
    result = cli.invoke(app, list(args), input=input)
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0
    return result.output


def rt_of(home: Path) -> Runtime:
    return Runtime.open(
        load_settings(None, environ={"MEDIATURE_HOME": str(home), "MEDIATURE_SECRET_KEY": "x"})
    )


def test_first_account_is_created_from_the_terminal_then_changed_and_disabled(
    cli: CliRunner, home: Path
) -> None:
    out = run(
        cli,
        "users",
        "add",
        "claire",
        "--role",
        "mediateur",
        "--name",
        "Claire",
        "--password-stdin",
        input="un mot de passe long\n",
    )
    assert "claire" in out
    run(
        cli,
        "users",
        "add",
        "claire",
        "--role",
        "mediateur",
        "--password-stdin",
        input="un mot de passe long\n",
        ok=False,
    )
    run(cli, "users", "add", "bob", "--role", "courrier", "--password-stdin", input="court\n", ok=False)
    run(
        cli,
        "users",
        "add",
        "eve",
        "--role",
        "chef",
        "--password-stdin",
        input="un mot de passe long\n",
        ok=False,
    )
    run(cli, "users", "passwd", "claire", "--password-stdin", input="un autre mot de passe\n")
    run(cli, "users", "disable", "claire")
    listing = run(cli, "users", "list")
    assert "claire" in listing and "désactivé" in listing
    rt = rt_of(home)
    try:
        with rt.sessions() as s:
            user = s.scalar(select(User).where(User.username == "claire"))
            assert (
                user is not None
                and user.disabled
                and auth.verify_password(user.password_hash, "un autre mot de passe")
            )
            assert user.password_hash.startswith("$argon2id$")
            actions = s.scalars(select(AuditEntry.action)).all()
        assert {"users.create", "users.password", "users.disable"} <= set(actions)
    finally:
        rt.close()


def test_queue_table_and_review_from_the_terminal(cli: CliRunner, home: Path) -> None:
    rt = rt_of(home)
    with rt.sessions.begin() as s:
        add_request(s, "MED-2026-00001")
        add_request(
            s,
            "MED-2026-00002",
            email="jean@example.org",
            suggestion=("insertion_rsa", 0.9, "recevable", 0.4, "none", 0.9),
        )
    rt.close()
    table = run(cli, "queue")
    flat = " ".join(table.split())
    assert "MED-2026-00001" in table and "Autonomie – personnes handicapées — sûr à 91 %" in flat, table
    assert "Recevable — à vérifier (40 %)" in flat and "autonomie_handicap" not in flat, table
    assert "tri confirmé" in run(cli, "review", "MED-2026-00001", "--accept")
    out = run(cli, "review", "MED-2026-00002", "--admissibility", "prematuree")
    flat = " ".join(out.split())
    assert "corrigé" in flat and "Insertion – RSA / Prématurée / Aucune réorientation" in flat, out
    assert "(étape : En cours d'examen)" in flat, out
    run(cli, "review", "MED-2026-00002", "--accept", "--domain", "pmi", ok=False)
    run(cli, "review", "MED-2026-99999", "--accept", ok=False)
    rt = rt_of(home)
    try:
        with rt.sessions() as s:
            assert {e.corrected for e in s.scalars(select(LabelledExample))} == {True, False}
            assert set(s.scalars(select(Dossier.triage_status))) == {"reviewed"}
    finally:
        rt.close()
    assert "MED-2026" not in run(cli, "queue").split("Échéances")[0]


def test_digest_command_queues_the_daily_email_once(cli: CliRunner, home: Path) -> None:
    run(
        cli,
        "users",
        "add",
        "claire",
        "--role",
        "mediateur",
        "--email",
        "claire@isere.example",
        "--password-stdin",
        input="un mot de passe long\n",
    )
    run(cli, "digest")
    run(cli, "digest")
    rt = rt_of(home)
    try:
        with rt.sessions() as s:
            assert s.scalars(select(OutboxItem.to_address).where(OutboxItem.kind == "digest")).all() == [
                "claire@isere.example"
            ]
    finally:
        rt.close()


def test_terminal_at_80_columns_cuts_no_reference_or_date_and_shows_paris_time(
    cli: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = rt_of(home)
    with rt.sessions.begin() as s:
        add_request(s, "MED-2026-00004", received_at=datetime(2026, 10, 5, 7, 14, tzinfo=UTC))
        add_request(
            s,
            "MED-2026-00005",
            email="jean@example.org",
            suggestion=("insertion_rsa", 0.9, "recevable", 0.4, "none", 0.9),
        )
    rt.close()
    from triage.cli import console

    monkeypatch.setattr(console, "width", 80)  # the console read COLUMNS once, when it was created
    for command in (("queue",), ("dossiers", "list")):
        out = run(cli, *command)
        assert max(len(line) for line in out.splitlines()) <= 80, out
        assert "MED-2026-00004" in out and "MED-2026-00005" in out, out
        assert "05/10/2026 à 9 h 14" in out, out  # 07:14 UTC is 9 h 14 in Paris
    assert "Autonomie" in out or "autonomie_handicap" in out


CODES = re.compile(
    r"(?<!\.)\b(recevable|none|confirmed|pending|sent|email|quarantined|flagged|acknowledgement|eml|request)\b"
    r"|\d{4}-\d{2}-\d{2}"  # an ISO date
)


def test_every_terminal_table_at_80_columns_speaks_french_in_paris_time_and_cuts_no_token(
    cli: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = rt_of(home)
    at = datetime(2026, 10, 5, 22, 30, tzinfo=UTC)  # 00 h 30 the next day in Paris
    with rt.sessions.begin() as s:
        for n in range(1, 4):
            dossier, _ = add_request(
                s,
                f"MED-2026-0000{n}",
                received_at=at,
                email=f"personne{n}@example.org",
                suggestion=("insertion_rsa", 0.9, "recevable", 0.4, "none", 0.9),
            )
            s.add(
                OutboxItem(
                    dossier_id=dossier.id,
                    kind="acknowledgement",
                    idempotency_key=f"ack-{n}",
                    to_address=f"personne{n}@example.org",
                    message_id=f"<ack-{n}@example.org>",
                    raw=b"x",
                    next_attempt_at=at,
                )
            )
            s.add(
                PrintJob(
                    dossier_id=dossier.id,
                    kind="letter_transmission",
                    idempotency_key=f"p{n}",
                    pdf=b"%PDF",
                    created_at=at,
                )
            )
    name = "courrier-de-madame-sylvie-martin-numerise-le-5-octobre-2026-page-1-sur-3.eml"
    with rt.sessions.begin() as s:
        quarantine.put(
            s,
            source="eml",
            source_key=f"/boite/{name}",
            data=b"\x00" * 40,
            reason="en-têtes corrompus : " + "le bloc d'en-têtes est interrompu " * 3,
            at=datetime.now(UTC),
        )
    rt.close()
    from triage.cli import console

    monkeypatch.setattr(console, "width", 80)  # the console read COLUMNS once, when it was created
    commands = (
        ("queue",),
        ("dossiers", "list"),
        ("dossiers", "show", "MED-2026-00002"),
        ("dossiers", "search", "carte"),
        ("quarantine", "list"),
        ("outbox", "list"),
        ("print-queue", "list"),
    )
    for command in commands:
        out = run(cli, *command)
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= 80, out
        assert not CODES.search(out), (command, CODES.search(out), out)
        tokens = re.findall(r"MED-2026-\d+|\d\d/\d\d/\d{4} à \d+ h \d\d|[\w.-]+\.eml", out)
        if command != ("quarantine", "list"):
            assert "MED-2026-00002" in tokens, (command, out)  # whole, on one line
            assert "06/10/2026 à 0 h 30" in tokens, (command, out)  # Paris time, whole
        else:
            assert name in tokens and "fichier .eml" in out, out
        whole = {name, *(f"MED-2026-0000{n}" for n in range(1, 4))}
        for line in lines:  # nothing folded: no line starts with the tail of a cut token
            first = line.split()[0] if line.split() else ""
            assert len(first) < 4 or not any(tok.endswith(first) and tok != first for tok in whole), line


def test_dossiers_list_and_show_name_the_suggested_labels_in_french(cli: CliRunner, home: Path) -> None:
    rt = rt_of(home)
    with rt.sessions.begin() as s:
        add_request(
            s,
            "MED-2026-00002",
            email="jean@example.org",
            suggestion=("insertion_rsa", 0.9, "recevable", 0.4, "none", 0.9),
        )
    rt.close()
    for out in (run(cli, "dossiers", "list"), run(cli, "dossiers", "show", "MED-2026-00002")):
        flat = " ".join(out.split())
        assert "Insertion – RSA" in flat and "Recevable (à vérifier)" in flat, out
        assert "insertion_rsa" not in flat and "(?)" not in flat, out
