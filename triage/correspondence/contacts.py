"""The directory of contacts: the Département's services (direction, service, email, postal address) and the
outside bodies of the taxonomy (keyed by their reorientation code), editable in the web interface.

An outside body with no entry of its own falls back to the configured reorientation directory
(triage/defaults/reorientation-targets.yaml or [triage] reorientation_file)."""

from __future__ import annotations

from dataclasses import dataclass

from triage.articles import checked_article
from triage.config import Settings
from triage.dossiers.tracking import Contact as TrackingContact
from triage.errors import DossierError, NotFoundError
from triage.store import contacts as stored
from triage.store.audit import Actor, record
from triage.store.db import CoreConnection, Transaction
from triage.store.models import Contact
from triage.workspace.labels import label_choices, reorientation_contact

KINDS = {"service": "Service du Département", "externe": "Organisme extérieur"}


@dataclass(frozen=True)
class ContactValues:
    """What the directory form holds."""

    kind: str
    name: str
    direction: str = ""
    email: str = ""
    phone: str = ""
    postal_address: str = ""
    code: str = ""  # outside body: its reorientation code
    notes: str = ""
    active: bool = True
    article: str | None = None  # le, la, l', les or "" (aucun); None: guessed from the name when shown


def directory(session: Transaction, *, active_only: bool = True) -> list[Contact]:
    """Every contact: services by direction then name, then outside bodies."""
    return stored.directory(session, active_only=active_only)


def get_contact(session: Transaction, contact_id: int) -> Contact:
    """One contact, or NotFoundError."""
    found = stored.find_contact(session, contact_id)
    if found is None:
        raise NotFoundError("contact introuvable", key=str(contact_id))
    return found


def save_contact(
    session: Transaction,
    settings: Settings,
    actor: Actor,
    values: ContactValues,
    contact_id: int | None = None,
) -> Contact:
    """Create or update a directory entry (checked: kind, name, email shape, known reorientation code)."""
    if values.kind not in KINDS:
        raise DossierError("choisissez service du Département ou organisme extérieur")
    name = " ".join(values.name.split())[:200]
    if not name:
        raise DossierError("donnez le nom du service ou de l'organisme")
    email = values.email.strip().lower()[:320]
    if email and (email.count("@") != 1 or any(c.isspace() or c in '<>,;"' for c in email)):
        raise DossierError("adresse de courriel invalide")
    code = values.code.strip()[:64] or None
    if values.kind == "externe" and code:
        known = dict(label_choices(settings).reorientation)
        if code not in known or code == "none":
            raise DossierError(f"code de réorientation inconnu : {code}")
        same = stored.contact_with_code(session, code)
        if same is not None and same.id != contact_id:
            raise DossierError(f"l'organisme « {known[code]} » a déjà sa fiche")
    elif values.kind == "service":
        code = None
    contact = get_contact(session, contact_id) if contact_id else Contact(name=name)
    contact.kind, contact.name, contact.code = values.kind, name, code
    contact.direction = " ".join(values.direction.split())[:200]
    contact.email, contact.phone = email, values.phone.strip()[:64]
    contact.postal_address = "\n".join(
        line.strip() for line in values.postal_address.splitlines() if line.strip()
    )
    contact.notes, contact.active = values.notes.strip()[:5000], values.active
    try:
        contact.article = checked_article(values.article)
    except ValueError as err:
        raise DossierError(str(err)) from err
    stored.write_contact(session, contact)
    record(session, actor, "directory.save", details={"contact_id": contact.id, "kind": contact.kind})
    return contact


def address_lines(contact: Contact) -> tuple[str, ...]:
    """The postal address, one element per line."""
    return tuple(line for line in (contact.postal_address or "").splitlines() if line.strip())


def body_contact(
    db: Transaction | CoreConnection, settings: Settings, code: str | None, *, fallback: bool = True
) -> TrackingContact | None:
    """The contact details of an outside body: its directory entry (completed by the configured directory),
    else, with `fallback`, the configured directory alone. `db` may be a session or a Core connection
    (the tracking pages read on their own connection)."""
    if not code or code == "none":
        return None
    entry = stored.body_entry(db, code)
    default = reorientation_contact(settings, code)
    if entry is None:
        return default if fallback else None
    lines = tuple(line for line in entry.postal_address.splitlines() if line.strip())
    return TrackingContact(
        name=entry.name,
        address_lines=lines or (default.address_lines if default else ()),
        phone=entry.phone or (default.phone if default else ""),
        email=entry.email,
        website=default.website if default else "",
        note=entry.notes or (default.note if default else ""),
        # the entry's own article; the configured one only when the entry keeps the configured name
        article=entry.article
        if entry.article is not None or default is None or default.name != entry.name
        else default.article,
    )
