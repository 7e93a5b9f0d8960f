"""The Starlette application factory: one Runtime in, an ASGI app out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from triage import __version__
from triage.dossiers.tracking import Contact
from triage.notify.render import date_fr
from triage.resources import PACKAGE_DIR, templates_dir
from triage.runtime import Runtime
from triage.web.security import RateLimiter, SecurityHeaders


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
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("select 1"))
        db = "ok"
    except Exception:  # health must answer whatever the database does
        db = "indisponible"
    status = 200 if db == "ok" else 503
    return JSONResponse({"status": "ok" if status == 200 else "degraded", "database": db,
                         "version": __version__}, status_code=status)


def create_app(
    runtime: Runtime,
    *,
    reorientation_contact: Callable[[str], Contact | None] | None = None,
) -> Starlette:
    """Build the web application over an opened runtime."""
    from triage.web import tracking_routes

    routes: list[Any] = [
        Route("/health", health, methods=["GET"]),
        *tracking_routes.routes(),
        Mount("/static", app=StaticFiles(directory=str(PACKAGE_DIR / "web" / "static")), name="static"),
    ]
    from triage.web import mediation, report_routes

    routes += mediation.routes()
    routes += report_routes.routes()
    app = Starlette(routes=routes)
    app.state.runtime = runtime
    app.state.templates = make_templates(runtime)
    app.state.lookup_limiter = RateLimiter(limit=10, window=600.0)  # failed tracking lookups per address
    app.state.reorientation_contact = reorientation_contact or default_reorientation_contact(runtime)
    app.add_middleware(SecurityHeaders)
    return app


def default_reorientation_contact(runtime: Runtime) -> Callable[[str], Contact | None]:
    """Contact details of reorientation targets from the configured directory (None when unknown)."""
    from triage.workspace.labels import reorientation_contact

    def lookup(code: str) -> Contact | None:
        return reorientation_contact(runtime.settings, code)

    return lookup


def app_from_environment() -> Starlette:
    """App factory for uvicorn worker processes: settings from MEDIATURE_CONFIG and the environment."""
    return create_app(Runtime.from_config(None))
