"""Opening a dossier, whatever the channel (mail, web form, scan, manual entry): one function,
`open_dossier`, with a typed `OpeningRequest` in and an `OpenedDossier` out.

It numbers the dossier, inserts it with its public « Demande reçue » event, stores the first message
already pointing at it, keeps the triage suggestion, and lets the notifier queue the acknowledgement,
all in the caller's transaction (a rolled-back opening gives its number back).

References are ``PREFIX-YYYY-NNNNN``, sequential per year and gapless among committed dossiers: the
counter row of the year is created if missing (INSERT ... ON CONFLICT DO NOTHING) then incremented
with UPDATE ... RETURNING, which takes the row lock on PostgreSQL (concurrent openers queue behind
it until commit) and runs under SQLite's BEGIN IMMEDIATE write lock.

Opening uses prepared Core statements on the session's connection (the ingestion hot path); the
Dossier object is built only when someone needs it (`OpenedDossier.attach`), attached to the session
as if just loaded, without a SELECT.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import String, Table, bindparam, case, cast, func, insert, null, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from triage.dossiers.registry import complete_requester
from triage.dossiers.statuses import STATUSES
from triage.dossiers.timeline import EVENT_RECEIVED, SYSTEM, write_event
from triage.dossiers.tracking import hash_token, new_check_key, new_token
from triage.records import Channel, Extraction, ParsedMessage, Requester, ScanDocument, Suggestion
from triage.store import messages as archive
from triage.store.models import Dossier, Event, ReferenceCounter, SuggestionRow


class NotifierProtocol(Protocol):
    """What opening needs of triage.notify.acknowledge.Notifier."""

    def on_dossier_opened(self, session: Session, dossier: Dossier, token: str, source: Any) -> None: ...


@dataclass(frozen=True)
class MailArrival:
    """The first message is an email or a web form: parsed, with its raw bytes and where it came from."""

    parsed: ParsedMessage
    raw: bytes
    source: str
    source_key: str


@dataclass(frozen=True)
class KeptArrival:
    """The first message is one already stored and kept aside (spam, unverified): the mediator says it
    is a request, so its row joins the new dossier."""

    parsed: ParsedMessage
    message_row_id: int


@dataclass(frozen=True)
class ScanArrival:
    """The first message is a scanned letter (text already read) and the original file's bytes."""

    doc: ScanDocument
    original: bytes


@dataclass(frozen=True)
class TypedArrival:
    """The first message is typed in by the mediator or the mail service (phone, permanence, paper)."""

    text: str
    typed_by: str  # the account name, kept as the message's source key


Arrival = MailArrival | KeptArrival | ScanArrival | TypedArrival


@dataclass(frozen=True)
class OpeningRequest:
    """Everything needed to open one dossier."""

    channel: Channel
    received_at: datetime
    requester: Requester
    arrival: Arrival | None  # the first message (None: a dossier with no message yet)
    opened_at: datetime  # now, from the caller's clock
    subject: str = ""
    service: str = ""
    referred_by: str = "usager"
    suggestion: Suggestion | None = None
    fill_from_suggestion: bool = True  # complete the requester's empty fields from what was extracted
    details: Mapping[str, Any] = field(default_factory=dict)  # on the « Demande reçue » event


@dataclass(frozen=True)
class OpenedDossier:
    """A dossier just opened: its id and reference, the plaintext tracking token (only its hash is
    stored), the first message's row id, and every column value written."""

    id: int
    reference: str
    token: str
    message_row_id: int | None
    values: Mapping[str, Any]

    def attach(self, session: Session) -> Dossier:
        """The Dossier object of this row, in `session` as if just loaded (no SELECT, no INSERT)."""
        existing = session.identity_map.get(identity_key(Dossier, self.id))
        if isinstance(existing, Dossier):
            return existing
        dossier = Dossier(id=self.id, **self.values)
        make_transient_to_detached(dossier)
        session.add(dossier)
        return dossier


