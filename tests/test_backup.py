"""Backups that restore: `mediature backup` / `restore` on SQLite and PostgreSQL, taken while a real worker
process ingests a mailbox, restored into a fresh home and database that then serve the same dossiers and
the same tracking links; damaged archives, wrong passphrases and non-empty targets refused untouched."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import os
import re
import signal
import stat
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.conftest import REPO, SAMPLES, fresh_pg_database, make_settings
from tests.factories import make_dossier
from tests.mailfactory import mail
from triage.backup.archive import home_files
from triage.backup.operations import create_backup, restore_backup, verify_backup
from triage.config import Settings
from triage.dossiers.msgid import reference_from_message_id
from triage.errors import BackupError
from triage.notify.acknowledge import Notifier
from triage.notify.sender import deliver_due
from triage.pipeline import Pipeline
from triage.records import RawMessage
from triage.runtime import Runtime
from triage.sources.scans import read_scan_file
from triage.store import snapshot
from triage.store.db import make_engine
from triage.store.models import Dossier, Message, OutboxItem, RawBlob, ScanFile
from triage.web.app import create_app

MEDIATURE = str(Path(sys.executable).with_name("mediature"))
TEXT_SCAN = SAMPLES / "scans" / "scan-07-avocat-oblige-alimentaire-texte.pdf"
TOKEN_RE = re.compile(r"/suivi/([A-Za-z0-9_-]{20,128})")


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`mediature ARGS` as an administrator runs it, in its own process."""
    return subprocess.run([MEDIATURE, *args], env=env, capture_output=True, text=True, check=False)


def settings_for(home: Path, url: str = "") -> Settings:
    """Test settings whose secret key lives in <home>/secret.key, as in a default installation."""
    settings = make_settings(home, url)
    settings.security.secret_key = SecretStr("")
    return settings


@pytest.fixture
def target(tmp_path: Path, db_url: str) -> Iterator[Settings]:
    """A fresh home and a fresh, empty database of the same kind as db_url, to restore into."""
    home = tmp_path / "restauree"
    if db_url.startswith("sqlite"):
        yield settings_for(home)
    else:
        with fresh_pg_database() as url:
            yield settings_for(home, url)


def restore_into(
    settings: Settings, archive: Path, passphrase: str | None = None, *, force: bool = False
) -> None:
    rt = Runtime.open(settings, upgrade=False)
    try:
        restore_backup(rt, archive, passphrase, force=force)
    finally:
        rt.close()


def dossier_rows(rt: Runtime) -> dict[str, tuple[str, str, str]]:
    with rt.sessions() as s:
        rows = s.execute(
            select(Dossier.reference, Dossier.status, Dossier.requester_email, Dossier.tracking_token_hash)
        )
        return {ref: (status, mail_, token_hash) for ref, status, mail_, token_hash in rows}


def count(rt: Runtime, model: type) -> int:
    with rt.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def acknowledgements(rt: Runtime) -> list[tuple[str, str, str]]:
    """(reference, tracking token, Message-ID) of every acknowledgement in the outbox, read as the citizen reads it."""
    found = []
    with rt.sessions() as s:
        rows = s.execute(
            select(Dossier.reference, OutboxItem.raw, OutboxItem.message_id)
            .join(Dossier, Dossier.id == OutboxItem.dossier_id)
            .where(OutboxItem.kind == "acknowledgement")
        )
        for reference, raw, message_id in rows:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            text = "".join(p.get_content() for p in msg.walk() if p.get_content_type() == "text/plain")
            match = TOKEN_RE.search(text)
            assert match, f"no tracking link in the acknowledgement of {reference}"
            found.append((reference, match.group(1), message_id))
    return found


def home_digest(home: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256(path.read_bytes()).hexdigest()
        for name, path in home_files(
            home, {home / "mediature.sqlite3", home / "mediature.sqlite3-wal", home / "mediature.sqlite3-shm"}
        )
    }


