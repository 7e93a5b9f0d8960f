"""The team's work on dossiers: who handles each one, what is unread, when to look at it again, and the
email that tells the person in charge (references and links only: an email may be read anywhere)."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from triage.config import Settings
from triage.dossiers.msgid import make_message_id
from triage.errors import DossierError
from triage.notify.compose import Outgoing
from triage.notify.outbox import enqueue
from triage.store.accounts import Account, account_of, mediator_accounts
from triage.store.audit import Actor, record
from triage.store.db import Transaction
from triage.store.dossier_data import unread_count as stored_unread_count
from triage.store.models import Dossier
from triage.store.outbox import Queued
from triage.workspace.process import private_event

# « mes dossiers / non attribués / tous »
OWNERSHIP = {"moi": "Mes dossiers", "aucun": "Non attribués", "tous": "Tous"}


def ownership_filter(choice: str, user_id: int | None) -> tuple[Any, ...]:
    """SQL conditions for one of OWNERSHIP's choices (nothing for « tous » or an unknown choice)."""
    if choice == "moi" and user_id is not None:
        return (Dossier.assignee_id == user_id,)
    if choice == "aucun":
        return (Dossier.assignee_id.is_(None),)
    return ()


def assignable(session: Transaction) -> list[Account]:
    """Who can be given a dossier: active mediator accounts (mediators and delegates)."""
    return mediator_accounts(session)


def unread_count(session: Transaction, user_id: int | None = None) -> int:
    """Dossiers with new mail not yet read (only the user's own when given)."""
    return stored_unread_count(session, user_id)


def notify_assignee(
    session: Transaction, settings: Settings, secret: bytes, dossier: Dossier, what: str, key: str
) -> Queued | None:
    """Email the person in charge of the dossier (when configured and they have an address), once per key."""
    if not settings.correspondence.notify_assignee or dossier.assignee_id is None:
        return None
    user = account_of(session, dossier.assignee_id)
    if user is None or user.disabled or not user.email:
        return None
    base = settings.web.public_url.rstrip("/")
    domain = settings.smtp.from_address.rsplit("@", 1)[-1]
    out = Outgoing(
        to_address=user.email,
        to_name=user.display_name,
        html=None,
        automatic=False,
        subject=f"Médiature : {what} — dossier {dossier.reference}",
        text=f"{what}.\n\nDossier {dossier.reference} : {base}/mediation/dossiers/{dossier.reference}\n",
        message_id=make_message_id(secret, dossier.reference, domain, "notice"),
    )
    # not tied to the dossier: the team's own mail is not correspondence (nor an address « written to »)
    return enqueue(
        session, settings, out, kind="team_notice", idempotency_key=f"notice:{key}"[:200], dossier_id=None
    )


def assign(
    session: Transaction,
    settings: Settings,
    secret: bytes,
    dossier: Dossier,
    user_id: int | None,
    actor: Actor,
) -> None:
    """Give the dossier to a mediator (None: nobody); the new assignee is told by email (configurable)."""
    if user_id is not None:
        user = account_of(session, user_id)
        if user is None or user.disabled or user.role != "mediateur":
            raise DossierError("cette personne ne peut pas recevoir de dossier", key=dossier.reference)
        name = user.display_name or user.username
    else:
        name = ""
    if dossier.assignee_id == user_id:
        return
    dossier.assignee_id = user_id
    private_event(
        session,
        dossier,
        "attribution",
        f"Dossier attribué à {name}" if name else "Dossier non attribué",
        actor,
        details={"assignee_id": user_id},
    )
    record(session, actor, "dossier.assign", dossier_id=dossier.id, details={"assignee_id": user_id})
    if user_id is not None and user_id != actor.user_id:  # a double click stops above: same assignee
        notify_assignee(
            session,
            settings,
            secret,
            dossier,
            f"Dossier attribué par {actor.name}",
            f"assign:{dossier.reference}:{user_id}:{secrets.token_hex(8)}",
        )


def set_reminder(session: Transaction, dossier: Dossier, day: date | None, actor: Actor) -> None:
    """The day to look at the dossier again (None: no reminder)."""
    dossier.reminder_on = day
    private_event(
        session,
        dossier,
        "rappel",
        f"Rappel le {day:%d/%m/%Y}" if day else "Rappel retiré",
        actor,
        details={"reminder_on": day.isoformat() if day else None},
    )
    record(session, actor, "dossier.reminder", dossier_id=dossier.id)


def mark_read(dossier: Dossier, unread: bool = False) -> None:
    """Clear (or set again) the unread mark."""
    dossier.unread = unread
