"""The dossier workspace: the page, status changes, first contact, notes, details, letters, new requests."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.correspondence.contacts import address_lines, body_contact, directory, get_contact
from triage.correspondence.team import OWNERSHIP, assignable, mark_read, ownership_filter
from triage.dossiers.statuses import OUTCOMES, STATUSES, can_transition
from triage.dossiers.tracking import Contact
from triage.errors import DossierError, MediatureError
from triage.records import Extraction
from triage.store.audit import record
from triage.store.models import Dossier
from triage.store.transcriptions import messages_to_check
from triage.web.mediation.common import Ctx, endpoint, page_context, redirect, render
from triage.web.mediation.views import extracted_items, highlight, safe_email_html
from triage.workspace import view
from triage.workspace.common import PARIS, find_dossier, latest_suggestion, local_day
from triage.workspace.intake import ManualOutcome, ManualRequest, open_manual
from triage.workspace.labels import (
    CIVILITIES,
    MANUAL_CHANNELS,
    REFERRERS,
    label_choices,
    reorientation_contact,
)
from triage.workspace.letters import (
    DELIVERIES,
    LETTER_KINDS,
    LetterRequest,
    LetterWriter,
    proposed_kind,
    send_letter,
    sent_templates,
)
from triage.workspace.process import (
    CONTACT_WAYS,
    EDITABLE_FIELDS,
    StatusChange,
    add_note,
    allowed_targets,
    change_status,
    record_first_contact,
    update_details,
)
from triage.workspace.queue import label_views, merge_candidates

DONE = {
    "statut": "Statut mis à jour : la page de suivi de l'usager affiche la nouvelle étape.",
    "contact": "Premier contact noté.",
    "note": "Note ajoutée.",
    "coordonnees": "Coordonnées enregistrées.",
    "courrier": "Courrier envoyé : il part par la boîte d'envoi ou la file d'impression.",
    "cloture": "Dossier clôturé. Envoyez maintenant l'avis daté de fin de médiation (ci-dessous) : "
    "les délais de recours repartent de sa date.",
    "document": "Document ajouté au dossier.",
    "attribution": "Attribution enregistrée.",
    "rappel": "Date de rappel enregistrée.",
    "non_lu": "Dossier marqué non lu.",
    "message": "Message préparé : il part par la boîte d'envoi ou la file d'impression.",
    "cree": "Dossier créé ; l'accusé de réception est en préparation.",
    "joint": "La demande a été jointe à ce dossier.",
    "accepte": "Tri accepté.",
    "corrige": "Tri corrigé.",
    "rattache": "Message rattaché à ce dossier.",
    "transcription": "Transcription enregistrée ; la suggestion de tri a été recalculée sur le texte corrigé.",
}

# the letter a step calls for, proposed right after it (closing: the dated end-of-mediation notice)
STEP_LETTERS = {
    "transmise_service": "transmission",
    "reorientee": "reorientation",
    "attente_usager": "pieces",
}


def contact_lookup(
    request: Request, session: Session | None = None
) -> Callable[[str | None], Contact | None]:
    """Contact details of a reorientation target: the directory edited in the workspace (with a session),
    else the app's lookup, else the configured one."""
    app_lookup = getattr(request.app.state, "reorientation_contact", None)
    settings = request.app.state.runtime.settings

    def lookup(code: str | None) -> Contact | None:
        if not code or code == "none":
            return None
        if session is not None:
            edited = body_contact(session, settings, code, fallback=False)
            if edited is not None:
                return edited
        found = app_lookup(code) if app_lookup is not None else None
        return found or reorientation_contact(settings, code)

    return lookup


def _contact_for(request: Request, code: str | None, session: Session | None = None) -> Contact | None:
    return contact_lookup(request, session)(code)


