"""The directory of contacts in the database; the checks and the fallback on the configured directory are in
`triage/correspondence/contacts.py`. The web pages still receive the `Contact` rows, as their templates
read them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from triage.store.models import Contact


@dataclass(frozen=True)
class BodyEntry:
    """The directory's own entry for an outside body."""

    name: str
    email: str
    phone: str
    postal_address: str
    notes: str
    article: str | None


def directory(session: Session, *, active_only: bool = True) -> list[Contact]:
    """Every contact: services by direction then name, then outside bodies."""
    query = select(Contact).order_by(Contact.kind.desc(), Contact.direction, Contact.name)
    if active_only:
        query = query.where(Contact.active.is_(True))
    return list(session.scalars(query))


def find_contact(session: Session, contact_id: int) -> Contact | None:
    """The contact of this id, if any."""
    return session.get(Contact, contact_id)


def contact_with_code(session: Session, code: str) -> Contact | None:
    """The outside body's entry for this reorientation code, if any."""
    return session.scalar(select(Contact).where(Contact.code == code))


def write_contact(session: Session, contact: Contact) -> None:
    """Insert or update a contact (its id is known afterwards)."""
    session.add(contact)
    session.flush()


def body_entry(db: Session | Connection, code: str) -> BodyEntry | None:
    """The active entry of the outside body of this code; `db` may be a session or a Core connection."""
    row = db.execute(
        select(
            Contact.name, Contact.email, Contact.phone, Contact.postal_address, Contact.notes, Contact.article
        ).where(Contact.code == code, Contact.active.is_(True))
    ).first()
    if row is None:
        return None
    return BodyEntry(
        row.name, row.email or "", row.phone or "", row.postal_address or "", row.notes or "", row.article
    )
