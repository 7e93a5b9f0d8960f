"""What every page of the workspace shares: the session cookie, the permission and CSRF checks, the
transaction and rendering. Errors a handler raises reach the French error page of triage.web.app (the one
place that turns errors into HTTP statuses), after the action was rolled back.

An endpoint is a plain synchronous function `handler(request, ctx) -> Response`, declared with
`@endpoint("capability")`. The wrapper runs it in a worker thread inside one database transaction,
after checking the session, the capability and, for every POST, the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from triage.auth import ROLES, LoggedIn, csrf_ok, load_session
from triage.correspondence.team import unread_count
from triage.dossiers.statuses import STATUSES
from triage.errors import MediatureError
from triage.pipeline import SharedPipeline
from triage.runtime import Runtime
from triage.store.audit import Actor
from triage.workspace.common import PARIS
from triage.workspace.labels import CHANNEL_NAMES, REFERRERS
from triage.workspace.view import sent_kind

Handler = Callable[[Request, "Ctx"], Response]
HOME_BY_ROLE = {"mediateur": "/mediation/", "courrier": "/courrier/", "admin": "/admin/"}
SAFE_NEXT_PREFIXES = ("/mediation", "/courrier", "/admin")


@dataclass
class Ctx:
    """The request's context: who, the open transaction, the app's pipeline, the submitted form."""

    user: LoggedIn
    session: Session
    runtime: Runtime
    pipeline: SharedPipeline
    form: FormData | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        """The person acting, for audit entries and timeline events."""
        return Actor(self.user.user_id, self.user.username, self.user.role)

    def field(self, name: str, default: str = "", limit: int = 20000) -> str:
        """A text field of the submitted form, trimmed to a sane length."""
        if self.form is None:
            return default
        value = self.form.get(name)
        return str(value)[:limit] if isinstance(value, str) else default


def cookie_names(runtime: Runtime) -> tuple[str, str]:
    """(session cookie, login-form cookie): __Host- prefixed when Secure (no Domain, Path=/)."""
    if runtime.settings.web.secure_cookies:
        return "__Host-mediature", "__Host-mediature-login"
    return "mediature_session", "mediature_login"


def set_cookie(
    response: Response, runtime: Runtime, name: str, value: str, max_age: int | None = None
) -> None:
    """A Secure (per configuration), HttpOnly, SameSite=Strict cookie for the whole site."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=runtime.settings.web.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def when(value: Any) -> str:
    """'23/11/2026 à 14 h 05' in Paris time ('' for none)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(PARIS)
        return f"{local:%d/%m/%Y} à {local.hour} h {local:%M}"
    return f"{value:%d/%m/%Y}"


def day(value: Any) -> str:
    """'23/11/2026' (the Paris calendar day for a moment; '' for none)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS)
    return f"{value:%d/%m/%Y}"


def percent(value: Any) -> str:
    """0.873 -> '87 %'."""
    try:
        return f"{round(float(value) * 100)} %"
    except (TypeError, ValueError):
        return ""


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """Render a workspace template (under templates/web/mediation/)."""
    templates = request.app.state.templates
    if "when" not in templates.env.filters:
        templates.env.filters.update(when=when, day=day, percent=percent, sent_kind=sent_kind)
        templates.env.globals.update(
            role_names=ROLES,
            channel_names=CHANNEL_NAMES,
            referrer_names=REFERRERS,
            status_names={c: st.label for c, st in STATUSES.items()},
        )
    response: Response = templates.TemplateResponse(request, f"mediation/{name}", context, status_code=status)
    return response


