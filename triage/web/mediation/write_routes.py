"""Writing from a dossier (« Écrire »): free messages by email or printed letter, drafts, reply templates
(« modèles de réponse ») and the directory of contacts (« annuaire »)."""

from __future__ import annotations

import mimetypes
import secrets

from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.correspondence.contacts import KINDS, ContactValues, directory, get_contact, save_contact
from triage.correspondence.document import dossier_pdf
from triage.correspondence.documents import add_document
from triage.correspondence.drafts import (
    DraftValues,
    discard_draft,
    drafts_of,
    get_draft,
    save_draft,
    values_of,
)
from triage.correspondence.replies import (
    PLACEHOLDERS,
    all_templates,
    applied,
    delete_template,
    get_template,
    save_template,
)
from triage.correspondence.send import DELIVERIES, MENTIONS, FreeMessage, send_message
from triage.correspondence.writing import chosen, dossier_attachments, load_attachments, recipients
from triage.errors import DossierError
from triage.notify.compose import OutgoingFile
from triage.report.labels import CENTRAL_DIRECTIONS
from triage.store.audit import record
from triage.store.models import Dossier
from triage.web.mediation.common import Ctx, endpoint, page_context, redirect, render
from triage.web.mediation.dossier_routes import attempt, refused
from triage.web.mediation.file_routes import download
from triage.web.security import BodyLimit
from triage.workspace.common import find_dossier
from triage.workspace.labels import label_choices

DONE = {
    "brouillon": "Brouillon enregistré.",
    "modele": "Modèle enregistré.",
    "supprime": "Supprimé.",
    "contact": "Fiche enregistrée.",
}