_COUNTERS: Table = ReferenceCounter.__table__  # type: ignore[assignment]
_DOSSIERS: Table = Dossier.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_INSERT_DOSSIER = insert(_DOSSIERS).returning(_DOSSIERS.c.id)
# columns that no dossier has a value for when it opens (decisions, dates and links come later)
_NONE_AT_OPENING = (
    "tracking_locked_until",
    "outcome",
    "first_contact_at",
    "closed_at",
    "domain",
    "sub_chapter",
    "admissibility",
    "reorientation",
    "merged_into_id",
    "service_deadline",
    "service_answered_at",
    "assignee_id",
    "reminder_on",
    "anonymised_at",
    "retention_extended_until",
)


@cache
def _next_value_statement(dialect: str) -> Any:
    # one statement: create the year's row at 1, or add 1 under the row lock, and read the value
    return (
        archive.dialect_insert(dialect)(_COUNTERS)
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
    # the columns empty at opening are NULL in the statement's text, not parameters: psycopg caches
    # the conversion of a query only up to 50 parameters (and 4 KiB); past that it re-parses the
    # statement's text at every dossier opened
    dossier = (
        insert(_DOSSIERS)
        .from_select(
            ["reference", *(c.key for c in columns)],
            select(
                reference,
                *(
                    cast(null(), c.type) if c.key in _NONE_AT_OPENING else bindparam(c.key, type_=c.type)
                    for c in columns
                ),
            ).select_from(counter),
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
    conn = archive.connection(session)
    value = conn.execute(
        _next_value_statement(conn.dialect.name), {"year": year, "last_value": 1}
    ).scalar_one()
    return f"{prefix}-{year:04d}-{value:05d}"


def _insert(session: Session, prefix: str, request: OpeningRequest, requester: Requester) -> OpenedDossier:
    """Insert the dossier with status « recue » and its public « Demande reçue » event (Core only)."""
    received_at = request.received_at
    year = received_at.year
    token = new_token()
    stamp = request.opened_at
    # every column is given, so that OpenedDossier.attach builds a complete object without a SELECT
    values: dict[str, Any] = {
        "year": year,
        "tracking_token_hash": hash_token(token),
        "tracking_key": new_check_key(),
        "tracking_failures": 0,
        "channel": request.channel.value,
        "referred_by": request.referred_by,
        "status": "recue",
        "triage_status": "pending",
        "received_at": received_at,
        "opened_at": stamp,
        "requester_civility": requester.civility[:32],
        "requester_name": requester.name[:200],
        "requester_email": requester.email.lower()[:320],
        "requester_phone": requester.phone[:64],
        "requester_address": requester.address,
        "requester_postcode": requester.postcode[:10],
        "requester_commune": requester.commune[:120],
        "requester_territory": requester.territory[:120],
        "subject": request.subject,
        "service_concerned": request.service[:200],
        "direction": "",
        "unread": False,
        "retention_reason": "",
        "created_at": stamp,
        "updated_at": stamp,
        **dict.fromkeys(_NONE_AT_OPENING),
    }
    event_details = {"status": "recue", "channel": request.channel.value, **request.details}
    conn = archive.connection(session)
    if conn.dialect.name == "postgresql":
        # the « Demande reçue » event goes in the same statement (one round trip)
        event = {
            "at": received_at,
            "kind": EVENT_RECEIVED,
            "public": True,
            "summary": STATUSES["recue"].label,
            "details": event_details,
            "actor": SYSTEM,
        }
        params = {k: v for k, v in values.items() if k not in _NONE_AT_OPENING}
        params.update(head=f"{prefix}-{year:04d}-", **{f"event_{k}": v for k, v in event.items()})
        dossier_id, reference = conn.execute(_open_statement_postgresql(), params).one()
        values["reference"] = reference
    else:
        values["reference"] = reference = next_reference(session, year, prefix)
        dossier_id = conn.execute(_INSERT_DOSSIER, values).scalar_one()
        write_event(
            session,
            dossier_id,
            EVENT_RECEIVED,
            STATUSES["recue"].label,
            at=received_at,
            public=True,
            details=event_details,
        )
    return OpenedDossier(int(dossier_id), reference, token, None, values)


def _store_arrival(
    session: Session, request: OpeningRequest, dossier_id: int, requester: Requester
) -> int | None:
    """The first message's row, already pointing at the dossier (one INSERT, no UPDATE)."""
    arrival = request.arrival
    if isinstance(arrival, MailArrival):
        return archive.store_mail(
            session,
            arrival.parsed,
            arrival.raw,
            source=arrival.source,
            source_key=arrival.source_key,
            received_at=request.received_at,
            role="request",
            dossier_id=dossier_id,
        )
    if isinstance(arrival, KeptArrival):
        archive.join_dossier(session, arrival.message_row_id, dossier_id, channel=request.channel.value)
        return arrival.message_row_id
    if isinstance(arrival, ScanArrival):
        return archive.store_scan(
            session,
            arrival.doc,
            arrival.original,
            received_at=request.received_at,
            role="request",
            dossier_id=dossier_id,
        )
    if isinstance(arrival, TypedArrival):
        body = arrival.text.encode("utf-8")
        return archive.store_typed(
            session,
            dossier_id=dossier_id,
            channel=request.channel.value,
            text=arrival.text,
            subject=request.subject,
            from_name=requester.name,
            from_address=requester.email,
            source_key=f"saisie:{arrival.typed_by}"[:200],
            received_at=request.received_at,
            # a typed request is never a duplicate of another: a random key
            dedupe_key=hashlib.sha256(b"manual\n" + secrets.token_bytes(16)).hexdigest(),
            content_hash=hashlib.sha256(body).hexdigest(),
        )
    return None


def open_dossier(
    session: Session, request: OpeningRequest, *, prefix: str, notifier: NotifierProtocol | None = None
) -> OpenedDossier:
    """Open one dossier in the caller's transaction: number, dossier row and « Demande reçue » event,
    first message, suggestion, acknowledgement. A concurrent duplicate of the first message fails its
    INSERT and rolls the whole transaction back, reference number included."""
    requester = request.requester
    arrival = request.arrival
    if request.suggestion is not None and request.fill_from_suggestion:
        completed = complete_requester(requester, request.suggestion.extracted)
        # a message's acknowledgement goes to its headers' address (or the form's), never to an
        # address read in its text: that one may be anyone's (issue 12, finding 5)
        by_mail = isinstance(arrival, (MailArrival, KeptArrival))
        requester = replace(completed, email=requester.email if by_mail else completed.email)
    elif not requester.territory and (requester.postcode or requester.commune):
        requester = complete_requester(requester, Extraction())
    inserted = _insert(session, prefix, request, requester)
    row_id = _store_arrival(session, request, inserted.id, requester)
    opened = OpenedDossier(inserted.id, inserted.reference, inserted.token, row_id, inserted.values)
    if request.suggestion is not None:
        store_suggestion(session, opened.id, row_id, request.suggestion)
    if notifier is not None:
        source = (
            arrival.parsed
            if isinstance(arrival, (MailArrival, KeptArrival))
            else (arrival.doc if isinstance(arrival, ScanArrival) else None)
        )
        # the ORM object only for the notifier: attached without a SELECT
        notifier.on_dossier_opened(session, opened.attach(session), opened.token, source)
    return opened


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def store_suggestion(
    session: Session, dossier_id: int, message_id: int | None, s: Suggestion
) -> SuggestionRow:
    """Keep a suggestion on a dossier with its reasons and the words that triggered each label."""
    labels = {"domain": s.domain, "admissibility": s.admissibility, "reorientation": s.reorientation}
    row = SuggestionRow(
        dossier_id=dossier_id,
        message_id=message_id,
        model_version=s.model_version[:120],
        domain=s.domain.code,
        domain_confidence=float(s.domain.confidence),
        admissibility=s.admissibility.code,
        admissibility_confidence=float(s.admissibility.confidence),
        reorientation=s.reorientation.code,
        reorientation_confidence=float(s.reorientation.confidence),
        reasons={**{k: list(v.reasons) for k, v in labels.items()}, "general": list(s.reasons)},
        highlights={k: list(v.highlights) for k, v in labels.items()},
        extracted=_jsonable(s.extracted_json()),
        to_check={k: v.to_check for k, v in labels.items()},
    )
    session.add(row)
    return row
