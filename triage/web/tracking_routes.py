"""Citizens' tracking pages: /suivi (reference + code form) and /suivi/{token} (the link we mail)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.dossiers.tracking import load_view
from triage.runtime import Runtime
from triage.web.security import PUBLIC_FORM_BYTES

NEUTRAL = (
    "Nous ne trouvons pas de dossier correspondant. Vérifiez la référence et le code indiqués sur "
    "votre accusé de réception, ou contactez la mission de médiation."
)
SLOW_DOWN = (
    "Trop d'essais depuis votre connexion. Réessayez dans quelques minutes, ou contactez la mission "
    "de médiation."
)


def _client(request: Request) -> str:
    return request.client.host if request.client else "inconnu"


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)  # type: ignore[no-any-return]


def _show(request: Request, view: Any) -> Response:
    return _render(request, "suivi.html", {"view": view})


def _not_found(request: Request, limited: bool = False) -> Response:
    # same page, same status for a wrong token and a wrong code: nothing to learn from the answer
    return _render(
        request,
        "suivi_form.html",
        {"error": SLOW_DOWN if limited else NEUTRAL, "reference": ""},
        status=429 if limited else 404,
    )


async def tracking_form(request: Request) -> Response:
    """The form: reference and code."""
    return _render(request, "suivi_form.html", {"error": "", "reference": ""})


async def tracking_lookup(request: Request) -> Response:
    """Form submission: find the dossier by reference and code."""
    limiter = request.app.state.lookup_limiter
    client = _client(request)
    if limiter.blocked(client):
        return _not_found(request, limited=True)
    form = await request.form()
    reference = str(form.get("reference", ""))[:64]
    code = str(form.get("code", ""))[:32]
    runtime: Runtime = request.app.state.runtime
    with runtime.engine.connect() as conn:
        view = load_view(conn, reference=reference, key=code, contact_for=request.app.state.reorientation_contact)
    if view is None:
        limiter.hit(client)
        return _not_found(request)
    return _show(request, view)


async def tracking_page(request: Request) -> Response:
    """The page behind the link sent in the acknowledgement."""
    limiter = request.app.state.lookup_limiter
    client = _client(request)
    if limiter.blocked(client):
        return _not_found(request, limited=True)
    runtime: Runtime = request.app.state.runtime
    with runtime.engine.connect() as conn:
        view = load_view(conn, token=request.path_params["token"],
                         contact_for=request.app.state.reorientation_contact)
    if view is None:
        limiter.hit(client)
        return _not_found(request)
    return _show(request, view)


def routes() -> list[Route]:
    """The tracking routes."""
    return [
        Route("/suivi", tracking_form, methods=["GET"]),
        Route("/suivi", tracking_lookup, methods=["POST"], max_body_size=PUBLIC_FORM_BYTES),
        Route("/suivi/{token}", tracking_page, methods=["GET"]),
    ]
