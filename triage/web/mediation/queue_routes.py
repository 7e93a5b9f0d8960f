"""The review queue at /mediation/: suggestions oldest first, accept, correct, bulk-accept, merge, set aside."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.dossiers.registry import references_in_text
from triage.errors import DossierError, NotFoundError
from triage.store.audit import record
from triage.store.models import Message
from triage.web.mediation.common import Ctx, endpoint, page_context, redirect, render
from triage.web.mediation.views import highlight
from triage.workspace import deadlines as deadlines_mod
from triage.workspace.common import find_dossier
from triage.workspace.labels import label_choices
from triage.workspace.queue import pending_count, pending_queue
from triage.workspace.review import (
    Labels,
    accept,
    attach_message,
    bulk_accept,
    confirm,
    dismiss_message,
    flagged_messages,
    mark_not_request,
    merge,
)

DONE = {
    "accepte": "Tri accepté.",
    "corrige": "Tri corrigé : l'exemple servira au prochain entraînement.",
    "lot": "Suggestions confiantes acceptées.",
    "joint": "Demande jointe au dossier existant.",
    "ecarte": "Élément écarté : ce n'est pas une demande.",
    "rattache": "Message rattaché au dossier.",
    "message_ecarte": "Message écarté.",
}


@endpoint("dossiers.read")
def queue_page(request: Request, ctx: Ctx) -> Response:
    """The queue, oldest first, with the deadlines."""
    settings = ctx.runtime.settings
    items = pending_queue(ctx.session, settings)
    flagged = flagged_messages(ctx.session)
    record(ctx.session, ctx.actor, "queue.view", details={"dossiers": [i.dossier_id for i in items],
                                                          "messages": [m.id for m in flagged]})
    prefix = settings.service.reference_prefix
    cited = {m.id: (references_in_text(f"{m.flag_reason} {m.subject} {m.body_text}", prefix) or [""])[0]
             for m in flagged}
    texts = {i.dossier_id: highlight(i.text, {lab.kind: lab.highlights for lab in i.labels}) for i in items}
    done = request.query_params.get("fait", "")
    return render(request, "file.html", page_context(
        ctx, items=items, texts=texts, choices=label_choices(settings),
        deadlines=deadlines_mod.compute(ctx.session, settings), threshold=settings.triage.confidence_threshold,
        confident=sum(1 for i in items if i.confident), done=DONE.get(done, ""),
        settings=settings, active="file", flagged=flagged, cited=cited, total=pending_count(ctx.session),
    ))


def _back(request: Request, ctx: Ctx) -> str:
    # after an action, return where the form was (queue or dossier page)
    origin = ctx.field("retour", "/mediation/", 300)
    return origin if origin.startswith("/mediation/") and "//" not in origin else "/mediation/"


def _with_done(url: str, code: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}fait={code}"


@endpoint("dossiers.write")
def accept_one(request: Request, ctx: Ctx) -> Response:
    """Accept the suggestion as it is."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = _back(request, ctx)
    accept(ctx.session, ctx.runtime.settings, dossier, ctx.actor)
    return redirect(_with_done(_back(request, ctx), "accepte"))


@endpoint("dossiers.write")
def correct_one(request: Request, ctx: Ctx) -> Response:
    """Confirm the labels chosen in the lists (a correction when they differ from the suggestion)."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = _back(request, ctx)
    labels = Labels(ctx.field("domain", limit=64), ctx.field("admissibility", limit=32),
                    ctx.field("reorientation", limit=64))
    example = confirm(ctx.session, ctx.runtime.settings, dossier, labels, ctx.actor)
    return redirect(_with_done(_back(request, ctx), "corrige" if example.corrected else "accepte"))


@endpoint("dossiers.write")
def accept_confident(request: Request, ctx: Ctx) -> Response:
    """Accept every suggestion whose three labels reach the confidence threshold."""
    bulk_accept(ctx.session, ctx.runtime.settings, ctx.actor)
    return redirect("/mediation/?fait=lot")


@endpoint("dossiers.write")
def merge_one(request: Request, ctx: Ctx) -> Response:
    """Join this request to an existing dossier of the same person."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = _back(request, ctx)
    target_ref = ctx.field("cible", limit=40).strip().upper()
    if not target_ref:
        raise DossierError("indiquez la référence du dossier existant", key=dossier.reference)
    merge(ctx.session, dossier, find_dossier(ctx.session, target_ref), ctx.actor)
    return redirect(f"/mediation/dossiers/{target_ref}?fait=joint")


@endpoint("dossiers.write")
def set_aside(request: Request, ctx: Ctx) -> Response:
    """Not a mediation request."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = _back(request, ctx)
    mark_not_request(ctx.session, dossier, ctx.actor, ctx.field("motif", limit=200))
    return redirect("/mediation/?fait=ecarte")


def _flagged(request: Request, ctx: Ctx) -> Message:
    message = ctx.session.get(Message, request.path_params["message_id"])
    ctx.extra["back"] = "/mediation/"
    if message is None:
        raise NotFoundError("message introuvable")
    return message


@endpoint("dossiers.write")
def attach_flagged(request: Request, ctx: Ctx) -> Response:
    """Join a message kept aside to the dossier it belongs to."""
    message = _flagged(request, ctx)
    target = find_dossier(ctx.session, ctx.field("cible", limit=40))
    attach_message(ctx.session, message, target, ctx.actor)
    return redirect(f"/mediation/dossiers/{target.reference}?fait=rattache")


@endpoint("dossiers.write")
def dismiss_flagged(request: Request, ctx: Ctx) -> Response:
    """Set aside a message kept aside."""
    dismiss_message(ctx.session, _flagged(request, ctx), ctx.actor)
    return redirect("/mediation/?fait=message_ecarte")


def routes() -> list[Route]:
    """Queue routes."""
    return [
        Route("/mediation/", queue_page, methods=["GET"]),
        Route("/mediation/tri/accepter-confiants", accept_confident, methods=["POST"]),
        Route("/mediation/tri/{reference}/accepter", accept_one, methods=["POST"]),
        Route("/mediation/tri/{reference}/corriger", correct_one, methods=["POST"]),
        Route("/mediation/tri/{reference}/joindre", merge_one, methods=["POST"]),
        Route("/mediation/tri/{reference}/ecarter", set_aside, methods=["POST"]),
        Route("/mediation/messages/{message_id:id}/rattacher", attach_flagged, methods=["POST"]),
        Route("/mediation/messages/{message_id:id}/ecarter", dismiss_flagged, methods=["POST"]),
    ]
