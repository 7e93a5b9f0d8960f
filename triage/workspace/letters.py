"""Outgoing letters from templates, sent by email through the outbox or printed through the print queue.

Each kind's wording lives once, in templates/letters/<kind>.html.j2, which extends either the printed
layout (letters/courrier_layout.html.j2, rendered to PDF) or the email layout
(mail/courrier_layout.html.j2; the text part is derived from it). Where a triage suggestion contributed
to the decision a letter announces, it carries the mention CRPA L311-3-1 requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.articles import guess_article, with_article
from triage.correspondence.answers import reply_to_for
from triage.dossiers.statuses import OUTCOMES, can_transition
from triage.dossiers.tracking import Contact
from triage.errors import DossierError
from triage.notify.postal import postal_lines
from triage.runtime import Runtime
from triage.store.audit import Actor, record
from triage.store.models import Dossier, LabelledExample
from triage.store.outbox import any_queued, kinds_queued
from triage.workspace.common import PARIS, latest_suggestion, local_day, request_message, request_text
from triage.workspace.labels import reorientation_contact
from triage.workspace.process import (
    StatusChange,
    change_status,
    private_event,
    public_event,
    record_first_contact,
)


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
LAYOUT = (
    "letters/courrier_layout.html.j2"  # the printed layout; the email one is mail/courrier_layout.html.j2
)
FORWARD = "reorientation_transmission"  # the template of the request forwarded to the competent body
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
    service_lines: tuple[str, ...] = ()  # transmission: the service's postal address (from the directory)
    service_article: str | None = None  # transmission: the article recorded in the directory (None: guessed)
    outcome: str = ""  # fin_mediation: the outcome, when the notice closes the dossier
    ended_on: date | None = None  # fin_mediation: the day the mediation ended (default: today)


@dataclass(frozen=True)
class Planned:
    """One letter ready to render: its template, context and addressee."""

    template: str
    ctx: dict[str, Any]
    delivery: str
    to: tuple[str, str]  # (email, name)
    recipient: str  # French description, no address


@dataclass(frozen=True)
class LetterPreview:
    """What the mediator checks before a letter leaves: the text, and for a printed letter its pages."""

    title: str
    recipient: str
    delivery: str
    subject: str
    text: str
    pages: tuple[bytes, ...]  # PNG of each page of the PDF (printed letters only)


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


def service_named(name: str, article: str | None = None) -> str:
    """« la Maison départementale de l'autonomie »: the article recorded in the directory, else guessed from
    the first word (a service's name is a common noun: « l'Aide sociale… » before a vowel); a name whose
    article cannot be guessed is quoted after « le service », never left bare."""
    name = " ".join(name.split())
    first = name.split(" ", 1)[0].lower() if name else ""
    if not name or article is not None or guess_article(name) or first in ("le", "la", "les"):
        return with_article(name, article)
    if first.startswith(("l'", "l’")):
        return name
    if first[0] in "aeiouyéèêàâîôûh":
        return with_article(name, "l'")
    return f"le service « {name} »"


def for_service(ctx: dict[str, Any], dossier: Dossier) -> dict[str, Any]:
    """The context of a letter to a service or an outside body: never the citizen's tracking code (it opens
    the tracking page), not even quoted in the request they wrote."""
    text = ctx["request_text"]
    if dossier.tracking_key:
        text = text.replace(f"{dossier.reference}-{dossier.tracking_key}", dossier.reference)
        text = re.sub(rf"\b{re.escape(dossier.tracking_key)}\b", "[code retiré]", text)
    return {**ctx, "tracking_key": "", "tracking_home": "", "request_text": text, "to_citizen": False}


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
            "today": self.runtime.clock(),
            "place": place_of(self.settings.service),
            "service": self.settings.service,
            "greeting": greeting(dossier.requester_civility),
            "requester_name": dossier.requester_name,
            "tracking_home": self.settings.web.public_url.rstrip("/") + "/suivi",
            "tracking_key": dossier.tracking_key,
            "to_citizen": kind.to_citizen,
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
            "service_with_article": service_named(
                req.service or dossier.service_concerned or "", req.service_article
            ),
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
                raise DossierError("choisissez le service du Département concerné", key=ref)
            if req.delivery == "courriel" and "@" not in req.recipient_email:
                raise DossierError("indiquez le courriel du service destinataire", key=ref)
            if req.delivery == "courrier" and not [line for line in req.service_lines if line.strip()]:
                raise DossierError(
                    "adresse postale du service inconnue : complétez sa fiche dans l'annuaire "
                    "ou envoyez par courriel",
                    key=ref,
                )
        if kind.code == "pieces" and not req.documents.strip():
            raise DossierError("listez les pièces demandées", key=ref)
        if kind.code == "fin_mediation" and dossier.status != "cloturee":
            if not can_transition(dossier.status, "cloturee"):
                raise DossierError("ce dossier ne peut pas être clôturé à cette étape", key=ref)
            if req.outcome not in OUTCOMES:
                raise DossierError("choisissez l'issue de la médiation", key=ref)
        if (
            kind.code == "fin_mediation"
            and req.ended_on is not None
            and req.ended_on > local_day(self.runtime.clock())
        ):
            raise DossierError("la date de fin de médiation ne peut pas être dans le futur", key=ref)
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

    def _step(
        self, session: Session, dossier: Dossier, kind: LetterKind, req: LetterRequest, actor: Actor
    ) -> None:
        """The process step the letter carries, first, so the letter shows the new deadline or end date and
        the tracking page follows."""
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
        if kind.code == "fin_mediation" and dossier.status != "cloturee":
            now = self.runtime.clock()
            ended = req.ended_on or local_day(now)
            when = now if ended == local_day(now) else datetime.combine(ended, time(12), PARIS)
            change_status(
                session,
                self.settings,
                dossier,
                StatusChange("cloturee", outcome=req.outcome),
                actor,
                now=when,
            )

    def plan(
        self, session: Session, dossier: Dossier, req: LetterRequest, actor: Actor
    ) -> tuple[LetterKind, list[Planned]]:
        """Validate, apply the process step, and give the letters to render (the forward included)."""
        kind = LETTER_KINDS.get(req.kind)
        if kind is None:
            raise DossierError(f"modèle de courrier inconnu : {req.kind}", key=dossier.reference)
        self._validate(dossier, kind, req)
        self._step(session, dossier, kind, req, actor)
        ctx = self.context(session, dossier, kind, req)
        if kind.code == "transmission":
            service_ctx = {
                **for_service(ctx, dossier),
                "recipient_name": ctx["service_name"],
                **window_address("\n".join(req.service_lines), "", ""),
            }
            to = (req.recipient_email, ctx["service_name"])
            return kind, [Planned("transmission", service_ctx, req.delivery, to, "le service")]
        planned = [
            Planned(
                kind.code, ctx, req.delivery, (dossier.requester_email, dossier.requester_name), "l'usager"
            )
        ]
        if kind.code == "reorientation" and req.forward:
            contact = ctx["contact"]
            fwd_ctx = {
                **for_service(ctx, dossier),
                "recipient_name": contact.name,
                **window_address("\n".join(contact.address_lines), "", ""),
                "algorithmic_mention": False,
            }
            delivery = "courriel" if "@" in (contact.email or "") else "courrier"
            to = (contact.email or "", contact.name)
            planned.append(Planned(FORWARD, fwd_ctx, delivery, to, "l'organisme compétent"))
        return kind, planned

    def preview(
        self, session: Session, dossier: Dossier, req: LetterRequest, actor: Actor
    ) -> list[LetterPreview]:
        """Render what `send` would send, without sending anything (the process step is rolled back)."""
        from triage.notify.letters import pdf_pages, render_pdf
        from triage.notify.render import render

        req = self._defaults(req)
        savepoint = session.begin_nested()
        try:
            kind, planned = self.plan(session, dossier, req, actor)
            previews = []
            for p in planned:
                html = render(f"letters/{p.template}.html.j2", layout="mail/courrier_layout.html.j2", **p.ctx)
                pages: tuple[bytes, ...] = ()
                if p.delivery == "courrier":
                    pdf = render_pdf(f"letters/{p.template}.html.j2", {**p.ctx, "layout": LAYOUT})
                    pages = pdf_pages(pdf)
                previews.append(
                    LetterPreview(
                        kind.title,
                        p.recipient,
                        p.delivery,
                        self._subject(kind, p, dossier),
                        html_to_text(html),
                        pages,
                    )
                )
            return previews
        finally:
            savepoint.rollback()

    def _defaults(self, req: LetterRequest) -> LetterRequest:
        if req.kind == "pieces" and req.due is None:
            return replace(
                req,
                due=local_day(self.runtime.clock()) + timedelta(days=self.settings.deadlines.documents_days),
            )
        return req

    def send(self, session: Session, dossier: Dossier, req: LetterRequest, actor: Actor) -> list[SentLetter]:
        """Validate, apply the process step the letter carries, render and queue; return what went out.
        A form sent twice (same nonce) sends nothing the second time."""
        if already_sent(session, dossier, req.nonce):
            return []
        req = self._defaults(req)
        kind, planned = self.plan(session, dossier, req, actor)
        sent = [self._deliver(session, dossier, kind, req, p) for p in planned]
        if kind.code == "fin_mediation":
            notice_day = local_day(self.runtime.clock())
            public_event(
                session,
                dossier,
                f"Avis de fin de médiation daté du {notice_day:%d/%m/%Y} : les délais de recours repartent "
                "de cette date",
                actor,
                details={"notice_date": notice_day.isoformat()},
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

    @staticmethod
    def _subject(kind: LetterKind, p: Planned, dossier: Dossier) -> str:
        if p.template == FORWARD:
            return f"Transmission d'une demande (art. L114-2 CRPA) — {dossier.reference}"
        return f"{kind.title} — dossier {dossier.reference}"

    def _deliver(
        self, session: Session, dossier: Dossier, kind: LetterKind, req: LetterRequest, p: Planned
    ) -> SentLetter:
        from triage.dossiers.msgid import make_message_id
        from triage.notify.compose import Outgoing
        from triage.notify.letters import queue_print, render_pdf
        from triage.notify.outbox import enqueue
        from triage.notify.render import render

        key = letter_key(dossier, p.template, req.nonce)
        outbox_id = print_id = None
        if p.delivery == "courriel":
            html = render(f"letters/{p.template}.html.j2", layout="mail/courrier_layout.html.j2", **p.ctx)
            domain = self.settings.smtp.from_address.rsplit("@", 1)[-1]
            first = request_message(session, dossier.id)
            to_citizen = p.ctx["to_citizen"]
            out = Outgoing(
                to_address=p.to[0],
                to_name=p.to[1],
                subject=self._subject(kind, p, dossier),
                text=html_to_text(html),
                html=html,
                in_reply_to=first.message_id if first is not None and to_citizen else None,
                message_id=make_message_id(
                    self.runtime.secret, dossier.reference, domain, _msgid_kind(p.template)
                ),
                automatic=False,
                reply_to=reply_to_for(self.settings, self.runtime.secret, dossier.reference),
            )
            outbox_id = enqueue(
                session,
                self.settings,
                out,
                kind=f"letter_{p.template}",
                idempotency_key=key,
                dossier_id=dossier.id,
            ).id
        else:
            pdf = render_pdf(f"letters/{p.template}.html.j2", {**p.ctx, "layout": LAYOUT})
            print_id = queue_print(
                session,
                dossier_id=dossier.id,
                kind=f"letter_{p.template}",
                idempotency_key=key,
                pdf=pdf,
                now=self.runtime.clock(),
            ).id
        how = "mis en envoi par courriel" if outbox_id else "à imprimer (file d'impression)"
        private_event(
            session,
            dossier,
            "courrier",
            f"Courrier « {kind.title} » pour {p.recipient} : {how}",
            Actor(None, "systeme"),
            details={
                "kind": p.template,
                "outbox_id": outbox_id,
                "print_job_id": print_id,
                "algorithmic_mention": bool(p.ctx["algorithmic_mention"]),
            },
        )
        return SentLetter(
            kind.code, p.recipient, p.delivery, outbox_id, print_id, bool(p.ctx["algorithmic_mention"])
        )


def letter_key(dossier: Dossier, template: str, nonce: str) -> str:
    """The idempotency key of one letter of one form."""
    return f"letter:{dossier.reference}:{template}:{nonce}"[:200]


def already_sent(session: Session, dossier: Dossier, nonce: str) -> bool:
    """Whether the form with this nonce already sent its letter (a second click, a resubmission)."""
    return any_queued(session, [letter_key(dossier, code, nonce) for code in (*LETTER_KINDS, FORWARD)])


def sent_templates(session: Session, dossier: Dossier) -> set[str]:
    """The letter templates already sent for a dossier (outbox or print queue)."""
    return {kind.removeprefix("letter_") for kind in kinds_queued(session, dossier.id)}


def proposed_kind(dossier: Dossier, sent: set[str]) -> str:
    """The letter the dossier's state calls for: the dated notice once it is closed, the pieces while the
    citizen is awaited, the reorientation only for a request the Département cannot handle, else the
    transmission to the service concerned."""
    if dossier.status == "cloturee":
        return "conclusion" if "fin_mediation" in sent else "fin_mediation"
    if dossier.status == "attente_usager":
        return "pieces"
    if dossier.status == "reorientee" or (
        dossier.admissibility == "irrecevable" and dossier.reorientation not in (None, "", "none")
    ):
        return "reorientation"
    return "transmission"


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
    if sent:
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
