"""Scanned paper letters: the watched drop folder, `mediature scan add`, and the originals store.

Contract with the pipeline and the worker:

- ``read_scan_file(path: Path, settings: Settings) -> ScanDocument`` reads one file, turns it into
  text (triage.sources.ocr) and keeps a copy of the original under
  ``<home>/scans/originaux/<yyyy>/<sha256 prefix>-<name>``; ``ScanDocument.path`` names that copy,
  ``ScanDocument.scanned_at`` is the file's modification time (the dossier's date received, which
  the mediator may correct). It raises OcrError (with a French reason) when the file cannot be
  read; nothing is stored then. The caller reads the original bytes itself (``Path(doc.path)
  .read_bytes()``) and hands both to ``Pipeline.ingest_scan(doc, original)``, which stores the
  letter and remembers its SHA-256 (triage.store.scan_files) in one transaction.
- ``poll_drop_folder(runtime, pipeline, watcher=...) -> int`` takes every *complete* file of the drop
  folder (``settings.scan_drop_folder``), processes it and moves it out; it returns the number of
  files taken out. A file is complete when its size, modification and change times have not moved for
  ``scans.settle_seconds`` and its name is not a temporary one (``.part``, ``.tmp``, ``~$…``,
  dotfiles…); the caller keeps one ``SettleWatcher`` between polls (the worker does). Only once the
  pipeline has committed and returned the outcome is the file moved: a file read successfully leaves
  the folder for the originals store; a file that cannot be read goes to ``<home>/scans/rejetes/``
  beside a ``.reason.txt`` and is quarantined with its raw bytes and the reason. A file whose SHA-256
  is already recorded (``scan_files.earlier``, asked before any OCR) is a duplicate: stored once, the
  dropped copy is removed. One bad file never stops the others. This module writes no SQL.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from triage import logs
from triage.clock import PARIS
from triage.config import Settings
from triage.errors import OcrError
from triage.files import make_private, open_private, private_dir
from triage.parse.charsets import printable_name
from triage.records import DossierOutcome, IngestOutcome, ScanDocument, ScanPage
from triage.runtime import Runtime
from triage.sources.ocr import read_text, too_large_reason
from triage.sources.tesseract import OcrEngineMissing
from triage.store import scan_files

# Names that writers use while a file is not finished (browsers, Office, rsync, scanners' uploads).
_TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".filepart", "~")
_TEMPORARY_PREFIXES = (".", "~$", "~")
_SHA_PREFIX = 16
# A file this many times over the size limit is not even read into memory to be quarantined.
_NEVER_LOAD_FACTOR = 4
# An empty file is taken (and rejected) only after this long: before, a writer may still fill it.
_EMPTY_GRACE_SECONDS = 60.0


class ScanPipeline(Protocol):
    """What the drop folder needs from triage.pipeline.Pipeline."""

    def ingest_scan(self, doc: ScanDocument, original: bytes) -> DossierOutcome:
        """Open (or find) the dossier of one scanned letter, in one transaction."""
        ...

    def quarantine_bytes(
        self, source: str, source_key: str, data: bytes, reason: str, error_type: str = ""
    ) -> DossierOutcome:
        """Keep bytes that could not be read, with the reason."""
        ...


def originals_dir(settings: Settings) -> Path:
    """Where the originals of scanned letters are kept."""
    return settings.paths.home / "scans" / "originaux"


def rejected_dir(settings: Settings) -> Path:
    """Where unreadable scans are moved, each beside a .reason.txt."""
    return settings.paths.home / "scans" / "rejetes"


def is_temporary_name(name: str) -> bool:
    """True for names that writers use while the file is not finished (never picked up)."""
    lower = name.lower()
    return lower.startswith(_TEMPORARY_PREFIXES) or lower.endswith(_TEMPORARY_SUFFIXES)


def safe_name(name: str) -> str:
    """A file name safe to store: no folders, no control or shell-special characters, 120 chars at most."""
    name = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    name = re.sub(r"[^\w.\- ]+", "_", name).strip(" .") or "scan"
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 8:
        return f"{stem[: 120 - len(ext) - 1]}.{ext}"
    return name[:120]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_time(path: Path) -> datetime:
    """The scan date of a file: its modification time, in UTC."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _copy_atomically(source: Path, target: Path) -> None:
    # copy under a temporary name, then rename: a crash never leaves a half original in the store
    private_dir(target.parent)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, temp)
    shutil.copystat(source, temp)  # keeps the scan date (modification time)...
    make_private(temp)  # ...but not the scanner's permissions: a letter is for this account only
    with temp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(temp, target)