@endpoint("dossiers.read")
def dossier_list(request: Request, ctx: Ctx) -> Response:
    """All dossiers, newest first, filtered by status or searched by reference, name or email."""
    status = request.query_params.get("statut", "")
    q = request.query_params.get("q", "").strip()[:100]
    ownership = request.query_params.get("attribution", "tous")
    query = (
        select(Dossier)
        .where(Dossier.merged_into_id.is_(None), *ownership_filter(ownership, ctx.user.user_id))
        .order_by(Dossier.received_at.desc())
        .limit(300)
    )
    if request.query_params.get("lu") == "non":
        query = query.where(Dossier.unread.is_(True))
    if request.query_params.get("rappel") == "echu":
        query = query.where(
            Dossier.reminder_on.is_not(None), Dossier.reminder_on <= local_day(ctx.runtime.clock())
        )
    if status in STATUSES:
        query = query.where(Dossier.status == status)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Dossier.reference).like(like),
                func.lower(Dossier.requester_name).like(like),
                func.lower(Dossier.requester_email).like(like),
            )
        )
    rows = list(ctx.session.scalars(query))
    record(
        ctx.session,
        ctx.actor,
        "dossiers.list",
        details={"count": len(rows), "statut": status, "recherche": bool(q)},
    )
    return render(
        request,
        "dossiers.html",
        page_context(
            ctx,
            rows=rows,
            statuses=STATUSES,
            status=status,
            q=q,
            outcomes=OUTCOMES,
            active="dossiers",
            ownership=ownership,
            ownerships=OWNERSHIP,
            assignees={u.id: u for u in assignable(ctx.session)},
            unread_only=request.query_params.get("lu") == "non",
            due_only=request.query_params.get("rappel") == "echu",
        ),
    )


@endpoint("dossiers.read")
def dossier_page(request: Request, ctx: Ctx) -> Response:
    """Everything about one dossier (the read is audited); `?modele=` chooses the letter form."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    record(ctx.session, ctx.actor, "dossier.view", dossier_id=dossier.id)
    mark_read(dossier)
    return show_dossier(request, ctx, dossier, kind=request.query_params.get("modele", ""))


def show_dossier(
    request: Request,
    ctx: Ctx,
    dossier: Dossier,
    *,
    kind: str = "",
    error: tuple[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The dossier page; after a refused action, `error` = (form, message) is shown inside that form, with
    what was `typed` kept (nothing was changed: the action was rolled back)."""
    settings = ctx.runtime.settings
    suggestion = latest_suggestion(ctx.session, dossier.id)
    labels = (
        label_views(suggestion, label_choices(settings), settings.triage.confidence_threshold)
        if suggestion is not None
        else ()
    )
    messages = view.messages(ctx.session, dossier.id)
    words = {lab.kind: lab.highlights for lab in labels}
    merged_into = ctx.session.get(Dossier, dossier.merged_into_id) if dossier.merged_into_id else None
    typed = typed or {}
    proposed = proposed_kind(dossier, sent_templates(ctx.session, dossier))
    chosen = kind if kind in LETTER_KINDS else typed.get("modele", "") or proposed
    if chosen not in LETTER_KINDS:
        chosen = proposed
    return render(
        request,
        "dossier.html",
        page_context(
            ctx,
            d=dossier,
            labels=labels,
            choices=label_choices(settings),
            messages=messages,
            bodies={m.id: highlight(m.body_text, words if m.role == "request" else {}) for m in messages},
            html_docs={m.id: safe_email_html(m.html_sanitised) for m in messages if m.html_sanitised},
            candidates=merge_candidates(ctx.session, dossier),
            timeline=view.timeline(ctx.session, dossier),
            letters=view.letters(ctx.session, dossier.id),
            targets=[t for t in allowed_targets(dossier) if t != "cloturee"],
            can_close=can_transition(dossier.status, "cloturee"),
            statuses=STATUSES,
            outcomes=OUTCOMES,
            letter_kinds=LETTER_KINDS,
            letter_kind=LETTER_KINDS[chosen],
            proposed_kind=proposed,
            services=[c for c in directory(ctx.session) if c.kind == "service"],
            deliveries=DELIVERIES,
            contact_ways=CONTACT_WAYS,
            editable=EDITABLE_FIELDS,
            contact=_contact_for(request, dossier.reorientation, ctx.session),
            nonce=typed.get("nonce") or secrets.token_urlsafe(12),
            typed=typed,
            error_form=error[0] if error else "",
            error=error[1] if error else "",
            today=local_day(ctx.runtime.clock()),
            channels={
                **MANUAL_CHANNELS,
                "email": "Courriel",
                "formulaire": "Formulaire web",
                "courrier": "Courrier",
            },
            referrers=REFERRERS,
            merged_into=merged_into,
            done=DONE.get(request.query_params.get("fait", ""), ""),
            documents_days=settings.deadlines.documents_days,
            active="dossiers",
            extracted=extracted_items(
                Extraction.from_json(suggestion.extracted) if suggestion is not None else None
            ),
            assignees=assignable(ctx.session),
            pages_to_check=messages_to_check(
                ctx.session, settings.scans.transcription_check_below, [m.id for m in messages]
            ),
        ),
        status=status,
    )