def page_context(ctx: Ctx, **values: Any) -> dict[str, Any]:
    """What the workspace layout needs on every page (the unread count shown in the navigation)."""
    unread = unread_count(ctx.session) if ctx.user.can("dossiers.read") else 0
    return {"user": ctx.user, "csrf": ctx.user.csrf_token, "unread_total": unread, **values}


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to after login (never another site)."""
    if target and target.startswith(SAFE_NEXT_PREFIXES) and "//" not in target and "\\" not in target:
        return target
    return default


def redirect(url: str) -> Response:
    """See-other redirect after a successful POST (so a reload does not post again)."""
    return RedirectResponse(url, status_code=303)


def _refused(request: Request, status: int, message: str, user: LoggedIn | None = None) -> Response:
    return render(
        request,
        "refus.html",
        {"message": message, "user": user, "csrf": user.csrf_token if user else ""},
        status=status,
    )


def _authorise(
    request: Request, session: Session, runtime: Runtime, session_id: str | None, capability: str
) -> LoggedIn | Response:
    """The logged-in person if the session is valid and grants `capability`; else the refusal to send."""
    user = load_session(session, runtime.settings, session_id, now=runtime.clock())
    if user is None:
        if request.method == "GET":
            return redirect(f"/connexion?suite={quote(request.url.path)}")
        return _refused(request, 403, "Votre session a expiré : reconnectez-vous, puis recommencez.")
    if capability and not user.can(capability):  # "": any logged-in person
        return _refused(request, 403, "Cette page n'est pas accessible avec votre rôle.", user)
    return user


def _gate(request: Request, runtime: Runtime, session_id: str | None, capability: str) -> Response | None:
    """Session and role checked before a POST body is read: an anonymous upload is refused unread."""
    with runtime.sessions.begin() as session:
        checked = _authorise(request, session, runtime, session_id, capability)
    return checked if isinstance(checked, Response) else None


def _run(
    request: Request,
    runtime: Runtime,
    session_id: str | None,
    form: FormData | None,
    handler: Handler,
    capability: str,
    transactional: bool = True,
) -> Response:
    error: MediatureError | None = None
    with runtime.sessions.begin() as session:
        user = _authorise(request, session, runtime, session_id, capability)
        if isinstance(user, Response):
            return user
        submitted = form.get("csrf") if form else None
        if request.method == "POST" and not csrf_ok(
            user.csrf_token, submitted if isinstance(submitted, str) else None
        ):
            return _refused(
                request, 403, "Jeton de sécurité absent ou invalide : rechargez la page et recommencez.", user
            )
        ctx = Ctx(user=user, session=session, runtime=runtime, pipeline=request.app.state.pipeline, form=form)
        if transactional:
            try:
                with session.begin_nested():
                    return handler(request, ctx)
            except MediatureError as err:  # the savepoint rolled the action back; the session stays usable
                error = err
    if error is None:
        # the handler runs its own transactions (the pipeline does): ours is committed, the lock released
        with runtime.sessions() as own:
            ctx.session = own
            try:
                return handler(request, ctx)
            except MediatureError as err:
                error = err
    request.state.user = user  # triage.web.app.error_page turns the error into the French error page
    request.state.back = ctx.extra.get("back", "")
    raise error


def url_path(url: str) -> str:
    """The path and query of an URL (a Referer), to go back to it on this site only."""
    parts = urlsplit(url or "")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def endpoint(capability: str, *, transactional: bool = True) -> Callable[[Handler], Callable[[Request], Any]]:
    """Declare a workspace endpoint that needs `capability` (and, for POST, the session's CSRF token).

    `transactional=False` for handlers that open their own transactions (scan upload through the
    pipeline): the checks commit first, then the handler gets a plain session it manages itself.
    """

    def decorate(handler: Handler) -> Callable[[Request], Any]:
        async def asgi_endpoint(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime
            session_id = request.cookies.get(cookie_names(runtime)[0])
            if request.method == "POST":
                refusal = await run_in_threadpool(_gate, request, runtime, session_id, capability)
                if refusal is not None:
                    return refusal
                max_bytes = runtime.settings.scans.max_file_bytes  # the body as a whole: web.max_*_bytes
                async with request.form(max_files=5, max_fields=200, max_part_size=1024 * 1024) as form:
                    too_big = any(
                        isinstance(v, UploadFile) and (v.size or 0) > max_bytes for _, v in form.multi_items()
                    )
                    if too_big:
                        return _refused(request, 413, "Fichier trop volumineux.")
                    return await run_in_threadpool(
                        _run, request, runtime, session_id, form, handler, capability, transactional
                    )
            return await run_in_threadpool(
                _run, request, runtime, session_id, None, handler, capability, transactional
            )

        asgi_endpoint.capability = capability  # type: ignore[attr-defined]  # read by the permission tests
        asgi_endpoint.__name__ = handler.__name__
        asgi_endpoint.__doc__ = handler.__doc__
        return asgi_endpoint

    return decorate
