"""The review queue at /mediation/: suggestions oldest first, accept, correct, bulk-accept, merge, set aside."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.correspondence.team import OWNERSHIP, ownership_filter
from triage.dossiers.registry import references_in_text
from triage.dossiers.statuses import STATUSES
from triage.errors import DossierError, MediatureError, NotFoundError
from triage.store.audit import record
from triage.store.models import Dossier, Message
from triage.web.mediation.common import Ctx, endpoint, page_context, redirect, render
from triage.web.mediation.dossier_routes import refused
from triage.web.mediation.views import highlight
from triage.workspace import deadlines as deadlines_mod
from triage.workspace.common import find_dossier
from triage.workspace.labels import label_choices
from triage.workspace.outcomes import DISMISS_REASONS, dismiss, merge, undo, withdrawal
from triage.workspace.queue import QueueItem, pending_count, pending_queue
from triage.workspace.review import (
    Labels,
    accept,
    attach_message,
    bulk_accept,
    confirm,
    dismiss_message,
    flagged_messages,
)

DONE = {
    "accepte": "Tri accepté.",
    "corrige": "Tri corrigé : l'exemple servira au prochain entraînement.",
    "lot": "Suggestions confiantes acceptées.",
    "joint": "Demande rattachée au dossier existant : sa page de suivi le dit à l'usager.",
    "ecarte": "Demande classée sans suite : l'expéditeur lit le motif sur sa page de suivi.",
    "annule": "Action annulée : la demande est revenue dans la file.",
    "rattache": "Message rattaché au dossier.",
    "message_ecarte": "Message écarté.",
}


SHORTCUTS = (  # (key, action code, French description): listed on the page, read by static/file.js
    ("a", "accepter", "accepter la suggestion"),
    ("c", "corriger", "corriger les étiquettes"),
    ("m", "joindre", "joindre à un dossier de la même personne"),
    ("e", "ecarter", "ce n'est pas une demande"),
    ("j", "suivante", "demande suivante"),
    ("k", "precedente", "demande précédente"),
)
_REFERENCE = re.compile(r"^[A-Z0-9-]{1,40}$")


@endpoint("dossiers.read")
def queue_page(request: Request, ctx: Ctx) -> Response:
    """The queue, one line per request, uncertain first; the chosen request opened under its line."""
    return _queue(request, ctx)


def _queue(
    request: Request,
    ctx: Ctx,
    wanted: str = "",
    error: tuple[str, str] = ("", ""),
    typed: dict[str, str] | None = None,
) -> Response:
    """The queue page; after a refused action, `error` = (form, French message) is shown in that form of the
    opened request `wanted`, with what was `typed` kept."""
    settings = ctx.runtime.settings
    ownership = request.query_params.get("attribution", "tous")
    items = pending_queue(ctx.session, settings, where=ownership_filter(ownership, ctx.user.user_id))
    flagged = flagged_messages(ctx.session)
    record(
        ctx.session,
        ctx.actor,
        "queue.view",
        details={"dossiers": [i.dossier_id for i in items], "messages": [m.id for m in flagged]},
    )
    prefix = settings.service.reference_prefix
    cited = {
        m.id: (references_in_text(f"{m.flag_reason} {m.subject} {m.body_text}", prefix) or [""])[0]
        for m in flagged
    }
    wanted = wanted or request.query_params.get("demande", "").strip().upper()
    index = next((n for n, i in enumerate(items) if i.reference == wanted), 0)
    selected = items[index] if items else None
    text = highlight(selected.text, {lab.kind: lab.highlights for lab in selected.labels}) if selected else ""
    done = request.query_params.get("fait", "")
    joined = request.query_params.get("cible", "").strip().upper()
    undoable = request.query_params.get("annuler", "").strip().upper()
    return render(
        request,
        "file.html",
        page_context(
            ctx,
            items=items,
            selected=selected,
            index=index,
            text=text,
            choices=label_choices(settings),
            deadlines=deadlines_mod.compute(ctx.session, settings, ctx.runtime.clock()),
            threshold=settings.triage.confidence_threshold,
            confident=sum(1 for i in items if i.confident),
            done=DONE.get(done, ""),
            joined=joined if _REFERENCE.match(joined) else "",
            shortcuts=SHORTCUTS,
            reasons=DISMISS_REASONS,
            undoable=undoable if _REFERENCE.match(undoable) else "",
            undo_minutes=settings.web.undo_minutes,
            following={i.reference: _neighbour(items, n) for n, i in enumerate(items)},
            settings=settings,
            active="file",
            flagged=flagged,
            cited=cited,
            total=pending_count(ctx.session),
            ownership=ownership if ownership in OWNERSHIP else "tous",
            ownerships=OWNERSHIP,
            keep=f"&attribution={ownership}" if ownership in OWNERSHIP and ownership != "tous" else "",
            error_form=error[0],
            error=error[1],
            typed=typed or {},
        ),
        status=422 if error[1] else 200,
    )


def _neighbour(items: list[QueueItem], index: int) -> str:
    """The request to open once the one at `index` is triaged: the next one, else the previous one."""
    if index + 1 < len(items):
        return items[index + 1].reference
    return items[index - 1].reference if index > 0 else ""


@endpoint("dossiers.read")
def deadlines_page(request: Request, ctx: Ctx) -> Response:
    """The dossiers past a deadline (the queue shows one summary line linking here)."""
    settings = ctx.runtime.settings
    return render(
        request,
        "echeances.html",
        page_context(
            ctx,
            deadlines=deadlines_mod.compute(ctx.session, settings, ctx.runtime.clock()),
            settings=settings,
            active="file",
        ),
    )


def _next_in_queue(ctx: Ctx, code: str, query: str = "") -> str:
    """Where to go after a triage action taken in the queue: the next request, opened; its "Accepter" button
    has the focus (autofocus, which also scrolls to it: no fragment, a fragment would cancel autofocus)."""
    following = ctx.field("suivante", limit=40).strip().upper()
    ownership = ctx.field("attribution", limit=20)
    if ownership in OWNERSHIP and ownership != "tous":  # stay in « mes dossiers » / « non attribués »
        query += f"&attribution={ownership}"
    if following and _REFERENCE.match(following):
        return f"/mediation/?demande={following}&fait={code}{query}"
    return f"/mediation/?fait={code}{query}"


def _back(request: Request, ctx: Ctx) -> str:
    # after an action, return where the form was (queue or dossier page)
    origin = ctx.field("retour", "/mediation/", 300)
    return origin if origin.startswith("/mediation/") and "//" not in origin else "/mediation/"


def _with_done(ctx: Ctx, url: str, code: str) -> str:
    if url == "/mediation/":
        return _next_in_queue(ctx, code)
    return f"{url}{'&' if '?' in url else '?'}fait={code}"


@endpoint("dossiers.write")
def accept_one(request: Request, ctx: Ctx) -> Response:
    """Accept the suggestion as it is."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = _back(request, ctx)
    accept(ctx.session, ctx.runtime.settings, dossier, ctx.actor, now=ctx.runtime.clock())
    return redirect(_with_done(ctx, _back(request, ctx), "accepte"))