def test_backup_and_restore_bring_back_dossiers_files_links_and_secret(
    home: Path, db_url: str, target: Settings, tmp_path: Path
) -> None:
    src = Runtime.open(settings_for(home, db_url))
    try:
        pipeline = Pipeline(src, suggester=None, notifier=Notifier.from_runtime(src))
        for path in sorted((SAMPLES / "mailbox").glob("*.eml"))[:8]:
            pipeline.ingest_raw(RawMessage(source="eml", source_key=path.name, data=path.read_bytes()))
        doc = read_scan_file(TEXT_SCAN, src.settings)
        pipeline.ingest_scan(doc, Path(doc.path).read_bytes())
        deliver_due(src, force=True)  # acknowledgements written as .eml files in <home>/outbox
        (home / "logs").mkdir(exist_ok=True)
        (home / "logs" / "worker.log").write_text("journal\n")
        archive = tmp_path / "sauvegarde.tar.gz"
        summary = create_backup(src, archive)
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        assert summary.database_kind == snapshot.kind(src.engine) and not summary.encrypted
        expected_dossiers, expected_files = dossier_rows(src), home_digest(home)
        expected_messages, expected_blobs = count(src, Message), count(src, RawBlob)
        acks, secret = acknowledgements(src), src.secret
    finally:
        src.close()
    assert "secret.key" in expected_files and any(n.startswith("outbox/") for n in expected_files)
    assert any(n.startswith("scans/originaux/") for n in expected_files)

    restore_into(target, archive)
    rt = Runtime.open(target, upgrade=False)
    try:
        assert dossier_rows(rt) == expected_dossiers and len(expected_dossiers) >= 5
        assert (count(rt, Message), count(rt, RawBlob)) == (expected_messages, expected_blobs)
        assert home_digest(target.paths.home) == {k: v for k, v in expected_files.items()}
        assert not (target.paths.home / "logs").exists()  # journals are not state
        for _name, path in home_files(target.paths.home):  # secret key and personal data: private
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert rt.secret == secret
        with rt.sessions() as s:
            stored = s.scalars(select(ScanFile.stored_path)).all()
        assert stored and all(Path(p).is_relative_to(target.paths.home) and Path(p).is_file() for p in stored)
        client = TestClient(create_app(rt))
        assert len(acks) >= 5
        for reference, token, message_id in acks:
            page = client.get(f"/suivi/{token}")
            assert page.status_code == 200 and reference in page.text
            # a citizen's reply to the acknowledgement still finds its dossier: the secret came back
            assert reference_from_message_id(rt.secret, message_id) == reference
        # the restored instance goes on: new mail opens the next dossier, not one already used
        outcome = Pipeline(rt, suggester=None).ingest_raw(
            RawMessage(
                "eml",
                "apres",
                mail(
                    "Bonjour,\nma demande d'aide sociale est bloquée.\n",
                    sender="Nouvel Usager <nouvel@exemple.example>",
                ),
            )
        )
        assert outcome.reference and outcome.reference not in expected_dossiers
        assert len(dossier_rows(rt)) == len(expected_dossiers) + 1
    finally:
        rt.close()


def _maildir(root: Path, raws: list[bytes]) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(raws):
        (root / "new" / f"{1700000000 + i}.M{i}P1.hote").write_bytes(raw)
    return root


def _pending(box: Path) -> int:
    return len(list((box / "new").iterdir())) + len(list((box / "cur").iterdir()))


