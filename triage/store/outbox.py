"""The outbox and the print queue in the database: what leaves, claimed, sent or retried.

`triage/notify/` composes and delivers; the rows are written and read here only. Writing happens in
the caller's transaction (an acknowledgement commits with the dossier it acknowledges); delivery opens
its own short transactions, one claim and one outcome per item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from triage.store.models import AddressStatus, Dossier, OutboxItem, PrintJob

# what counts against the daily limit of automatic messages to one address
LIVE_STATUSES = ("pending", "sending", "sent")


@dataclass(frozen=True)
class NewOutgoing:
    """A composed message to put in the outbox."""

    kind: str
    idempotency_key: str
    dossier_id: int | None
    automatic: bool
    to_address: str
    subject: str
    message_id: str
    raw: bytes
    status: str  # pending, or suppressed when a guard refused it
    last_error: str
    created_at: datetime


@dataclass(frozen=True)
class Queued:
    """An outbox row as written (or found already there for its idempotency key)."""

    id: int
    status: str
    message_id: str
    to_address: str
    raw: bytes


@dataclass(frozen=True)
class QueuedLetter:
    """A print job as written (or found already there for its idempotency key)."""

    id: int
    status: str


@dataclass(frozen=True)
class OutgoingMail:
    """One outbox row as a transport needs it."""

    id: int
    kind: str
    to_address: str
    raw: bytes
    created_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class Outcome:
    """What happened to one item once it was handed to a transport."""

    status: str  # sent, pending (to retry) or failed
    attempts: int


def _queued(item: OutboxItem) -> Queued:
    return Queued(item.id, item.status, item.message_id, item.to_address, item.raw)


def queued_outgoing(session: Session, idempotency_key: str) -> Queued | None:
    """The outbox row already written for this key, if any."""
    existing = session.scalar(select(OutboxItem).where(OutboxItem.idempotency_key == idempotency_key))
    return None if existing is None else _queued(existing)


def queued_letter(session: Session, idempotency_key: str) -> QueuedLetter | None:
    """The print job already written for this key, if any."""
    job = session.scalar(select(PrintJob).where(PrintJob.idempotency_key == idempotency_key))
    return None if job is None else QueuedLetter(job.id, job.status)


def add_outgoing(session: Session, new: NewOutgoing) -> Queued:
    """Add a message to the outbox in the caller's transaction (see `queued_outgoing` for its key first)."""
    item = OutboxItem(
        dossier_id=new.dossier_id,
        kind=new.kind,
        idempotency_key=new.idempotency_key,
        automatic=new.automatic,
        to_address=new.to_address,
        subject=new.subject,
        message_id=new.message_id,
        raw=new.raw,
        status=new.status,
        last_error=new.last_error,
        next_attempt_at=new.created_at,
        created_at=new.created_at,
    )
    session.add(item)
    session.flush()
    return _queued(item)


def any_queued(session: Session, idempotency_keys: Sequence[str]) -> bool:
    """Whether an email or a printed letter was already queued under one of these keys."""
    keys = list(idempotency_keys)
    return any(
        session.scalar(select(table.id).where(table.idempotency_key.in_(keys)).limit(1)) is not None
        for table in (OutboxItem, PrintJob)
    )


def kinds_queued(session: Session, dossier_id: int) -> set[str]:
    """The kinds of everything queued for a dossier, emails and printed letters (« letter_pieces », …)."""
    return {
        kind
        for table in (OutboxItem, PrintJob)
        for kind in session.scalars(select(table.kind).where(table.dossier_id == dossier_id))
    }


def recipients_of(session: Session, dossier_id: int) -> list[tuple[str, str]]:
    """(address, kind) of every mail written about the dossier, suppressed ones left out."""
    rows = session.execute(
        select(OutboxItem.to_address, OutboxItem.kind).where(
            OutboxItem.dossier_id == dossier_id, OutboxItem.status != "suppressed"
        )
    )
    return [(address or "", kind) for address, kind in rows]


def add_print_job(
    session: Session,
    *,
    dossier_id: int | None,
    kind: str,
    idempotency_key: str,
    pdf: bytes,
    created_at: datetime,
) -> QueuedLetter:
    """Add a letter to the print queue in the caller's transaction (once per idempotency key)."""
    existing = session.scalar(select(PrintJob).where(PrintJob.idempotency_key == idempotency_key))
    if existing is not None:
        return QueuedLetter(existing.id, existing.status)
    job = PrintJob(
        dossier_id=dossier_id,
        kind=kind,
        idempotency_key=idempotency_key,
        pdf=pdf,
        status="pending",
        created_at=created_at,
    )
    session.add(job)
    session.flush()
    return QueuedLetter(job.id, job.status)


def hard_bounced_at(session: Session, address: str) -> datetime | None:
    """When `address` last bounced for good (None: never, or unknown)."""
    status = session.get(AddressStatus, address)
    return None if status is None else status.hard_bounced_at


