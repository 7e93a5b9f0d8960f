"""Drafts of free messages: kept per dossier until sent or discarded."""

from __future__ import annotations

from dataclasses import dataclass

from triage.errors import NotFoundError
from triage.store import writing as stored
from triage.store.audit import Actor, record
from triage.store.db import Transaction
from triage.store.models import Dossier, Draft


@dataclass(frozen=True)
class DraftValues:
    """What the « Écrire » form holds."""

    recipient: str = "usager"  # usager, contact:<id> or autre
    delivery: str = "courriel"
    to_address: str = ""
    to_name: str = ""
    subject: str = ""
    body: str = ""
    mention: str = ""
    attachment_ids: tuple[int, ...] = ()


def drafts_of(session: Transaction, dossier: Dossier) -> list[Draft]:
    """The dossier's drafts, latest first."""
    return stored.drafts_of(session, dossier.id)


def get_draft(session: Transaction, dossier: Dossier, draft_id: int) -> Draft:
    """One draft of this dossier, or NotFoundError."""
    draft = stored.find_draft(session, draft_id)
    if draft is None or draft.dossier_id != dossier.id:
        raise NotFoundError("brouillon introuvable", key=str(draft_id))
    return draft


def values_of(draft: Draft) -> DraftValues:
    """A stored draft as form values."""
    recipient = (
        f"contact:{draft.contact_id}"
        if draft.contact_id
        else ("usager" if draft.to_name == "" and draft.to_address == "" else "autre")
    )
    return DraftValues(
        recipient=recipient,
        delivery=draft.delivery,
        to_address=draft.to_address,
        to_name=draft.to_name,
        subject=draft.subject,
        body=draft.body,
        mention=draft.mention,
        attachment_ids=tuple(draft.attachment_ids or ()),
    )


def save_draft(
    session: Transaction, dossier: Dossier, actor: Actor, values: DraftValues, draft_id: int | None = None
) -> Draft:
    """Create or update a draft."""
    draft = (
        get_draft(session, dossier, draft_id)
        if draft_id
        else Draft(dossier_id=dossier.id, user_id=actor.user_id)
    )
    contact_id = int(values.recipient.split(":", 1)[1]) if values.recipient.startswith("contact:") else None
    usager = values.recipient == "usager"
    draft.delivery = values.delivery[:16]
    draft.to_address = "" if usager else values.to_address.strip()[:320]
    draft.to_name = "" if usager else values.to_name.strip()[:200]
    draft.contact_id = contact_id
    draft.subject, draft.body, draft.mention = values.subject[:300], values.body, values.mention[:32]
    draft.attachment_ids = list(values.attachment_ids)
    stored.write_draft(session, draft)
    record(session, actor, "dossier.draft", dossier_id=dossier.id, details={"draft_id": draft.id})
    return draft


def discard_draft(session: Transaction, dossier: Dossier, draft_id: int) -> None:
    """Delete a draft (after sending, or on request)."""
    stored.remove(session, get_draft(session, dossier, draft_id))
