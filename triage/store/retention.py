"""The retention policy's queries: which dossiers are due, and the purge of everything but dossiers.

`triage/privacy/retention.py` holds the policy (terms, extensions, the run and its report); the rows it
reads and clears are found here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from triage.config import RetentionSettings
from triage.store.models import AuditEntry, Dossier, Message, OutboxItem, PrintJob, QuarantineItem, WebSession
from triage.store.personal import Purge, affected, delete_messages

NOT_REQUEST_ROLES = ("auto_reply", "bounce", "list", "not_request", "flagged")
FINISHED_OUTBOX = ("sent", "failed", "suppressed")


def add_years(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def due_dossier_ids(session: Session, policy: RetentionSettings, as_of: date) -> list[int]:
    """Dossiers due on `as_of` and not yet anonymised (requests joined to a due dossier included)."""
    closed_before = midnight(add_years(as_of, -policy.closed_dossier_years) + timedelta(days=1))
    received_before = midnight(as_of - timedelta(days=policy.not_request_days) + timedelta(days=1))
    not_extended = or_(Dossier.retention_extended_until.is_(None), Dossier.retention_extended_until <= as_of)
    own = select(Dossier.id).where(
        Dossier.anonymised_at.is_(None),
        Dossier.merged_into_id.is_(None),
        not_extended,
        or_(
            Dossier.closed_at < closed_before,
            and_(
                Dossier.closed_at.is_(None),
                Dossier.triage_status == "not_request",
                Dossier.received_at < received_before,
            ),
        ),
    )
    ids = [int(i) for i in session.scalars(own)]
    targets = ids + [
        int(i) for i in session.scalars(select(Dossier.id).where(Dossier.anonymised_at.is_not(None)))
    ]
    if targets:
        joined = select(Dossier.id).where(
            Dossier.anonymised_at.is_(None), Dossier.merged_into_id.in_(targets), not_extended
        )
        ids += [int(i) for i in session.scalars(joined)]
    return ids


def purge_expired(session: Session, policy: RetentionSettings, as_of: date, purge: Purge) -> None:
    """Everything but dossiers: non-requests, quarantine, outgoing copies, audit log, sessions."""
    day = midnight(as_of + timedelta(days=1))
    old_mail = select(Message.id).where(
        Message.dossier_id.is_(None),
        Message.role.in_(NOT_REQUEST_ROLES),
        Message.needs_review.is_(False),
        Message.received_at < day - timedelta(days=policy.not_request_days),
    )
    delete_messages(session, [int(i) for i in session.scalars(old_mail)], purge)
    quarantine_cut = day - timedelta(days=policy.quarantine_days)
    purge.add(
        "quarantine",
        affected(session, delete(QuarantineItem).where(QuarantineItem.created_at < quarantine_cut)),
    )
    outbox_cut = day - timedelta(days=policy.outbox_days)
    finished = select(OutboxItem.id, OutboxItem.created_at, OutboxItem.kind).where(
        OutboxItem.status.in_(FINISHED_OUTBOX),
        func.coalesce(OutboxItem.sent_at, OutboxItem.created_at) < outbox_cut,
        OutboxItem.to_address != "",
    )
    rows = session.execute(finished).all()
    if rows:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_([r[0] for r in rows]))
            .values(to_address="", subject="", raw=b"")
        )
    purge.outbox_ids += [(int(i), c, k) for i, c, k in rows]
    purge.add("outbox", len(rows))
    purge.add(
        "print_jobs",
        affected(
            session,
            update(PrintJob)
            .where(
                PrintJob.status == "exported",
                PrintJob.exported_at < outbox_cut,
                func.length(PrintJob.pdf) > 0,
            )
            .values(pdf=b""),
        ),
    )
    purge.add(
        "audit",
        affected(session, delete(AuditEntry).where(AuditEntry.at < day - timedelta(days=policy.audit_days))),
    )
    purge.add(
        "web_sessions",
        affected(
            session,
            delete(WebSession).where(WebSession.expires_at < day - timedelta(days=policy.web_session_days)),
        ),
    )


@dataclass(frozen=True)
class RetentionFacts:
    """What the policy reads of a dossier to set its term."""

    id: int
    reference: str
    received_at: datetime
    closed_at: datetime | None
    triage_status: str
    merged_into_id: int | None
    anonymised_at: datetime | None
    retention_extended_until: date | None
    retention_reason: str


def _facts(d: Dossier) -> RetentionFacts:
    return RetentionFacts(
        d.id,
        d.reference,
        d.received_at,
        d.closed_at,
        d.triage_status,
        d.merged_into_id,
        d.anonymised_at,
        d.retention_extended_until,
        d.retention_reason,
    )


def facts_of(session: Session, ids: list[int]) -> list[RetentionFacts]:
    """The retention facts of these dossiers (in no particular order)."""
    return [_facts(d) for d in session.scalars(select(Dossier).where(Dossier.id.in_(ids)))]


def facts_by_reference(session: Session, reference: str) -> RetentionFacts | None:
    d = session.scalar(select(Dossier).where(Dossier.reference == reference))
    return None if d is None else _facts(d)


def keep_until(session: Session, dossier_id: int, until: date, reason: str) -> None:
    """Record an extension of the dossier's retention, in the caller's transaction."""
    session.execute(
        update(Dossier)
        .where(Dossier.id == dossier_id)
        .values(retention_extended_until=until, retention_reason=reason)
    )
