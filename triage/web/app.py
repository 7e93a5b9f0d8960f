"""The Starlette application factory: one Runtime in, an ASGI app out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from triage import __version__
from triage.dossiers.tracking import Contact
from triage.errors import AuthError, MediatureError, NotFoundError
from triage.files import restrict_umask
from triage.notify.render import date_fr
from triage.pipeline import Pipeline, SharedPipeline
from triage.resources import PACKAGE_DIR, templates_dir
from triage.runtime import Runtime
from triage.store.db import answers
from triage.web import mediation, report_routes, tracking_routes
from triage.web.mediation.common import HOME_BY_ROLE, render, safe_next, url_path
from triage.web.security import RateLimiter, SecurityHeaders
from triage.workspace.labels import reorientation_contact

# What a person reads on an error page (plain text: the page must render even when templates cannot).
HTTP_ERRORS = {
    400: "Requête invalide.",
    403: "Accès refusé.",
    404: "Page introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    413: "Envoi trop volumineux.",
    500: "Erreur interne : l'incident est enregistré ; réessayez plus tard ou contactez la mission de médiation.",
}


class MediatureApp(Starlette):
    """Starlette with the security headers and the trusted-proxy rewrite outside its error handling, so
    that 404, 405, 413 and 500 answers carry the same headers as pages."""

    trusted_proxies: tuple[str, ...] = ()

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        if self.trusted_proxies:
            # X-Forwarded-For / -Proto are believed only from these peers; otherwise the peer is the client
            app = ProxyHeadersMiddleware(app, trusted_hosts=list(self.trusted_proxies))  # type: ignore[arg-type,assignment]
        return SecurityHeaders(app)


def http_error(request: Request, exc: Exception) -> Response:
    """French text for Starlette's HTTP errors (unknown page, wrong method, body too large)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = getattr(exc, "headers", None)
    return PlainTextResponse(HTTP_ERRORS.get(status, "Erreur."), status_code=status, headers=headers)


def make_templates(runtime: Runtime) -> Jinja2Templates:
    """Jinja2 templates for pages, with the service details available everywhere."""
    templates = Jinja2Templates(directory=str(templates_dir() / "web"))
    env = templates.env
    env.globals["service"] = runtime.settings.service
    env.globals["version"] = __version__
    env.filters["date_fr"] = date_fr
    return templates


async def health(request: Request) -> Response:
    """JSON health: the process answers and the database too."""
    runtime: Runtime = request.app.state.runtime
    db = "ok" if answers(runtime.engine) else "indisponible"
    status = 200 if db == "ok" else 503
    return JSONResponse(
        {"status": "ok" if status == 200 else "degraded", "database": db, "version": __version__},
        status_code=status,
    )


def error_status(error: MediatureError) -> int:
    """The one mapping of errors to HTTP statuses: not found 404, refused 403, any other refusal 409."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, AuthError):
        return 403
    return 409


async def error_page(request: Request, error: Exception) -> Response:
    """The French error page for an error a workspace or report handler raised (nothing was changed).

    The handler's wrapper leaves the logged-in person in `request.state.user` and the page to go back to
    in `request.state.back`; the action's transaction was already rolled back.
    """
    assert isinstance(error, MediatureError)
    user = getattr(request.state, "user", None)
    home = HOME_BY_ROLE.get(user.role, "/mediation/") if user is not None else "/connexion"
    back = getattr(request.state, "back", "") or request.headers.get("referer", "")
    return render(
        request,
        "erreur.html",
        {
            "message": error.message,
            "back": safe_next(url_path(back), home),
            "user": user,
            "csrf": user.csrf_token if user is not None else "",
            "not_found": isinstance(error, NotFoundError),
        },
        status=error_status(error),
    )


def create_app(
    runtime: Runtime,
    *,
    pipeline: Pipeline | None = None,
    reorientation_contact: Callable[[str], Contact | None] | None = None,
) -> Starlette:
    """Build the web application over an opened runtime; `pipeline` replaces the shipped one (built on
    first use) for every request."""
    routes: list[Any] = [
        Route("/health", health, methods=["GET"]),
        *tracking_routes.routes(),
        Mount("/static", app=StaticFiles(directory=str(PACKAGE_DIR / "web" / "static")), name="static"),
    ]
    routes += mediation.routes()
    routes += report_routes.routes()
    web = runtime.settings.web
    app = MediatureApp(
        routes=routes,
        max_body_size=web.max_form_bytes,  # routes raise or lower it (uploads)
        exception_handlers={MediatureError: error_page, HTTPException: http_error, 500: http_error},
    )
    app.trusted_proxies = tuple(web.trusted_proxies)
    app.state.runtime = runtime
    app.state.pipeline = SharedPipeline(runtime, pipeline)
    app.state.templates = make_templates(runtime)
    app.state.lookup_limiter = RateLimiter(limit=10, window=600.0)  # failed tracking lookups per address
    app.state.reorientation_contact = reorientation_contact or default_reorientation_contact(runtime)
    return app


def default_reorientation_contact(runtime: Runtime) -> Callable[[str], Contact | None]:
    """Contact details of reorientation targets from the configured directory (None when unknown)."""

    def lookup(code: str) -> Contact | None:
        return reorientation_contact(runtime.settings, code)

    return lookup


def app_from_environment() -> Starlette:
    """App factory for uvicorn worker processes: settings from MEDIATURE_CONFIG and the environment."""
    restrict_umask()  # a worker process may be started by uvicorn directly
    return create_app(Runtime.from_config(None))
