"""Login and logout: /connexion and /deconnexion."""

from __future__ import annotations

import asyncio
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.auth import (
    authenticate,
    csrf_ok,
    end_session,
    load_session,
    login_delay,
    login_form_token,
    normalise_username,
    recent_failures,
    start_session,
)
from triage.errors import AuthError
from triage.runtime import Runtime
from triage.store.audit import Actor, record
from triage.web.mediation.common import (
    HOME_BY_ROLE,
    Ctx,
    cookie_names,
    endpoint,
    redirect,
    render,
    safe_next,
    set_cookie,
)
from triage.web.security import PUBLIC_FORM_BYTES, RateLimiter


def login_limiter(request: Request) -> RateLimiter:
    """Failed logins per client address, whatever the account (a spray of names from one place)."""
    state = request.app.state
    if not hasattr(state, "login_limiter"):
        state.login_limiter = RateLimiter(limit=20, window=600.0)
    limiter: RateLimiter = state.login_limiter
    return limiter


def pair_limiter(request: Request, runtime: Runtime) -> RateLimiter:
    """Failed logins per (account, client address): a guesser is stopped, the owner elsewhere is not."""
    state = request.app.state
    if not hasattr(state, "login_pair_limiter"):
        web = runtime.settings.web
        state.login_pair_limiter = RateLimiter(
            limit=web.login_max_failures, window=web.login_lockout_minutes * 60.0
        )
    limiter: RateLimiter = state.login_pair_limiter
    return limiter


def _client(request: Request) -> str:
    return request.client.host if request.client else "inconnu"


def _login_page(
    request: Request, runtime: Runtime, error: str = "", status: int = 200, username: str = ""
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "connexion.html",
        {
            "error": error,
            "username": username,
            "user": None,
            "csrf": login_form_token(runtime.secret, nonce),
            "suite": safe_next(request.query_params.get("suite"), ""),
        },
        status=status,
    )
    set_cookie(response, runtime, cookie_names(runtime)[1], nonce, max_age=3600)
    return response


async def login_form(request: Request) -> Response:
    """The login form (or straight to the workspace when already logged in)."""
    runtime: Runtime = request.app.state.runtime

    def current_home() -> str | None:
        with runtime.sessions.begin() as session:
            cookie = request.cookies.get(cookie_names(runtime)[0])
            user = load_session(session, runtime.settings, cookie, now=runtime.clock())
            return HOME_BY_ROLE.get(user.role) if user else None

    home = await run_in_threadpool(current_home)
    if home:
        return redirect(home)
    return _login_page(request, runtime)


async def login(request: Request) -> Response:
    """Check the login form's CSRF token, the rate limit, then the password; start a session."""
    runtime: Runtime = request.app.state.runtime
    limiter = login_limiter(request)
    async with request.form(max_files=0, max_fields=10) as form:
        username = str(form.get("identifiant", ""))[:120]
        password = str(form.get("mot_de_passe", ""))[:1024]
        token = str(form.get("csrf", ""))
        suite = safe_next(str(form.get("suite", "")), "")
    nonce = request.cookies.get(cookie_names(runtime)[1], "")
    if not nonce or not csrf_ok(login_form_token(runtime.secret, nonce), token):
        return _login_page(
            request, runtime, "Le formulaire a expiré : saisissez à nouveau vos identifiants.", 403
        )
    client = _client(request)
    pair = f"{normalise_username(username)}|{client}"
    pairs = pair_limiter(request, runtime)
    if limiter.blocked(client):
        return _login_page(
            request, runtime, "Trop d'essais depuis ce poste : réessayez dans quelques minutes.", 429
        )
    if pairs.blocked(pair):
        return _login_page(
            request,
            runtime,
            "Trop d'essais pour cet identifiant depuis ce poste : réessayez dans "
            "quelques minutes (les autres postes ne sont pas concernés).",
            429,
            username=username,
        )

    def failures() -> int:
        with runtime.sessions() as session:
            return recent_failures(session, username)

    web = runtime.settings.web
    # many failures on this account from anywhere: every attempt waits a little longer (never a lock)
    delay = login_delay(
        await run_in_threadpool(failures), web.login_max_failures, web.login_max_delay_seconds
    )
    if delay:
        await asyncio.sleep(delay)

    def attempt() -> tuple[str, str] | str:
        with runtime.sessions.begin() as session:
            try:
                user = authenticate(session, username, password, now=runtime.clock())
            except AuthError as err:
                record(session, Actor(None, f"connexion:{username[:60]}"), "auth.login_failed")
                return err.message
            session_id = start_session(session, runtime.settings, user, now=runtime.clock())
            record(session, Actor(user.id, user.username, user.role), "auth.login")
            return session_id, HOME_BY_ROLE.get(user.role, "/mediation/")

    result = await run_in_threadpool(attempt)
    if isinstance(result, str):
        limiter.hit(client)
        pairs.hit(pair)
        message = result[0].upper() + result[1:] + "."
        return _login_page(request, runtime, message, 401, username=username)
    pairs.forget(pair)
    session_id, home = result
    response = redirect(suite if suite.startswith(home.rstrip("/")) else home)
    set_cookie(response, runtime, cookie_names(runtime)[0], session_id)
    response.delete_cookie(
        cookie_names(runtime)[1],
        path="/",
        secure=runtime.settings.web.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return response


@endpoint("")
def logout(request: Request, ctx: Ctx) -> Response:
    """End the session."""
    end_session(ctx.session, request.cookies.get(cookie_names(ctx.runtime)[0]))
    record(ctx.session, ctx.actor, "auth.logout")
    response = redirect("/connexion")
    response.delete_cookie(
        cookie_names(ctx.runtime)[0],
        path="/",
        secure=ctx.runtime.settings.web.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return response


def _home_of(runtime: Runtime, session_id: str | None) -> str:
    with runtime.sessions.begin() as session:
        user = load_session(session, runtime.settings, session_id, now=runtime.clock())
        return HOME_BY_ROLE.get(user.role, "/suivi") if user is not None else "/suivi"


async def home(request: Request) -> Response:
    """`/`: the logged-in person's own page; for everyone else, the citizen's tracking page."""
    runtime: Runtime = request.app.state.runtime
    target = await run_in_threadpool(_home_of, runtime, request.cookies.get(cookie_names(runtime)[0]))
    return redirect(target)


def routes() -> list[Route]:
    """Login routes, and `/` leading to the right page."""
    return [
        Route("/", home, methods=["GET"]),
        Route("/connexion", login_form, methods=["GET"]),
        Route("/connexion", login, methods=["POST"], max_body_size=PUBLIC_FORM_BYTES),
        Route("/deconnexion", logout, methods=["POST"]),
    ]
