"""Right of access (RGPD art. 15): everything Médiature holds about one person, in one zip a citizen can read.

The person is found by email address, phone number, or name with postcode, across dossiers, their
messages and timelines, set-aside mail, quarantine, the outbox, the print queue and the audit log (who
consulted or changed their dossiers). The zip holds `synthese.html` (French, readable offline, no
script) and the original files: messages as .eml, attachments, scanned letters, letters sent or
printed. The export itself is audited (counts only).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from triage.errors import DossierError
from triage.notify.render import date_fr, render
from triage.privacy.erasure import normalise_email
from triage.runtime import Runtime
from triage.sources.scans import safe_name
from triage.store import transcriptions
from triage.store.audit import Actor, record
from triage.store.models import (
    AuditEntry,
    Dossier,
    Event,
    Message,
    Note,
    OutboxItem,
    PrintJob,
    QuarantineItem,
    RawBlob,
    ScanFile,
    StoredAttachment,
)


@dataclass(frozen=True)
class Who:
    """How the person is looked for (at least one of email, phone, or name with postcode)."""

    email: str = ""
    phone: str = ""
    name: str = ""
    postcode: str = ""

    def describe(self) -> str:
        """The criteria, in French, for the summary."""
        parts = []
        if self.email:
            parts.append(f"adresse électronique {self.email}")
        if self.phone:
            parts.append(f"téléphone {self.phone}")
        if self.name:
            parts.append(f"nom {self.name}" + (f" et code postal {self.postcode}" if self.postcode else ""))
        return ", ".join(parts)


def digits(phone: str) -> str:
    """The digits of a phone number, +33 folded to 0 (06 12 34 56 78 = 0612345678 = +33 6 12 34 56 78)."""
    only = re.sub(r"\D", "", phone)
    return "0" + only[2:] if only.startswith("33") and len(only) == 11 else only


def _validated(who: Who) -> Who:
    email = normalise_email(who.email) if who.email else ""
    if who.phone and len(digits(who.phone)) < 9:
        raise DossierError("numéro de téléphone trop court")
    if who.name and not who.postcode:
        raise DossierError("un nom seul ne suffit pas : donnez aussi le code postal")
    if not (email or who.phone or who.name):
        raise DossierError("indiquez une adresse électronique, un téléphone ou un nom avec son code postal")
    return Who(email, who.phone.strip(), who.name.strip(), who.postcode.strip())


def find_dossiers(session: Session, who: Who) -> list[Dossier]:
    """The person's dossiers, oldest first."""
    conds: list[Any] = []
    if who.email:
        conds.append(func.lower(Dossier.requester_email) == who.email)
        conds.append(
            Dossier.id.in_(select(Message.dossier_id).where(func.lower(Message.from_address) == who.email))
        )
    if who.name:
        conds.append(
            and_(
                func.lower(Dossier.requester_name) == who.name.lower(),
                Dossier.requester_postcode == who.postcode,
            )
        )
    found = list(session.scalars(select(Dossier).where(or_(*conds)))) if conds else []
    if who.phone:
        wanted = digits(who.phone)
        candidates = session.scalars(select(Dossier).where(Dossier.requester_phone != ""))
        found += [d for d in candidates if digits(d.requester_phone) == wanted]
    unique = {d.id: d for d in found}
    return sorted(unique.values(), key=lambda d: d.received_at)


@dataclass
class Export:
    """What was found, and the files to put in the zip."""

    who: Who
    dossiers: list[dict[str, Any]] = field(default_factory=list)
    loose: list[dict[str, Any]] = field(default_factory=list)
    quarantined: int = 0
    files: dict[str, bytes] = field(default_factory=dict)

    def add_file(self, folder: str, name: str, data: bytes) -> str:
        """Add a file under `folder`, with a unique safe name; returns its path in the zip."""
        base = f"{folder}/{safe_name(name) or 'fichier'}"
        path, n = base, 1
        while path in self.files:
            n += 1
            stem, dot, ext = base.rpartition(".")
            path = f"{stem}-{n}.{ext}" if dot else f"{base}-{n}"
        self.files[path] = data
        return path


def _blob(session: Session, blob_id: int | None) -> bytes:
    if blob_id is None:
        return b""
    return bytes(session.scalar(select(RawBlob.data).where(RawBlob.id == blob_id)) or b"")


