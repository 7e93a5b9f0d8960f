"""The annual report in the mediator's workspace (/mediation/rapport): HTML, PDF, CSV, texts, recommendations.

Every page needs a logged-in person whose role can read dossiers (triage.auth), and every POST the
session's CSRF token. The report holds aggregates only, but it is the mediator's working document
until published: it is never served to anonymous visitors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from triage import auth
from triage.clock import local_day
from triage.errors import ReportError
from triage.report.render import build, render_csv, render_html, render_pdf
from triage.resources import templates_dir
from triage.runtime import Runtime
from triage.store import recommendations as recs
from triage.store.report_queries import report_years
from triage.web.mediation.common import cookie_names

BASE = "/mediation/rapport"
READ = "dossiers.read"
WRITE = "dossiers.write"
Handler = Callable[[Request, auth.LoggedIn, Runtime, FormData | None], Response]


def _cookie_name(runtime: Runtime) -> str:
    return cookie_names(runtime)[0]


def _refused(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status)


def guarded(capability: str) -> Callable[[Handler], Callable[[Request], Any]]:
    """A report endpoint: session (triage.auth), capability, CSRF on POST; the handler runs in a thread."""

    def decorate(handler: Handler) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime

            def authorise() -> auth.LoggedIn | Response:
                with runtime.sessions.begin() as session:
                    user = auth.load_session(
                        session,
                        runtime.settings,
                        request.cookies.get(_cookie_name(runtime)),
                        now=runtime.clock(),
                    )
                if user is None:
                    if request.method == "GET":
                        return RedirectResponse(
                            f"/connexion?suite={quote(request.url.path)}", status_code=303
                        )
                    return _refused(403, "Session expirée : reconnectez-vous, puis recommencez.")
                if not user.can(capability):
                    return _refused(403, "Cette page n'est pas accessible avec votre rôle.")
                return user

            # who is asking is checked before the body is read
            user = await run_in_threadpool(authorise)
            if isinstance(user, Response):
                return user
            form = (
                await request.form(max_files=0, max_fields=50, max_part_size=256 * 1024)
                if request.method == "POST"
                else None
            )

            def run(user: auth.LoggedIn) -> Response:
                if form is not None and not auth.csrf_ok(user.csrf_token, _field(form, "csrf")):
                    return _refused(403, "Jeton de sécurité absent ou invalide : rechargez la page.")
                request.state.user = user  # errors become triage.web.app's French error page
                request.state.back = BASE
                return handler(request, user, runtime, form)

            try:
                return await run_in_threadpool(run, user)
            finally:
                if form is not None:
                    await form.close()

        endpoint.capability = capability  # type: ignore[attr-defined]  # read by permission tests
        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return decorate


def _field(form: FormData | None, name: str, limit: int = 20000) -> str:
    value = form.get(name) if form is not None else None
    return value[:limit] if isinstance(value, str) else ""


def _year(value: str | None, runtime: Runtime) -> int:
    try:
        year = int(value) if value else runtime.clock().year
    except ValueError as err:
        raise ReportError("année invalide") from err
    if not 2000 <= year <= 2100:
        raise ReportError("année invalide")
    return year


def _years(runtime: Runtime, year: int) -> list[int]:
    return sorted(report_years(runtime.sessions) | {year, runtime.clock().year})


@guarded(READ)
def report_page(request: Request, user: auth.LoggedIn, runtime: Runtime, form: FormData | None) -> Response:
    """The year's report as a web page, with links to the PDF, the CSV and the editing page."""
    year = _year(request.query_params.get("annee"), runtime)
    html = render_html(
        build(runtime, year),
        {
            "web": True,
            "web_base": BASE,
            "web_years": _years(runtime, year),
            "web_edit": user.can(WRITE),
        },
    )
    return HTMLResponse(html)


def _download(body: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'}
    )


@guarded(READ)
def report_pdf(request: Request, user: auth.LoggedIn, runtime: Runtime, form: FormData | None) -> Response:
    """The report as a PDF download."""
    year = _year(request.path_params["year"], runtime)
    return _download(render_pdf(build(runtime, year)), "application/pdf", f"rapport-mediation-{year}.pdf")


@guarded(READ)
def report_csv(request: Request, user: auth.LoggedIn, runtime: Runtime, form: FormData | None) -> Response:
    """The report's tables (small cells masked) as CSV."""
    year = _year(request.path_params["year"], runtime)
    body = render_csv(build(runtime, year, with_charts=False))
    return _download(body.encode("utf-8"), "text/csv; charset=utf-8", f"rapport-mediation-{year}.csv")


