"""Right of access: one zip a citizen can read (French summary + original files) with everything about
them and nothing about anyone else; found by email, phone or name with postcode; corrections audited."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import make_settings
from tests.privacy_world import JEANNE, PAUL, build
from triage.errors import DossierError
from triage.privacy.access import Who, export_person
from triage.runtime import Runtime
from triage.store.audit import Actor
from triage.store.models import AuditEntry, Dossier
from triage.workspace.process import update_details


def _zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _correct_contact_details(rt: Runtime, reference: str, phone: str = JEANNE.phone) -> None:
    with rt.sessions.begin() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.reference == reference))
        assert dossier is not None
        update_details(
            s,
            dossier,
            Actor(None, "mediatrice"),
            {"requester_phone": phone, "requester_postcode": JEANNE.postcode, "requester_name": JEANNE.name},
        )


def test_export_by_email_holds_every_dossier_message_file_and_reader_and_nothing_of_others(
    runtime: Runtime, tmp_path: Path
) -> None:
    rt = runtime
    world = build(rt)
    out = tmp_path / "acces.zip"
    export = export_person(rt, Who(email=JEANNE.email.upper()), out, Actor(None, "mediatrice"))
    files = _zip(out)
    summary = files["synthese.html"].decode()
    assert [e["dossier"].reference for e in export.dossiers] == world.jeanne_refs
    for ref in world.jeanne_refs:
        assert f"Demande {ref}" in summary
    assert JEANNE.email in summary and "Vos droits" in summary and "Qui a consulté" in summary
    assert "Je m&#39;appelle" in summary or "Je m'appelle" in summary
    attachments = [n for n in files if n.endswith("refus-apa.pdf")]
    assert attachments and b"Attestation de refus APA" in files[attachments[0]]
    assert any(n.endswith(".eml") and b"Refus APA" in files[n] for n in files)  # the original message
    assert any("envoi-" in n and b"accus" in files[n].lower() for n in files)  # the acknowledgement sent
    assert export.quarantined == 1
    everything = b"".join(files.values())
    assert PAUL.email.encode() not in everything and PAUL.name.encode() not in everything
    with rt.sessions() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.export"))
        assert entry is not None and entry.details["dossiers"] == world.jeanne_refs
        assert JEANNE.email not in str(entry.details)


def test_export_finds_the_person_by_phone_or_by_name_with_postcode(runtime: Runtime, tmp_path: Path) -> None:
    rt = runtime
    world = build(rt)
    _correct_contact_details(rt, world.jeanne_refs[1])
    by_phone = export_person(rt, Who(phone="+33 6 12 34 56 78"), tmp_path / "t.zip", Actor.terminal())
    assert [e["dossier"].reference for e in by_phone.dossiers] == world.jeanne_refs  # the letters give it too
    by_name = export_person(
        rt, Who(name=JEANNE.name.upper(), postcode=JEANNE.postcode), tmp_path / "n.zip", Actor.terminal()
    )
    refs = [e["dossier"].reference for e in by_name.dossiers]
    assert world.jeanne_refs[1] in refs and world.paul_refs[0] not in refs
    with pytest.raises(DossierError):
        export_person(rt, Who(name=JEANNE.name), tmp_path / "x.zip", Actor.terminal())


def test_contact_detail_corrections_are_audited_without_their_values(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    world = build(rt)
    _correct_contact_details(rt, world.jeanne_refs[0], phone="04 76 11 22 33")
    with rt.sessions() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.details"))
    assert entry is not None and entry.actor == "mediatrice"
    assert "requester_phone" in entry.details["fields"] and "04 76 11 22 33" not in str(entry.details)


def test_export_command_writes_the_zip(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.cli import STATE, _register, app

    monkeypatch.setenv("MEDIATURE_HOME", str(home))
    monkeypatch.setenv("MEDIATURE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("COLUMNS", "300")
    for key in ("MEDIATURE_DATABASE_URL", "MEDIATURE_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    rt = Runtime.open(make_settings(home))
    build(rt)
    rt.close()
    _register()
    out = tmp_path / "export.zip"
    try:
        result = CliRunner().invoke(app, ["privacy", "export", "--email", JEANNE.email, "--output", str(out)])
        assert result.exit_code == 0, result.output
    finally:
        if STATE.runtime is not None:
            STATE.runtime.close()
        STATE.runtime = None
    assert "2 dossier(s)" in result.output and "synthese.html" in _zip(out)
