"""Scanned paper letters: the watched drop folder, `mediature scan add`, and the originals store.

Contract with the pipeline and the worker:

- ``read_scan_file(path: Path, settings: Settings) -> ScanDocument`` reads one file, turns it into
  text (triage.ocr) and keeps a copy of the original under
  ``<home>/scans/originaux/<yyyy>/<sha256 prefix>-<name>``; ``ScanDocument.path`` names that copy,
  ``ScanDocument.scanned_at`` is the file's modification time (the dossier's date received, which
  the mediator may correct). It raises OcrError (with a French reason) when the file cannot be
  read; nothing is stored then. The caller reads the original bytes itself (``Path(doc.path)
  .read_bytes()``) and hands both to ``Pipeline.ingest_scan(doc, original, mark=...)``.
- ``poll_drop_folder(runtime, pipeline) -> int`` takes every *complete* file of the drop folder
  (``settings.scan_drop_folder``), processes it and moves it out; it returns the number of files
  taken out. A file is complete when its size, modification and change times have not moved for
  ``scans.settle_seconds`` and its name is not a temporary one (``.part``, ``.tmp``, ``~$…``,
  dotfiles…). A file read successfully leaves the folder for the originals store; a file that
  cannot be read goes to ``<home>/scans/rejetes/`` beside a ``.reason.txt`` and is quarantined
  with its raw bytes and the reason. A file whose SHA-256 is already in ``scan_files`` is a
  duplicate: stored once, the dropped copy is removed. One bad file never stops the others.
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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage import logs
from triage.config import Settings
from triage.errors import OcrError
from triage.ocr import read_text, too_large_reason
from triage.records import DossierOutcome, IngestOutcome, ScanDocument
from triage.runtime import Runtime
from triage.store.models import ScanFile
from triage.tesseract import OcrEngineMissing

log = logging.getLogger(__name__)

# Names that writers use while a file is not finished (browsers, Office, rsync, scanners' uploads).
_TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".filepart", "~")
_TEMPORARY_PREFIXES = (".", "~$", "~")
_SHA_PREFIX = 16
# A file this many times over the size limit is not even read into memory to be quarantined.
_NEVER_LOAD_FACTOR = 4

Mark = Callable[[Session, DossierOutcome], None]


class ScanPipeline(Protocol):
    """What the drop folder needs from triage.pipeline.Pipeline."""

    def ingest_scan(self, doc: ScanDocument, original: bytes, mark: Mark | None = None) -> DossierOutcome:
        """Open (or find) the dossier of one scanned letter, in one transaction."""
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
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)


def _copy_atomically(source: Path, target: Path) -> None:
    # copy under a temporary name, then rename: a crash never leaves a half original in the store
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, temp)
    shutil.copystat(source, temp)  # keeps the scan date (modification time)
    with temp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(temp, target)


def store_original(settings: Settings, source: Path, sha256: str, scanned_at: datetime) -> Path:
    """Copy a scan file into the originals store (once: an identical copy is left as it is)."""
    target = originals_dir(settings) / f"{scanned_at:%Y}" / f"{sha256[:_SHA_PREFIX]}-{safe_name(source.name)}"
    if source.resolve() == target.resolve():
        return target
    if not (target.exists() and target.stat().st_size == source.stat().st_size):
        _copy_atomically(source, target)
    return target


def read_scan_file(path: Path, settings: Settings) -> ScanDocument:
    """Read one scanned letter, keep its original, return its text (OcrError when unreadable)."""
    size = path.stat().st_size
    limit = settings.scans.max_file_bytes
    if size > limit:
        # checked before reading: the file is not loaded into memory for nothing
        raise OcrError(too_large_reason(size, limit), key=path.name)
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    scanned_at = file_time(path)
    try:
        text = read_text(data, language=settings.scans.ocr_language, max_bytes=limit, source=path)
    except OcrError as err:
        raise OcrError(err.message, key=path.name) from err
    stored = store_original(settings, path, sha256, scanned_at)
    return ScanDocument(
        path=str(stored),
        filename=path.name,
        sha256=sha256,
        content_type=text.content_type,
        pages=len(text.pages),
        text=text.text,
        method=text.method,
        mean_confidence=text.mean_confidence,
        rotated_degrees=text.rotated_degrees,
        scanned_at=scanned_at,
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

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[Path, _Seen] = {}

    def ready(self, folder: Path, settle_seconds: float) -> list[Path]:
        """Complete files of `folder`, oldest first."""
        now_wall, now = time.time(), self._clock()
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
            if settle_seconds <= 0 or age >= settle_seconds or now - seen.since >= settle_seconds:
                if st.st_size > 0:  # an empty file is a writer that has not started yet
                    ready.append((st.st_mtime_ns, path))
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return [path for _, path in sorted(ready)]

    def pending(self, folder: Path, settle_seconds: float) -> list[Path]:
        """Files present but not complete yet (still written, temporary names, empty)."""
        ready = set(self.ready(folder, settle_seconds))
        return sorted(p for p in folder.iterdir() if p.is_file() and p not in ready)