def _dossier(request: Request, ctx: Ctx) -> Dossier:
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = f"/mediation/dossiers/{dossier.reference}"
    return dossier


def _typed(ctx: Ctx) -> dict[str, str]:
    """The text fields of the submitted form, to fill the form again after a refusal."""
    if ctx.form is None:
        return {}
    return {k: v[:20000] for k, v in ctx.form.multi_items() if isinstance(v, str) and k != "csrf"}


def attempt(ctx: Ctx, action: Callable[[], object]) -> DossierError | None:
    """Run an action in a savepoint; a refusal rolls it back and is returned, to be shown in the form."""
    try:
        with ctx.session.begin_nested():
            action()
    except DossierError as err:
        return err
    return None


def refused(request: Request, ctx: Ctx, dossier: Dossier, form: str, err: MediatureError) -> Response:
    """The dossier page again, the refusal inside `form`, what was typed kept (409, like every refusal)."""
    return show_dossier(request, ctx, dossier, error=(form, err.message), typed=_typed(ctx), status=409)


@endpoint("dossiers.write")
def status_change(request: Request, ctx: Ctx) -> Response:
    """Move the dossier along the process (the citizen's tracking page follows); closing proposes the dated
    end-of-mediation notice."""
    dossier = _dossier(request, ctx)
    target = ctx.field("statut", limit=32)
    reorientation = ctx.field("reorientation", limit=64) or dossier.reorientation
    contact = _contact_for(request, reorientation, ctx.session) if target == "reorientee" else None
    change = StatusChange(
        target=target,
        outcome=ctx.field("issue", limit=32) or None,
        service=ctx.field("service", limit=200),
        reorientation=reorientation,
        reorientation_name=getattr(contact, "name", ""),
        reorientation_article=getattr(contact, "article", None),
    )
    err = attempt(
        ctx,
        lambda: change_status(
            ctx.session, ctx.runtime.settings, dossier, change, ctx.actor, now=ctx.runtime.clock()
        ),
    )
    if err is not None:
        return refused(request, ctx, dossier, "statut", err)
    page = f"/mediation/dossiers/{dossier.reference}"
    if target == "cloturee":
        return redirect(f"{page}?fait=cloture&modele=fin_mediation#courriers")
    if target in STEP_LETTERS:  # the step proposes its letter, already filled in
        return redirect(f"{page}?fait=statut&modele={STEP_LETTERS[target]}#courriers")
    return redirect(f"{page}?fait=statut")


