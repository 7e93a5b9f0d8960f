"""/mediation/mis-de-cote: probable spam, messages to check and non-requests, each with « C'est une demande »."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.store.audit import record
from triage.web.mediation.common import Ctx, endpoint, page_context, redirect, render
from triage.workspace.setaside import rescue, set_aside_lists


@endpoint("dossiers.read")
def set_aside_page(request: Request, ctx: Ctx) -> Response:
    """The three lists, newest first."""
    lists = set_aside_lists(ctx.session)
    record(
        ctx.session,
        ctx.actor,
        "set_aside.view",
        details={"messages": [m.id for m in (*lists.spam, *lists.to_check, *lists.non_requests)]},
    )
    return render(request, "mis_de_cote.html", page_context(ctx, lists=lists, active="mis_de_cote"))


@endpoint("dossiers.write")
def is_a_request(request: Request, ctx: Ctx) -> Response:
    """« C'est une demande » : open the dossier with the message, acknowledge, show the dossier."""
    ctx.extra["back"] = "/mediation/mis-de-cote"
    outcome = rescue(
        ctx.session, ctx.pipeline.get(), request.path_params["message_id"], ctx.actor, now=ctx.runtime.clock()
    )
    return redirect(f"/mediation/dossiers/{outcome.reference}?fait=cree")


def routes() -> list[Route]:
    """Set-aside mail routes."""
    return [
        Route("/mediation/mis-de-cote", set_aside_page, methods=["GET"]),
        Route("/mediation/mis-de-cote/{message_id:id}/demande", is_a_request, methods=["POST"]),
    ]
