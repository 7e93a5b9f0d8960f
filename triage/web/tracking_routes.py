"""Citizens' tracking pages: /suivi (reference + code form) and /suivi/{token} (the link we mail)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from triage.correspondence.contacts import body_contact
from triage.dossiers.tracking import CodeAnswer, CodePolicy, Contact, load_view, load_view_by_code
from triage.runtime import Runtime
from triage.store.db import CoreConnection
from triage.web.security import PUBLIC_FORM_BYTES

NEUTRAL = (
    "Nous ne trouvons pas de dossier correspondant. Vérifiez la référence et le code indiqués sur "
    "votre accusé de réception, ou contactez la mission de médiation."
)
SUSPENDED = (
    "Trop de codes erronés ont été saisis pour ce dossier : la recherche par code est suspendue pour "
    "quelque temps. Le lien reçu dans votre accusé de réception reste valable ; vous pouvez aussi contacter "
    "la mission de médiation."
)
SLOW_DOWN = (
    "Trop d'essais depuis votre connexion. Réessayez dans quelques minutes, ou contactez la mission "
    "de médiation."
)


def _client(request: Request) -> str:
    return request.client.host if request.client else "inconnu"


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


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


def _contacts(request: Request, conn: CoreConnection) -> Callable[[str], Contact | None]:
    """Reorientation contacts: the directory edited in the workspace (read on the page's own connection),
    else the app's lookup."""
    settings = request.app.state.runtime.settings
    fallback = request.app.state.reorientation_contact

    def lookup(code: str) -> Contact | None:
        return body_contact(conn, settings, code, fallback=False) or fallback(code)

    return lookup


async def tracking_lookup(request: Request) -> Response:
    """Form submission: find the dossier by reference and code (limited per address and per dossier)."""
    limiter = request.app.state.lookup_limiter
    client = _client(request)
    if limiter.blocked(client):
        return _not_found(request, limited=True)  # no answer at all, or the right code would stand out
    form = await request.form(max_files=0, max_fields=10)
    reference = str(form.get("reference", ""))[:64]
    code = str(form.get("code", ""))[:32]
    runtime: Runtime = request.app.state.runtime
    web = runtime.settings.web
    policy = CodePolicy(web.tracking_code_max_failures, timedelta(minutes=web.tracking_code_lockout_minutes))

    def lookup() -> CodeAnswer:
        with runtime.engine.begin() as conn:
            return load_view_by_code(
                conn, reference, code, policy, contact_for=_contacts(request, conn), now=runtime.clock()
            )

    answer = await run_in_threadpool(lookup)
    if answer.view is not None:
        return _show(request, answer.view)
    limiter.hit(client)
    if answer.suspended:
        return _render(request, "suivi_form.html", {"error": SUSPENDED, "reference": ""}, status=429)
    return _not_found(request)


async def tracking_page(request: Request) -> Response:
    """The page behind the link sent in the acknowledgement: a valid link is always shown (192-bit tokens
    cannot be guessed, so a blocked address gains nothing from it); wrong tokens count against the address."""
    limiter = request.app.state.lookup_limiter
    client = _client(request)
    runtime: Runtime = request.app.state.runtime
    with runtime.engine.connect() as conn:
        view = load_view(conn, token=request.path_params["token"], contact_for=_contacts(request, conn))
    if view is not None:
        return _show(request, view)
    limited = limiter.blocked(client)
    limiter.hit(client)
    return _not_found(request, limited=limited)


def routes() -> list[Route]:
    """The tracking routes."""
    return [
        Route("/suivi", tracking_form, methods=["GET"]),
        Route("/suivi", tracking_lookup, methods=["POST"], max_body_size=PUBLIC_FORM_BYTES),
        Route("/suivi/{token}", tracking_page, methods=["GET"]),
    ]