@endpoint("dossiers.write")
def first_contact(request: Request, ctx: Ctx) -> Response:
    """Note the first contact with the citizen (art. 7)."""
    dossier = _dossier(request, ctx)
    way = ctx.field("moyen", "telephone", 32)

    def note_contact() -> None:
        if way not in CONTACT_WAYS:
            raise DossierError("moyen de contact inconnu", key=dossier.reference)
        if not record_first_contact(ctx.session, dossier, ctx.actor, way, now=ctx.runtime.clock()):
            raise DossierError("le premier contact est déjà noté", key=dossier.reference)

    err = attempt(ctx, note_contact)
    if err is not None:
        return refused(request, ctx, dossier, "contact", err)
    return redirect(f"/mediation/dossiers/{dossier.reference}?fait=contact")


@endpoint("dossiers.write")
def note(request: Request, ctx: Ctx) -> Response:
    """A private note."""
    dossier = _dossier(request, ctx)
    err = attempt(
        ctx, lambda: add_note(ctx.session, dossier, ctx.actor, ctx.field("texte"), now=ctx.runtime.clock())
    )
    if err is not None:
        return refused(request, ctx, dossier, "note", err)
    return redirect(f"/mediation/dossiers/{dossier.reference}?fait=note")


@endpoint("dossiers.write")
def details(request: Request, ctx: Ctx) -> Response:
    """Edit the requester's details."""
    dossier = _dossier(request, ctx)
    values = {f: ctx.field(f, limit=2000) for f in EDITABLE_FIELDS if ctx.form is not None and f in ctx.form}
    err = attempt(
        ctx, lambda: update_details(ctx.session, dossier, ctx.actor, values, now=ctx.runtime.clock())
    )
    if err is not None:
        return refused(request, ctx, dossier, "coordonnees", err)
    return redirect(f"/mediation/dossiers/{dossier.reference}?fait=coordonnees")


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def letter_request(ctx: Ctx) -> LetterRequest:
    """The letter the form asks for; a service chosen in the directory gives its name, email and address."""
    service = ctx.field("service", limit=200)
    email = ctx.field("courriel_service", limit=320).strip()
    lines: tuple[str, ...] = ()
    article: str | None = None
    chosen = ctx.field("contact", limit=12)
    if chosen.isdigit():
        entry = get_contact(ctx.session, int(chosen))
        service, email, lines = entry.name, email or entry.email, address_lines(entry)
        article = entry.article
    return LetterRequest(
        kind=ctx.field("modele", limit=32),
        delivery=ctx.field("envoi", limit=16),
        nonce=ctx.field("nonce", limit=40) or secrets.token_urlsafe(12),
        message=ctx.field("message"),
        recipient_email=email,
        service=service,
        forward=ctx.field("transmettre") == "oui",
        documents=ctx.field("pieces"),
        due=_date(ctx.field("echeance", limit=10)),
        service_lines=lines,
        service_article=article,
        outcome=ctx.field("issue", limit=32),
        ended_on=_date(ctx.field("fin", limit=10)),
    )


@endpoint("dossiers.write")
def letter(request: Request, ctx: Ctx) -> Response:
    """A letter from a template: « Préparer » shows it as it will leave, « Modifier » goes back to the form
    with everything typed, « Envoyer » sends it (once per form) by email or to the print queue."""
    dossier = _dossier(request, ctx)
    action = ctx.field("action", limit=16)
    if action == "modifier":
        return show_dossier(request, ctx, dossier, typed=_typed(ctx))
    writer = LetterWriter(ctx.runtime, contact_lookup(request, ctx.session))
    if action == "envoyer":
        err = attempt(
            ctx,
            lambda: send_letter(
                ctx.session,
                ctx.runtime,
                dossier,
                letter_request(ctx),
                ctx.actor,
                contact_for=writer.contact_for,
                now=ctx.runtime.clock(),
            ),
        )
        if err is not None:
            return refused(request, ctx, dossier, "courrier", err)
        return redirect(f"/mediation/dossiers/{dossier.reference}?fait=courrier#courriers")
    try:
        previews = writer.preview(ctx.session, dossier, letter_request(ctx), ctx.actor)
    except DossierError as err:
        return refused(request, ctx, dossier, "courrier", err)
    return render(
        request,
        "lettre.html",
        page_context(
            ctx,
            d=dossier,
            kind=LETTER_KINDS[ctx.field("modele", limit=32)],
            previews=previews,
            deliveries=DELIVERIES,
            typed=_typed(ctx),
            images=[[png_uri(page) for page in p.pages] for p in previews],
            active="dossiers",
        ),
    )


