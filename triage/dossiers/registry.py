"""Which dossier a message belongs to: references in texts, threads through our Message-IDs and signed
reply addresses, the requester read from a message, what cannot be attached safely (flagged), and bounces.

Opening a dossier is triage.dossiers.opening; its status machine triage.dossiers.statuses; its
timeline triage.dossiers.timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage.correspondence.answers import reply_address_references, written_to
from triage.dossiers.msgid import looks_like_ours, reference_from_message_id
from triage.parse.webform import full_name
from triage.records import Bounce, Extraction, ParsedMessage, Requester
from triage.store.messages import insert_ignore
from triage.store.models import AddressStatus, Dossier
from triage.suggest.communes import Communes, default_communes

_PLAIN_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$"
)


def usable_address(address: str) -> str:
    """The address lower-cased if it is a plain one we can write to, else "" (kept on the message only)."""
    address = (address or "").strip().lower()
    return address if _PLAIN_ADDRESS.match(address) and ".." not in address else ""


def reference_pattern(prefix: str) -> re.Pattern[str]:
    """Matches a dossier reference with this prefix anywhere in a text (case-insensitive)."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(prefix)}-(\d{{4}})-(\d{{5}})(?!\d)", re.IGNORECASE)


def references_in_text(text: str, prefix: str) -> list[str]:
    """Dossier references quoted in a subject or a letter, upper-cased, without repeats."""
    found: list[str] = []
    for match in reference_pattern(prefix).finditer(text or ""):
        ref = f"{prefix.upper()}-{match.group(1)}-{match.group(2)}"
        if ref not in found:
            found.append(ref)
    return found


def requester_from_message(parsed: ParsedMessage, communes: Communes | None = None) -> Requester:
    """Who wrote: the web form's fields, or the sender of an email."""
    communes = communes or default_communes()
    form = parsed.form
    if form is not None:
        return Requester(
            name=full_name(form),
            email=usable_address(parsed.requester_address),
            phone=form.phone,
            address=form.address,
            postcode=form.postcode,
            commune=form.commune,
            territory=communes.territory(form.postcode, form.commune),
            civility=form.civility,
        )
    name = parsed.from_name if "@" not in parsed.from_name else ""
    return Requester(name=name, email=usable_address(parsed.requester_address))


def complete_requester(
    requester: Requester, extracted: Extraction, communes: Communes | None = None
) -> Requester:
    """Fill the empty fields from what the suggester extracted (names, emails, phones, postcodes...)."""

    def first(values: tuple[str, ...]) -> str:
        return values[0].strip() if values else ""

    values = {
        "name": requester.name or first(extracted.names),
        "email": requester.email or usable_address(first(extracted.emails)),
        "phone": requester.phone or first(extracted.phones),
        "address": requester.address or extracted.address.strip(),
        "postcode": requester.postcode or first(extracted.postcodes),
        "commune": requester.commune or first(extracted.communes),
        "civility": requester.civility,
    }
    territory = (
        requester.territory
        or (communes or default_communes()).territory(values["postcode"], values["commune"])
        or extracted.territory.strip()
    )
    return Requester(territory=territory, **values)


@dataclass(frozen=True)
class Thread:
    """Which existing dossier a message points at, and whether it may join it."""

    dossier: Dossier | None  # the dossier pointed at (None: a new request)
    via: str = ""  # "message-id", "adresse de réponse" or "objet"
    safe: bool = False  # the sender is the dossier's known address, or one we wrote to (signed reply only)
    reference: str = ""  # the reference pointed at, even when no such dossier exists
    forged: bool = False  # one of "our" ids failed its HMAC check
    from_requester: bool = False  # the sender is the requester's known address
    service_answer: bool = False  # the sender received a transmission of this dossier from us


def resolve(session: Session, reference: str) -> Dossier | None:
    """The dossier of a reference, following merges; None when unknown."""
    dossier = session.scalar(select(Dossier).where(Dossier.reference == reference))
    seen = set()
    while dossier is not None and dossier.merged_into_id and dossier.id not in seen:
        seen.add(dossier.id)
        dossier = session.get(Dossier, dossier.merged_into_id)
    return dossier


