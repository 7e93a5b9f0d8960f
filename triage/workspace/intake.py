"""Requests that arrive by phone, at a permanence or handed in on paper: the mediator (or the mail
service) types them in. The same suggestions run on the typed summary, and the citizen gets the same
acknowledgement as everyone else (email, or a printed letter)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.dossiers.opening import OpeningRequest, TypedArrival, open_dossier
from triage.dossiers.tracking import short_code
from triage.errors import DossierError
from triage.pipeline import Pipeline
from triage.records import Channel, Requester
from triage.store.audit import Actor, record
from triage.store.models import OutboxItem, PrintJob
from triage.workspace.labels import MANUAL_CHANNELS, REFERRERS
from triage.workspace.process import private_event, record_first_contact


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


def open_manual(session: Session, pipeline: Pipeline, request: ManualRequest, actor: Actor) -> ManualOutcome:
    """Open a dossier from a typed request (triage.dossiers.opening), with the pipeline's suggestion and
    acknowledgement."""
    _validate(request)
    now = pipeline.clock()
    summary = request.summary.strip()
    email = request.email.strip().lower()
    requester = Requester(
        name=request.name.strip(),
        email=email,
        phone=request.phone.strip(),
        address=request.address.strip(),
        postcode=request.postcode.strip(),
        commune=request.commune.strip(),
        civility=request.civility.strip(),
    )
    opened = open_dossier(
        session,
        OpeningRequest(
            channel=Channel(request.channel),
            received_at=request.received_at or now,
            requester=requester,
            arrival=TypedArrival(summary, actor.name),
            opened_at=now,
            subject=(request.subject.strip() or summary.splitlines()[0])[:300],
            referred_by=request.referred_by,
            suggestion=pipeline.suggest(lambda: summary, email),
            fill_from_suggestion=False,  # what was typed is what the person said: nothing guessed on top
            details={"referred_by": request.referred_by, "manual": True},
        ),
        prefix=pipeline.prefix,
        notifier=pipeline.notifier,
    )
    dossier = opened.attach(session)
    who = REFERRERS[request.referred_by]
    if request.referrer_name.strip():
        who += f" ({request.referrer_name.strip()[:200]})"
    private_event(
        session,
        dossier,
        "saisie",
        f"Demande saisie ({MANUAL_CHANNELS[request.channel].lower()}) — origine : {who}",
        actor,
        details={"channel": request.channel, "referred_by": request.referred_by},
        now=now,
    )
    if actor.role == "mediateur" and request.channel in ("telephone", "permanence"):
        # the citizen was talking to the mediator: that is the first contact of art. 7
        record_first_contact(session, dossier, actor, request.channel, now, automatic=True)
    record(
        session,
        actor,
        "dossier.create",
        dossier_id=dossier.id,
        details={"channel": request.channel, "referred_by": request.referred_by},
        now=now,
    )
    return ManualOutcome(
        dossier.id,
        dossier.reference,
        short_code(dossier.reference, dossier.tracking_key),
        _acknowledgement_summary(session, dossier.id),
    )


def _acknowledgement_summary(session: Session, dossier_id: int) -> str:
    """How the acknowledgement went out, from what the notifier queued (French)."""
    session.flush()
    emails = session.scalars(select(OutboxItem.status).where(OutboxItem.dossier_id == dossier_id)).all()
    letters = session.scalar(
        select(func.count()).select_from(PrintJob).where(PrintJob.dossier_id == dossier_id)
    )
    ways = []
    if "pending" in emails:
        ways.append("par courriel")
    if letters:
        ways.append("par courrier (file d'impression)")
    return (
        " et ".join(ways) if ways else "non envoyé : ni courriel utilisable ni adresse postale, à compléter"
    )