@guarded(READ)
def stylesheet(request: Request, user: auth.LoggedIn, runtime: Runtime, form: FormData | None) -> Response:
    """The report's stylesheet (the pages' CSP forbids inline styles); like every /mediation/ path, for
    logged-in readers only."""
    return Response(
        (templates_dir() / "report" / "rapport.css").read_text(encoding="utf-8"), media_type="text/css"
    )


def _environment(runtime: Runtime) -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(str(templates_dir() / "report")),
                FileSystemLoader(str(templates_dir() / "web")),
            ]
        ),
        autoescape=select_autoescape(["html"]),
    )
    env.globals.update(service=runtime.settings.service, role_names=auth.ROLES)
    return env


@guarded(WRITE)
def editing_page(request: Request, user: auth.LoggedIn, runtime: Runtime, form: FormData | None) -> Response:
    """The mediator's texts for each section, and the recommendations with their progress."""
    year = _year(request.path_params["year"], runtime)
    with runtime.sessions() as session:
        comments = recs.comments_for(session, year)
        recommendations = recs.list_recommendations(session)
    html = (
        _environment(runtime)
        .get_template("edition.html")
        .render(
            user=user,
            csrf=user.csrf_token,
            active="rapport",
            year=year,
            base=BASE,
            sections=recs.SECTIONS,
            comments=comments,
            recommendations=[r for r in recommendations if r.year <= year],
            statuses=recs.STATUSES,
            today=local_day(runtime.clock()).isoformat(),
            done=request.query_params.get("fait", ""),
        )
    )
    return HTMLResponse(html)


@guarded(WRITE)
def save_comments(request: Request, user: auth.LoggedIn, runtime: Runtime, form: FormData | None) -> Response:
    """Save the texts of the year's sections."""
    year = _year(request.path_params["year"], runtime)
    with runtime.sessions.begin() as session:
        for section in recs.SECTIONS:
            if form is not None and section in form:
                recs.set_comment(session, year, section, _field(form, section))
    return RedirectResponse(f"{BASE}/{year}/commentaires?fait=textes", status_code=303)


@guarded(WRITE)
def add_recommendation(
    request: Request, user: auth.LoggedIn, runtime: Runtime, form: FormData | None
) -> Response:
    """Record a new recommendation of the year."""
    year = _year(request.path_params["year"], runtime)
    services = [line for line in _field(form, "services", 4000).splitlines() if line.strip()]
    with runtime.sessions.begin() as session:
        recs.add_recommendation(
            session,
            year=year,
            title=_field(form, "titre", 300),
            description=_field(form, "description"),
            services=services,
            status=_field(form, "statut", 16) or "proposee",
        )
    return RedirectResponse(f"{BASE}/{year}/commentaires?fait=preconisation", status_code=303)


@guarded(WRITE)
def add_progress(request: Request, user: auth.LoggedIn, runtime: Runtime, form: FormData | None) -> Response:
    """Add a dated progress note (and possibly a new status) to a recommendation."""
    year = _year(_field(form, "annee", 4), runtime)
    try:
        on = date.fromisoformat(_field(form, "date", 10)) if _field(form, "date", 10) else None
    except ValueError as err:
        raise ReportError("date invalide") from err
    with runtime.sessions.begin() as session:
        recs.add_progress(
            session,
            int(request.path_params["rec_id"]),
            _field(form, "note", 4000),
            on=on or local_day(runtime.clock()),
            status=_field(form, "statut", 16) or None,
        )
    return RedirectResponse(f"{BASE}/{year}/commentaires?fait=avancement", status_code=303)


def routes() -> list[Route]:
    """The report's routes, to add to the application."""
    return [
        Route(BASE, report_page, methods=["GET"]),
        Route(f"{BASE}/rapport.css", stylesheet, methods=["GET"]),
        Route(BASE + "/{year:id}.pdf", report_pdf, methods=["GET"]),
        Route(BASE + "/{year:id}.csv", report_csv, methods=["GET"]),
        Route(BASE + "/{year:id}/commentaires", editing_page, methods=["GET"]),
        Route(BASE + "/{year:id}/commentaires", save_comments, methods=["POST"]),
        Route(BASE + "/{year:id}/preconisations", add_recommendation, methods=["POST"]),
        Route(BASE + "/preconisations/{rec_id:id}/avancement", add_progress, methods=["POST"]),
    ]
