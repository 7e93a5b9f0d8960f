"""The review queue: dossiers whose triage the mediator has not confirmed yet, oldest first,
with their suggestion and the existing dossiers of the same person (merge candidates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.store.models import Dossier, Message, SuggestionRow
from triage.store.transcriptions import TranscriptionFlag, dossiers_to_check
from triage.workspace.common import latest_suggestion, name_key, phone_key, request_message
from triage.workspace.labels import LabelChoices, label_choices

LABEL_KINDS = ("domain", "admissibility", "reorientation")
CLOSED_TRIAGE = ("merged", "not_request")


@dataclass(frozen=True)
class LabelView:
    """One suggested label as the mediator sees it."""

    kind: str
    code: str
    name: str
    confidence: float
    to_check: bool
    reasons: tuple[str, ...]
    highlights: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    """An existing dossier that may be the same person's."""

    dossier_id: int
    reference: str
    status: str
    received_at: datetime
    why: str  # French: "même courriel", "même téléphone", "même nom et code postal"


@dataclass(frozen=True)
class QueueItem:
    """One dossier waiting for the mediator's triage."""

    dossier_id: int
    reference: str
    received_at: datetime
    channel: str
    referred_by: str
    requester: str  # name, else email, else phone ("" when unknown)
    subject: str
    text: str
    labels: tuple[LabelView, ...]  # empty when no suggestion was stored
    general_reasons: tuple[str, ...]
    model_version: str
    confident: bool  # every label « sûr » and the text trustworthy: bulk-accept takes it
    candidates: tuple[Candidate, ...]
    transcription: TranscriptionFlag | None = None  # a scanned page whose OCR is « à vérifier »

    def label(self, kind: str) -> LabelView | None:
        """The suggested label of one kind."""
        return next((lab for lab in self.labels if lab.kind == kind), None)

    @property
    def uncertain(self) -> bool:
        """No suggestion, or at least one label below the threshold: the mediator must look closely."""
        return not self.confident

    @property
    def summary(self) -> str:
        """One line: the subject, else the first non-empty line of the text."""
        for line in (self.subject, *self.text.splitlines()):
            line = " ".join((line or "").split())
            if line:
                return line
        return ""

    @property
    def reasons(self) -> tuple[tuple[str, str], ...]:
        """Every reason once, as (kind, reason), in label order then the general ones."""
        seen: set[str] = set()
        out = []
        for kind, reasons in [
            *((lab.kind, lab.reasons) for lab in self.labels),
            ("general", self.general_reasons),
        ]:
            for reason in reasons:
                if reason not in seen:
                    seen.add(reason)
                    out.append((kind, reason))
        return tuple(out)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if v)
    return ()


def label_views(row: SuggestionRow, choices: LabelChoices, threshold: float) -> tuple[LabelView, ...]:
    """The three labels of a stored suggestion, with French names, reasons and trigger words."""
    views = []
    for kind in LABEL_KINDS:
        code = getattr(row, kind)
        confidence = float(getattr(row, f"{kind}_confidence"))
        choice_kind = "domains" if kind == "domain" else kind
        views.append(
            LabelView(
                kind=kind,
                code=code,
                name=choices.name(choice_kind, code) or code,
                confidence=confidence,
                to_check=label_to_check(row, kind, threshold),
                reasons=_strings((row.reasons or {}).get(kind)),
                highlights=_strings((row.highlights or {}).get(kind)),
            )
        )
    return tuple(views)


def label_to_check(row: SuggestionRow, kind: str, threshold: float) -> bool:
    """« À vérifier » as the suggester decided it with the model's calibrated thresholds; older rows
    without that decision fall back to the configured threshold."""
    stored = (row.to_check or {}).get(kind)
    if isinstance(stored, bool):
        return stored
    return float(getattr(row, f"{kind}_confidence")) < threshold


def is_confident(row: SuggestionRow | None, threshold: float) -> bool:
    """Whether every label of a suggestion is « sûr »: what the bulk button accepts."""
    if row is None:
        return False
    return not any(label_to_check(row, kind, threshold) for kind in LABEL_KINDS)


def merge_candidates(session: Session, dossier: Dossier, limit: int = 5) -> tuple[Candidate, ...]:
    """Other dossiers with the same email, the same phone, or the same name and postcode."""
    email = (dossier.requester_email or "").strip().lower()
    phone = phone_key(dossier.requester_phone)
    name = name_key(dossier.requester_name)
    postcode = (dossier.requester_postcode or "").strip()
    conditions = []
    if email:
        conditions.append(func.lower(Dossier.requester_email) == email)
    if postcode and name:
        conditions.append(Dossier.requester_postcode == postcode)
    if phone:
        # compare in Python below: numbers are stored as people wrote them
        conditions.append(Dossier.requester_phone.like(f"%{phone[-2:]}%"))
    if not conditions:
        return ()
    rows = session.execute(
        select(
            Dossier.id,
            Dossier.reference,
            Dossier.status,
            Dossier.received_at,
            Dossier.requester_email,
            Dossier.requester_phone,
            Dossier.requester_name,
            Dossier.requester_postcode,
        )
        .where(
            Dossier.id != dossier.id,
            Dossier.merged_into_id.is_(None),
            Dossier.triage_status.not_in(CLOSED_TRIAGE),
            or_(*conditions),
        )
        .order_by(Dossier.received_at.desc())
    ).all()
    found: list[Candidate] = []
    for row in rows:
        reasons = []
        if email and (row.requester_email or "").strip().lower() == email:
            reasons.append("même courriel")
        if phone and phone_key(row.requester_phone) == phone:
            reasons.append("même téléphone")
        if name and postcode and row.requester_postcode == postcode and name_key(row.requester_name) == name:
            reasons.append("même nom et code postal")
        if reasons:
            found.append(Candidate(row.id, row.reference, row.status, row.received_at, ", ".join(reasons)))
        if len(found) >= limit:
            break
    return tuple(found)