def find_thread(session: Session, secret: bytes, prefix: str, parsed: ParsedMessage) -> Thread:
    """The dossier a message replies to: one of our Message-IDs (HMAC verified), a signed reply address,
    else a reference in the subject. `safe` when the sender is the dossier's known address, or, for a
    signed reply, an address the mediation wrote to about this dossier (a service, a partner)."""
    ids = ([parsed.in_reply_to] if parsed.in_reply_to else []) + list(reversed(parsed.references))
    forged = any(looks_like_ours(i) and reference_from_message_id(secret, i) is None for i in ids)
    candidates: list[tuple[str, str]] = []
    for mid in ids:
        ref = reference_from_message_id(secret, mid)
        if ref:
            candidates.append((ref, "message-id"))
    candidates += [(ref, "adresse de réponse") for ref in reply_address_references(secret, parsed)]
    candidates += [(ref, "objet") for ref in references_in_text(parsed.subject, prefix)]
    sender = parsed.requester_address
    for ref, via in candidates:
        dossier = resolve(session, ref)
        if dossier is None:
            continue
        known = (dossier.requester_email or "").lower()
        requester = bool(sender) and sender == known
        correspondents = (
            written_to(session, dossier.id) if sender and via != "objet" and not requester else {}
        )
        return Thread(
            dossier,
            via,
            requester or sender in correspondents,
            ref,
            forged,
            requester,
            correspondents.get(sender, False),
        )
    return Thread(None, reference=candidates[0][0] if candidates else "", forged=forged)


_ADDRESS_IN_TEXT = re.compile(r"[^\s<>()\"',;:@]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def suspicious_sender(parsed: ParsedMessage, own_addresses: list[str]) -> str:
    """Why the sender looks forged ("" when it does not): our own address as sender, or a display
    name carrying another address than the real one (« Médiation <mediation@…> » <x@elsewhere>)."""
    real = parsed.from_address.lower()
    own = {a.lower() for a in own_addresses}
    if parsed.form is None and real in own:
        return (
            f"Message entrant qui se présente comme envoyé par la médiation elle-même ({real}) : "
            "usurpation ou boucle possible, à vérifier."
        )
    shown = [a.lower() for a in _ADDRESS_IN_TEXT.findall(parsed.from_name)]
    other = [a for a in shown if a != real]
    if other:
        return (
            f"Expéditeur suspect : le nom affiché contient l'adresse {other[0]} "
            "alors que le message vient de "
            f"{real or 'une adresse inconnue'} (usurpation possible) ; aucun dossier ouvert, rien envoyé."
        )
    return ""


def flag_reason(thread: Thread, sender: str) -> str:
    """Why a reply was kept aside instead of joining its dossier (French, for the mediator)."""
    assert thread.dossier is not None
    how = {"message-id": "un de nos messages", "adresse de réponse": "l'adresse de réponse du dossier"}.get(
        thread.via, "la référence dans l'objet"
    )
    if not thread.dossier.requester_email:
        return (
            f"Message qui se rattache au dossier {thread.dossier.reference} ({how}), mais ce dossier n'a "
            f"pas d'adresse électronique connue : à vérifier avant de le rattacher."
        )
    return (
        f"Message qui se rattache au dossier {thread.dossier.reference} ({how}), envoyé depuis une "
        f"adresse ({sender or 'inconnue'}) différente de celle du dossier et de celles auxquelles la médiation "
        "a écrit : à vérifier avant de le rattacher."
    )


def bounce_dossier(
    session: Session, secret: bytes, prefix: str, bounce: Bounce
) -> tuple[Dossier | None, str]:
    """The dossier whose message bounced: our HMAC'd Message-ID, or the reference of the returned
    subject when the failed recipient is that dossier's address. Returns (dossier, how)."""
    ref = reference_from_message_id(secret, bounce.original_message_id)
    if ref:
        dossier = resolve(session, ref)
        if dossier is not None:
            return dossier, "message-id"
    recipient = (bounce.recipient or "").lower()
    if recipient:
        for ref in references_in_text(bounce.original_subject, prefix):
            dossier = resolve(session, ref)
            if dossier is not None and (dossier.requester_email or "").lower() == recipient:
                return dossier, "objet et destinataire"
    return None, ""


def record_bounce(session: Session, address: str, permanent: bool, note: str = "", *, at: datetime) -> None:
    """Count a bounce for an address; a permanent failure stops automatic mail to it."""
    address = address.strip().lower()[:320]
    if not address:
        return
    insert_ignore(session, AddressStatus, {"address": address, "bounce_count": 0, "note": ""}, ["address"])
    values: dict[str, Any] = {"bounce_count": AddressStatus.bounce_count + 1}
    if permanent:
        values["hard_bounced_at"] = at
    if note:
        values["note"] = note[:500]
    session.execute(update(AddressStatus).where(AddressStatus.address == address).values(**values))
