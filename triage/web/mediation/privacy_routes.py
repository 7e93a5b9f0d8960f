"""/mediation/donnees-personnelles: what will be anonymised soon (with extensions), right of access (zip)
and erasure behind a confirmation where the mediator types the address again."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.clock import local_day
from triage.errors import DossierError
from triage.privacy.access import Who, export_person
from triage.privacy.erasure import erase, normalise_email
from triage.privacy.retention import EXTENSION_REASONS, LABELS, extend, upcoming
from triage.store.erasure import person_dossier_ids
from triage.store.models import Dossier
from triage.web.mediation.common import Ctx, endpoint, page_context, redirect, render


@endpoint("dossiers.read")
def privacy_page(request: Request, ctx: Ctx) -> Response:
    """Dossiers anonymised within the notice period, and the forms for access and erasure."""
    policy = ctx.runtime.settings.retention
    items = upcoming(ctx.session, policy, local_day(ctx.runtime.clock()))
    return render(
        request,
        "donnees.html",
        page_context(
            ctx,
            items=items,
            reasons=EXTENSION_REASONS,
            policy=policy,
            done=request.query_params.get("fait", ""),
            active="donnees",
        ),
    )


@endpoint("dossiers.write")
def extend_retention(request: Request, ctx: Ctx) -> Response:
    """Keep one dossier past its term, with a reason (audited)."""
    ctx.extra["back"] = "/mediation/donnees-personnelles"
    reference = ctx.field("reference", limit=32)
    try:
        until = date.fromisoformat(ctx.field("until", limit=10))
    except ValueError as err:
        raise DossierError("date de prolongation invalide", key=reference) from err
    dossier = ctx.session.scalar(select(Dossier).where(Dossier.reference == reference))
    if dossier is None:
        raise DossierError("dossier introuvable", key=reference)
    extend(
        ctx.session, dossier, until, ctx.field("reason", limit=32), ctx.actor, local_day(ctx.runtime.clock())
    )
    return redirect("/mediation/donnees-personnelles?fait=prolonge")


@endpoint("dossiers.read", transactional=False)
def export_zip(request: Request, ctx: Ctx) -> Response:
    """The person's zip (summary + original files), downloaded at once and kept nowhere on the server."""
    ctx.extra["back"] = "/mediation/donnees-personnelles"
    who = Who(
        ctx.field("email", limit=320),
        ctx.field("phone", limit=64),
        ctx.field("name", limit=200),
        ctx.field("postcode", limit=10),
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "donnees.zip"
        export_person(ctx.runtime, who, path, ctx.actor)
        data = path.read_bytes()
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="donnees-personnelles.zip"',
            "Cache-Control": "no-store",
        },
    )


@endpoint("dossiers.write", transactional=False)
def erase_person(request: Request, ctx: Ctx) -> Response:
    """First post: what would be erased, and a field to type the address again; second post: erase."""
    ctx.extra["back"] = "/mediation/donnees-personnelles"
    email = normalise_email(ctx.field("email", limit=320))
    confirmation = ctx.field("confirmation", limit=320).strip().lower()
    if confirmation != email:
        ids = person_dossier_ids(ctx.session, email)
        references = sorted(ctx.session.scalars(select(Dossier.reference).where(Dossier.id.in_(ids))))
        return render(
            request,
            "effacement.html",
            page_context(ctx, email=email, references=references, wrong=bool(confirmation), active="donnees"),
        )
    report = erase(ctx.runtime, email, ctx.actor)
    return render(
        request,
        "effacement.html",
        page_context(ctx, email="", report=report, labels=LABELS, active="donnees"),
    )


def routes() -> list[Route]:
    """Personal-data routes."""
    return [
        Route("/mediation/donnees-personnelles", privacy_page, methods=["GET"]),
        Route("/mediation/donnees-personnelles/prolonger", extend_retention, methods=["POST"]),
        Route("/mediation/donnees-personnelles/export", export_zip, methods=["POST"]),
        Route("/mediation/donnees-personnelles/effacer", erase_person, methods=["POST"]),
    ]
