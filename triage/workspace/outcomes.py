"""The two ends of a request that never becomes a mediation: « classée sans suite » and « rattachée au
dossier MED-… ». Each tells the citizen the truth on the tracking page, withdraws what was still waiting
to be sent (emails in the outbox, letters in the print queue), and can be undone for a few minutes.

Everything an undo needs is kept in the private event the action writes (kind "triage_end"), so the
undo restores exactly what the action changed and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from triage.clock import system_clock
from triage.errors import DossierError
from triage.store.audit import Actor, record
from triage.store.models import Dossier, Event, Message, OutboxItem, PrintJob
from triage.workspace.process import private_event, public_event

UNDO_KIND = "triage_end"
# what a citizen may be told when a request is classée sans suite (the mediator may write another)
DISMISS_REASONS = (
    "Message publicitaire ou sans rapport avec la médiation",
    "Envoi en double d'une demande déjà enregistrée",
    "Demande retirée par son auteur",
    "Simple demande d'information, sans différend avec un service du Département",
)


@dataclass(frozen=True)
class Withdrawal:
    """What ending a request would withdraw, shown before the mediator confirms."""

    emails: int  # acknowledgements and letters still in the outbox: cancelled
    letters: int  # letters still in the print queue: removed from it
    printed: int  # letters already exported for printing: the mail service must hold them back


def _check_pending(dossier: Dossier) -> None:
    if dossier.triage_status in ("merged", "not_request") or dossier.merged_into_id is not None:
        raise DossierError("ce dossier a déjà été rattaché ou classé sans suite", key=dossier.reference)


def withdrawal(session: Session, dossier: Dossier) -> Withdrawal:
    """What would be withdrawn if the request were ended now."""
    emails = session.scalars(select(OutboxItem.status).where(OutboxItem.dossier_id == dossier.id)).all()
    prints = session.scalars(select(PrintJob.status).where(PrintJob.dossier_id == dossier.id)).all()
    return Withdrawal(
        emails=sum(1 for s in emails if s == "pending"),
        letters=sum(1 for s in prints if s == "pending"),
        printed=sum(1 for s in prints if s not in ("pending", "cancelled")),
    )


def _withdraw(session: Session, dossier: Dossier) -> tuple[list[int], list[int]]:
    """Cancel the outbox items and print jobs still waiting; return their ids (for an undo)."""
    outbox = list(
        session.scalars(
            select(OutboxItem.id).where(OutboxItem.dossier_id == dossier.id, OutboxItem.status == "pending")
        )
    )
    prints = list(
        session.scalars(
            select(PrintJob.id).where(PrintJob.dossier_id == dossier.id, PrintJob.status == "pending")
        )
    )
    if outbox:
        session.execute(update(OutboxItem).where(OutboxItem.id.in_(outbox)).values(status="cancelled"))
    if prints:
        session.execute(update(PrintJob).where(PrintJob.id.in_(prints)).values(status="cancelled"))
    return outbox, prints


def dismiss(
    session: Session, dossier: Dossier, actor: Actor, reason: str, now: datetime | None = None
) -> None:
    """« Classée sans suite »: not a mediation request; the citizen reads `reason` on the tracking page."""
    now = now or system_clock()
    _check_pending(dossier)
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise DossierError("indiquez le motif que lira l'expéditeur", key=dossier.reference)
    previous = dossier.status
    outbox, prints = _withdraw(session, dossier)
    messages = list(
        session.scalars(select(Message.id).where(Message.dossier_id == dossier.id, Message.role == "request"))
    )
    session.execute(update(Message).where(Message.id.in_(messages)).values(role="not_request"))
    dossier.triage_status = "not_request"
    dossier.status = "classee_sans_suite"
    shown = public_event(
        session,
        dossier,
        "Classée sans suite",
        actor,
        kind="classee_sans_suite",
        details={"reason": reason},
        now=now,
    )
    session.flush()
    private_event(
        session,
        dossier,
        UNDO_KIND,
        f"Classée sans suite : {reason}",
        actor,
        now=now,
        details={
            "action": "dismiss",
            "previous_status": previous,
            "outbox": outbox,
            "prints": prints,
            "messages": messages,
            "public_event": shown,
        },
    )
    record(
        session,
        actor,
        "triage.not_request",
        dossier_id=dossier.id,
        details={"cancelled_emails": len(outbox), "cancelled_letters": len(prints)},
        now=now,
    )


def merge(
    session: Session, source: Dossier, target: Dossier, actor: Actor, now: datetime | None = None
) -> int:
    """« Rattachée au dossier … »: join `source` (a new request) to the existing dossier `target`; return how
    many messages moved. `source` keeps its reference and tracking link, which now names `target`; a first
    contact already made on `source` counts for `target`."""
    now = now or system_clock()
    _check_pending(source)
    if source.id == target.id:
        raise DossierError("un dossier ne peut pas être joint à lui-même", key=source.reference)
    if target.merged_into_id is not None or target.triage_status in ("merged", "not_request"):
        raise DossierError(
            "le dossier cible a lui-même été rattaché ou classé sans suite", key=target.reference
        )
    previous = source.status
    outbox, prints = _withdraw(session, source)
    ids = list(session.scalars(select(Message.id).where(Message.dossier_id == source.id)))
    session.execute(update(Message).where(Message.id.in_(ids)).values(dossier_id=target.id))
    source.merged_into_id = target.id
    source.triage_status = "merged"
    source.status = "rattachee"
    target_contact = target.first_contact_at
    if source.first_contact_at is not None and (
        target_contact is None or source.first_contact_at < target_contact
    ):
        target.first_contact_at = source.first_contact_at
        private_event(
            session,
            target,
            "first_contact",
            f"Premier contact repris de la demande {source.reference}",
            actor,
            now=now,
        )
    shown = public_event(
        session,
        source,
        f"Rattachée au dossier {target.reference}",
        actor,
        kind="merged",
        details={"merged_into": target.reference},
        now=now,
    )
    private_event(
        session,
        target,
        "merge",
        f"Demande {source.reference} jointe à ce dossier ({len(ids)} message(s))",
        actor,
        details={"from": source.reference, "messages": len(ids)},
        now=now,
    )
    session.flush()
    private_event(
        session,
        source,
        UNDO_KIND,
        f"Rattachée au dossier {target.reference}",
        actor,
        now=now,
        details={
            "action": "merge",
            "previous_status": previous,
            "outbox": outbox,
            "prints": prints,
            "messages": ids,
            "public_event": shown,
            "target_id": target.id,
            "target_first_contact": target_contact.isoformat() if target_contact else None,
        },
    )
    record(
        session,
        actor,
        "triage.merge",
        dossier_id=source.id,
        details={
            "into": target.reference,
            "messages": len(ids),
            "cancelled_emails": len(outbox),
            "cancelled_letters": len(prints),
        },
        now=now,
    )
    record(
        session, actor, "dossier.merged_in", dossier_id=target.id, details={"from": source.reference}, now=now
    )
    session.flush()
    return len(ids)


def undo(session: Session, dossier: Dossier, actor: Actor, minutes: int, now: datetime | None = None) -> None:
    """Take back « classée sans suite » or a merge made less than `minutes` ago: the request is back in the queue."""
    now = now or system_clock()
    event = session.scalar(
        select(Event)
        .where(Event.dossier_id == dossier.id, Event.kind == UNDO_KIND)
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(1)
    )
    if event is None or dossier.triage_status not in ("merged", "not_request"):
        raise DossierError("rien à annuler sur ce dossier", key=dossier.reference)
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=now.tzinfo)
    if now - at > timedelta(minutes=minutes):
        raise DossierError(
            f"l'annulation n'est possible que pendant {minutes} minutes", key=dossier.reference
        )
    info = event.details or {}
    if info.get("outbox"):
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(info["outbox"]), OutboxItem.status == "cancelled")
            .values(status="pending")
        )
    if info.get("prints"):
        session.execute(
            update(PrintJob)
            .where(PrintJob.id.in_(info["prints"]), PrintJob.status == "cancelled")
            .values(status="pending")
        )
    messages = info.get("messages") or []
    if info.get("action") == "merge":
        session.execute(update(Message).where(Message.id.in_(messages)).values(dossier_id=dossier.id))
        target = session.get(Dossier, info.get("target_id"))
        if target is not None:
            contact = info.get("target_first_contact")
            target.first_contact_at = datetime.fromisoformat(contact) if contact else None
            private_event(
                session, target, "merge_undone", f"Rattachement de {dossier.reference} annulé", actor, now=now
            )
        dossier.merged_into_id = None
    else:
        session.execute(update(Message).where(Message.id.in_(messages)).values(role="request"))
    session.execute(delete(Event).where(Event.id.in_([info.get("public_event"), event.id])))
    dossier.status = str(info.get("previous_status") or "recue")
    dossier.triage_status = "pending"
    private_event(
        session, dossier, "triage_undone", "Action annulée : la demande revient dans la file", actor, now=now
    )
    record(
        session, actor, "triage.undo", dossier_id=dossier.id, details={"action": info.get("action")}, now=now
    )
