"""The page-by-page transcription of scanned letters: what OCR read, how sure Tesseract was, and the text
a person corrected (« Vérifier la transcription »).

A page is « transcription à vérifier » while it was read by OCR with a mean word confidence under the
configured threshold (``scans.transcription_check_below``) and nobody has saved its text since. Saving
keeps the OCR text beside the corrected one and rewrites the message's ``body_text`` (what the dossier
shows, what the suggester reads and what full-text search indexes: the SQLite triggers and PostgreSQL
expression indexes of triage.store.search follow ``body_text``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from triage.errors import DossierError, NotFoundError
from triage.records import Requester
from triage.store.models import Dossier, Message, RawBlob, ScanPageRow, StoredAttachment

PAGE_BREAK = "\n\f\n"  # as triage.sources.ocr.ScanText.text: page boundaries survive in body_text
MAX_PAGE_CHARS = 20000


@dataclass(frozen=True)
class PageTranscription:
    """One page of a scanned letter as the verification page shows it."""

    number: int
    method: str  # "ocr" or "text-layer"
    confidence: float | None  # 0-100, None for a PDF text layer
    ocr_text: str
    corrected_text: str | None  # None: never saved by a person
    corrected_at: datetime | None
    to_check: bool  # « transcription à vérifier »

    @property
    def text(self) -> str:
        """The page as currently known: corrected when someone saved it, else as read."""
        return self.ocr_text if self.corrected_text is None else self.corrected_text


@dataclass(frozen=True)
class ScanTranscription:
    """A scanned letter with its pages, the dossier it belongs to and where its original is."""

    message_id: int
    dossier_id: int | None
    reference: str | None
    triage_status: str | None  # the dossier's (None: on no dossier)
    filename: str
    content_type: str
    pages: tuple[PageTranscription, ...]

    @property
    def to_check(self) -> bool:
        """At least one page still « à vérifier »."""
        return any(p.to_check for p in self.pages)


@dataclass(frozen=True)
class SavedTranscription:
    """What saving changed: the pages whose text differs from before, and the letter's new text."""

    message_id: int
    dossier_id: int | None
    reference: str | None
    triage_status: str | None
    changed_pages: tuple[int, ...]
    verified_pages: tuple[int, ...]  # every page saved (changed or confirmed as read)
    text: str


def _to_check(threshold: float) -> ColumnElement[bool]:
    return and_(
        ScanPageRow.method == "ocr",
        ScanPageRow.confidence.is_not(None),
        ScanPageRow.confidence < threshold,
        ScanPageRow.corrected_at.is_(None),
    )


@dataclass(frozen=True)
class TranscriptionFlag:
    """A dossier's letter whose transcription is « à vérifier »: which message, how many pages."""

    message_id: int
    pages: int


def dossiers_to_check(
    session: Session, threshold: float, dossier_ids: Iterable[int]
) -> dict[int, TranscriptionFlag]:
    """Dossier id -> its first letter with pages « transcription à vérifier » (absent: none)."""
    ids = list(dossier_ids)
    if not ids or threshold <= 0:
        return {}
    rows = session.execute(
        select(Message.dossier_id, Message.id, func.count())
        .join(ScanPageRow, ScanPageRow.message_id == Message.id)
        .where(Message.dossier_id.in_(ids), _to_check(threshold))
        .group_by(Message.dossier_id, Message.id)
        .order_by(Message.id)
    ).all()
    flags: dict[int, TranscriptionFlag] = {}
    for dossier_id, message_id, pages in rows:
        if dossier_id is not None:
            flags.setdefault(int(dossier_id), TranscriptionFlag(int(message_id), int(pages)))
    return flags


def messages_to_check(session: Session, threshold: float, message_ids: Iterable[int]) -> dict[int, int]:
    """Message id -> how many of its pages are « transcription à vérifier » (absent: none)."""
    ids = list(message_ids)
    if not ids or threshold <= 0:
        return {}
    rows = session.execute(
        select(ScanPageRow.message_id, func.count())
        .where(ScanPageRow.message_id.in_(ids), _to_check(threshold))
        .group_by(ScanPageRow.message_id)
    ).all()
    return {int(m): int(n) for m, n in rows}