def dossier_for(request: Request, ctx: Ctx, page: str = "/ecrire") -> Dossier:
    """The dossier of the path; an error leads back to its page (`page`: below the dossier's URL)."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = f"/mediation/dossiers/{dossier.reference}{page}"
    return dossier


def _form_values(ctx: Ctx) -> DraftValues:
    ids = [
        int(v) for v in (ctx.form.getlist("pieces") if ctx.form else []) if isinstance(v, str) and v.isdigit()
    ]
    return DraftValues(
        recipient=ctx.field("destinataire", "usager", 32),
        delivery=ctx.field("envoi", "courriel", 16),
        to_address=ctx.field("courriel", limit=320),
        to_name=ctx.field("nom", limit=200),
        subject=ctx.field("objet", limit=300),
        body=ctx.field("message"),
        mention=ctx.field("mention", limit=32),
        attachment_ids=tuple(ids),
    )


def _uploads(ctx: Ctx, name: str = "fichiers") -> tuple[OutgoingFile, ...]:
    files = []
    for value in ctx.form.getlist(name) if ctx.form else []:
        if isinstance(value, UploadFile) and value.filename:
            data = value.file.read()
            content_type = (
                value.content_type or mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
            )
            files.append(
                OutgoingFile(value.filename.replace("\\", "/").rsplit("/", 1)[-1][:200], content_type, data)
            )
    return tuple(files)


def _page(
    request: Request,
    ctx: Ctx,
    dossier: Dossier,
    values: DraftValues,
    *,
    draft_id: int | None = None,
    postal: str = "",
    error: str = "",
    nonce: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "ecrire.html",
        page_context(
            ctx,
            d=dossier,
            values=values,
            draft_id=draft_id,
            postal=postal,
            recipients=recipients(ctx.session, dossier),
            deliveries=DELIVERIES,
            mentions=MENTIONS,
            attachments=dossier_attachments(ctx.session, dossier),
            templates=all_templates(ctx.session),
            drafts=drafts_of(ctx.session, dossier),
            nonce=nonce or secrets.token_urlsafe(12),
            error=error,
            done=DONE.get(request.query_params.get("fait", ""), ""),
            active="dossiers",
        ),
        status=status,
    )


@endpoint("dossiers.read")
def write_page(request: Request, ctx: Ctx) -> Response:
    """The form: a template (?modele=) fills subject and text; a draft (?brouillon=) is taken up again."""
    dossier = dossier_for(request, ctx)
    values = DraftValues(delivery="courriel" if dossier.requester_email else "courrier")
    draft_id = None
    draft_param = request.query_params.get("brouillon", "")
    if draft_param.isdigit():
        draft = get_draft(ctx.session, dossier, int(draft_param))
        values, draft_id = values_of(draft), draft.id
    template_param = request.query_params.get("modele", "")
    if template_param.isdigit():
        template = get_template(ctx.session, int(template_param))
        filled = applied(ctx.runtime.settings, dossier, template, ctx.runtime.clock())
        values = DraftValues(
            recipient=request.query_params.get("destinataire", values.recipient)[:32],
            delivery=values.delivery,
            subject=filled["subject"],
            body=filled["body"],
        )
    return _page(request, ctx, dossier, values, draft_id=draft_id)


@endpoint("dossiers.write")
def write_submit(request: Request, ctx: Ctx) -> Response:
    """Send the message (once per form), or keep it as a draft; a refusal is shown in the form, what was
    typed kept (files excepted)."""
    dossier = dossier_for(request, ctx)
    values = _form_values(ctx)
    draft_param = ctx.field("brouillon", limit=12)
    draft_id = int(draft_param) if draft_param.isdigit() else None
    postal = ctx.field("adresse", limit=1000)
    if ctx.field("action", limit=16) == "brouillon":
        saved: list[int] = []
        err = attempt(
            ctx, lambda: saved.append(save_draft(ctx.session, dossier, ctx.actor, values, draft_id).id)
        )
        if err is None:
            return redirect(
                f"/mediation/dossiers/{dossier.reference}/ecrire?brouillon={saved[0]}&fait=brouillon"
            )
    else:
        err = attempt(ctx, lambda: _send(ctx, dossier, values, postal, draft_id))
        if err is None:
            return redirect(f"/mediation/dossiers/{dossier.reference}?fait=message#courriers")
    return _page(
        request,
        ctx,
        dossier,
        values,
        draft_id=draft_id,
        postal=postal,
        error=err.message,
        nonce=ctx.field("nonce", limit=40),
        status=409,
    )


def _send(ctx: Ctx, dossier: Dossier, values: DraftValues, postal: str, draft_id: int | None) -> None:
    to = chosen(
        ctx.session, dossier, values.recipient, email=values.to_address, name=values.to_name, postal=postal
    )
    files = load_attachments(ctx.session, dossier, list(values.attachment_ids)) + _uploads(ctx)
    message = FreeMessage(
        to_address=to.email if values.delivery == "courriel" else "",
        to_name=to.name,
        subject=values.subject,
        body=values.body,
        delivery=values.delivery,
        recipient_lines=to.lines,
        attachments=files,
        mention=values.mention,
        key=ctx.field("nonce", limit=40) or secrets.token_urlsafe(12),
        to_requester=to.to_requester,
        direction=to.direction,
    )
    send_message(ctx.session, ctx.runtime, dossier, message, ctx.actor)
    if draft_id is not None:
        discard_draft(ctx.session, dossier, draft_id)


@endpoint("dossiers.write")
def draft_delete(request: Request, ctx: Ctx) -> Response:
    """Discard a draft."""
    dossier = dossier_for(request, ctx)
    discard_draft(ctx.session, dossier, request.path_params["draft_id"])
    return redirect(f"/mediation/dossiers/{dossier.reference}/ecrire?fait=supprime")


@endpoint("dossiers.write")
def document_upload(request: Request, ctx: Ctx) -> Response:
    """A document brought in person or received outside the mailbox, kept on the dossier."""
    dossier = dossier_for(request, ctx, "")
    files = _uploads(ctx, "document")

    def add_all() -> None:
        if not files:
            raise DossierError("choisissez un fichier", key=dossier.reference)
        for file in files:
            add_document(
                ctx.session,
                dossier,
                file,
                ctx.actor,
                way=ctx.field("moyen", "permanence", 16),
                description=ctx.field("description", limit=2000),
                max_bytes=ctx.runtime.settings.scans.max_file_bytes,
                now=ctx.runtime.clock(),
            )

    err = attempt(ctx, add_all)
    if err is not None:
        return refused(request, ctx, dossier, "document", err)
    return redirect(f"/mediation/dossiers/{dossier.reference}?fait=document")


@endpoint("dossiers.read")
def dossier_document(request: Request, ctx: Ctx) -> Response:
    """The whole dossier as a PDF download (« ?notes=oui » adds the private notes); audited."""
    dossier = dossier_for(request, ctx, "")
    notes = request.query_params.get("notes") == "oui"
    record(ctx.session, ctx.actor, "dossier.document", dossier_id=dossier.id, details={"notes": notes})
    pdf = dossier_pdf(ctx.session, ctx.runtime.settings, dossier, notes=notes, now=ctx.runtime.clock())
    return download(pdf, f"dossier-{dossier.reference}.pdf", "dossier.pdf")


# --------------------------------------------------------------------------- reply templates


@endpoint("dossiers.read")
def templates_page(request: Request, ctx: Ctx) -> Response:
    """The reply templates, and the form to create or edit one."""
    current = None
    if "template_id" in request.path_params:
        current = get_template(ctx.session, request.path_params["template_id"])
    return render(
        request,
        "modeles.html",
        page_context(
            ctx,
            templates=all_templates(ctx.session),
            current=current,
            placeholders=PLACEHOLDERS,
            done=DONE.get(request.query_params.get("fait", ""), ""),
            active="modeles",
        ),
    )


@endpoint("dossiers.write")
def template_save(request: Request, ctx: Ctx) -> Response:
    """Create (or update) a reply template."""
    template_id = request.path_params.get("template_id")
    ctx.extra["back"] = f"/mediation/modeles/{template_id}" if template_id else "/mediation/modeles"
    template = save_template(
        ctx.session,
        ctx.actor,
        name=ctx.field("nom", limit=200),
        subject=ctx.field("objet", limit=300),
        body=ctx.field("texte"),
        template_id=template_id,
    )
    return redirect(f"/mediation/modeles/{template.id}?fait=modele")


@endpoint("dossiers.write")
def template_delete(request: Request, ctx: Ctx) -> Response:
    """Delete a reply template."""
    delete_template(ctx.session, ctx.actor, request.path_params["template_id"])
    return redirect("/mediation/modeles?fait=supprime")


# --------------------------------------------------------------------------- directory


@endpoint("dossiers.read")
def directory_page(request: Request, ctx: Ctx) -> Response:
    """The directory of contacts, and the form to add or edit an entry."""
    current = None
    if "contact_id" in request.path_params:
        current = get_contact(ctx.session, request.path_params["contact_id"])
    return render(
        request,
        "annuaire.html",
        page_context(
            ctx,
            contacts=directory(ctx.session, active_only=False),
            current=current,
            kinds=KINDS,
            bodies=[(c, n) for c, n in label_choices(ctx.runtime.settings).reorientation if c != "none"],
            directions=sorted(CENTRAL_DIRECTIONS.values()),
            done=DONE.get(request.query_params.get("fait", ""), ""),
            active="annuaire",
        ),
    )


# the directory form's « Article » choices: value sent -> article recorded (None: guessed from the name)
ARTICLE_CHOICES = {"": None, "le": "le", "la": "la", "l'": "l'", "les": "les", "aucun": ""}


def _article_field(value: str) -> str | None:
    if value not in ARTICLE_CHOICES:
        raise DossierError(f"Article inconnu : « {value} » (le, la, l', les ou aucun).")
    return ARTICLE_CHOICES[value]


@endpoint("dossiers.write")
def directory_save(request: Request, ctx: Ctx) -> Response:
    """Create (or update) a directory entry."""
    contact_id = request.path_params.get("contact_id")
    ctx.extra["back"] = f"/mediation/annuaire/{contact_id}" if contact_id else "/mediation/annuaire"
    values = ContactValues(
        kind=ctx.field("type", limit=16),
        name=ctx.field("nom", limit=200),
        direction=ctx.field("direction", limit=200),
        email=ctx.field("courriel", limit=320),
        phone=ctx.field("telephone", limit=64),
        postal_address=ctx.field("adresse", limit=1000),
        code=ctx.field("code", limit=64),
        notes=ctx.field("precisions", limit=5000),
        active=ctx.field("actif", "oui") == "oui",
        article=_article_field(ctx.field("article", limit=8)),
    )
    contact = save_contact(ctx.session, ctx.runtime.settings, ctx.actor, values, contact_id)
    return redirect(f"/mediation/annuaire/{contact.id}?fait=contact")


def routes() -> list[Route]:
    """Writing, templates and directory routes."""
    base = "/mediation/dossiers/{reference}"
    return [
        Route(f"{base}/ecrire", write_page, methods=["GET"]),
        Route(
            f"{base}/ecrire",
            write_submit,
            methods=["POST"],
            middleware=[Middleware(BodyLimit, "max_upload_bytes")],
        ),
        Route(f"{base}/brouillons/{{draft_id:id}}/supprimer", draft_delete, methods=["POST"]),
        Route(f"{base}/dossier.pdf", dossier_document, methods=["GET"]),
        Route(
            f"{base}/documents",
            document_upload,
            methods=["POST"],
            middleware=[Middleware(BodyLimit, "max_upload_bytes")],
        ),
        Route("/mediation/modeles", templates_page, methods=["GET"]),
        Route("/mediation/modeles", template_save, methods=["POST"]),
        Route("/mediation/modeles/{template_id:id}", templates_page, methods=["GET"]),
        Route("/mediation/modeles/{template_id:id}", template_save, methods=["POST"]),
        Route("/mediation/modeles/{template_id:id}/supprimer", template_delete, methods=["POST"]),
        Route("/mediation/annuaire", directory_page, methods=["GET"]),
        Route("/mediation/annuaire", directory_save, methods=["POST"]),
        Route("/mediation/annuaire/{contact_id:id}", directory_page, methods=["GET"]),
        Route("/mediation/annuaire/{contact_id:id}", directory_save, methods=["POST"]),
    ]