@endpoint("dossiers.write")
def correct_one(request: Request, ctx: Ctx) -> Response:
    """Confirm the labels chosen in the lists (a correction when they differ from the suggestion)."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = _back(request, ctx)
    labels = Labels(
        ctx.field("domain", limit=64),
        ctx.field("admissibility", limit=32),
        ctx.field("reorientation", limit=64),
    )
    example = confirm(ctx.session, ctx.runtime.settings, dossier, labels, ctx.actor, now=ctx.runtime.clock())
    return redirect(_with_done(ctx, _back(request, ctx), "corrige" if example.corrected else "accepte"))


@endpoint("dossiers.write")
def accept_confident(request: Request, ctx: Ctx) -> Response:
    """Accept every suggestion whose three labels reach the confidence threshold."""
    bulk_accept(ctx.session, ctx.runtime.settings, ctx.actor, now=ctx.runtime.clock())
    return redirect("/mediation/?fait=lot")


def _confirmation(request: Request, ctx: Ctx, dossier: Dossier, action: str, **values: object) -> Response:
    """The page that says what ending this request will do, with the same fields and « Confirmer »."""
    hidden = {name: ctx.field(name, limit=300) for name in ("cible", "motif", "suivante", "retour")}
    return render(
        request,
        "confirmer.html",
        page_context(
            ctx,
            d=dossier,
            action=action,
            hidden=hidden,
            withdrawal=withdrawal(ctx.session, dossier),
            undo_minutes=ctx.runtime.settings.web.undo_minutes,
            statuses=STATUSES,
            active="file",
            **values,
        ),
    )


@endpoint("dossiers.write")
def merge_one(request: Request, ctx: Ctx) -> Response:
    """Join this request to an existing dossier of the same person (after a confirmation page)."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = _back(request, ctx)
    target_ref = ctx.field("cible", limit=40).strip().upper()
    try:
        if not target_ref:
            raise DossierError("indiquez la référence du dossier existant", key=dossier.reference)
        target = find_dossier(ctx.session, target_ref)
        if target.id == dossier.id:
            raise DossierError("une demande ne peut pas être jointe à elle-même", key=dossier.reference)
    except MediatureError as err:
        if _back(request, ctx) == f"/mediation/dossiers/{dossier.reference}":  # its form on the dossier page
            return refused(request, ctx, dossier, "joindre", err)
        if _back(request, ctx) != "/mediation/":
            raise
        return _queue(request, ctx, dossier.reference, ("joindre", err.message), {"cible": target_ref})
    if ctx.field("confirme") != "1":
        return _confirmation(request, ctx, dossier, "joindre", target=target)
    merge(ctx.session, dossier, target, ctx.actor, now=ctx.runtime.clock())
    if _back(request, ctx) == "/mediation/":  # from the queue: carry on with the next request
        return redirect(_next_in_queue(ctx, "joint", f"&cible={target_ref}&annuler={dossier.reference}"))
    return redirect(f"/mediation/dossiers/{target_ref}?fait=joint")


