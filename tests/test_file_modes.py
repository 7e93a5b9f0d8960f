"""What an instance writes is private to its account (issue 12 #8): files 0600, folders 0700, even when
the process starts with a permissive umask."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fpdf import FPDF
from sqlalchemy import text

from tests.conftest import SAMPLES, make_settings
from triage import logs
from triage.files import DIR_MODE, FILE_MODE
from triage.notify.sender import FolderTransport
from triage.runtime import Runtime
from triage.store.outbox import OutgoingMail

MEDIATURE = Path(sys.executable).with_name("mediature")


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The usual 022 umask, as a careless service manager would leave it."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(home: Path) -> dict[str, int]:
    """Permission bits of everything under `home` (itself included), by relative path."""
    found = {".": stat.S_IMODE(home.stat().st_mode)}
    for path in home.rglob("*"):
        found[str(path.relative_to(home))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def assert_private(home: Path) -> None:
    wrong = {
        name: oct(mode)
        for name, mode in modes(home).items()
        if mode != (DIR_MODE if (home / name).is_dir() else FILE_MODE)
    }
    assert not wrong, wrong


def test_explicit_modes_hold_whatever_the_umask(tmp_path: Path, permissive_umask: None) -> None:
    home = tmp_path / "home"
    rt = Runtime.open(make_settings(home, database_url=f"sqlite:///{home / 'mediature.sqlite3'}"))
    try:
        with rt.engine.begin() as conn:  # a write leaves the WAL and shared-memory files beside the base
            conn.execute(text("create table if not exists essai (x integer)"))
            conn.execute(text("insert into essai values (1)"))
        assert (home / "mediature.sqlite3-wal").exists()
        rt.settings.secret()
        item = OutgoingMail(
            id=7,
            kind="acknowledgement",
            to_address="sylvie.martin@example.org",
            raw=b"To: sylvie.martin@example.org\r\n\r\nhttps://suivi.example/suivi/jeton\r\n",
            created_at=datetime(2026, 11, 2, tzinfo=UTC),
        )
        FolderTransport(rt.settings.paths.sub("outbox")).send(item)
        handler = logs.configure(file=home / "logs" / "worker.log")
        logs.event("essai")
        handler.close()
        assert_private(home)
    finally:
        rt.close()


def _text_pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(
        0,
        8,
        "Madame la Mediatrice, ma demande de carte mobilite inclusion a ete refusee. "
        "Sylvie Martin, 12 rue des Alpes, 38100 Grenoble",
    )
    pdf.output(str(path))


def test_a_fresh_instance_started_with_umask_022_writes_only_private_files(tmp_path: Path) -> None:
    home, mail, drop = tmp_path / "home", tmp_path / "courriels", tmp_path / "scans"
    mail.mkdir()
    drop.mkdir()
    for sample in sorted((SAMPLES / "mailbox").glob("*.eml"))[:2]:
        shutil.copy(sample, mail)
    scan = drop / "lettre.pdf"
    _text_pdf(scan)
    os.chmod(scan, 0o644)  # as a scanner would leave it
    env = {
        **os.environ,
        "MEDIATURE_HOME": str(home),
        "MEDIATURE_SECRET_KEY": "test-secret-key-not-for-production",
        "MEDIATURE_CONFIG": "",
    }
    for command in (["ingest", str(mail), str(scan)], ["outbox", "flush"]):
        done = subprocess.run(
            [str(MEDIATURE), *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            preexec_fn=lambda: os.umask(0o022),
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert list((home / "outbox").glob("*.eml")) and list((home / "logs").glob("*.log"))
    assert list((home / "scans").rglob("*lettre.pdf"))  # the original kept in the store
    assert_private(home)
