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
    import json

    settings = settings_only(config)
    data = json.loads(settings.model_dump_json())
    for section, field in (("database", "url"), ("mailbox", "url"), ("smtp", "url")):
        data[section][field] = redact_url(data[section][field])
    console.print_json(json.dumps(data, ensure_ascii=False))


def redact_url(url: str) -> str:
    """An URL with its password replaced by ***, for display."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@config_app.command("doc")
def config_doc() -> None:
    """Écrit la documentation de tous les réglages (Markdown) sur la sortie standard."""
    from triage.config import settings_documentation

    typer.echo(settings_documentation())
