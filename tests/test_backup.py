"""Backups that restore: a backup taken while mail is being ingested restores into an empty home and
serves the same dossiers and tracking links; non-empty targets, wrong passphrases and altered files are
refused; PostgreSQL goes through pg_dump / pg_restore."""

from __future__ import annotations

import re
import threading
import uuid
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from tests.conftest import PG_ADMIN_URL, make_settings, require_postgres
from tests.mailfactory import mail
from triage.errors import StoreError
from triage.notify.acknowledge import Notifier
from triage.notify.sender import deliver_due
from triage.pipeline import Pipeline
from triage.privacy.backup import backup, restore, verify
from triage.records import RawMessage
from triage.runtime import Runtime
from triage.store.models import Dossier, OutboxItem
from triage.web.app import create_app

PASSPHRASE = "correct horse battery staple"


def _ingest(rt: Runtime, count: int, started: threading.Event | None = None, start_at: int = 0) -> None:
    pipeline = Pipeline(rt, notifier=Notifier.from_runtime(rt))
    for i in range(start_at, start_at + count):
        pipeline.ingest_raw(RawMessage("eml", f"m{i}", mail(
            f"Bonjour,\nMa demande d'aide sociale numéro {i} est bloquée.\nCordialement,\nUsager {i}",
            sender=f"Usager Numero{i} <usager{i}@exemple.example>", subject=f"Demande {i}")))
        if i % 5 == 4:
            deliver_due(rt, force=True)
        if started is not None and i == start_at + 9:
            started.set()


def _dossiers(rt: Runtime) -> dict[str, tuple[str, str]]:
    with rt.sessions() as s:
        return {r: (e, subj) for r, e, subj in s.execute(
            select(Dossier.reference, Dossier.requester_email, Dossier.subject))}


def _tokens(rt: Runtime) -> dict[str, str]:
    """reference -> tracking token, read from the acknowledgements as the citizens received them."""
    out = {}
    with rt.sessions() as s:
        for ref, raw in s.execute(select(Dossier.reference, OutboxItem.raw).join(
                OutboxItem, OutboxItem.dossier_id == Dossier.id)):
            body = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
            match = re.search(r"/suivi/([A-Za-z0-9_-]{20,})", body)
            assert match
            out[ref] = match.group(1)
    return out


def test_backup_taken_during_ingestion_restores_the_same_dossiers_and_tracking_links(tmp_path: Path) -> None:
    source = Runtime.open(make_settings(tmp_path / "source"))
    started = threading.Event()
    worker = threading.Thread(target=_ingest, args=(source, 40, started))
    worker.start()
    assert started.wait(120)
    archive = tmp_path / "sauvegarde.mediature"
    info = backup(source, archive, PASSPHRASE)
    worker.join(300)
    assert not worker.is_alive()
    assert PASSPHRASE.encode() not in archive.read_bytes() and b"usager1@" not in archive.read_bytes()
    assert verify(archive, PASSPHRASE).files == info.files

    target_settings = make_settings(tmp_path / "restored")
    restore(target_settings, archive, PASSPHRASE)
    restored = Runtime.open(target_settings)
    try:
        saved, now = _dossiers(restored), _dossiers(source)
        assert 10 <= len(saved) == info.dossiers <= len(now)
        assert all(now[ref] == values for ref, values in saved.items())
        with restored.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        tokens = _tokens(restored)
        assert len(tokens) >= 10
        client = TestClient(create_app(restored))
        for ref, token in tokens.items():
            page = client.get(f"/suivi/{token}")
            assert page.status_code == 200 and ref in page.text
        # the restored instance goes on: new mail opens the next dossiers
        _ingest(restored, 2, start_at=1000)
        assert len(_dossiers(restored)) == len(saved) + 2
    finally:
        restored.close()
        source.close()


def test_restore_refuses_a_non_empty_target_a_wrong_passphrase_and_an_altered_file(tmp_path: Path) -> None:
    rt = Runtime.open(make_settings(tmp_path / "a"))
    try:
        _ingest(rt, 3)
        plain = tmp_path / "clair.mediature"
        backup(rt, plain)
        encrypted = tmp_path / "chiffre.mediature"
        backup(rt, encrypted, PASSPHRASE)
        with pytest.raises(StoreError, match="pas vide"):
            restore(rt.settings, plain)
    finally:
        rt.close()
    with pytest.raises(StoreError, match="phrase de passe"):
        restore(make_settings(tmp_path / "b"), encrypted, "mauvaise phrase")
    with pytest.raises(StoreError, match="phrase de passe"):
        restore(make_settings(tmp_path / "b"), encrypted)
    data = bytearray(plain.read_bytes())
    data[len(data) // 2] ^= 0xFF
    altered = tmp_path / "altere.mediature"
    altered.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        restore(make_settings(tmp_path / "c"), altered)
    assert not (tmp_path / "c" / "mediature.sqlite3").exists()
    info = restore(make_settings(tmp_path / "d"), encrypted, PASSPHRASE)
    assert info.dossiers == 3


@pytest.mark.postgres
def test_postgresql_backup_restores_into_an_empty_database(tmp_path: Path, pg_url: str) -> None:
    require_postgres()
    source = Runtime.open(make_settings(tmp_path / "src", pg_url))
    name = f"mediature_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target_url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        _ingest(source, 4)
        archive = tmp_path / "pg.mediature"
        backup(source, archive)
        settings = make_settings(tmp_path / "dst", target_url)
        restore(settings, archive)
        restored = Runtime.open(settings)
        try:
            assert _dossiers(restored) == _dossiers(source)
            client = TestClient(create_app(restored))
            for ref, token in _tokens(restored).items():
                assert ref in client.get(f"/suivi/{token}").text
        finally:
            restored.close()
        with pytest.raises(StoreError, match="pas vide"):
            restore(make_settings(tmp_path / "dst2", target_url), archive)
    finally:
        source.close()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