def store_original(
    settings: Settings, source: Path, sha256: str, scanned_at: datetime, *, name: str | None = None
) -> Path:
    """Copy a scan file into the originals store (once: an identical copy is left as it is)."""
    stored_name = f"{sha256[:_SHA_PREFIX]}-{safe_name(name or source.name)}"
    target = originals_dir(settings) / f"{scanned_at:%Y}" / stored_name
    if source.resolve() == target.resolve():
        return target
    if not (target.exists() and target.stat().st_size == source.stat().st_size):
        _copy_atomically(source, target)
    return target


def read_scan_file(
    path: Path, settings: Settings, *, name: str | None = None, scanned_at: datetime | None = None
) -> ScanDocument:
    """Read one scanned letter, keep its original, return its text (OcrError when unreadable).

    `name` and `scanned_at` replace the file's own name and modification time (a quarantined
    scan retried from a temporary file keeps its first name and date).
    """
    size = path.stat().st_size
    limit = settings.scans.max_file_bytes
    if size > limit:
        # checked before reading: the file is not loaded into memory for nothing
        raise OcrError(too_large_reason(size, limit), key=path.name)
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    scanned_at = scanned_at or file_time(path)
    name = safe_name(name or path.name)
    try:
        text = read_text(data, language=settings.scans.ocr_language, max_bytes=limit, source=path)
    except OcrError as err:
        raise OcrError(err.message, key=name) from err
    stored = store_original(settings, path, sha256, scanned_at, name=name)
    return ScanDocument(
        path=str(stored),
        filename=name,
        sha256=sha256,
        content_type=text.content_type,
        pages=len(text.pages),
        text=text.text,
        method=text.method,
        mean_confidence=text.mean_confidence,
        rotated_degrees=text.rotated_degrees,
        scanned_at=scanned_at,
        page_texts=tuple(ScanPage(p.number, p.text, p.method, p.confidence, p.words) for p in text.pages),
    )


# --------------------------------------------------------------------------- the drop folder


@dataclass
class _Seen:
    signature: tuple[int, int, int]  # size, mtime_ns, ctime_ns
    since: float  # time.monotonic() when this signature was first seen


