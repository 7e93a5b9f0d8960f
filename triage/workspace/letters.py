"""Outgoing letters from templates, sent by email through the outbox or printed through the print queue.

Each kind's wording lives once, in templates/letters/<kind>.html.j2, which extends either the printed
layout (letters/courrier_layout.html.j2, rendered to PDF) or the email layout
(mail/courrier_layout.html.j2; the text part is derived from it). Where a triage suggestion contributed
to the decision a letter announces, it carries the mention CRPA L311-3-1 requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.correspondence.answers import reply_to_for
from triage.dossiers.statuses import OUTCOMES, can_transition
from triage.dossiers.tracking import Contact
from triage.errors import DossierError
from triage.notify.postal import postal_lines
from triage.runtime import Runtime
from triage.store.audit import Actor, record
from triage.store.models import Dossier, LabelledExample
from triage.workspace.common import latest_suggestion, local_day, request_message, request_text, utcnow
from triage.workspace.labels import reorientation_contact
from triage.workspace.process import StatusChange, change_status, private_event, record_first_contact


@dataclass(frozen=True)
class LetterKind:
    """A kind of letter: its title, who receives it, whether it announces a decision."""

    code: str
    title: str
    to_citizen: bool
    decision: bool  # an individual decision: CRPA L311-3-1 applies when a suggestion contributed


LETTER_KINDS: dict[str, LetterKind] = {
    k.code: k
    for k in (
        LetterKind("reorientation", "Réorientation vers l'organisme compétent", True, True),
        LetterKind(
            "transmission", "Transmission au service du Département (réponse sous 15 jours)", False, False
        ),
        LetterKind("pieces", "Demande de pièces manquantes", True, False),
        LetterKind("fin_mediation", "Avis daté de fin de médiation", True, True),
        LetterKind("conclusion", "Conclusion de la médiation", True, True),
    )
}
DELIVERIES = {
    "courriel": "Par courriel (boîte d'envoi)",
    "courrier": "Par courrier imprimé (file d'impression)",
}


@dataclass(frozen=True)
class LetterRequest:
    """What the mediator asks to send."""

    kind: str
    delivery: str  # courriel / courrier
    nonce: str  # from the form: a double click never sends twice
    message: str = ""  # the mediator's own paragraphs
    recipient_email: str = ""  # transmission: the service's address
    service: str = ""  # transmission: the service's name
    forward: bool = False  # reorientation: also transmit the request to the competent body (CRPA L114-2)
    documents: str = ""  # pieces: one document per line
    due: date | None = None  # pieces: the deadline


@dataclass(frozen=True)
class SentLetter:
    """What went out: one entry per recipient."""

    kind: str
    recipient: str  # French description, no address
    delivery: str
    outbox_id: int | None
    print_job_id: int | None
    algorithmic_mention: bool


def suggestion_contributed(session: Session, dossier: Dossier) -> bool:
    """Whether a stored suggestion was kept, at least in part, in the labels the mediator confirmed."""
    suggestion = latest_suggestion(session, dossier.id)
    example = session.scalar(select(LabelledExample).where(LabelledExample.dossier_id == dossier.id))
    if suggestion is None or example is None:
        return False
    return any(
        getattr(suggestion, k) == getattr(dossier, k) for k in ("domain", "admissibility", "reorientation")
    )


def place_of(settings_service: Any) -> str:
    """The town printed before a letter's date (« Grenoble, le … »), from the service's address."""
    lines = list(settings_service.address_lines)
    last = lines[-1] if lines else ""
    place = re.sub(r"^\d{5}\s*", "", last)
    return re.sub(r"\s+cedex.*$", "", place, flags=re.IGNORECASE).strip() or "Grenoble"


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def _msgid_kind(kind: str) -> str:
    return kind.replace("_", "-")[:24]


# the gender of the first word of a service's name, for « qui concerne la Maison départementale… »
_FEMININE = {
    "maison",
    "direction",
    "mission",
    "caisse",
    "agence",
    "cellule",
    "plateforme",
    "délégation",
    "sous-direction",
    "préfecture",
    "mairie",
    "commune",
    "antenne",
    "permanence",
    "unité",
    "mdph",
}
_MASCULINE = {
    "service",
    "pôle",
    "centre",
    "département",
    "bureau",
    "conseil",
    "secrétariat",
    "territoire",
    "guichet",
    "point",
    "ccas",
    "cias",
    "espace",
}


def with_article(name: str) -> str:
    """'Maison départementale…' -> 'la Maison départementale…'; 'Aide sociale…' -> 'l'Aide sociale…'; a first
    word of unknown gender -> 'le service « … »'."""
    name = " ".join(name.split())
    first = name.split(" ", 1)[0].lower() if name else ""
    if not first or first in {"le", "la", "les", "un", "une", "votre"} or first.startswith(("l'", "l’")):
        return name
    if first[0] in "aeiouyéèêàâîôûh" and first not in {"hôtel"}:
        return f"l'{name}"
    if first in _FEMININE:
        return f"la {name}"
    if first in _MASCULINE:
        return f"le {name}"
    return f"le service « {name} »"


def window_address(address: str, postcode: str, commune: str) -> dict[str, Any]:
    """The template variables of the envelope window (triage.notify.postal normalises the lines)."""
    return {"recipient_lines": list(postal_lines(address, postcode, commune)), "recipient_city": ""}


class LetterWriter:
    """Renders and queues letters for one runtime (settings, secret) and one contact directory."""

    def __init__(self, runtime: Runtime, contact_for: Any = None) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.contact_for = contact_for or (lambda code: reorientation_contact(self.settings, code))

    def context(
        self, session: Session, dossier: Dossier, kind: LetterKind, req: LetterRequest
    ) -> dict[str, Any]:
        """Everything the templates use."""
        from triage.notify.acknowledge import greeting

        contact = (
            self.contact_for(dossier.reorientation)
            if dossier.reorientation not in (None, "", "none")
            else None
        )
        return {
            "kind": kind,
            "reference": dossier.reference,
            "received_at": dossier.received_at,
            "today": utcnow(),
            "place": place_of(self.settings.service),
            "service": self.settings.service,
            "greeting": greeting(dossier.requester_civility),
            "requester_name": dossier.requester_name,
            "tracking_home": self.settings.web.public_url.rstrip("/") + "/suivi",
            "tracking_key": dossier.tracking_key,
            "paragraphs": _paragraphs(req.message),
            "contact": contact or Contact(name="l'organisme compétent"),
            "contact_known": contact is not None,
            "forwarded": req.forward,
            "outcome": OUTCOMES.get(dossier.outcome or "", ""),
            "closed_at": dossier.closed_at,
            "service_name": req.service or dossier.service_concerned,
            "deadline": dossier.service_deadline,
            "due": req.due,
            "documents": [d.strip(" -•\t") for d in req.documents.splitlines() if d.strip(" -•\t")],
            "request_text": request_text(session, dossier),
            "subject": dossier.subject,
            "algorithmic_mention": kind.decision and suggestion_contributed(session, dossier),
            "service_with_article": with_article(req.service or dossier.service_concerned or ""),
            "recipient_name": dossier.requester_name,
            **window_address(
                dossier.requester_address or "", dossier.requester_postcode, dossier.requester_commune
            ),
        }

    def _validate(self, dossier: Dossier, kind: LetterKind, req: LetterRequest) -> None:
        ref = dossier.reference
        if req.delivery not in DELIVERIES:
            raise DossierError("choisissez l'envoi par courriel ou par courrier", key=ref)
        if kind.code == "reorientation" and dossier.reorientation in (None, "", "none"):
            raise DossierError("indiquez d'abord l'organisme de réorientation (tri du dossier)", key=ref)
        if kind.code == "reorientation" and req.forward and self.contact_for(dossier.reorientation) is None:
            raise DossierError("coordonnées de l'organisme inconnues : transmission impossible", key=ref)
        if kind.code == "transmission":
            if not (req.service.strip() or dossier.service_concerned):
                raise DossierError("indiquez le service du Département concerné", key=ref)
            if req.delivery == "courriel" and "@" not in req.recipient_email:
                raise DossierError("indiquez le courriel du service destinataire", key=ref)
        if kind.code == "pieces" and not req.documents.strip():
            raise DossierError("listez les pièces demandées", key=ref)
        if kind.code == "fin_mediation" and dossier.status != "cloturee":
            raise DossierError(
                "clôturez d'abord le dossier avec son issue : l'avis de fin en donne la date", key=ref
            )
        if kind.code == "conclusion" and not req.message.strip():
            raise DossierError("rédigez la conclusion", key=ref)
        if kind.to_citizen and req.delivery == "courriel" and not dossier.requester_email:
            raise DossierError("pas de courriel connu pour cette personne : envoi par courrier", key=ref)
        if (
            kind.to_citizen
            and req.delivery == "courrier"
            and not (dossier.requester_address and (dossier.requester_postcode or dossier.requester_commune))
        ):
            raise DossierError("adresse postale incomplète : complétez les coordonnées", key=ref)

    def send(self, session: Session, dossier: Dossier, req: LetterRequest, actor: Actor) -> list[SentLetter]:
        """Validate, apply the process step the letter carries, render and queue; return what went out."""
        kind = LETTER_KINDS.get(req.kind)
        if kind is None:
            raise DossierError(f"modèle de courrier inconnu : {req.kind}", key=dossier.reference)
        if kind.code == "pieces" and req.due is None:
            req = replace(req, due=local_day() + timedelta(days=self.settings.deadlines.documents_days))
        self._validate(dossier, kind, req)
        # the process step first, so the letter shows the new deadline and the tracking page follows
        if kind.code == "transmission":
            if req.service.strip():
                dossier.service_concerned = req.service.strip()[:200]
            if dossier.status != "transmise_service" and can_transition(dossier.status, "transmise_service"):
                change_status(session, self.settings, dossier, StatusChange("transmise_service"), actor)
        if (
            kind.code == "reorientation"
            and dossier.status not in ("reorientee", "cloturee")
            and can_transition(dossier.status, "reorientee")
        ):
            contact = self.contact_for(dossier.reorientation)
            change_status(
                session,
                self.settings,
                dossier,
                StatusChange(
                    "reorientee",
                    reorientation=dossier.reorientation,
                    reorientation_name=contact.name if contact else "",
                    reorientation_article=contact.article if contact else None,
                ),
                actor,
            )
        ctx = self.context(session, dossier, kind, req)
        sent = []
        if kind.code == "transmission":
            sent.append(
                self._deliver(
                    session,
                    dossier,
                    kind,
                    req,
                    ctx,
                    "transmission",
                    to=(req.recipient_email, ctx["service_name"]),
                    recipient="le service",
                )
            )
        else:
            sent.append(
                self._deliver(
                    session,
                    dossier,
                    kind,
                    req,
                    ctx,
                    kind.code,
                    to=(dossier.requester_email, dossier.requester_name),
                    recipient="l'usager",
                )
            )
        if kind.code == "reorientation" and req.forward:
            contact = ctx["contact"]
            fwd_ctx = {
                **ctx,
                "recipient_name": contact.name,
                "recipient_lines": list(contact.address_lines),
                "recipient_city": "",
                "algorithmic_mention": False,
            }
            fwd_req = replace(req, delivery="courriel" if "@" in (contact.email or "") else "courrier")
            sent.append(
                self._deliver(
                    session,
                    dossier,
                    kind,
                    fwd_req,
                    fwd_ctx,
                    "reorientation_transmission",
                    to=(contact.email or "", contact.name),
                    recipient="l'organisme compétent",
                )
            )
        if kind.to_citizen:
            record_first_contact(
                session,
                dossier,
                actor,
                "courriel" if req.delivery == "courriel" else "courrier",
                automatic=True,
            )
        return sent

    def _deliver(
        self,
        session: Session,
        dossier: Dossier,
        kind: LetterKind,
        req: LetterRequest,
        ctx: dict[str, Any],
        template: str,
        *,
        to: tuple[str, str],
        recipient: str,
    ) -> SentLetter:
        from triage.dossiers.msgid import make_message_id
        from triage.notify.compose import Outgoing
        from triage.notify.letters import queue_print, render_pdf
        from triage.notify.outbox import enqueue
        from triage.notify.render import render

        key = f"letter:{dossier.reference}:{template}:{req.nonce}"[:200]
        outbox_id = print_id = None
        if req.delivery == "courriel":
            html = render(f"letters/{template}.html.j2", layout="mail/courrier_layout.html.j2", **ctx)
            domain = self.settings.smtp.from_address.rsplit("@", 1)[-1]
            first = request_message(session, dossier.id)
            in_reply_to = first.message_id if first is not None and template != "transmission" else None
            out = Outgoing(
                to_address=to[0],
                to_name=to[1],
                subject=f"{kind.title} — dossier {dossier.reference}"
                if template != "reorientation_transmission"
                else f"Transmission d'une demande (art. L114-2 CRPA) — {dossier.reference}",
                text=html_to_text(html),
                html=html,
                in_reply_to=in_reply_to,
                message_id=make_message_id(
                    self.runtime.secret, dossier.reference, domain, _msgid_kind(template)
                ),
                automatic=False,
                reply_to=reply_to_for(self.settings, self.runtime.secret, dossier.reference),
            )
            outbox_id = enqueue(
                session,
                self.settings,
                out,
                kind=f"letter_{template}",
                idempotency_key=key,
                dossier_id=dossier.id,
            ).id
        else:
            pdf = render_pdf(
                f"letters/{template}.html.j2", {**ctx, "layout": "letters/courrier_layout.html.j2"}
            )
            print_id = queue_print(
                session, dossier_id=dossier.id, kind=f"letter_{template}", idempotency_key=key, pdf=pdf
            ).id
        how = "mis en envoi par courriel" if outbox_id else "à imprimer (file d'impression)"
        actor = Actor(None, "systeme")
        private_event(
            session,
            dossier,
            "courrier",
            f"Courrier « {kind.title} » pour {recipient} : {how}",
            actor,
            details={
                "kind": template,
                "outbox_id": outbox_id,
                "print_job_id": print_id,
                "algorithmic_mention": bool(ctx["algorithmic_mention"]),
            },
        )
        return SentLetter(
            kind.code, recipient, req.delivery, outbox_id, print_id, bool(ctx["algorithmic_mention"])
        )


def send_letter(
    session: Session,
    runtime: Runtime,
    dossier: Dossier,
    req: LetterRequest,
    actor: Actor,
    contact_for: Any = None,
    now: datetime | None = None,
) -> list[SentLetter]:
    """Send one letter (and its forward) for a dossier; audited."""
    sent = LetterWriter(runtime, contact_for).send(session, dossier, req, actor)
    record(
        session,
        actor,
        "dossier.letter",
        dossier_id=dossier.id,
        now=now,
        details={
            "kind": req.kind,
            "delivery": req.delivery,
            "outbox": [s.outbox_id for s in sent if s.outbox_id],
            "print_jobs": [s.print_job_id for s in sent if s.print_job_id],
        },
    )
    return sent


def html_to_text(html: str) -> str:
    """The plain-text part of a letter email, from its HTML (one wording to maintain)."""
    from inscriptis import get_text

    text = get_text(html)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