@endpoint("dossiers.write")
def set_aside(request: Request, ctx: Ctx) -> Response:
    """« Classée sans suite », with the reason the sender reads (after a confirmation page)."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = _back(request, ctx)
    reason = ctx.field("motif", limit=200).strip()
    if not reason:
        return _queue(request, ctx, dossier.reference, ("ecarter", "indiquez le motif que lira l'expéditeur"))
    if ctx.field("confirme") != "1":
        return _confirmation(request, ctx, dossier, "ecarter", reason=reason)
    dismiss(ctx.session, dossier, ctx.actor, reason, now=ctx.runtime.clock())
    return redirect(_next_in_queue(ctx, "ecarte", f"&annuler={dossier.reference}"))


@endpoint("dossiers.write")
def undo_end(request: Request, ctx: Ctx) -> Response:
    """« Annuler »: the request comes back to the queue, opened."""
    dossier = find_dossier(ctx.session, request.path_params["reference"])
    ctx.extra["back"] = "/mediation/"
    undo(ctx.session, dossier, ctx.actor, ctx.runtime.settings.web.undo_minutes, now=ctx.runtime.clock())
    return redirect(f"/mediation/?demande={dossier.reference}&fait=annule")


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
    attach_message(ctx.session, message, target, ctx.actor, now=ctx.runtime.clock())
    return redirect(f"/mediation/dossiers/{target.reference}?fait=rattache")


@endpoint("dossiers.write")
def dismiss_flagged(request: Request, ctx: Ctx) -> Response:
    """Set aside a message kept aside."""
    dismiss_message(ctx.session, _flagged(request, ctx), ctx.actor, now=ctx.runtime.clock())
    return redirect("/mediation/?fait=message_ecarte")


def routes() -> list[Route]:
    """Queue routes."""
    return [
        Route("/mediation/", queue_page, methods=["GET"]),
        Route("/mediation/echeances", deadlines_page, methods=["GET"]),
        Route("/mediation/tri/accepter-confiants", accept_confident, methods=["POST"]),
        Route("/mediation/tri/{reference}/accepter", accept_one, methods=["POST"]),
        Route("/mediation/tri/{reference}/corriger", correct_one, methods=["POST"]),
        Route("/mediation/tri/{reference}/joindre", merge_one, methods=["POST"]),
        Route("/mediation/tri/{reference}/ecarter", set_aside, methods=["POST"]),
        Route("/mediation/tri/{reference}/annuler", undo_end, methods=["POST"]),
        Route("/mediation/messages/{message_id:id}/rattacher", attach_flagged, methods=["POST"]),
        Route("/mediation/messages/{message_id:id}/ecarter", dismiss_flagged, methods=["POST"]),
    ]
