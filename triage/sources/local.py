"""Local mail sources: .eml files, folders of them (recursive, sorted by name), Maildirs, mbox files.

Each message becomes a RawMessage whose source key is stable across runs: the absolute file path
for a file, ``<maildir>/<cur|new>/<unique name>`` for a Maildir message (the flags suffix ``:2,S``
is left out, since reading a message changes it), ``<mbox>#<n>`` for the n-th message of an mbox.
Scanned letters met on the way (PDF, PNG, JPEG, TIFF, sniffed from their bytes) are reported
separately for the scan stage.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from triage.errors import SourceError
from triage.parse.body import sniff
from triage.records import RawMessage

MAIL_SUFFIXES = {".eml", ".box", ".mail"}
MBOX_SUFFIXES = {".mbox", ".mbx"}
SCAN_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/tiff"}
SCAN_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}
_ENVELOPE = re.compile(rb"^From \S+ +\w{3} \w{3} +\d{1,2} \d\d:\d\d(:\d\d)? ", re.MULTILINE)


@dataclass(frozen=True)
class ScanFileRef:
    """A file that is a scanned letter rather than an email."""

    path: Path
    content_type: str


def is_maildir(path: Path) -> bool:
    """A folder with cur/ and new/ sub-folders."""
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def _head(path: Path, size: int = 65536) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def is_mbox(path: Path, head: bytes | None = None) -> bool:
    """An mbox file: by its name, or several « From » envelope lines in its first bytes."""
    if path.suffix.lower() in MBOX_SUFFIXES or path.name.lower() == "mbox":
        return True
    head = head if head is not None else _head(path)
    return head.startswith(b"From ") and len(_ENVELOPE.findall(head)) > 1


def scan_type(path: Path, head: bytes | None = None) -> str | None:
    """The MIME type of a scanned-letter file (PDF, PNG, JPEG, TIFF), or None."""
    kind = sniff(head if head is not None else _head(path))
    return kind if kind in SCAN_TYPES else None


def _maildir_messages(path: Path) -> Iterator[RawMessage]:
    for sub in ("new", "cur"):
        folder = path / sub
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not entry.is_file() or entry.name.startswith("."):
                continue
            unique = entry.name.split(":2,", 1)[0]
            yield RawMessage(
                source="maildir",
                source_key=f"{path.resolve()}/{sub}/{unique}",
                data=entry.read_bytes(),
                received_at=datetime.fromtimestamp(entry.stat().st_mtime, tz=UTC),
            )


def _envelope_date(from_line: str | None) -> datetime | None:
    if not from_line:
        return None
    parts = from_line.split(None, 1)
    if len(parts) < 2:
        return None
    try:
        value = datetime.strptime(" ".join(parts[1].split()[:5]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        try:
            return parsedate_to_datetime(parts[1])
        except (TypeError, ValueError):
            return None
    return value.replace(tzinfo=UTC)


def _mbox_messages(path: Path) -> Iterator[RawMessage]:
    box = mailbox.mbox(str(path), create=False)
    try:
        for index, key in enumerate(box.keys()):
            data = box.get_bytes(key)
            from_line = box.get_message(key).get_from()
            yield RawMessage(
                source="mbox",
                source_key=f"{path.resolve()}#{index}",
                data=data,
                received_at=_envelope_date(from_line),
            )
    finally:
        box.close()


def _file(path: Path) -> Iterator[RawMessage | ScanFileRef]:
    head = _head(path)
    kind = scan_type(path, head)
    if kind is not None:
        yield ScanFileRef(path, kind)
    elif is_mbox(path, head):
        yield from _mbox_messages(path)
    else:
        yield RawMessage(source="eml", source_key=str(path.resolve()), data=path.read_bytes())


def _wanted_in_folder(path: Path) -> bool:
    suffix = path.suffix.lower()
    return not path.name.startswith(".") and (
        suffix in MAIL_SUFFIXES | MBOX_SUFFIXES | SCAN_SUFFIXES or path.name.lower() == "mbox"
    )


def _folder(path: Path) -> Iterator[RawMessage | ScanFileRef]:
    if is_maildir(path):
        yield from _maildir_messages(path)
        return
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _folder(entry)
        elif entry.is_file() and _wanted_in_folder(entry):
            yield from _file(entry)


def read_paths(paths: list[Path]) -> Iterator[RawMessage | ScanFileRef]:
    """Every message (and scan file) under the given files and folders, in a stable order.

    A file named on the command line is always read (as mbox, scan or single message); inside a
    folder only mail, mbox and scan files are (README.md and the like are skipped)."""
    for path in paths:
        if not path.exists():
            raise SourceError(f"introuvable : {path}")
        if path.is_dir():
            yield from _folder(path)
        else:
            yield from _file(path)
