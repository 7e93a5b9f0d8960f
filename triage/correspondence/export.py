"""A dossier as plain data for scripts (`mediature dossiers show --json`, `dossiers list --json`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from triage.config import Settings
from triage.dossiers.statuses import status_label
from triage.store import dossier_data
from triage.store.db import Transaction
from triage.store.dossier_data import DossierLine


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def summary(dossier: DossierLine) -> dict[str, Any]:
    """What a list needs about one dossier."""
    return {
        "reference": dossier.reference,
        "status": dossier.status,
        "status_label": status_label(dossier.status),
        "assignee": dossier.assignee,
        "unread": dossier.unread,
        "reminder_on": _iso(dossier.reminder_on),
        "received_at": _iso(dossier.received_at),
        "channel": dossier.channel,
        "territory": dossier.requester_territory or None,
        "domain": dossier.domain,
        "service_concerned": dossier.service_concerned or None,
        "service_deadline": _iso(dossier.service_deadline),
        "service_answered_at": _iso(dossier.service_answered_at),
        "closed_at": _iso(dossier.closed_at),
    }


def messages(session: Transaction, settings: Settings, dossier: DossierLine) -> list[dict[str, Any]]:
    """Every message of a dossier, incoming and outgoing (emails and printed letters), oldest first."""
    rows: list[dict[str, Any]] = []
    for m in dossier_data.received(session, dossier.id):
        rows.append(
            {
                "direction": m.direction,
                "from": m.from_address,
                "to": list(m.to_addresses),
                "subject": m.subject,
                "date": _iso(m.received_at),
                "channel": m.channel,
                "role": m.role,
                "message_id": m.message_id,
                "attachments": list(m.attachments),
            }
        )
    for o in dossier_data.mailed(session, dossier.id):
        rows.append(
            {
                "direction": "out",
                "from": settings.smtp.from_address,
                "to": [o.to_address],
                "subject": o.subject,
                "date": _iso(o.created_at),
                "channel": "email",
                "role": o.kind,
                "message_id": o.message_id,
                "delivery_status": o.status,
                "sent_at": _iso(o.sent_at),
            }
        )
    for p in dossier_data.printed(session, dossier.id):
        rows.append(
            {
                "direction": "out",
                "from": settings.service.name,
                "to": [],
                "subject": "",
                "date": _iso(p.created_at),
                "channel": "courrier",
                "role": p.kind,
                "message_id": None,
                "delivery_status": p.status,
            }
        )
    rows.sort(key=lambda r: r["date"] or "")
    return rows


def dossier_record(session: Transaction, settings: Settings, dossier: DossierLine) -> dict[str, Any]:
    """One dossier with its messages."""
    record = summary(dossier)
    record["subject"] = dossier.subject
    record["messages"] = messages(session, settings, dossier)
    return record
