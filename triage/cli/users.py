"""`mediature users add|passwd|disable|enable|list`: the accounts of the workspace."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from triage.cli import ConfigOption, app, console, open_runtime
from triage.cli.tables import paris_time

users_app = typer.Typer(
    help="Comptes de l'espace de la médiation (médiatrice, courrier, administration).", no_args_is_help=True
)
app.add_typer(users_app, name="users")

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Lit le mot de passe sur l'entrée standard (première ligne), pour les scripts.",
    ),
]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Mot de passe", hide_input=True, confirmation_prompt="Confirmez le mot de passe"))


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Identifiant de connexion.")],
    role: Annotated[str, typer.Option("--role", help="mediateur, courrier ou admin.")] = "mediateur",
    name: Annotated[str | None, typer.Option("--name", help="Nom affiché.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Courriel (récapitulatif quotidien).")] = None,
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
) -> None:
    """Crée un compte (le premier compte se crée ainsi, avant la première connexion)."""
    from triage import auth
    from triage.store.audit import Actor, record

    rt = open_runtime(config)
    password = _read_password(password_stdin)
    with rt.sessions.begin() as session:
        user = auth.create_user(session, username, password, role, display_name=name or "", email=email or "")
        record(session, Actor.terminal(), "users.create", details={"user_id": user.id, "role": user.role})
        console.print(f"Compte [bold]{user.username}[/] créé ({auth.ROLES[user.role]}).")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="Identifiant du compte.")],
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
) -> None:
    """Change le mot de passe d'un compte, le débloque et ferme ses sessions."""
    from triage import auth
    from triage.store.audit import Actor, record

    rt = open_runtime(config)
    password = _read_password(password_stdin)
    with rt.sessions.begin() as session:
        user = auth.get_user(session, username)
        auth.set_password(session, user, password)
        record(session, Actor.terminal(), "users.password", details={"user_id": user.id})
    console.print(f"Mot de passe de [bold]{user.username}[/] changé.")


def _set_disabled(username: str, disabled: bool, config: object) -> None:
    from triage import auth
    from triage.store.audit import Actor, record

    rt = open_runtime(config)  # type: ignore[arg-type]
    with rt.sessions.begin() as session:
        user = auth.get_user(session, username)
        auth.set_disabled(session, user, disabled)
        record(
            session,
            Actor.terminal(),
            "users.disable" if disabled else "users.enable",
            details={"user_id": user.id},
        )
    console.print(f"Compte [bold]{user.username}[/] {'désactivé' if disabled else 'réactivé'}.")


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="Identifiant du compte.")], config: ConfigOption = None
) -> None:
    """Désactive un compte (ses sessions sont fermées)."""
    _set_disabled(username, True, config)


@users_app.command("enable")
def users_enable(
    username: Annotated[str, typer.Argument(help="Identifiant du compte.")], config: ConfigOption = None
) -> None:
    """Réactive un compte désactivé."""
    _set_disabled(username, False, config)


@users_app.command("role")
def users_role(
    username: Annotated[str, typer.Argument(help="Identifiant du compte.")],
    role: Annotated[str, typer.Argument(help="Nouveau rôle : mediateur, courrier ou admin.")],
    config: ConfigOption = None,
) -> None:
    """Change le rôle d'un compte (donner le rôle mediateur ne se fait qu'ici ou par une médiatrice)."""
    from triage import auth
    from triage.store.audit import Actor, record

    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        user = auth.get_user(session, username)
        before = user.role
        auth.set_role(session, user, role)
        record(
            session, Actor.terminal(), "users.role", details={"user_id": user.id, "from": before, "to": role}
        )
    console.print(
        f"Compte [bold]{user.username}[/] : {auth.ROLES[before]} → {auth.ROLES[role]} (sessions fermées)."
    )


@users_app.command("list")
def users_list(config: ConfigOption = None) -> None:
    """Liste les comptes."""
    from triage.auth import ROLES
    from triage.store.accounts import accounts

    rt = open_runtime(config)
    table = Table(title="Comptes")
    for column in ("identifiant", "nom", "rôle", "état", "dernière connexion"):
        table.add_column(column)
    for user in accounts(rt.sessions):
        failures = f"actif, {user.failed_logins} échec(s) de connexion" if user.failed_logins else "actif"
        state = "désactivé" if user.disabled else failures
        last = paris_time(user.last_login_at) or "jamais"
        table.add_row(user.username, user.display_name, ROLES.get(user.role, user.role), state, last)
    console.print(table)
