"""When Médiature must not send an automatic message (RFC 3834 and mature helpdesks' loop guards)."""

from __future__ import annotations

from datetime import datetime, timedelta

from triage.clock import system_clock
from triage.config import Settings
from triage.parse.automatic import ROBOT_SENDER
from triage.records import MessageKind, ParsedMessage
from triage.store.db import Transaction
from triage.store.outbox import automatic_sent_since, hard_bounced_at


def refusal(
    session: Transaction,
    settings: Settings,
    address: str,
    source: ParsedMessage | None,
    *,
    now: datetime | None = None,
) -> str | None:
    """The French reason why no automatic message may go to `address` now, or None when it may."""
    now = now or system_clock()
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
    bounced = hard_bounced_at(session, address)
    recent = timedelta(days=settings.smtp.hard_bounce_days)
    if bounced is not None and now - bounced < recent:
        return "adresse en échec définitif récent (rejet)"
    sent_today = automatic_sent_since(session, address, now - timedelta(days=1))
    if sent_today >= settings.smtp.max_auto_per_address_per_day:
        return (
            f"limite de {settings.smtp.max_auto_per_address_per_day} messages automatiques par jour atteinte"
        )
    return None