def png_uri(data: bytes) -> str:
    """A PNG as a data URI (allowed by the pages' policy: img-src 'self' data:)."""
    return "data:image/png;base64," + base64.b64encode(data).decode()


def new_request_form_context(ctx: Ctx, **values: object) -> dict[str, object]:
    """The manual request form's lists."""
    return page_context(
        ctx,
        channels=MANUAL_CHANNELS,
        referrers=REFERRERS,
        civilities=CIVILITIES,
        values=values.pop("values", {}),
        **values,
    )


def manual_request(ctx: Ctx) -> ManualRequest:
    """The typed request from the form."""
    received = _date(ctx.field("date_reception", limit=10))
    received_at = datetime.combine(received, time(12, 0), PARIS).astimezone(UTC) if received else None
    return ManualRequest(
        channel=ctx.field("canal", limit=16),
        referred_by=ctx.field("origine", limit=32),
        summary=ctx.field("resume"),
        civility=ctx.field("civilite", limit=32),
        name=ctx.field("nom", limit=200),
        email=ctx.field("courriel", limit=320),
        phone=ctx.field("telephone", limit=64),
        address=ctx.field("adresse", limit=1000),
        postcode=ctx.field("code_postal", limit=10),
        commune=ctx.field("commune", limit=120),
        subject=ctx.field("objet", limit=300),
        referrer_name=ctx.field("nom_origine", limit=200),
        received_at=received_at,
    )


def new_form_page(request: Request, ctx: Ctx) -> Response:
    """The form for a request received by phone, at a permanence or handed in."""
    return render(
        request, "nouvelle.html", new_request_form_context(ctx, action=request.url.path, active="nouvelle")
    )


def new_form_submit(request: Request, ctx: Ctx) -> Response:
    """Open the dossier; the mediator goes to it, the mail service only sees its reference and code; a refusal
    is shown in the form with what was typed."""
    ctx.extra["back"] = request.url.path
    opened: list[ManualOutcome] = []
    err = attempt(
        ctx,
        lambda: opened.append(open_manual(ctx.session, ctx.pipeline.get(), manual_request(ctx), ctx.actor)),
    )
    if err is not None:  # shown in the form, what was typed kept
        context = new_request_form_context(
            ctx, action=request.url.path, active="nouvelle", values=_typed(ctx), error=err.message
        )
        return render(request, "nouvelle.html", context, status=409)
    outcome = opened[0]
    if ctx.user.can("dossiers.read"):
        return redirect(f"/mediation/dossiers/{outcome.reference}?fait=cree")
    return render(request, "nouvelle_faite.html", page_context(ctx, outcome=outcome, active="nouvelle"))


# the mediator's version; the mail service has its own under /courrier/ (triage.web.mediation.courrier_routes)
new_form = endpoint("dossiers.write")(new_form_page)
new_submit = endpoint("dossiers.write")(new_form_submit)


def routes() -> list[Route]:
    """Dossier routes."""
    base = "/mediation/dossiers/{reference}"
    return [
        Route("/mediation/dossiers", dossier_list, methods=["GET"]),
        Route("/mediation/dossiers/nouveau", new_form, methods=["GET"]),
        Route("/mediation/dossiers/nouveau", new_submit, methods=["POST"]),
        Route(base, dossier_page, methods=["GET"]),
        Route(f"{base}/statut", status_change, methods=["POST"]),
        Route(f"{base}/premier-contact", first_contact, methods=["POST"]),
        Route(f"{base}/note", note, methods=["POST"]),
        Route(f"{base}/coordonnees", details, methods=["POST"]),
        Route(f"{base}/courrier", letter, methods=["POST"]),
    ]
