"""Dossiers: open one (reference, tracking token, requester), find the dossier a message belongs to,
flag what cannot be attached safely, record bounces, change status, write the timeline.

References are ``PREFIX-YYYY-NNNNN``, sequential per year and gapless among committed dossiers: the
counter row of the year is created if missing (INSERT ... ON CONFLICT DO NOTHING) then incremented
with UPDATE ... RETURNING, which takes the row lock on PostgreSQL (concurrent openers queue behind
it until commit) and runs under SQLite's BEGIN IMMEDIATE write lock. A rolled-back transaction
gives its number back.

Opening a dossier and writing its timeline use prepared Core statements on the session's connection
(the ingestion hot path); the Dossier returned is attached to the session as if just loaded, so callers
can read and change it like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import String, Table, bindparam, case, cast, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, make_transient_to_detached

from triage.correspondence.answers import reply_address_references, written_to
from triage.dossiers.msgid import looks_like_ours, reference_from_message_id
from triage.dossiers.statuses import STATUSES, can_transition, status_label
from triage.dossiers.tracking import hash_token, new_check_key, new_token
from triage.errors import DossierError
from triage.parse.webform import full_name
from triage.records import Bounce, Channel, ParsedMessage, Requester
from triage.store.messages import connection, dialect_insert, insert_ignore
from triage.store.models import AddressStatus, Dossier, Event, ReferenceCounter
from triage.suggest.communes import Communes, default_communes

EVENT_RECEIVED = "demande_recue"
EVENT_MESSAGE = "message_recu"
EVENT_AUTO_REPLY = "reponse_automatique"
EVENT_BOUNCE = "non_distribue"
EVENT_FLAGGED = "message_signale"
EVENT_STATUS = "statut"


_PLAIN_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$"
)


def usable_address(address: str) -> str:
    """The address lower-cased if it is a plain one we can write to, else "" (kept on the message only)."""
    address = (address or "").strip().lower()
    return address if _PLAIN_ADDRESS.match(address) and ".." not in address else ""


def now() -> datetime:
    """Now in UTC."""
    return datetime.now(UTC)


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


_COUNTERS: Table = ReferenceCounter.__table__  # type: ignore[assignment]
_DOSSIERS: Table = Dossier.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_INSERT_DOSSIER = insert(_DOSSIERS).returning(_DOSSIERS.c.id)
_INSERT_EVENT = insert(_EVENTS)


@cache
def _next_value_statement(dialect: str) -> Any:
    # one statement: create the year's row at 1, or add 1 under the row lock, and read the value
    return (
        dialect_insert(dialect)(_COUNTERS)
        .on_conflict_do_update(index_elements=["year"], set_={"last_value": _COUNTERS.c.last_value + 1})
        .returning(_COUNTERS.c.last_value)
    )


@cache
def _open_statement_postgresql() -> Any:
    """PostgreSQL: take the year's number, insert the dossier and its first event in one statement
    (data-modifying CTEs: one round trip instead of three; same row lock on the counter). Parameters:
    every dossier column but id and reference, `head` (« MED-2026- »), and the event's columns
    prefixed with « event_ »."""
    counter = (
        postgresql.insert(_COUNTERS)
        .values(year=bindparam("year"), last_value=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last_value": _COUNTERS.c.last_value + 1})
        .returning(_COUNTERS.c.last_value)
        .cte("counter")
    )
    number = cast(counter.c.last_value, String)
    # the same text as Python's f"{value:05d}" for a positive number
    reference = bindparam("head", type_=String) + case(
        (counter.c.last_value < 100000, func.lpad(number, 5, "0")), else_=number
    )
    columns = [c for c in _DOSSIERS.columns if c.key not in ("id", "reference")]
    dossier = (
        insert(_DOSSIERS)
        .from_select(
            ["reference", *(c.key for c in columns)],
            select(reference, *(bindparam(c.key, type_=c.type) for c in columns)).select_from(counter),
        )
        .returning(_DOSSIERS.c.id, _DOSSIERS.c.reference)
        .cte("dossier")
    )
    event_columns = [c for c in _EVENTS.columns if c.key not in ("id", "dossier_id")]
    event = (
        insert(_EVENTS)
        .from_select(
            ["dossier_id", *(c.key for c in event_columns)],
            select(dossier.c.id, *(bindparam(f"event_{c.key}", type_=c.type) for c in event_columns)),
        )
        .cte("event")
    )
    return select(dossier.c.id, dossier.c.reference).add_cte(event)


def next_reference(session: Session, year: int, prefix: str) -> str:
    """Take the next number of `year` (inside the caller's transaction) and format the reference."""
    conn = connection(session)
    value = conn.execute(
        _next_value_statement(conn.dialect.name), {"year": year, "last_value": 1}
    ).scalar_one()
    return f"{prefix}-{year:04d}-{value:05d}"


def add_event(
    session: Session,
    dossier: Dossier,
    kind: str,
    summary: str,
    *,
    public: bool = False,
    details: dict[str, Any] | None = None,
    actor: str = "systeme",
    at: datetime | None = None,
) -> Event:
    """Append an event to a dossier's timeline (public ones are shown to the citizen)."""
    event = Event(
        dossier_id=dossier.id,
        at=at or now(),
        kind=kind,
        public=public,
        summary=summary,
        details=details or {},
        actor=actor,
    )
    session.add(event)
    return event


def record_event(
    session: Session,
    dossier_id: int,
    kind: str,
    summary: str,
    *,
    public: bool = False,
    details: dict[str, Any] | None = None,
    actor: str = "systeme",
    at: datetime | None = None,
) -> None:
    """Append an event to a dossier's timeline at once (one INSERT, no ORM object): ingestion uses it."""
    connection(session).execute(
        _INSERT_EVENT,
        {
            "dossier_id": dossier_id,
            "at": at or now(),
            "kind": kind,
            "public": public,
            "summary": summary,
            "details": details or {},
            "actor": actor,
        },
    )


@dataclass(frozen=True)
class NewDossier:
    """A dossier just inserted: its id and reference, the plaintext tracking token (only its hash is
    stored) and every column value written (to build the ORM object only when someone needs it)."""

    id: int
    reference: str
    token: str
    values: dict[str, Any]

    def attach(self, session: Session) -> Dossier:
        """The Dossier object of this row, in `session` as if just loaded (no SELECT, no INSERT)."""
        dossier = Dossier(id=self.id, **self.values)
        make_transient_to_detached(dossier)
        session.add(dossier)
        return dossier


@dataclass(frozen=True)
class Opened:
    """A new dossier and the plaintext tracking token (only its hash is stored)."""

    dossier: Dossier
    token: str


def insert_dossier(
    session: Session,
    *,
    prefix: str,
    channel: Channel,
    received_at: datetime,
    requester: Requester,
    subject: str = "",
    service: str = "",
    details: dict[str, Any] | None = None,
) -> NewDossier:
    """Insert a dossier with status « recue » and its public « Demande reçue » event (Core only)."""
    year = received_at.year
    token = new_token()
    stamp = now()
    # every column is given, so that NewDossier.attach builds a complete object without a SELECT
    values: dict[str, Any] = {
        "year": year,
        "tracking_token_hash": hash_token(token),
        "tracking_key": new_check_key(),
        "tracking_failures": 0,
        "tracking_locked_until": None,
        "channel": channel.value,
        "referred_by": "usager",
        "status": "recue",
        "outcome": None,
        "triage_status": "pending",
        "received_at": received_at,
        "opened_at": stamp,
        "first_contact_at": None,
        "closed_at": None,
        "requester_civility": requester.civility[:32],
        "requester_name": requester.name[:200],
        "requester_email": requester.email.lower()[:320],
        "requester_phone": requester.phone[:64],
        "requester_address": requester.address,
        "requester_postcode": requester.postcode[:10],
        "requester_commune": requester.commune[:120],
        "requester_territory": requester.territory[:120],
        "subject": subject,
        "service_concerned": service[:200],
        "direction": "",
        "domain": None,
        "sub_chapter": None,
        "admissibility": None,
        "reorientation": None,
        "merged_into_id": None,
        "service_deadline": None,
        "service_answered_at": None,
        "assignee_id": None,
        "unread": False,
        "reminder_on": None,
        "anonymised_at": None,
        "retention_extended_until": None,
        "retention_reason": "",
        "created_at": stamp,
        "updated_at": stamp,
    }
    event = {
        "at": received_at,
        "kind": EVENT_RECEIVED,
        "public": True,
        "summary": STATUSES["recue"].label,
        "details": {"status": "recue", "channel": channel.value, **(details or {})},
        "actor": "systeme",
    }
    conn = connection(session)
    if conn.dialect.name == "postgresql":
        params = {**values, "head": f"{prefix}-{year:04d}-", **{f"event_{k}": v for k, v in event.items()}}
        dossier_id, reference = conn.execute(_open_statement_postgresql(), params).one()
        values["reference"] = reference
    else:
        values["reference"] = reference = next_reference(session, year, prefix)
        dossier_id = conn.execute(_INSERT_DOSSIER, values).scalar_one()
        conn.execute(_INSERT_EVENT, {"dossier_id": dossier_id, **event})
    return NewDossier(int(dossier_id), reference, token, values)


def open_dossier(
    session: Session,
    *,
    prefix: str,
    channel: Channel,
    received_at: datetime,
    requester: Requester,
    subject: str = "",
    service: str = "",
    details: dict[str, Any] | None = None,
) -> Opened:
    """Create a dossier with status « recue » and its public « Demande reçue » event."""
    new = insert_dossier(
        session,
        prefix=prefix,
        channel=channel,
        received_at=received_at,
        requester=requester,
        subject=subject,
        service=service,
        details=details,
    )
    return Opened(new.attach(session), new.token)


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
    requester: Requester, extracted: dict[str, Any], communes: Communes | None = None
) -> Requester:
    """Fill the empty fields from what the suggester extracted (names, emails, phones, postcodes...)."""

    def first(key: str) -> str:
        value = extracted.get(key)
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        if isinstance(value, dict):
            value = value.get("text") or value.get("value") or ""
        return str(value or "").strip()

    values = {
        "name": requester.name or first("names"),
        "email": requester.email or usable_address(first("emails")),
        "phone": requester.phone or first("phones"),
        "address": requester.address or first("address"),
        "postcode": requester.postcode or first("postcodes"),
        "commune": requester.commune or first("communes"),
        "civility": requester.civility,
    }
    territory = (
        requester.territory
        or (communes or default_communes()).territory(values["postcode"], values["commune"])
        or first("territory")
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
        correspondents = written_to(session, dossier.id) if sender and via != "objet" and not requester else {}
        return Thread(dossier, via, requester or sender in correspondents, ref, forged, requester,
                      correspondents.get(sender, False))
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
        thread.via, "la référence dans l'objet")
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


