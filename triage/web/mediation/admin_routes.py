"""Administration at /admin/: accounts, quarantine, rules reload, audit log. No dossier content here."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage import auth
from triage.errors import AuthError, DossierError, MediatureError, NotFoundError
from triage.store.audit import entries, record
from triage.store.models import Dossier, User
from triage.store.quarantine import list_items
from triage.web.mediation.common import Ctx, endpoint, page_context, redirect, render

DONE = {
    "cree": "Compte créé.",
    "desactive": "Compte désactivé : ses sessions sont fermées.",
    "active": "Compte réactivé.",
    "mdp": "Mot de passe changé ; les sessions du compte sont fermées.",
    "regles": "Règles et modèle rechargés.",
    "reessai": "Nouvel essai lancé.",
}


@endpoint("users.manage")
def users_page(request: Request, ctx: Ctx) -> Response:
    """Accounts and the form to add one."""
    users = list(ctx.session.scalars(select(User).order_by(User.username)))
    return render(
        request,
        "admin.html",
        page_context(
            ctx,
            users=users,
            roles=auth.ROLES,
            grantable=auth.grantable_roles(ctx.user.role),
            done=DONE.get(request.query_params.get("fait", ""), ""),
            min_length=auth.MIN_PASSWORD_LENGTH,
            active="admin",
            message=ctx.extra.get("message", ""),
        ),
    )


def _password(ctx: Ctx) -> str:
    password = ctx.field("mot_de_passe", limit=1024)
    if password != ctx.field("confirmation", limit=1024):
        raise AuthError("les deux mots de passe ne sont pas identiques")
    return password


@endpoint("users.manage")
def user_create(request: Request, ctx: Ctx) -> Response:
    """Add an account."""
    ctx.extra["back"] = "/admin/"
    role = ctx.field("role", limit=16)
    auth.check_grant(ctx.user.role, role)  # an administrator never creates a way into the dossiers
    user = auth.create_user(
        ctx.session,
        ctx.field("identifiant", limit=120),
        _password(ctx),
        role,
        display_name=ctx.field("nom", limit=200),
        email=ctx.field("courriel", limit=320),
    )
    record(ctx.session, ctx.actor, "users.create", details={"user_id": user.id, "role": user.role})
    return redirect("/admin/?fait=cree")


def _user(request: Request, ctx: Ctx) -> User:
    ctx.extra["back"] = "/admin/"
    user = ctx.session.get(User, request.path_params["user_id"])
    if user is None:
        raise NotFoundError("compte introuvable")
    return user


@endpoint("users.manage")
def user_disable(request: Request, ctx: Ctx) -> Response:
    """Disable an account (never one's own: someone must stay able to administer)."""
    user = _user(request, ctx)
    if user.id == ctx.user.user_id:
        raise AuthError("vous ne pouvez pas désactiver votre propre compte")
    auth.set_disabled(ctx.session, user, True)
    record(ctx.session, ctx.actor, "users.disable", details={"user_id": user.id})
    return redirect("/admin/?fait=desactive")


@endpoint("users.manage")
def user_enable(request: Request, ctx: Ctx) -> Response:
    """Re-enable an account."""
    user = _user(request, ctx)
    auth.set_disabled(ctx.session, user, False)
    record(ctx.session, ctx.actor, "users.enable", details={"user_id": user.id})
    return redirect("/admin/?fait=active")


@endpoint("users.manage")
def user_password(request: Request, ctx: Ctx) -> Response:
    """Set a new password (clears the failure count, ends its sessions); a mediator's needs a mediator."""
    user = _user(request, ctx)
    auth.check_grant(ctx.user.role, user.role)
    auth.set_password(ctx.session, user, _password(ctx))
    record(ctx.session, ctx.actor, "users.password", details={"user_id": user.id, "role": user.role})
    return redirect("/admin/?fait=mdp")


@endpoint("quarantine.view")
def quarantine_page(request: Request, ctx: Ctx) -> Response:
    """What could not be processed, with the reason."""
    return render(
        request,
        "quarantaine.html",
        page_context(
            ctx,
            items=list_items(ctx.session),
            active="quarantaine",
            done=DONE.get(request.query_params.get("fait", ""), ""),
        ),
    )


@endpoint("quarantine.view", transactional=False)
def quarantine_retry(request: Request, ctx: Ctx) -> Response:
    """Run the pipeline again on one item (after a fix or a rules change)."""
    ctx.extra["back"] = "/admin/quarantaine"
    item_id = request.path_params["item_id"]
    outcome = ctx.pipeline.get().retry_quarantined(item_id)
    with ctx.runtime.sessions.begin() as session:
        record(
            session,
            ctx.actor,
            "quarantine.retry",
            details={"item_id": item_id, "outcome": outcome.outcome.value},
        )
    return redirect("/admin/quarantaine?fait=reessai")


@endpoint("rules.reload", transactional=False)
def rules_reload(request: Request, ctx: Ctx) -> Response:
    """Re-read the rules and the model; a broken rules file is reported, the old rules stay in use."""
    ctx.extra["back"] = "/admin/"
    try:
        from triage.suggest.suggester import Suggester  # type: ignore[import-not-found,unused-ignore]

        Suggester.from_settings(ctx.runtime.settings)  # raises RulesError naming the file and line
    except ImportError as err:
        raise DossierError("les suggestions de tri ne sont pas installées") from err
    except MediatureError:
        raise
    ctx.pipeline.reload()
    with ctx.runtime.sessions.begin() as session:
        record(session, ctx.actor, "rules.reload")
    return redirect("/admin/?fait=regles")


@endpoint("audit.view")
def audit_page(request: Request, ctx: Ctx) -> Response:
    """The latest audit entries: who read or changed what, and when."""
    rows = entries(ctx.session, limit=300)
    refs = {
        did: ref
        for did, ref in ctx.session.execute(
            select(Dossier.id, Dossier.reference).where(
                Dossier.id.in_({r.dossier_id for r in rows if r.dossier_id})
            )
        )
    }
    return render(request, "journal.html", page_context(ctx, rows=rows, refs=refs, active="journal"))


def routes() -> list[Route]:
    """Administration routes."""
    return [
        Route("/admin/", users_page, methods=["GET"]),
        Route("/admin/utilisateurs", user_create, methods=["POST"]),
        Route("/admin/utilisateurs/{user_id:id}/desactiver", user_disable, methods=["POST"]),
        Route("/admin/utilisateurs/{user_id:id}/activer", user_enable, methods=["POST"]),
        Route("/admin/utilisateurs/{user_id:id}/mot-de-passe", user_password, methods=["POST"]),
        Route("/admin/quarantaine", quarantine_page, methods=["GET"]),
        Route("/admin/quarantaine/{item_id:id}/reessayer", quarantine_retry, methods=["POST"]),
        Route("/admin/regles/recharger", rules_reload, methods=["POST"]),
        Route("/admin/journal", audit_page, methods=["GET"]),
    ]