@pytest.mark.slow
def test_backup_taken_while_the_worker_ingests_restores_the_dossiers_and_links_of_that_moment(
    home: Path, db_url: str, target: Settings, tmp_path: Path
) -> None:
    raws = [p.read_bytes() for p in sorted((SAMPLES / "mailbox").glob("*.eml"))]
    raws += [
        mail(
            f"Bonjour,\n\nma demande n° {i} concernant l'aide sociale attend une réponse.\n",
            sender=f"Usager {i} <usager{i}@exemple.example>",
            subject=f"Demande {i}",
        )
        for i in range(30)
    ]
    box = _maildir(tmp_path / "Maildir", raws)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATURE_")}
    env.update(
        {
            "MEDIATURE_HOME": str(home),
            "MEDIATURE_MAILBOX_URL": f"maildir://{box}",
            "MEDIATURE_MAILBOX__POLL_SECONDS": "0.2",
            "MEDIATURE_MAILBOX__BATCH_SIZE": "5",
        }
    )
    if not db_url.startswith("sqlite"):
        env["MEDIATURE_DATABASE_URL"] = db_url
    log_file = tmp_path / "worker.log"
    src = Runtime.open(settings_for(home, "" if db_url.startswith("sqlite") else db_url))
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.worker_child", str(log_file), "--pause-after-commit", "0.1"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    archive = tmp_path / "pendant.tar.gz"
    try:
        deadline = time.monotonic() + 120
        while count(src, Dossier) < 3:
            assert worker.poll() is None and time.monotonic() < deadline, "the worker did not start ingesting"
            time.sleep(0.05)
        create_backup(src, archive)
        assert _pending(box) > 0, "the worker had finished before the backup: nothing was tested"
        while _pending(box) and time.monotonic() < deadline + 240:
            assert worker.poll() is None
            time.sleep(0.2)
        assert _pending(box) == 0
        final_dossiers = dossier_rows(src)
        final_acks = acknowledgements(src)
        secret = src.secret
        client_src = TestClient(create_app(src))
        source_pages = {token: client_src.get(f"/suivi/{token}") for _, token, _ in final_acks}
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        src.close()

    restore_into(target, archive)
    rt = Runtime.open(target, upgrade=False)
    try:
        restored = dossier_rows(rt)
        assert 3 <= len(restored) < len(final_dossiers)  # the state of a moment in the middle of the run
        assert all(final_dossiers[ref] == row for ref, row in restored.items())
        with rt.sessions() as s:  # consistent: each restored dossier came back with its request message
            assert not s.scalars(select(Dossier.reference).where(~Dossier.messages.any())).all()
        assert rt.secret == secret
        restored_acks = acknowledgements(rt)
        assert {ref for ref, _, _ in restored_acks} <= set(restored)
        client = TestClient(create_app(rt))
        for reference, token, message_id in final_acks:
            if reference in restored:
                page = client.get(f"/suivi/{token}")
                assert page.status_code == 200 == source_pages[token].status_code
                assert reference in page.text and reference in source_pages[token].text
                assert reference_from_message_id(rt.secret, message_id) == reference
        later = [token for reference, token, _ in final_acks if reference not in restored]
        assert later
        for token in later[:5]:  # opened after the backup (a few: unknown links are rate-limited)
            assert client.get(f"/suivi/{token}").status_code == 404
    finally:
        rt.close()


def _small_instance(home: Path, url: str = "") -> Settings:
    settings = settings_for(home, url)
    rt = Runtime.open(settings)
    try:
        with rt.sessions.begin() as s:
            make_dossier(s, "MED-2026-00001")
        rt.secret  # noqa: B018  (creates <home>/secret.key)
        (home / "outbox").mkdir()
        (home / "outbox" / "accuse.eml").write_bytes(b"Subject: accuse\r\n\r\nbonjour\r\n")
    finally:
        rt.close()
    return settings


def _untouched(settings: Settings) -> bool:
    engine = make_engine(settings.database_url)
    try:
        base = {settings.paths.home / f"mediature.sqlite3{suffix}" for suffix in ("", "-wal", "-shm")}
        return not snapshot.table_names(engine) and not list(home_files(settings.paths.home, base))
    finally:
        engine.dispose()