_UNSET: Any = object()


def queue_item(
    session: Session,
    settings: Settings,
    dossier: Dossier,
    choices: LabelChoices | None = None,
    *,
    suggestion: SuggestionRow | None = _UNSET,
    message: Message | None = _UNSET,
    transcription: TranscriptionFlag | None = _UNSET,
) -> QueueItem:
    """The queue entry of one dossier (suggestion and request message may be preloaded)."""
    choices = choices or label_choices(settings)
    threshold = settings.triage.confidence_threshold
    row = latest_suggestion(session, dossier.id) if suggestion is _UNSET else suggestion
    message = request_message(session, dossier.id) if message is _UNSET else message
    if transcription is _UNSET:
        check_below = settings.scans.transcription_check_below
        transcription = dossiers_to_check(session, check_below, [dossier.id]).get(dossier.id)
    text = message.body_text if message is not None and message.body_text.strip() else dossier.subject
    general: tuple[str, ...] = ()
    if row is not None:
        general = _strings((row.reasons or {}).get("general"))
    return QueueItem(
        dossier_id=dossier.id,
        reference=dossier.reference,
        received_at=dossier.received_at,
        channel=dossier.channel,
        referred_by=dossier.referred_by,
        requester=dossier.requester_name or dossier.requester_email or dossier.requester_phone or "",
        subject=dossier.subject or "",
        text=text or "",
        labels=label_views(row, choices, threshold) if row is not None else (),
        general_reasons=general,
        model_version=row.model_version if row is not None else "",
        # a suggestion read from a doubtful transcription is never « sûr », whatever its scores
        confident=is_confident(row, threshold) and transcription is None,
        candidates=merge_candidates(session, dossier),
        transcription=transcription,
    )


def _preload(session: Session, ids: list[int]) -> tuple[dict[int, SuggestionRow], dict[int, Message]]:
    """Latest suggestion and request message of many dossiers in two queries."""
    suggestions: dict[int, SuggestionRow] = {}
    for row in session.scalars(
        select(SuggestionRow)
        .where(SuggestionRow.dossier_id.in_(ids))
        .order_by(SuggestionRow.created_at.desc(), SuggestionRow.id.desc())
    ):
        suggestions.setdefault(row.dossier_id, row)
    messages: dict[int, Message] = {}
    for msg in session.scalars(
        select(Message)
        .where(Message.dossier_id.in_(ids), Message.direction == "in")
        .order_by(Message.received_at, Message.id)
    ):
        assert msg.dossier_id is not None
        current = messages.get(msg.dossier_id)
        if current is None or (current.role != "request" and msg.role == "request"):
            messages[msg.dossier_id] = msg
    return suggestions, messages


def pending_dossiers(
    session: Session, limit: int | None = None, where: tuple[Any, ...] = ()
) -> list[Dossier]:
    """Dossiers whose triage is not confirmed, oldest first (`where`: extra conditions, e.g. the assignee)."""
    query = (
        select(Dossier)
        .where(Dossier.triage_status == "pending", Dossier.merged_into_id.is_(None), *where)
        .order_by(Dossier.received_at, Dossier.id)
    )
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def pending_queue(
    session: Session, settings: Settings, limit: int | None = 100, where: tuple[Any, ...] = ()
) -> list[QueueItem]:
    """The review queue: uncertain suggestions first (they need reading), then the sure ones; oldest first in each."""
    choices = label_choices(settings)
    dossiers = pending_dossiers(session, limit, where)
    suggestions, messages = _preload(session, [d.id for d in dossiers])
    flags = dossiers_to_check(session, settings.scans.transcription_check_below, [d.id for d in dossiers])
    items = [
        queue_item(
            session,
            settings,
            d,
            choices,
            suggestion=suggestions.get(d.id),
            message=messages.get(d.id),
            transcription=flags.get(d.id),
        )
        for d in dossiers
    ]
    return sorted(
        items, key=lambda item: item.confident
    )  # stable: keeps the oldest-first order inside each group


def pending_count(session: Session) -> int:
    """How many dossiers wait for triage."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Dossier)
            .where(Dossier.triage_status == "pending", Dossier.merged_into_id.is_(None))
        )
        or 0
    )