def record_bounce(session: Session, address: str, permanent: bool, note: str = "") -> None:
    """Count a bounce for an address; a permanent failure stops automatic mail to it."""
    address = address.strip().lower()[:320]
    if not address:
        return
    insert_ignore(session, AddressStatus, {"address": address, "bounce_count": 0, "note": ""}, ["address"])
    values: dict[str, Any] = {"bounce_count": AddressStatus.bounce_count + 1}
    if permanent:
        values["hard_bounced_at"] = now()
    if note:
        values["note"] = note[:500]
    session.execute(update(AddressStatus).where(AddressStatus.address == address).values(**values))


def change_status(
    session: Session,
    dossier: Dossier,
    status: str,
    *,
    actor: str = "systeme",
    note: str = "",
    outcome: str | None = None,
) -> Event:
    """Move a dossier along the process (public event); refuses transitions the process does not allow."""
    if status not in STATUSES:
        raise DossierError(f"statut inconnu : {status}", key=dossier.reference)
    if not can_transition(dossier.status, status):
        raise DossierError(
            f"passage de « {status_label(dossier.status)} » à « {status_label(status)} » impossible",
            key=dossier.reference,
        )
    dossier.status = status
    if status == "cloturee":
        dossier.closed_at = now()
        dossier.outcome = outcome or dossier.outcome
    elif dossier.closed_at is not None:
        dossier.closed_at = None  # reopened
    details: dict[str, Any] = {"status": status}
    if note:
        details["note"] = note
    return add_event(
        session, dossier, EVENT_STATUS, status_label(status), public=True, details=details, actor=actor
    )
