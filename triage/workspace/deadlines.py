"""Deadlines of the process: service answers overdue (art. 15), requests waiting for a first contact
(art. 7), dossiers open for too long; and the daily digest the mediator receives by email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.dossiers.msgid import make_message_id
from triage.dossiers.statuses import status_label
from triage.notify.compose import Outgoing
from triage.notify.outbox import enqueue
from triage.store.models import Dossier, User
from triage.store.outbox import Queued
from triage.workspace.common import PARIS, local_day
from triage.workspace.queue import pending_count

ACTIVE = (
    Dossier.status.not_in(("cloturee", "attente_usager")),
    Dossier.merged_into_id.is_(None),
    Dossier.triage_status.not_in(("merged", "not_request")),
)


@dataclass(frozen=True)
class Late:
    """One dossier past a deadline."""

    dossier_id: int
    reference: str
    status: str
    since: date  # when the clock started (deadline day for service answers; the reminder day)
    days: int  # days late (service answers) or days waiting
    assignee_id: int | None = None  # who handles the dossier


@dataclass(frozen=True)
class Deadlines:
    """The three lists shown on the queue page and mailed each morning."""

    service_overdue: tuple[Late, ...]
    no_first_contact: tuple[Late, ...]
    open_too_long: tuple[Late, ...]
    reminders_due: tuple[Late, ...] = ()  # reminder dates reached (not counted as late)

    @property
    def total(self) -> int:
        """How many alerts in all."""
        return len(self.service_overdue) + len(self.no_first_contact) + len(self.open_too_long)


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for dd in (day.day, 30, 29, 28):
        try:
            return date(year, month, dd)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _day(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def compute(session: Session, settings: Settings, now: datetime) -> Deadlines:
    """The dossiers past each deadline, most late first."""
    today = local_day(now)
    cfg = settings.deadlines
    overdue = [
        Late(
            d.id, d.reference, d.status, d.service_deadline, (today - d.service_deadline).days, d.assignee_id
        )
        for d in session.scalars(
            select(Dossier).where(
                *ACTIVE,
                Dossier.status == "transmise_service",
                Dossier.service_deadline.is_not(None),
                Dossier.service_answered_at.is_(None),
                Dossier.service_deadline < today,
            )
        )
        if d.service_deadline is not None
    ]
    contact_limit = today - timedelta(days=cfg.first_contact_days)
    waiting = [
        Late(
            d.id,
            d.reference,
            d.status,
            _day(d.received_at),
            (today - _day(d.received_at)).days,
            d.assignee_id,
        )
        for d in session.scalars(
            select(Dossier).where(*ACTIVE, Dossier.first_contact_at.is_(None), Dossier.status != "reorientee")
        )
        if _day(d.received_at) <= contact_limit
    ]
    open_limit = months_before(today, cfg.open_alert_months)
    old = [
        Late(
            d.id,
            d.reference,
            d.status,
            _day(d.received_at),
            (today - _day(d.received_at)).days,
            d.assignee_id,
        )
        for d in session.scalars(select(Dossier).where(*ACTIVE))
        if _day(d.received_at) < open_limit
    ]
    reminders = [
        Late(d.id, d.reference, d.status, d.reminder_on, (today - d.reminder_on).days, d.assignee_id)
        for d in session.scalars(
            select(Dossier).where(
                Dossier.merged_into_id.is_(None),
                Dossier.status != "cloturee",
                Dossier.reminder_on.is_not(None),
                Dossier.reminder_on <= today,
            )
        )
        if d.reminder_on is not None
    ]

    def by_days(item: Late) -> tuple[int, str]:
        return (-item.days, item.reference)

    return Deadlines(
        tuple(sorted(overdue, key=by_days)),
        tuple(sorted(waiting, key=by_days)),
        tuple(sorted(old, key=by_days)),
        tuple(sorted(reminders, key=by_days)),
    )


def digest_recipients(session: Session, settings: Settings) -> list[str]:
    """Who gets the digest: configured addresses, else active mediators with an email, else the service."""
    if settings.deadlines.digest_to:
        return [a.strip().lower() for a in settings.deadlines.digest_to if a.strip()]
    emails = sorted(
        {
            u.email
            for u in session.scalars(select(User).where(User.role == "mediateur", User.disabled.is_(False)))
            if u.email
        }
    )
    return emails or [settings.service.email]


def digest_text(
    settings: Settings, deadlines: Deadlines, pending: int, day: date, assignee_id: int | None = None
) -> str:
    """The digest's plain text: references and delays only (an email may be read anywhere); for a
    mediator, her own dossiers first."""
    base = settings.web.public_url.rstrip("/")
    lines = [f"Médiature — échéances du {day.strftime('%d/%m/%Y')}", "", f"Demandes à trier : {pending}", ""]
    if assignee_id is not None:
        everything = (
            *deadlines.service_overdue,
            *deadlines.no_first_contact,
            *deadlines.open_too_long,
            *deadlines.reminders_due,
        )
        mine = sorted({item.reference for item in everything if item.assignee_id == assignee_id})
        lines.append(f"Vos dossiers concernés : {len(mine)}")
        lines += [f"  - {ref} — {base}/mediation/dossiers/{ref}" for ref in mine]
        lines.append("")
    sections = (
        (
            f"Réponses des services en retard (délai de {settings.deadlines.service_answer_days} jours, art. 15)",
            deadlines.service_overdue,
            "jour(s) de retard",
        ),
        (
            f"Demandes sans premier contact depuis {settings.deadlines.first_contact_days} jours ou plus",
            deadlines.no_first_contact,
            "jour(s) d'attente",
        ),
        (
            f"Dossiers ouverts depuis plus de {settings.deadlines.open_alert_months} mois",
            deadlines.open_too_long,
            "jour(s)",
        ),
        (
            "Rappels arrivés (dont les dossiers en attente de la réponse de l'usager)",
            deadlines.reminders_due,
            "jour(s) depuis la date de rappel",
        ),
    )
    for title, items, unit in sections:
        lines.append(f"{title} : {len(items)}")
        for item in items:
            lines.append(
                f"  - {item.reference} ({status_label(item.status)}) : {item.days} {unit} "
                f"— {base}/mediation/dossiers/{item.reference}"
            )
        lines.append("")
    lines.append(f"Espace de la médiation : {base}/mediation/")
    return "\n".join(lines) + "\n"


def queue_digest(session: Session, settings: Settings, secret: bytes, now: datetime) -> list[Queued]:
    """Put today's digest in the outbox for each recipient (once per day and address: idempotent)."""
    day = local_day(now)
    deadlines = compute(session, settings, now)
    pending = pending_count(session)
    domain = settings.smtp.from_address.rsplit("@", 1)[-1]
    items = []
    for address in digest_recipients(session, settings):
        user = session.scalar(select(User).where(func.lower(User.email) == address, User.role == "mediateur"))
        text = digest_text(settings, deadlines, pending, day, user.id if user is not None else None)
        out = Outgoing(
            to_address=address,
            to_name="",
            text=text,
            html=None,
            subject=f"Médiature : {deadlines.total} échéance(s), {pending} demande(s) à trier — "
            f"{day.strftime('%d/%m/%Y')}",
            message_id=make_message_id(secret, f"DIGEST-{day.strftime('%Y%m%d')}", domain, "digest"),
            automatic=False,
        )
        items.append(
            enqueue(
                session,
                settings,
                out,
                kind="digest",
                dossier_id=None,
                now=now,
                idempotency_key=f"digest:{day.isoformat()}:{address}",
            )
        )
    return items
