"""Files given to `mediature suggest`: .eml, .txt, .pdf and images, read without database or network."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.config import Settings
from triage.errors import MediatureError, OcrError, ParseError
from triage.parse.message import parse_message
from triage.records import WebForm
from triage.sources.ocr import read_text
from triage.suggest.text import suggestion_text

TEXT_SUFFIXES = {".txt", ".text", ".md"}
MAIL_SUFFIXES = {".eml", ".msg", ".box"}
SCAN_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}


@dataclass(frozen=True)
class Request:
    """What the suggester reads from one file."""

    source: str
    text: str
    sender: str = ""
    form: WebForm | None = None
    method: str = "texte"  # texte, courriel, couche-texte, ocr


def expand(paths: list[Path]) -> Iterator[Path]:
    """Files in the order given; a folder gives its readable files, sorted by name."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | MAIL_SUFFIXES | SCAN_SUFFIXES
            )
        else:
            yield path


def strip_front_matter(text: str) -> str:
    """A corpus file starts with its labels between two « --- » lines: the suggester must not see them."""
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].strip() == "---":
        for i in range(1, min(len(lines), 40)):
            if lines[i].strip() == "---":
                return "\n".join(lines[i + 1 :]).strip()
    return text


def _mail(path: Path, data: bytes, settings: Settings) -> Request:
    try:
        parsed = parse_message(data, settings)
    except ParseError:
        # unreadable for the full parser: the standard library still gets at the text
        msg = email.message_from_bytes(data, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        sender = email.utils.parseaddr(str(msg.get("From", "")))[1]
        return Request(str(path), f"{msg.get('Subject', '')}\n\n{text}", sender=sender, method="courriel")
    sender = parsed.requester_address or parsed.from_address
    return Request(str(path), suggestion_text(parsed), sender=sender, form=parsed.form, method="courriel")


def _scan(path: Path, data: bytes, settings: Settings) -> Request:
    result = read_text(
        data, language=settings.scans.ocr_language, max_bytes=settings.scans.max_file_bytes, source=path
    )
    return Request(str(path), result.text, method=result.method)


def read_request(path: Path, settings: Settings) -> Request:
    """Read one file; raise a MediatureError (French) when it cannot be read."""
    if not path.is_file():
        raise MediatureError("fichier introuvable", key=str(path))
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix in MAIL_SUFFIXES:
        return _mail(path, data, settings)
    if suffix in SCAN_SUFFIXES:
        try:
            return _scan(path, data, settings)
        except OcrError as err:
            raise OcrError(err.message, key=str(path)) from err
    if suffix in TEXT_SUFFIXES or not suffix:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        return Request(str(path), strip_front_matter(text))
    raise MediatureError(
        f"type de fichier non pris en charge ({suffix}) : .eml, .txt, .pdf, .png, .jpg, .tif", key=str(path)
    )