def _message(session: Session, m: Message, export: Export, folder: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "received_at": m.received_at,
        "direction": "reçu" if m.direction == "in" else "envoyé",
        "channel": m.channel,
        "subject": m.subject,
        "from": f"{m.from_name} <{m.from_address}>".strip(" <>"),
        "text": m.body_text,
        "files": [],
    }
    read = transcriptions.ocr_text(session, m.id) if m.source == "scan" else None
    if read is not None:  # the letter was corrected by hand: what OCR had read is theirs to see too
        item["ocr_text"] = read
    raw = _blob(session, m.raw_blob_id)
    if raw:
        ext = ".eml" if m.channel != "courrier" else ""
        item["files"].append(export.add_file(folder, f"message-{m.id}{ext}", raw))
    for a in session.scalars(select(StoredAttachment).where(StoredAttachment.message_id == m.id)):
        data = _blob(session, a.blob_id)
        if data:
            item["files"].append(export.add_file(folder, a.filename or f"piece-{a.id}", data))
    for scan in session.scalars(select(ScanFile).where(ScanFile.message_row_id == m.id)):
        path = Path(scan.stored_path) if scan.stored_path else None
        if path is not None and path.is_file():
            item["files"].append(export.add_file(folder, scan.filename or path.name, path.read_bytes()))
    return item


def collect(session: Session, who: Who) -> Export:
    """Gather everything about `who` (see the module docstring)."""
    who = _validated(who)
    export = Export(who)
    for d in find_dossiers(session, who):
        folder = f"dossiers/{d.reference}"
        entry: dict[str, Any] = {
            "dossier": d,
            "messages": [],
            "events": [],
            "notes": [],
            "sent": [],
            "audit": [],
        }
        for m in session.scalars(
            select(Message).where(Message.dossier_id == d.id).order_by(Message.received_at)
        ):
            entry["messages"].append(_message(session, m, export, folder))
        entry["events"] = list(
            session.scalars(select(Event).where(Event.dossier_id == d.id).order_by(Event.at))
        )
        entry["notes"] = list(session.scalars(select(Note).where(Note.dossier_id == d.id).order_by(Note.at)))
        for o in session.scalars(
            select(OutboxItem).where(OutboxItem.dossier_id == d.id).order_by(OutboxItem.id)
        ):
            files = [export.add_file(folder, f"envoi-{o.id}-{o.kind}.eml", bytes(o.raw))] if o.raw else []
            entry["sent"].append(
                {
                    "at": o.sent_at or o.created_at,
                    "kind": o.kind,
                    "to": o.to_address,
                    "subject": o.subject,
                    "status": o.status,
                    "files": files,
                }
            )
        for p in session.scalars(select(PrintJob).where(PrintJob.dossier_id == d.id).order_by(PrintJob.id)):
            files = [export.add_file(folder, f"courrier-{p.id}-{p.kind}.pdf", bytes(p.pdf))] if p.pdf else []
            entry["sent"].append(
                {
                    "at": p.exported_at or p.created_at,
                    "kind": p.kind,
                    "to": "courrier postal",
                    "subject": "",
                    "status": p.status,
                    "files": files,
                }
            )
        entry["audit"] = list(
            session.scalars(select(AuditEntry).where(AuditEntry.dossier_id == d.id).order_by(AuditEntry.at))
        )
        export.dossiers.append(entry)
    if who.email:
        loose = select(Message).where(
            Message.dossier_id.is_(None), func.lower(Message.from_address) == who.email
        )
        for m in session.scalars(loose.order_by(Message.received_at)):
            export.loose.append(_message(session, m, export, "courriers-hors-dossier"))
        needle = who.email.encode()
        for q in session.scalars(select(QuarantineItem)):
            data = _blob(session, q.raw_blob_id)
            if needle in data.lower():
                export.add_file("quarantaine", f"element-{q.id}.eml", data)
                export.quarantined += 1
    return export


def write_zip(export: Export, output: Path, settings: Any, now: datetime) -> None:
    """The zip: synthese.html plus the original files."""
    html = render(
        "privacy/export.html.j2",
        export=export,
        service=settings.service,
        privacy=settings.privacy,
        retention=settings.retention.sentence(),
        now=now,
        date_fr=date_fr,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("synthese.html", html)
        for path, data in export.files.items():
            zf.writestr(path, data)
    tmp.replace(output)


def export_person(runtime: Runtime, who: Who, output: Path, actor: Actor) -> Export:
    """Find everything about `who`, write the zip to `output`, audit it (counts only, never the criteria)."""
    with runtime.sessions.begin() as session:
        export = collect(session, who)
        record(
            session,
            actor,
            "privacy.export",
            details={
                "dossiers": [e["dossier"].reference for e in export.dossiers],
                "files": len(export.files),
            },
        )
    write_zip(export, output, runtime.settings, runtime.clock())
    return export
