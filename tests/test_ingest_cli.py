"""`mediature ingest`, `demo`, `dossiers` and `quarantine` as the mail service and the administrator use
them, and the local sources behind them (.eml folders, Maildir, mbox, scan files)."""

from __future__ import annotations

import json
import mailbox
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO, SAMPLES
from tests.mailfactory import mail
from triage.records import RawMessage
from triage.sources.local import ScanFileRef, read_paths

SAMPLE_COUNTS = {
    "messages": 52,
    "dossiers_opened": 34,
    "attached_to_existing": 3,
    "not_requests": 9,
    "quarantined": 5,
    "duplicates": 1,
    "flagged": 2,
}


def _env(home: Path, db_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATURE_")}
    env.update(MEDIATURE_HOME=str(home), MEDIATURE_SECRET_KEY="test-secret", COLUMNS="200")
    if db_url:
        env["MEDIATURE_DATABASE_URL"] = db_url
    return env


def _mediature(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "mediature"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI in-process on the temporary home (SQLite); the cached runtime is dropped after each call."""
    for key, value in _env(home).items():
        if key.startswith("MEDIATURE_") or key == "COLUMNS":
            monkeypatch.setenv(key, value)
    from triage.cli import STATE, _register

    _register()
    yield CliRunner()
    if STATE.runtime is not None:
        STATE.runtime.close()
        STATE.runtime = None


def _run(cli: CliRunner, *args: str) -> str:
    from triage.cli import STATE, app

    if STATE.runtime is not None:
        STATE.runtime.close()
        STATE.runtime = None
    result = cli.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


# --------------------------------------------------------------------------- ingest --json


@pytest.mark.slow
def test_ingest_json_counts_the_sample_mailbox_then_only_duplicates(home: Path, db_url: str) -> None:
    env = _env(home, db_url if db_url.startswith("postgresql") else "")
    first = _mediature(["ingest", "--json", str(SAMPLES / "mailbox")], env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == SAMPLE_COUNTS  # exactly one JSON object on stdout
    again = json.loads(_mediature(["ingest", "--json", str(SAMPLES / "mailbox")], env).stdout)
    assert again == {
        "messages": 52,
        "dossiers_opened": 0,
        "attached_to_existing": 0,
        "not_requests": 0,
        "quarantined": 5,
        "duplicates": 47,
        "flagged": 0,
    }


def test_ingest_of_a_missing_path_fails_clearly(home: Path) -> None:
    result = _mediature(["ingest", "--json", str(home / "absent")], _env(home))
    assert result.returncode == 1 and "introuvable" in result.stderr and result.stdout == ""


def test_ingest_without_json_prints_a_summary_table(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "boite"
    folder.mkdir()
    (folder / "a.eml").write_bytes(mail())
    (folder / "b.eml").write_bytes(b"\x00\x01 pas un courriel")
    out = _run(cli, "ingest", str(folder))
    assert (
        "Résumé de l'import" in out
        and "dossiers ouverts" in out
        and "b.eml" in out
        and "en quarantaine" in out
    )
    assert "quarantined" not in out  # the outcome in French, not its code


# --------------------------------------------------------------------------- demo


@pytest.mark.slow
def test_demo_lists_the_sample_dossiers_and_is_idempotent(home: Path) -> None:
    env = _env(home)
    first = _mediature(["demo"], env, timeout=900)
    assert first.returncode == 0, first.stderr
    assert "MED-2026-00001" in first.stdout and "Dossiers" in first.stdout
    second = _mediature(["demo"], env, timeout=900)
    assert second.returncode == 0, second.stderr
    assert "déjà importés" in second.stderr
    (opened_row,) = [line for line in second.stdout.splitlines() if "dossiers ouverts" in line]
    assert opened_row.rstrip(" │").split()[-1] == "0"


# --------------------------------------------------------------------------- dossiers and quarantine


def test_dossiers_list_and_show_give_initials_not_names(cli: CliRunner, tmp_path: Path) -> None:
    eml = tmp_path / "m.eml"
    eml.write_bytes(mail(sender="Jeanne Martin <jeanne.martin@exemple.example>"))
    _run(cli, "ingest", "--json", str(eml))
    listing = _run(cli, "dossiers", "list")
    assert "MED-2026-00001" in listing and "J. M." in listing and "Jeanne" not in listing
    shown = _run(cli, "dossiers", "show", "med-2026-00001")
    assert "Demande reçue" in shown and "Chronologie" in shown and "Martin" not in shown
    assert "MED-2026-00001" not in _run(cli, "dossiers", "list", "--status", "cloturee")


def test_quarantine_list_show_and_retry(cli: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "casse.eml"
    bad.write_bytes(b"\x00\xffjunk" * 50)
    summary = json.loads(_run(cli, "ingest", "--json", str(bad)))
    assert summary["quarantined"] == 1
    assert "casse.eml" in _run(cli, "quarantine", "list") and "aucun en-tête" in _run(
        cli, "quarantine", "list"
    )
    out = tmp_path / "octets.bin"
    assert "aucun en-tête" in _run(cli, "quarantine", "show", "1", "--output", str(out))
    assert out.read_bytes() == bad.read_bytes()
    from triage.cli import app

    result = cli.invoke(app, ["quarantine", "retry", "--all"])
    # still unreadable: said so (in French), not hidden
    assert result.exit_code == 1 and "en quarantaine" in result.stdout and "quarantined" not in result.stdout


# --------------------------------------------------------------------------- local sources


def test_folder_is_read_recursively_in_name_order_skipping_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.eml").write_bytes(mail(subject="deux"))
    (tmp_path / "1.eml").write_bytes(mail(subject="un"))
    (tmp_path / "README.md").write_text("# pas un message")
    (tmp_path / "notes.txt").write_text("pas un message")
    items = list(read_paths([tmp_path]))
    assert [Path(i.source_key).name for i in items if isinstance(i, RawMessage)] == ["1.eml", "2.eml"]


def test_maildir_keys_survive_a_flag_change(tmp_path: Path) -> None:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    key = box.add(mailbox.MaildirMessage(mail(subject="maildir")))
    box.add(mail(subject="second"))
    before = sorted(i.source_key for i in read_paths([tmp_path / "Maildir"]) if isinstance(i, RawMessage))
    msg = box.get_message(key)
    msg.set_subdir("cur")
    msg.add_flag("S")
    box[key] = msg
    after = sorted(i.source_key for i in read_paths([tmp_path / "Maildir"]) if isinstance(i, RawMessage))
    assert len(before) == 2 and [k.split("/")[-1] for k in before] == [k.split("/")[-1] for k in after]


def test_mbox_gives_each_message_with_its_index(tmp_path: Path) -> None:
    path = tmp_path / "archive.mbox"
    box = mailbox.mbox(str(path))
    for subject in ("un", "deux", "trois"):
        box.add(mail(subject=subject))
    box.close()
    items = [i for i in read_paths([path]) if isinstance(i, RawMessage)]
    assert [i.source_key.rsplit("#", 1)[1] for i in items] == ["0", "1", "2"]
    assert all(i.source == "mbox" and b"Subject:" in i.data for i in items)


def test_single_message_with_an_envelope_line_is_one_message(tmp_path: Path) -> None:
    path = tmp_path / "mail001.box"
    path.write_bytes(
        b"From someone@example.com  Thu May  3 12:04:29 2012\n" + mail(body="From here on, text.")
    )
    items = list(read_paths([path]))
    assert len(items) == 1 and isinstance(items[0], RawMessage) and items[0].source == "eml"


def test_scan_files_are_recognised_by_their_bytes(tmp_path: Path) -> None:
    pdf = tmp_path / "courrier.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    disguised = tmp_path / "lettre.eml"
    disguised.write_bytes(b"%PDF-1.4\n%%EOF\n")
    items = list(read_paths([pdf, disguised]))
    assert all(isinstance(i, ScanFileRef) and i.content_type == "application/pdf" for i in items)


def test_json_output_is_the_only_thing_on_stdout(home: Path, tmp_path: Path) -> None:
    eml = tmp_path / "x.eml"
    eml.write_bytes(mail())
    result = _mediature(["ingest", "--json", str(eml)], _env(home))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dossiers_opened"] == 1
