"""Requests that arrive by phone, at a permanence or handed in on paper: the mediator (or the mail
service) types them in. The same suggestions run on the typed summary, and the citizen gets the same
acknowledgement as everyone else (email, or a printed letter)."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.dossiers.tracking import short_code
from triage.errors import DossierError
from triage.records import Channel, Requester, Suggestion
from triage.runtime import Runtime
from triage.store.audit import Actor, record
from triage.store.models import Message, OutboxItem, PrintJob, SuggestionRow
from triage.workspace.common import utcnow
from triage.workspace.labels import MANUAL_CHANNELS, REFERRERS
from triage.workspace.process import private_event, record_first_contact

log = logging.getLogger("mediature.workspace")


@dataclass(frozen=True)
class ManualRequest:
    """What the person typing in a request fills in."""

    channel: str  # telephone / permanence / courrier
    referred_by: str  # usager / agent / elu / tribunal_administratif / delegue_defenseur_droits
    summary: str  # what the citizen asks, in the mediator's words
    civility: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    commune: str = ""
    subject: str = ""
    referrer_name: str = ""  # the agent, elected official or delegate who referred it
    received_at: datetime | None = None


@dataclass(frozen=True)
class ManualOutcome:
    """The new dossier: what the person at the desk may read back to the citizen."""

    dossier_id: int
    reference: str
    tracking_code: str
    acknowledgement: str  # French: how the acknowledgement goes out


def get_pipeline(runtime: Runtime, *, reload: bool = False) -> Any:
    """The runtime's ingestion pipeline (with its suggester), built once; `reload` re-reads rules and model."""
    if reload or "pipeline" not in runtime.extras:
        from triage.pipeline import Pipeline

        runtime.extras["pipeline"] = Pipeline.from_runtime(runtime)
    return runtime.extras["pipeline"]


def get_suggester(runtime: Runtime) -> Any | None:
    """The suggester shared with the pipeline (None when triage suggestions are not installed)."""
    return getattr(get_pipeline(runtime), "suggester", None)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def store_suggestion(session: Session, dossier_id: int, message_id: int | None, suggestion: Suggestion) -> SuggestionRow:
    """Keep a suggestion on a dossier with its reasons and the words that triggered each label."""
    labels = {"domain": suggestion.domain, "admissibility": suggestion.admissibility,
              "reorientation": suggestion.reorientation}
    row = SuggestionRow(
        dossier_id=dossier_id, message_id=message_id, model_version=suggestion.model_version[:120],
        domain=suggestion.domain.code, domain_confidence=float(suggestion.domain.confidence),
        admissibility=suggestion.admissibility.code,
        admissibility_confidence=float(suggestion.admissibility.confidence),
        reorientation=suggestion.reorientation.code,
        reorientation_confidence=float(suggestion.reorientation.confidence),
        reasons={**{k: list(v.reasons) for k, v in labels.items()}, "general": list(suggestion.reasons)},
        highlights={k: list(v.highlights) for k, v in labels.items()},
        extracted=_jsonable(dict(suggestion.extracted)),
        to_check={k: v.to_check for k, v in labels.items()},
    )
    session.add(row)
    return row


def _validate(request: ManualRequest) -> None:
    if request.channel not in MANUAL_CHANNELS:
        raise DossierError(f"canal inconnu : {request.channel}")
    if request.referred_by not in REFERRERS:
        raise DossierError(f"origine inconnue : {request.referred_by}")
    if len(request.summary.strip()) < 10:
        raise DossierError("résumez la demande en quelques mots (10 caractères au moins)")
    email = request.email.strip()
    if email and (email.count("@") != 1 or any(c.isspace() for c in email)):
        raise DossierError("adresse de courriel invalide")


def open_manual(session: Session, runtime: Runtime, request: ManualRequest, actor: Actor) -> ManualOutcome:
    """Open a dossier from a typed request, suggest its triage and queue the acknowledgement."""
    from triage.dossiers.registry import complete_requester, open_dossier

    _validate(request)
    settings = runtime.settings
    received = request.received_at or utcnow()
    summary = request.summary.strip()
    suggestion: Suggestion | None = None
    suggester = get_suggester(runtime)
    if suggester is not None:
        try:
            suggestion = suggester.suggest(summary, sender=request.email.strip().lower())
        except Exception as err:  # noqa: BLE001  (a failed suggestion must not lose the request)
            log.warning("suggestion failed for a manual request: %s", type(err).__name__)
    requester = complete_requester(Requester(
        name=request.name.strip(), email=request.email.strip().lower(), phone=request.phone.strip(),
        address=request.address.strip(), postcode=request.postcode.strip(), commune=request.commune.strip(),
        civility=request.civility.strip()), {})
    opened = open_dossier(
        session, prefix=settings.service.reference_prefix, channel=Channel(request.channel), received_at=received,
        requester=requester, subject=(request.subject.strip() or summary.splitlines()[0])[:300],
        details={"referred_by": request.referred_by, "manual": True},
    )
    dossier = opened.dossier
    dossier.referred_by = request.referred_by
    body = summary.encode("utf-8")
    message = Message(
        dossier_id=dossier.id, direction="in", channel=request.channel, kind="request", role="request",
        source="manual", source_key=f"saisie:{actor.name}"[:200],
        dedupe_key=hashlib.sha256(b"manual\n" + secrets.token_bytes(16)).hexdigest(),
        content_hash=hashlib.sha256(body).hexdigest(), subject=dossier.subject,
        from_name=requester.name, from_address=requester.email, received_at=received, body_text=summary,
    )
    session.add(message)
    session.flush()
    if suggestion is not None:
        store_suggestion(session, dossier.id, message.id, suggestion)
    who = REFERRERS[request.referred_by]
    if request.referrer_name.strip():
        who += f" ({request.referrer_name.strip()[:200]})"
    private_event(session, dossier, "saisie", f"Demande saisie ({MANUAL_CHANNELS[request.channel].lower()}) — "
                  f"origine : {who}", actor, details={"channel": request.channel, "referred_by": request.referred_by})
    if actor.role == "mediateur" and request.channel in ("telephone", "permanence"):
        # the citizen was talking to the mediator: that is the first contact of art. 7
        record_first_contact(session, dossier, actor, request.channel, automatic=True)
    record(session, actor, "dossier.create", dossier_id=dossier.id,
           details={"channel": request.channel, "referred_by": request.referred_by})
    _acknowledge(session, runtime, dossier, opened.token)
    return ManualOutcome(dossier.id, dossier.reference, short_code(dossier.reference, dossier.tracking_key),
                         _acknowledgement_summary(session, dossier.id))


def _acknowledgement_summary(session: Session, dossier_id: int) -> str:
    """How the acknowledgement went out, from what the notifier queued (French)."""
    session.flush()
    emails = session.scalars(select(OutboxItem.status).where(OutboxItem.dossier_id == dossier_id)).all()
    letters = session.scalar(select(func.count()).select_from(PrintJob).where(PrintJob.dossier_id == dossier_id))
    ways = []
    if "pending" in emails:
        ways.append("par courriel")
    if letters:
        ways.append("par courrier (file d'impression)")
    return " et ".join(ways) if ways else "non envoyé : ni courriel utilisable ni adresse postale, à compléter"


def _acknowledge(session: Session, runtime: Runtime, dossier: Any, token: str) -> None:
    try:
        from triage.notify.acknowledge import Notifier
    except ImportError:  # notifications not installed: the dossier is still opened
        return
    Notifier.from_runtime(runtime).on_dossier_opened(session, dossier, token, None)
