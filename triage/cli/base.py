"""Administrative commands: database and configuration."""

from __future__ import annotations

import typer

from triage.cli import ConfigOption, app, console, open_runtime, settings_only

db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Crée ou met à jour le schéma de la base (migrations Alembic)."""
    rt = open_runtime(config, upgrade=True)
    console.print(f"Base à jour : [bold]{rt.engine.url.render_as_string(hide_password=True)}[/]")


@config_app.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Affiche la configuration effective (les secrets sont masqués)."""
    settings = settings_only(config)
    console.print_json(settings.model_dump_json(indent=2))


@config_app.command("doc")
def config_doc() -> None:
    """Écrit la documentation de tous les réglages (Markdown) sur la sortie standard."""
    from triage.config import settings_documentation

    typer.echo(settings_documentation())
