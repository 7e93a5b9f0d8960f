"""The terminal side of correspondence: `mediature message send`, `dossiers show --json`, `dossiers list --json`."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from tests.test_workspace_cli import cli, run
from tests.workspace_data import add_request, fast_argon2
from triage.config import load_settings
from triage.dossiers.msgid import reference_from_message_id
from triage.runtime import Runtime
from triage.store.models import AuditEntry, Dossier, Event, OutboxItem, User

__all__ = ["cli", "fast_argon2"]
SECRET = "test-secret"  # the cli fixture's MEDIATURE_SECRET_KEY


def seeded(home: Path) -> Runtime:
    rt = Runtime.open(
        load_settings(None, environ={"MEDIATURE_HOME": str(home), "MEDIATURE_SECRET_KEY": SECRET})
    )
    with rt.sessions.begin() as session:
        add_request(session, "MED-2026-00042")
        add_request(session, "MED-2026-00043", email="paul@example.org", name="Paul Durand")
    return rt


def test_message_send_queues_once_prints_a_signed_message_id_and_delivers_the_attachment(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    rt = seeded(home)
    body = tmp_path / "corps.txt"
    body.write_text(
        "Bonjour,\n\nPouvez-vous m'indiquer où en est ce dossier ?\n\nCordialement", encoding="utf-8"
    )
    pdf = tmp_path / "notification.pdf"
    pdf.write_bytes(b"%PDF-1.4 fictitious notification")
    args = [
        "message",
        "send",
        "med-2026-00042",
        "--to",
        "mdph@isere.example",
        "--subject",
        "Situation de Mme Martin",
        "--body-file",
        str(body),
        "--attach",
        str(pdf),
    ]
    first = run(cli, *args).strip()
    assert reference_from_message_id(rt.secret, first) == "MED-2026-00042"
    again = run(cli, *args)
    assert again.strip().splitlines()[-1] == first  # same content: the same message, not a second one
    with rt.sessions() as session:
        items = session.scalars(select(OutboxItem).where(OutboxItem.kind == "message")).all()
        assert [(i.to_address, i.message_id, i.status) for i in items] == [
            ("mdph@isere.example", first, "pending")
        ]
        events = session.scalars(select(Event).where(Event.kind == "message_envoye")).all()
        assert len(events) == 1 and "Situation de Mme Martin" in events[0].summary
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.message")) is not None
    run(cli, "outbox", "flush")
    [eml] = sorted((home / "outbox").glob("*-message-*.eml"))
    sent = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert sent["Message-ID"] == first
    assert sent["Subject"] == "Situation de Mme Martin — dossier MED-2026-00042"
    assert "Auto-Submitted" not in sent
    [part] = list(sent.iter_attachments())
    assert part.get_filename() == "notification.pdf" and part.get_content() == pdf.read_bytes()
    assert "Pouvez-vous m'indiquer" in sent.get_body(("plain",)).get_content()
    rt.close()


def test_message_send_with_a_transmission_mention_starts_the_service_clock(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    rt = seeded(home)
    body = tmp_path / "corps.txt"
    body.write_text("Madame, Monsieur,\n\nJe vous transmets la demande ci-dessous.", encoding="utf-8")
    run(
        cli,
        "message",
        "send",
        "MED-2026-00043",
        "--to",
        "rsa@isere.example",
        "--name",
        "Service RSA",
        "--body-file",
        str(body),
        "--mention",
        "transmission",
    )
    shown = json.loads(run(cli, "dossiers", "show", "MED-2026-00043", "--json"))
    assert shown["status"] == "transmise_service" and shown["service_deadline"] is not None
    [out] = [m for m in shown["messages"] if m["direction"] == "out"]
    assert out["role"] == "message_transmission" and out["to"] == ["rsa@isere.example"]
    run(
        cli,
        "message",
        "send",
        "MED-2026-00043",
        "--to",
        "rsa@isere.example",
        "--body-file",
        str(body),
        "--mention",
        "nimporte",
        ok=False,
    )
    rt.close()


def test_dossiers_show_json_lists_incoming_and_outgoing_messages(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    rt = seeded(home)
    body = tmp_path / "corps.txt"
    body.write_text("Bonjour Madame,\n\nJ'ai bien noté votre demande.", encoding="utf-8")
    mid = run(
        cli,
        "message",
        "send",
        "MED-2026-00042",
        "--to",
        "sylvie.martin@example.org",
        "--body-file",
        str(body),
    ).strip()
    shown = json.loads(run(cli, "dossiers", "show", "MED-2026-00042", "--json"))
    assert {k: shown[k] for k in ("reference", "status", "assignee", "unread")} == {
        "reference": "MED-2026-00042",
        "status": "recue",
        "assignee": None,
        "unread": False,
    }
    directions = [(m["direction"], m["from"], m["to"]) for m in shown["messages"]]
    assert directions[0] == ("in", "sylvie.martin@example.org", [])
    assert ("out", rt.settings.smtp.from_address, ["sylvie.martin@example.org"]) in directions
    out = next(m for m in shown["messages"] if m["direction"] == "out")
    assert out["message_id"] == mid and out["subject"].endswith("MED-2026-00042") and out["date"]
    run(cli, "dossiers", "show", "MED-2026-09999", "--json", ok=False)
    rt.close()


def test_dossiers_list_json_prints_one_object_per_dossier(cli: CliRunner, home: Path) -> None:
    rt = seeded(home)
    lines = run(cli, "dossiers", "list", "--json").strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted(r["reference"] for r in records) == ["MED-2026-00042", "MED-2026-00043"]
    assert all({"status", "assignee", "unread"} <= set(r) for r in records)
    assert run(cli, "dossiers", "list", "--json", "--status", "cloturee").strip() == ""
    with rt.sessions.begin() as session:
        user = User(username="claire", role="mediateur", password_hash="-")
        session.add(user)
        session.flush()
        d = session.scalar(select(Dossier).where(Dossier.reference == "MED-2026-00043"))
        assert d is not None
        d.assignee_id, d.unread = user.id, True
    mine = [
        json.loads(line)
        for line in run(cli, "dossiers", "list", "--json", "--assignee", "claire").splitlines()
    ]
    assert [(r["reference"], r["assignee"], r["unread"]) for r in mine] == [
        ("MED-2026-00043", "claire", True)
    ]
    nobody = [
        json.loads(line)["reference"]
        for line in run(cli, "dossiers", "list", "--json", "--assignee", "-").splitlines()
    ]
    assert nobody == ["MED-2026-00042"]
    assert [
        json.loads(line)["reference"]
        for line in run(cli, "dossiers", "list", "--json", "--unread").splitlines()
    ] == ["MED-2026-00043"]
    rt.close()


def test_dossiers_pdf_has_the_timeline_and_the_messages_and_notes_only_when_asked(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    from triage.parse.body import pdf_text_layer
    from triage.store.models import Note

    rt = seeded(home)
    with rt.sessions.begin() as session:
        d = session.scalar(select(Dossier).where(Dossier.reference == "MED-2026-00042"))
        assert d is not None
        session.add(Note(dossier_id=d.id, text="Appel de Mme Martin, très inquiète."))
    body = tmp_path / "corps.txt"
    body.write_text("Madame, Monsieur,\n\nMerci de réexaminer la demande de carte.", encoding="utf-8")
    run(
        cli,
        "message",
        "send",
        "MED-2026-00042",
        "--to",
        "mdph@isere.example",
        "--subject",
        "Réexamen",
        "--body-file",
        str(body),
    )
    plain, with_notes = tmp_path / "dossier.pdf", tmp_path / "dossier-notes.pdf"
    run(cli, "dossiers", "pdf", "MED-2026-00042", "-o", str(plain))
    run(cli, "dossiers", "pdf", "MED-2026-00042", "-o", str(with_notes), "--notes")
    text = " ".join(pdf_text_layer(plain.read_bytes()).split())
    assert plain.read_bytes().startswith(b"%PDF") and "Dossier MED-2026-00042" in text
    assert "ma demande de carte mobilité inclusion a été refusée" in text.lower()  # the request received
    assert (
        "Merci de réexaminer la demande de carte" in text and "mdph@isere.example" in text
    )  # the message sent
    assert "Demande reçue" in text  # the timeline
    assert "très inquiète" not in text
    assert "très inquiète" in " ".join(pdf_text_layer(with_notes.read_bytes()).split())
    with rt.sessions() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.document")) is not None
    rt.close()