def test_damaged_archive_is_refused_and_nothing_is_restored(home: Path, tmp_path: Path) -> None:
    settings = _small_instance(home)
    rt = Runtime.open(settings, upgrade=False)
    archive = tmp_path / "b.tar.gz"
    create_backup(rt, archive)
    rt.close()
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    flipped = tmp_path / "octet.tar.gz"
    flipped.write_bytes(bytes(data))
    truncated = tmp_path / "tronquee.tar.gz"
    truncated.write_bytes(bytes(data[: len(data) // 3]))
    # a member rewritten inside a well-formed archive: only the checksums can tell
    forged = tmp_path / "modifiee.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(forged, "w:gz") as out:
        for member in src:
            content = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "home/secret.key":
                content = b"0" * len(content)
            out.addfile(member, io.BytesIO(content))
    target = settings_for(tmp_path / "cible")
    damaged = "endommagée|incomplète|altérée"  # gzip, tar stopping at a garbled header, or the checksums
    for bad, words in ((flipped, damaged), (truncated, damaged), (forged, "somme de contrôle")):
        with pytest.raises(BackupError, match=words) as err:
            restore_into(target, bad)
        assert "rien n'a été restauré" in str(err.value)
        assert _untouched(target)
    with pytest.raises(BackupError, match="« home/secret.key » ne correspond pas"):
        verify_backup(forged, None)


def test_wrong_passphrase_and_altered_ciphertext_are_refused(home: Path, tmp_path: Path) -> None:
    settings = _small_instance(home)
    rt = Runtime.open(settings, upgrade=False)
    archive = tmp_path / "b.chiffree"
    summary = create_backup(rt, archive, "cheval agrafe pile correcte")
    rt.close()
    assert summary.encrypted and stat.S_IMODE(archive.stat().st_mode) == 0o600
    raw = archive.read_bytes()
    assert b"MED-2026-00001" not in raw and b"SQLite format" not in raw and b"manifest.json" not in raw
    target = settings_for(tmp_path / "cible")
    with pytest.raises(BackupError, match="phrase de passe incorrecte"):
        restore_into(target, archive, "cheval agrafe pile incorrecte")
    with pytest.raises(BackupError, match="sauvegarde est chiffrée"):
        restore_into(target, archive, None)
    altered = tmp_path / "alteree"
    data = bytearray(raw)
    data[-100] ^= 0x01
    altered.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="altérée"):
        restore_into(target, altered, "cheval agrafe pile correcte")
    assert _untouched(target)
    restore_into(target, archive, "cheval agrafe pile correcte")
    assert (target.paths.home / "outbox" / "accuse.eml").read_bytes().startswith(b"Subject: accuse")


def test_non_empty_target_is_refused_without_force_then_replaced_with_it(
    home: Path, db_url: str, tmp_path: Path
) -> None:
    settings = _small_instance(home, "" if db_url.startswith("sqlite") else db_url)
    rt = Runtime.open(settings, upgrade=False)
    archive = tmp_path / "b.tar.gz"
    create_backup(rt, archive)
    with rt.sessions.begin() as s:  # life goes on after the backup
        make_dossier(s, "MED-2026-00002")
    (home / "outbox" / "plus-tard.eml").write_bytes(b"Subject: plus tard\r\n\r\n")
    rt.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATURE_")}
    env["MEDIATURE_HOME"] = str(home)
    if not db_url.startswith("sqlite"):
        env["MEDIATURE_DATABASE_URL"] = db_url
    refused = run_cli(env, "restore", str(archive))
    assert refused.returncode == 1
    assert "restauration refusée" in refused.stderr and "--force" in refused.stderr
    rt = Runtime.open(settings, upgrade=False)
    assert set(dossier_rows(rt)) == {"MED-2026-00001", "MED-2026-00002"}
    rt.close()
    forced = run_cli(env, "restore", str(archive), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "restaurée" in forced.stdout
    rt = Runtime.open(settings, upgrade=False)
    try:
        assert set(dossier_rows(rt)) == {"MED-2026-00001"}
    finally:
        rt.close()
    assert not (home / "outbox" / "plus-tard.eml").exists() and (home / "outbox" / "accuse.eml").exists()


def test_cli_backup_reads_the_passphrase_from_the_environment_and_verifies(
    home: Path, tmp_path: Path
) -> None:
    _small_instance(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATURE_")}
    env.update(
        {"MEDIATURE_HOME": str(home), "MEDIATURE_BACKUP_PASSPHRASE": "une phrase de passe assez longue"}
    )
    archive = tmp_path / "nuit.chiffree"
    made = run_cli(env, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert "chiffrée" in made.stdout and stat.S_IMODE(archive.stat().st_mode) == 0o600
    checked = run_cli(env, "restore", str(archive), "--verify")
    assert checked.returncode == 0 and "Sauvegarde intacte" in checked.stdout
    passfile = tmp_path / "phrase"
    passfile.write_text("une autre phrase\n")
    env.pop("MEDIATURE_BACKUP_PASSPHRASE")
    wrong = run_cli(env, "restore", str(archive), "--verify", "--passphrase-file", str(passfile))
    assert wrong.returncode == 1 and "phrase de passe incorrecte" in wrong.stderr