class SettleWatcher:
    """Says which files of a folder are complete: unchanged for the settle delay, not temporary.

    A file qualifies when its modification and change times are both older than the delay (the
    change time cannot be set back by a copying tool), or, when the clocks disagree (a network
    share whose clock runs ahead), when this watcher has seen it unchanged for the delay.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time
    ) -> None:
        self._clock = clock
        self._wall = wall  # compared with the files' own times (seconds since the epoch)
        self._seen: dict[Path, _Seen] = {}

    def ready(self, folder: Path, settle_seconds: float) -> list[Path]:
        """Complete files of `folder`, oldest first."""
        now_wall, now = self._wall(), self._clock()
        ready: list[tuple[int, Path]] = []
        present: set[Path] = set()
        for entry in os.scandir(folder):
            if is_temporary_name(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            path = Path(entry.path)
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # moved away meanwhile (another worker)
            present.add(path)
            signature = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            seen = self._seen.get(path)
            if seen is None or seen.signature != signature:
                seen = self._seen[path] = _Seen(signature, now)
            age = now_wall - max(st.st_mtime, st.st_ctime)
            settled = settle_seconds <= 0 or age >= settle_seconds or now - seen.since >= settle_seconds
            # an empty file is usually a writer that has not started yet: give it a long while
            if st.st_size == 0 and age < max(_EMPTY_GRACE_SECONDS, 10 * settle_seconds):
                settled = False
            if settled:
                ready.append((st.st_mtime_ns, path))
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return [path for _, path in sorted(ready)]


# --------------------------------------------------------------------------- taking one file in


@dataclass(frozen=True)
class ScanResult:
    """What became of one scan file."""

    path: Path  # the file as given (drop folder or command line)
    outcome: DossierOutcome
    doc: ScanDocument | None = None  # None when the file could not be read (or was already stored)
    reason: str = ""  # why it was quarantined, in French


def ingest_scan_file(runtime: Runtime, pipeline: ScanPipeline, path: Path) -> ScanResult:
    """Read, store and ingest one scan file; an unreadable one is quarantined. Never raises for bad input.

    Already-imported bytes (same SHA-256) are recognised before any OCR is spent on them.
    StoreError (the database is down) and OcrEngineMissing (Tesseract not installed) propagate:
    the file is then left where it is, to be taken again later.
    """
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = scan_files.earlier(runtime.sessions, sha256)
    if earlier is not None:
        return ScanResult(path, earlier)
    start = time.perf_counter()
    try:
        doc = read_scan_file(path, runtime.settings)
    except OcrEngineMissing:
        raise
    except OcrError as err:
        reason = err.message
    except Exception as err:  # a decoder bug must not stop the run: keep the bytes, say why
        logs.failure("scan_read_failure", err)
        reason = f"erreur inattendue à la lecture du courrier ({type(err).__name__})"
    else:
        outcome = pipeline.ingest_scan(doc, data)
        logs.event(
            "scan_read",
            outcome=outcome.outcome,
            reference=outcome.reference,
            pages=doc.pages,
            method=doc.method,
            confidence=doc.mean_confidence,
            rotated=doc.rotated_degrees,
            sha256=sha256[:_SHA_PREFIX],
            duration_ms=round((time.perf_counter() - start) * 1000, 1),
        )
        return ScanResult(
            path, outcome, doc, outcome.detail if outcome.outcome is IngestOutcome.QUARANTINED else ""
        )
    outcome = pipeline.quarantine_bytes("scan", str(path), data, reason, "OcrError")
    logs.event("scan_unreadable", level=logging.WARNING, sha256=sha256[:_SHA_PREFIX])
    return ScanResult(path, outcome, None, reason)


def _reject(runtime: Runtime, result: ScanResult, sha256: str) -> Path:
    """Move a failed drop-folder file to the rejected folder, beside a .reason.txt saying why."""
    settings = runtime.settings
    folder = private_dir(rejected_dir(settings))
    target = folder / f"{sha256[:_SHA_PREFIX]}-{safe_name(result.path.name)}"
    received = file_time(result.path)
    note = (
        f"Fichier : {printable_name(result.path.name)}\n"
        f"Déposé le : {received.astimezone(PARIS):%d/%m/%Y à %H:%M}\n"
        f"Rejeté le : {runtime.clock().astimezone(PARIS):%d/%m/%Y à %H:%M}\n"
        f"Motif : {result.reason}\n"
        f"Empreinte SHA-256 : {sha256}\n"
        "Le fichier est aussi conservé en quarantaine (mediature quarantine list / retry).\n"
    )
    with open_private(target.with_name(target.name + ".reason.txt")) as fh:
        fh.write(note.encode("utf-8"))
    shutil.move(result.path, target)
    make_private(target)
    return target


def _take(runtime: Runtime, pipeline: ScanPipeline, path: Path) -> None:
    """Process one complete drop-folder file and move it out of the folder."""
    settings = runtime.settings
    size = path.stat().st_size
    if size > settings.scans.max_file_bytes * _NEVER_LOAD_FACTOR:
        # far too big to be a letter or to sit in the database: set aside, explained, not loaded
        reason = too_large_reason(size, settings.scans.max_file_bytes)
        _reject(
            runtime,
            ScanResult(path, DossierOutcome(IngestOutcome.QUARANTINED), reason=reason),
            _sha256_file(path),
        )
        logs.event("scan_too_large", level=logging.WARNING, size=size)
        return
    result = ingest_scan_file(runtime, pipeline, path)
    if result.outcome.outcome is IngestOutcome.QUARANTINED:
        _reject(runtime, result, result.doc.sha256 if result.doc else _sha256_file(path))
    else:
        # the original is in the store (or was already): the dropped copy can go
        path.unlink(missing_ok=True)


def poll_drop_folder(
    runtime: Runtime, pipeline: ScanPipeline, *, watcher: SettleWatcher | None = None, limit: int = 20
) -> int:
    """Take the complete files of the drop folder (at most `limit`, oldest first); return how many left it.

    `watcher` is the caller's, kept from one poll to the next (a fresh one when not given: file times
    alone then decide). The limit keeps one call short, so that a worker asked to stop does not wait
    for a whole pile of letters to be read; the rest is taken at the next call.
    """
    settings = runtime.settings
    folder = private_dir(settings.scan_drop_folder)  # a folder shared on purpose keeps its mode
    watcher = watcher or SettleWatcher()
    taken = 0
    for path in watcher.ready(folder, settings.scans.settle_seconds)[:limit]:
        try:
            _take(runtime, pipeline, path)
        except FileNotFoundError:
            continue  # another worker took it meanwhile
        except OcrEngineMissing as err:
            logs.event("ocr_unavailable", level=logging.ERROR, error=type(err).__name__, install=err.package)
            break  # every file would fail the same way: leave them all for later
        except PermissionError as err:
            # one file we may not read must not block the others; it stays and is retried
            logs.event("scan_file_error", level=logging.ERROR, error=type(err).__name__)
            continue
        taken += 1
    return taken


def rejected_files(settings: Settings) -> list[tuple[Path, str]]:
    """Files set aside in the rejected folder, each with the reason written beside it."""
    folder = rejected_dir(settings)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir()):
        if path.name.endswith(".reason.txt") or not path.is_file():
            continue
        note = path.with_name(path.name + ".reason.txt")
        reason = ""
        if note.exists():
            for line in note.read_text(encoding="utf-8").splitlines():
                if line.startswith("Motif : "):
                    reason = line[len("Motif : ") :]
        out.append((path, reason))
    return out
