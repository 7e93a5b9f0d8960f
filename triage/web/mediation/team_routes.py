"""The team's work on a dossier: assignment, reminder date, « marquer non lu »."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.correspondence.team import assign, mark_read, set_reminder
from triage.errors import DossierError
from triage.web.mediation.common import Ctx, endpoint, redirect
from triage.web.mediation.dossier_routes import attempt, refused
from triage.web.mediation.write_routes import dossier_for


@endpoint("dossiers.write")
def assign_dossier(request: Request, ctx: Ctx) -> Response:
    """Give the dossier to a mediator (« moi », a user id, or nobody)."""
    dossier = dossier_for(request, ctx, "")
    value = ctx.field("attribue_a", limit=12)
    user_id = ctx.user.user_id if value == "moi" else int(value) if value.isdigit() else None

    def give() -> None:
        if value and user_id is None:
            raise DossierError("personne inconnue", key=dossier.reference)
        assign(ctx.session, ctx.runtime.settings, ctx.runtime.secret, dossier, user_id, ctx.actor)

    err = attempt(ctx, give)
    if err is not None:
        return refused(request, ctx, dossier, "attribution", err)
    return redirect(f"/mediation/dossiers/{dossier.reference}?fait=attribution")


@endpoint("dossiers.write")
def reminder(request: Request, ctx: Ctx) -> Response:
    """Set (or clear) the reminder date."""
    dossier = dossier_for(request, ctx, "")
    value = ctx.field("rappel", limit=10)

    def remind() -> None:
        try:
            day = date.fromisoformat(value) if value else None
        except ValueError as err:
            raise DossierError("date de rappel invalide (jour/mois/année)", key=dossier.reference) from err
        set_reminder(ctx.session, dossier, day, ctx.actor)

    err = attempt(ctx, remind)
    if err is not None:
        return refused(request, ctx, dossier, "rappel", err)
    return redirect(f"/mediation/dossiers/{dossier.reference}?fait=rappel")


@endpoint("dossiers.write")
def mark_unread(request: Request, ctx: Ctx) -> Response:
    """Put the unread mark back (to come back to it later); back to the list."""
    dossier = dossier_for(request, ctx, "")
    mark_read(dossier, unread=True)
    return redirect("/mediation/dossiers?fait=non_lu")


def routes() -> list[Route]:
    """Team routes."""
    base = "/mediation/dossiers/{reference}"
    return [
        Route(f"{base}/attribution", assign_dossier, methods=["POST"]),
        Route(f"{base}/rappel", reminder, methods=["POST"]),
        Route(f"{base}/non-lu", mark_unread, methods=["POST"]),
    ]
