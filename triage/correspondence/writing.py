"""What the « Écrire » page chooses from: the recipients of a dossier and its attachments."""

from __future__ import annotations

from dataclasses import dataclass

from triage.correspondence.contacts import address_lines, directory, get_contact
from triage.errors import DossierError
from triage.notify.compose import OutgoingFile
from triage.notify.postal import postal_lines
from triage.store.db import Transaction
from triage.store.models import Dossier, StoredAttachment
from triage.store.writing import blob_bytes, sendable_attachments


@dataclass(frozen=True)
class Recipient:
    """Who a free message goes to, with what the email and the printed letter need."""

    key: str  # usager, contact:<id>, autre
    label: str
    email: str
    name: str
    lines: tuple[str, ...]
    to_requester: bool = False
    direction: str = ""  # a service of the Département: its direction (the report counts transmissions by it)


def requester(dossier: Dossier) -> Recipient:
    """The person who asked for mediation."""
    lines = (
        postal_lines(dossier.requester_address, dossier.requester_postcode, dossier.requester_commune)
        if (dossier.requester_address or "").strip()
        else ()
    )
    who = " ".join(p for p in (dossier.requester_civility, dossier.requester_name) if p).strip()
    return Recipient(
        "usager",
        f"L'usager — {dossier.requester_name or 'demandeur'}",
        dossier.requester_email or "",
        who,
        lines,
        True,
    )


def recipients(session: Transaction, dossier: Dossier) -> list[Recipient]:
    """The requester, then every active contact of the directory."""
    found = [requester(dossier)]
    for c in directory(session):
        label = f"{c.direction} — {c.name}" if c.direction else c.name
        found.append(Recipient(f"contact:{c.id}", label, c.email, c.name, address_lines(c)))
    return found


def chosen(
    session: Transaction, dossier: Dossier, key: str, *, email: str = "", name: str = "", postal: str = ""
) -> Recipient:
    """The recipient picked in the form (« autre » : typed by hand)."""
    if key == "usager":
        return requester(dossier)
    if key.startswith("contact:") and key[8:].isdigit():
        c = get_contact(session, int(key[8:]))
        return Recipient(
            key,
            c.name,
            c.email,
            c.name,
            address_lines(c),
            direction=c.direction if c.kind == "service" else "",
        )
    if key == "autre":
        lines = tuple(line.strip() for line in postal.splitlines() if line.strip())
        return Recipient("autre", name or email, email.strip(), name.strip(), lines)
    raise DossierError("destinataire inconnu", key=dossier.reference)


def dossier_attachments(session: Transaction, dossier: Dossier) -> list[StoredAttachment]:
    """The files of the dossier's messages that can be sent on (stored, not too large)."""
    return sendable_attachments(session, dossier.id)


def load_attachments(session: Transaction, dossier: Dossier, ids: list[int]) -> tuple[OutgoingFile, ...]:
    """The chosen dossier files with their bytes; refuses a file of another dossier."""
    allowed = {a.id: a for a in dossier_attachments(session, dossier)}
    files = []
    for attachment_id in ids:
        attachment = allowed.get(attachment_id)
        if attachment is None:
            raise DossierError("pièce jointe d'un autre dossier ou introuvable", key=dossier.reference)
        data = blob_bytes(session, attachment.blob_id)
        files.append(OutgoingFile(attachment.filename or "piece-jointe", attachment.content_type, data))
    return tuple(files)