def load_transcription(session: Session, message_id: int, threshold: float) -> ScanTranscription:
    """A scanned letter's pages (NotFoundError when the message is not a scan with pages)."""
    row = session.execute(
        select(Message.id, Message.dossier_id, Message.source, Dossier.reference, Dossier.triage_status)
        .outerjoin(Dossier, Dossier.id == Message.dossier_id)
        .where(Message.id == message_id)
    ).first()
    if row is None or row.source != "scan":
        raise NotFoundError("courrier numérisé introuvable")
    attachment = session.execute(
        select(StoredAttachment.filename, StoredAttachment.content_type)
        .where(StoredAttachment.message_id == message_id)
        .order_by(StoredAttachment.id)
    ).first()
    pages = tuple(
        PageTranscription(
            number=p.number,
            method=p.method,
            confidence=p.confidence,
            ocr_text=p.ocr_text,
            corrected_text=p.corrected_text,
            corrected_at=p.corrected_at,
            to_check=(
                threshold > 0
                and p.method == "ocr"
                and p.confidence is not None
                and p.confidence < threshold
                and p.corrected_at is None
            ),
        )
        for p in session.scalars(
            select(ScanPageRow).where(ScanPageRow.message_id == message_id).order_by(ScanPageRow.number)
        )
    )
    if not pages:
        raise NotFoundError("ce courrier n'a pas de transcription page par page")
    return ScanTranscription(
        message_id=row.id,
        dossier_id=row.dossier_id,
        reference=row.reference,
        triage_status=row.triage_status,
        filename=attachment.filename if attachment else "",
        content_type=attachment.content_type if attachment else "",
        pages=pages,
    )


def scan_original(session: Session, message_id: int) -> tuple[bytes, str]:
    """The original file of a scanned letter (bytes, content type); NotFoundError when not kept."""
    row = session.execute(
        select(RawBlob.data, StoredAttachment.content_type)
        .join(StoredAttachment, StoredAttachment.blob_id == RawBlob.id)
        .join(Message, Message.id == StoredAttachment.message_id)
        .where(Message.id == message_id, Message.source == "scan")
        .order_by(StoredAttachment.id)
    ).first()
    if row is None:
        raise NotFoundError("original du courrier introuvable")
    return bytes(row.data), str(row.content_type)


def _clean(text: str) -> str:
    # what a browser sends (CRLF, trailing spaces) compared with what Tesseract gave
    return "\n".join(
        line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ).strip()


def save_transcription(
    session: Session, message_id: int, texts: Mapping[int, str], user_id: int | None, now: datetime
) -> SavedTranscription:
    """Keep the texts a person saved for the given pages (OCR text untouched), clear their « à vérifier »
    and rewrite the message's body_text from every page. Every page must be given."""
    rows = list(
        session.scalars(
            select(ScanPageRow).where(ScanPageRow.message_id == message_id).order_by(ScanPageRow.number)
        )
    )
    message = session.execute(
        select(Message.id, Message.dossier_id, Message.source, Dossier.reference, Dossier.triage_status)
        .outerjoin(Dossier, Dossier.id == Message.dossier_id)
        .where(Message.id == message_id)
    ).first()
    if message is None or message.source != "scan" or not rows:
        raise NotFoundError("courrier numérisé introuvable")
    if set(texts) != {r.number for r in rows}:
        raise DossierError("la transcription envoyée ne correspond pas aux pages du courrier")
    changed = []
    for row in rows:
        text = _clean(texts[row.number])[:MAX_PAGE_CHARS]
        current = row.ocr_text if row.corrected_text is None else row.corrected_text
        if text != _clean(current):
            changed.append(row.number)
        row.corrected_text, row.corrected_at, row.corrected_by_id = text, now, user_id
    body = PAGE_BREAK.join(r.corrected_text or "" for r in rows).strip()
    session.execute(update(Message).where(Message.id == message_id).values(body_text=body))
    session.flush()
    return SavedTranscription(
        message_id=message_id,
        dossier_id=message.dossier_id,
        reference=message.reference,
        triage_status=message.triage_status,
        changed_pages=tuple(changed),
        verified_pages=tuple(r.number for r in rows),
        text=body,
    )


_REQUESTER_COLUMNS = {
    "name": "requester_name",
    "email": "requester_email",
    "phone": "requester_phone",
    "address": "requester_address",
    "postcode": "requester_postcode",
    "commune": "requester_commune",
    "territory": "requester_territory",
}


def dossier_requester(session: Session, dossier_id: int) -> Requester:
    """Who the dossier is about, as recorded."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFoundError("dossier introuvable")
    return Requester(
        civility=dossier.requester_civility or "",
        **{field: getattr(dossier, column) or "" for field, column in _REQUESTER_COLUMNS.items()},
    )


def fill_blank_requester(session: Session, dossier_id: int, requester: Requester) -> tuple[str, ...]:
    """Write the requester's fields that are still empty on the dossier (never overwrite); which were."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFoundError("dossier introuvable")
    filled = []
    for field, column in _REQUESTER_COLUMNS.items():
        value = getattr(requester, field)
        if value and not getattr(dossier, column):
            setattr(dossier, column, value.lower() if field == "email" else value)
            filled.append(field)
    return tuple(filled)


def ocr_text(session: Session, message_id: int) -> str | None:
    """The letter as OCR read it, when a person has since changed its text (else None)."""
    pages = session.scalars(
        select(ScanPageRow).where(ScanPageRow.message_id == message_id).order_by(ScanPageRow.number)
    ).all()
    if not any(p.corrected_text is not None and p.corrected_text != p.ocr_text for p in pages):
        return None
    return PAGE_BREAK.join(p.ocr_text for p in pages).strip()
