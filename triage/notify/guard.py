"""When Médiature must not send an automatic message (RFC 3834 and mature helpdesks' loop guards)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.parse.automatic import ROBOT_SENDER
from triage.records import MessageKind, ParsedMessage
from triage.store.models import AddressStatus, OutboxItem


def refusal(
    session: Session,
    settings: Settings,
    address: str,
    source: ParsedMessage | None,
    *,
    now: datetime | None = None,
) -> str | None:
    """The French reason why no automatic message may go to `address` now, or None when it may."""
    now = now or datetime.now(UTC)
    address = (address or "").strip().lower()
    if not address or "@" not in address:
        return "pas d'adresse électronique"
    if source is not None:
        if source.kind == MessageKind.AUTO_REPLY:
            return "le message reçu est une réponse automatique"
        if source.kind == MessageKind.BOUNCE:
            return "le message reçu est un avis de non-distribution"
        if source.kind == MessageKind.LIST:
            return "le message reçu vient d'une liste de diffusion"
        if source.has_x_loop:
            return "le message reçu porte un en-tête X-Loop"
    if ROBOT_SENDER.search(address):
        return "adresse d'expéditeur automatique (no-reply, mailer-daemon, postmaster...)"
    own = {a.lower() for a in settings.parsing.own_addresses} | {
        settings.smtp.from_address.lower(),
        settings.service.email.lower(),
    }
    if address in own:
        return "adresse de la médiation elle-même"
    status = session.get(AddressStatus, address)
    recent = timedelta(days=settings.smtp.hard_bounce_days)
    if status is not None and status.hard_bounced_at is not None and now - status.hard_bounced_at < recent:
        return "adresse en échec définitif récent (rejet)"
    since = now - timedelta(days=1)
    sent_today = session.scalar(
        select(func.count(OutboxItem.id)).where(
            OutboxItem.to_address == address,
            OutboxItem.automatic.is_(True),
            OutboxItem.status.in_(("pending", "sending", "sent")),
            OutboxItem.created_at >= since,
        )
    )
    if (sent_today or 0) >= settings.smtp.max_auto_per_address_per_day:
        return (
            f"limite de {settings.smtp.max_auto_per_address_per_day} messages automatiques par jour atteinte"
        )
    return None
