"""Right of access (RGPD art. 15): everything Médiature holds about one person, in one zip a citizen can read.

The person is found by email address, phone number, or name with postcode, across dossiers, their
messages and timelines, set-aside mail, quarantine, the outbox, the print queue and the audit log (who
consulted or changed their dossiers). The zip holds `synthese.html` (French, readable offline, no
script) and the original files: messages as .eml, attachments, scanned letters, letters sent or
printed. The export itself is audited (counts only).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from triage.errors import DossierError
from triage.notify.render import date_fr, render
from triage.privacy.erasure import normalise_email
from triage.runtime import Runtime
from triage.sources.scans import safe_name
from triage.store import access as stored
from triage.store.access import MessageCopy, digits
from triage.store.audit import Actor, record
from triage.store.db import Transaction
from triage.store.dossier_data import DossierLine


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


def _validated(who: Who) -> Who:
    email = normalise_email(who.email) if who.email else ""
    if who.phone and len(digits(who.phone)) < 9:
        raise DossierError("numéro de téléphone trop court")
    if who.name and not who.postcode:
        raise DossierError("un nom seul ne suffit pas : donnez aussi le code postal")
    if not (email or who.phone or who.name):
        raise DossierError("indiquez une adresse électronique, un téléphone ou un nom avec son code postal")
    return Who(email, who.phone.strip(), who.name.strip(), who.postcode.strip())


def find_dossiers(session: Transaction, who: Who) -> list[DossierLine]:
    """The person's dossiers, oldest first."""
    return stored.find_dossiers(session, who.email, who.phone, who.name, who.postcode)


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


def _message(m: MessageCopy, export: Export, folder: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "received_at": m.received_at,
        "direction": "reçu" if m.direction == "in" else "envoyé",
        "channel": m.channel,
        "subject": m.subject,
        "from": f"{m.from_name} <{m.from_address}>".strip(" <>"),
        "text": m.body_text,
        "files": [],
    }
    if m.ocr_text is not None:  # the letter was corrected by hand: what OCR had read is theirs to see too
        item["ocr_text"] = m.ocr_text
    if m.raw:
        ext = ".eml" if m.channel != "courrier" else ""
        item["files"].append(export.add_file(folder, f"message-{m.id}{ext}", m.raw))
    for f in m.attachments + m.scans:
        item["files"].append(export.add_file(folder, f.name, f.data))
    return item


def collect(session: Transaction, who: Who) -> Export:
    """Gather everything about `who` (see the module docstring)."""
    who = _validated(who)
    export = Export(who)
    for d in find_dossiers(session, who):
        folder = f"dossiers/{d.reference}"
        messages = [_message(m, export, folder) for m in stored.messages_of(session, d.id)]
        sent = []
        for s in stored.dispatches_of(session, d.id):
            name = f"courrier-{s.id}-{s.kind}.pdf" if s.printed else f"envoi-{s.id}-{s.kind}.eml"
            files = [export.add_file(folder, name, s.data)] if s.data else []
            sent.append(
                {
                    "at": s.at,
                    "kind": s.kind,
                    "to": s.to,
                    "subject": s.subject,
                    "status": s.status,
                    "files": files,
                }
            )
        export.dossiers.append(
            {
                "dossier": d,
                "messages": messages,
                "events": stored.steps_of(session, d.id),
                "notes": stored.notes_of(session, d.id),
                "sent": sent,
                "audit": stored.consultations_of(session, d.id),
            }
        )
    if who.email:
        for m in stored.loose_messages_from(session, who.email):
            export.loose.append(_message(m, export, "courriers-hors-dossier"))
        for q in stored.quarantined_naming(session, who.email):
            export.add_file("quarantaine", q.name, q.data)
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
