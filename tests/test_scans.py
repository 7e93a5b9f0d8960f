"""Scanned letters from the drop folder and `mediature scan add`: stable files only, originals kept,
each file stored once, unreadable ones rejected with a reason and quarantined, on SQLite and PostgreSQL.

Most tests drop the born-digital sample PDF (text layer: no OCR, fast); the tests marked `ocr` run real
Tesseract on an image scan.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO, SAMPLES, make_settings
from triage.pipeline import Pipeline
from triage.records import IngestOutcome
from triage.runtime import Runtime
from triage.sources.scans import (
    SettleWatcher,
    ingest_scan_file,
    is_temporary_name,
    poll_drop_folder,
    read_scan_file,
    rejected_files,
)
from triage.store.models import Dossier, Message, QuarantineItem, RawBlob, ScanFile

SCANS = SAMPLES / "scans"
TEXT_PDF = SCANS / "scan-07-avocat-oblige-alimentaire-texte.pdf"
IMAGE_JPEG = SCANS / "scan-04-rsa-indu-personne-agee.jpg"
SCAN_DATE = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def drop(rt: Runtime, source: Path, name: str | None = None, *, when: datetime = SCAN_DATE) -> Path:
    """Put a copy of `source` in the drop folder, dated `when` (the scanner's time)."""
    folder = rt.settings.scan_drop_folder
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    os.utime(target, (when.timestamp(), when.timestamp()))
    return target


def count(rt: Runtime, model: type) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def settled(runtime: Runtime) -> Runtime:
    """The runtime with no settle delay (files are complete as soon as they are there)."""
    runtime.settings.scans.settle_seconds = 0
    return runtime


# --------------------------------------------------------------------------- reading one file


def test_read_scan_file_keeps_the_original_under_year_and_hash(settings, tmp_path: Path) -> None:
    source = tmp_path / "lettre avocat.pdf"
    shutil.copyfile(TEXT_PDF, source)
    os.utime(source, (SCAN_DATE.timestamp(), SCAN_DATE.timestamp()))
    doc = read_scan_file(source, settings)
    stored = Path(doc.path)
    assert stored.parent == settings.paths.home / "scans" / "originaux" / "2026"
    assert stored.name == f"{doc.sha256[:16]}-lettre avocat.pdf"
    assert stored.read_bytes() == TEXT_PDF.read_bytes()
    assert source.exists()  # the file given is never moved nor changed
    assert doc.scanned_at == SCAN_DATE
    assert (doc.method, doc.pages, doc.content_type) == ("text-layer", 2, "application/pdf")
    assert "Lacroix" in doc.text


def test_stored_name_cannot_escape_the_originals_store(settings, tmp_path: Path) -> None:
    source = tmp_path / "..;rm -rf $HOME;.pdf"
    shutil.copyfile(TEXT_PDF, source)
    doc = read_scan_file(source, settings, name="../../etc/passwd.pdf")
    stored = Path(doc.path).resolve()
    assert stored.is_relative_to((settings.paths.home / "scans" / "originaux").resolve())
    assert stored.name.endswith("-passwd.pdf")


# --------------------------------------------------------------------------- the drop folder


def test_dropped_letter_opens_a_dossier_dated_by_the_scan_and_leaves_the_folder(settled: Runtime) -> None:
    dropped = drop(settled, TEXT_PDF)
    assert poll_drop_folder(settled, Pipeline(settled)) == 1
    assert not dropped.exists()
    with settled.sessions() as session:
        dossier = session.scalars(select(Dossier)).one()
        scan_file = session.scalars(select(ScanFile)).one()
    assert dossier.channel == "courrier"
    assert dossier.received_at == SCAN_DATE
    stored = Path(scan_file.stored_path)
    assert stored.read_bytes() == TEXT_PDF.read_bytes()
    assert stored.is_relative_to(settled.settings.paths.home / "scans" / "originaux")


def test_same_file_dropped_twice_is_stored_once(settled: Runtime) -> None:
    pipeline = Pipeline(settled)
    drop(settled, TEXT_PDF, "scan-0001.pdf")
    assert poll_drop_folder(settled, pipeline) == 1
    again = drop(settled, TEXT_PDF, "scan-0002.pdf")  # scanned again, saved under another name
    result = ingest_scan_file(settled, pipeline, again)
    assert result.outcome.outcome is IngestOutcome.DUPLICATE
    assert result.outcome.reference is not None and result.doc is None  # recognised before any reading
    assert poll_drop_folder(settled, pipeline) == 1
    assert list(settled.settings.scan_drop_folder.iterdir()) == []
    assert (count(settled, Dossier), count(settled, Message), count(settled, ScanFile)) == (1, 1, 1)
    assert len(list((settled.settings.paths.home / "scans" / "originaux").rglob("*.pdf"))) == 1


def test_temporary_names_are_never_picked_up(settled: Runtime) -> None:
    names = ["scan.pdf.part", "scan.tmp", "~$lettre.pdf", ".scan.pdf", "lettre.pdf.crdownload"]
    for name in names:
        drop(settled, TEXT_PDF, name)
    assert all(is_temporary_name(n) for n in names)
    assert poll_drop_folder(settled, Pipeline(settled)) == 0
    assert sorted(p.name for p in settled.settings.scan_drop_folder.iterdir()) == sorted(names)
    assert count(settled, Message) == 0


def test_file_still_being_written_is_not_picked_up_until_stable(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    rt.settings.scans.settle_seconds = 1.0
    folder = rt.settings.scan_drop_folder
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "lettre-en-cours.pdf"
    data = TEXT_PDF.read_bytes()
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    done = threading.Event()

    def slow_scanner() -> None:
        # a network scanner writing the file in pieces, well within the settle delay of each other
        with target.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                fh.flush()
                time.sleep(0.25)
        done.set()

    writer = threading.Thread(target=slow_scanner)
    writer.start()
    pipeline = Pipeline(rt)
    polls_while_writing = 0
    while not done.is_set():
        assert poll_drop_folder(rt, pipeline) == 0, "a file still being written was taken"
        polls_while_writing += 1
        time.sleep(0.1)
    writer.join()
    assert polls_while_writing >= 5
    assert target.exists() and count(rt, Message) == 0
    deadline = time.monotonic() + 10
    taken = 0
    while not taken and time.monotonic() < deadline:
        taken = poll_drop_folder(rt, pipeline)
        time.sleep(0.2)
    assert taken == 1
    with rt.sessions() as session:
        message = session.scalars(select(Message)).one()
        assert message.dossier_id is not None  # the whole file was read: a half PDF would be quarantined
        blob = session.get(RawBlob, message.raw_blob_id)
        assert blob is not None and bytes(blob.data) == data


def test_settle_watcher_uses_its_own_observations_when_file_times_are_in_the_future(tmp_path: Path) -> None:
    # a network share whose clock runs ahead: file times never look old, so the watcher's own
    # observation of an unchanged file decides
    (tmp_path / "lettre.pdf").write_bytes(b"%PDF-1.4 ...")
    future = time.time() + 3600
    os.utime(tmp_path / "lettre.pdf", (future, future))
    clock = [100.0]
    watcher = SettleWatcher(clock=lambda: clock[0])
    assert watcher.ready(tmp_path, 2.0) == []
    clock[0] += 1.0
    assert watcher.ready(tmp_path, 2.0) == []
    clock[0] += 1.5
    assert watcher.ready(tmp_path, 2.0) == [tmp_path / "lettre.pdf"]


def test_corrupt_file_is_rejected_with_reason_and_quarantined_and_the_next_file_still_taken(
    settled: Runtime,
) -> None:
    corrupt = TEXT_PDF.read_bytes()[:3000]
    folder = settled.settings.scan_drop_folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "abime.pdf").write_bytes(corrupt)
    os.utime(folder / "abime.pdf", (SCAN_DATE.timestamp() - 60, SCAN_DATE.timestamp() - 60))  # taken first
    drop(settled, TEXT_PDF, "bonne.pdf")
    assert poll_drop_folder(settled, Pipeline(settled)) == 2
    assert list(folder.iterdir()) == []
    [(rejected, reason)] = rejected_files(settled.settings)
    assert rejected.read_bytes() == corrupt
    assert reason == "fichier PDF illisible ou endommagé"
    note = rejected.with_name(rejected.name + ".reason.txt").read_text(encoding="utf-8")
    assert "Motif : fichier PDF illisible ou endommagé" in note and "abime.pdf" in note
    with settled.sessions() as session:
        item = session.scalars(select(QuarantineItem)).one()
        blob = session.get(RawBlob, item.raw_blob_id)
        assert item.source == "scan" and item.reason == "fichier PDF illisible ou endommagé"
        assert blob is not None and bytes(blob.data) == corrupt
    assert count(settled, Dossier) == 1  # the good letter behind it went through


def test_missing_ocr_language_leaves_files_in_place_without_quarantine(settled: Runtime) -> None:
    settled.settings.scans.ocr_language = "zzz"  # an installation problem, not a bad letter
    dropped = drop(settled, IMAGE_JPEG)
    assert poll_drop_folder(settled, Pipeline(settled)) == 0
    assert dropped.exists()
    assert count(settled, QuarantineItem) == 0
    assert rejected_files(settled.settings) == []


@pytest.mark.postgres
def test_two_workers_polling_one_folder_store_a_letter_once(home: Path, pg_url: str) -> None:
    runtimes = [Runtime.open(make_settings(home, pg_url)) for _ in range(2)]
    try:
        for rt in runtimes:
            rt.settings.scans.settle_seconds = 0
        for i in range(3):
            drop(runtimes[0], TEXT_PDF, f"copie-{i}.pdf")
        errors: list[BaseException] = []

        def work(rt: Runtime) -> None:
            try:
                poll_drop_folder(rt, Pipeline(rt))
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)

        threads = [threading.Thread(target=work, args=(rt,)) for rt in runtimes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert list(runtimes[0].settings.scan_drop_folder.iterdir()) == []
        assert (count(runtimes[0], Dossier), count(runtimes[0], Message)) == (1, 1)
    finally:
        for rt in runtimes:
            rt.close()


@pytest.mark.ocr
def test_dropped_image_scan_is_read_by_tesseract_into_a_dossier(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    rt.settings.scans.settle_seconds = 0
    drop(rt, IMAGE_JPEG)
    assert poll_drop_folder(rt, Pipeline(rt)) == 1
    with rt.sessions() as session:
        message = session.scalars(select(Message)).one()
    assert message.scan_method == "ocr" and message.scan_pages == 1
    assert message.ocr_confidence is not None and message.ocr_confidence > 80
    assert "Beaurepaire" in message.body_text and "RSA" in message.body_text


# --------------------------------------------------------------------------- the command


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MEDIATURE_HOME": str(home),
        "MEDIATURE_SECRET_KEY": "test-secret-key-not-for-production",
    }
    env.pop("MEDIATURE_DATABASE_URL", None)
    env.pop("MEDIATURE_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-c", "from triage.cli import main; main()", *args],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_scan_add_prints_the_dossier_reference_and_json_counts(home: Path, tmp_path: Path) -> None:
    letter = tmp_path / "courrier-avocat.pdf"
    shutil.copyfile(TEXT_PDF, letter)
    broken = tmp_path / "abime.png"
    broken.write_bytes((SCANS / "scan-01-cmi-refus.png").read_bytes()[:20_000])
    first = run_cli(home, "scan", "add", "--json", str(letter), str(broken))
    assert first.returncode == 1, first.stderr  # something went to quarantine: the mail service must notice
    report = json.loads(first.stdout)
    assert (report["files"], report["dossiers_opened"], report["quarantined"]) == (2, 1, 1)
    opened, rejected = report["items"]
    assert opened["reference"].startswith("MED-") and opened["method"] == "text-layer"
    assert rejected["outcome"] == "quarantined" and rejected["reason"] == "fichier PNG illisible ou endommagé"
    assert letter.exists() and broken.exists()  # `scan add` copies, never moves
    again = run_cli(home, "scan", "add", str(letter))
    assert again.returncode == 0, again.stderr
    assert opened["reference"] in again.stdout and "déjà importé" in again.stdout


def test_scan_status_lists_waiting_and_rejected_files(home: Path) -> None:
    settings = make_settings(home)
    folder = settings.scan_drop_folder
    folder.mkdir(parents=True)
    (folder / "lettre.pdf.part").write_bytes(b"%PDF-1.4")
    rejected = home / "scans" / "rejetes"
    rejected.mkdir(parents=True)
    (rejected / "0123456789abcdef-vide.pdf").write_bytes(b"")
    (rejected / "0123456789abcdef-vide.pdf.reason.txt").write_text("Motif : fichier vide\n", encoding="utf-8")
    result = run_cli(home, "scan", "status")
    assert result.returncode == 0, result.stderr
    assert "lettre.pdf.part" in result.stdout and "nom temporaire" in result.stdout
    assert "fichier vide" in result.stdout
