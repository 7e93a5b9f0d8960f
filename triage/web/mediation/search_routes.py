"""« Rechercher » at /mediation/recherche: full-text search over dossiers, messages and OCR text, with
filters and paging; filters alone list the dossiers they keep (triage.store.search)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.correspondence.team import assignable
from triage.dossiers.statuses import STATUSES
from triage.store.audit import record
from triage.store.search import ORDER, SearchFilters, known_territories, search_dossiers
from triage.web.mediation.common import CHANNEL_NAMES, Ctx, endpoint, page_context, render
from triage.workspace.labels import label_choices

FIELDS = ("q", "statut", "domaine", "territoire", "canal", "attribution", "du", "au")


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@endpoint("dossiers.read")
def search_page(request: Request, ctx: Ctx) -> Response:
    """The search form and, when words were typed or a filter chosen, one page of dossiers found (with
    excerpts where words were typed)."""
    params = {name: request.query_params.get(name, "").strip()[:200] for name in FIELDS}
    choice = params["attribution"]
    filters = SearchFilters(
        status=params["statut"] if params["statut"] in STATUSES else "",
        domain=params["domaine"],
        territory=params["territoire"],
        channel=params["canal"] if params["canal"] in CHANNEL_NAMES else "",
        assignee=ctx.user.user_id if choice == "moi" else int(choice) if choice.isdigit() else None,
        unassigned=choice == "aucun",
        received_from=_day(params["du"]),
        received_to=_day(params["au"]),
    )
    page_number = (
        int(request.query_params.get("page", "1")) if request.query_params.get("page", "1").isdigit() else 1
    )
    result = search_dossiers(ctx.session, params["q"], filters, page_number) if any(params.values()) else None
    if result is not None:
        # the words typed may be a name: the journal keeps only the fact and the count
        record(
            ctx.session, ctx.actor, "dossiers.search", details={"count": result.total, "page": result.page}
        )
    kept = {name: value for name, value in params.items() if value}
    choices = label_choices(ctx.runtime.settings)
    return render(
        request,
        "recherche.html",
        page_context(
            ctx,
            active="recherche",
            params=params,
            result=result,
            order=ORDER,
            statuses=STATUSES,
            domains=choices.domains,
            domain_names=dict(choices.domains),
            territories=known_territories(ctx.session),
            channels=CHANNEL_NAMES,
            assignees=assignable(ctx.session),
            page_link=lambda n: "/mediation/recherche?" + urlencode({**kept, "page": n}),
        ),
    )


def routes() -> list[Route]:
    """Search routes."""
    return [Route("/mediation/recherche", search_page, methods=["GET"])]