def automatic_sent_since(session: Session, address: str, since: datetime) -> int:
    """How many automatic messages to `address` were queued or sent since `since`."""
    count = session.scalar(
        select(func.count(OutboxItem.id)).where(
            OutboxItem.to_address == address,
            OutboxItem.automatic.is_(True),
            OutboxItem.status.in_(LIVE_STATUSES),
            OutboxItem.created_at >= since,
        )
    )
    return count or 0


def due_ids(sessions: sessionmaker[Session], now: datetime, *, force: bool, limit: int) -> list[int]:
    """Ids of the items to try now (every pending or leased one with force), oldest first."""
    with sessions() as session:
        query = select(OutboxItem.id).where(OutboxItem.status.in_(("pending", "sending")))
        if not force:
            query = query.where(OutboxItem.next_attempt_at <= now)
        return list(session.scalars(query.order_by(OutboxItem.id).limit(limit)))


def claim(
    sessions: sessionmaker[Session], item_id: int, now: datetime, lease: timedelta, *, force: bool
) -> OutgoingMail | None:
    """Take the item for `lease` (one attempt more), or None when another worker holds it or it is done."""
    due = OutboxItem.next_attempt_at <= now
    cond = or_(OutboxItem.status == "pending", (OutboxItem.status == "sending") & due)
    if not force:
        cond = cond & due
    with sessions.begin() as session:
        result = session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id, cond)
            .values(status="sending", next_attempt_at=now + lease, attempts=OutboxItem.attempts + 1)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        item = session.get(OutboxItem, item_id)
        assert item is not None
        return OutgoingMail(item.id, item.kind, item.to_address, item.raw, item.created_at, item.attempts)


def mark_sent(sessions: sessionmaker[Session], item_id: int, at: datetime) -> None:
    with sessions.begin() as session:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id)
            .values(status="sent", sent_at=at, last_error="")
        )


def mark_failed_attempt(
    sessions: sessionmaker[Session],
    item: OutgoingMail,
    error: str,
    *,
    max_attempts: int,
    retry_at: Callable[[int], datetime],
) -> Outcome:
    """Record a refused delivery: retried at `retry_at(attempts)`, or failed for good after max_attempts."""
    values: dict[str, object] = {"last_error": error}
    if item.attempts >= max_attempts:
        values["status"] = "failed"
    else:
        values["status"] = "pending"
        values["next_attempt_at"] = retry_at(item.attempts)
    with sessions.begin() as session:
        session.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(**values))
    return Outcome(str(values["status"]), item.attempts)


@dataclass(frozen=True)
class OutboxLine:
    """One outbox row as the terminal lists it."""

    id: int
    reference: str | None  # the dossier's, None for the team's own mail
    kind: str
    to_address: str
    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str


def outbox_lines(sessions: sessionmaker[Session], *, with_sent: bool) -> list[OutboxLine]:
    """The outbox, oldest first (without the messages already sent unless `with_sent`)."""
    with sessions() as session:
        q = select(OutboxItem, Dossier.reference).outerjoin(Dossier, Dossier.id == OutboxItem.dossier_id)
        if not with_sent:
            q = q.where(OutboxItem.status != "sent")
        return [
            OutboxLine(
                i.id,
                ref,
                i.kind,
                i.to_address,
                i.status,
                i.attempts,
                i.next_attempt_at,
                i.sent_at,
                i.last_error,
            )
            for i, ref in session.execute(q.order_by(OutboxItem.id)).all()
        ]


@dataclass(frozen=True)
class PrintLine:
    """One print job as the terminal lists it."""

    id: int
    reference: str | None
    kind: str
    status: str  # pending, exported
    created_at: datetime


@dataclass(frozen=True)
class Letter:
    """A letter to print: its PDF and what names its file."""

    id: int
    reference: str | None
    kind: str
    pdf: bytes


def print_lines(sessions: sessionmaker[Session]) -> list[PrintLine]:
    """The print queue, oldest first."""
    with sessions() as session:
        rows = session.execute(
            select(PrintJob.id, Dossier.reference, PrintJob.kind, PrintJob.status, PrintJob.created_at)
            .outerjoin(Dossier, Dossier.id == PrintJob.dossier_id)
            .order_by(PrintJob.id)
        ).all()
        return [PrintLine(id_, ref, kind, status, created) for id_, ref, kind, status, created in rows]


def letters_to_print(sessions: sessionmaker[Session], *, again: bool) -> list[Letter]:
    """The letters waiting to be printed (every one with `again`), oldest first."""
    with sessions() as session:
        q = select(PrintJob, Dossier.reference).outerjoin(Dossier, Dossier.id == PrintJob.dossier_id)
        if not again:
            q = q.where(PrintJob.status == "pending")
        return [
            Letter(job.id, ref, job.kind, job.pdf) for job, ref in session.execute(q.order_by(PrintJob.id))
        ]


def mark_exported(sessions: sessionmaker[Session], job_ids: list[int], at: datetime) -> None:
    """The letters' files are written: they leave the queue of letters to print."""
    with sessions.begin() as session:
        session.execute(
            update(PrintJob).where(PrintJob.id.in_(job_ids)).values(status="exported", exported_at=at)
        )
