"""The `mediature` command: thin, over triage's stages. Errors become messages and exit codes here only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from triage.config import Settings, load_settings
from triage.errors import ConfigError, MediatureError
from triage.files import restrict_umask
from triage.runtime import Runtime

app = typer.Typer(
    name="mediature",
    help="Médiature — l'outil du médiateur territorial.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Fichier de configuration TOML (sinon MEDIATURE_CONFIG)."),
]


class CliState:
    """What the root callback learnt (the --config given before the sub-command)."""

    config: Path | None = None
    runtime: Runtime | None = None


STATE = CliState()


@app.callback()
def root(config: ConfigOption = None) -> None:
    """Médiature : relève du courrier de la médiation, tri suggéré, dossiers, suivi et rapport."""
    STATE.config = config


def open_runtime(config: Path | None = None, *, upgrade: bool = True) -> Runtime:
    """The runtime for this command (the command's --config wins over the root's)."""
    if STATE.runtime is None:
        STATE.runtime = Runtime.from_config(config or STATE.config, upgrade=upgrade)
    return STATE.runtime


def settings_only(config: Path | None = None) -> Settings:
    """Settings without touching the database (for commands that need none)."""
    return load_settings(config or STATE.config)


# Sub-command modules register themselves on `app` when imported. Each lives in its own file.
_MODULES = [
    "base",
    "ingest",
    "demo",
    "dossiers",
    "search",
    "quarantine",
    "worker",
    "scan",
    "triage",
    "notify",
    "web",
    "users",
    "review",
    "report",
    "message",
    "privacy",
    "backup",
]


def _register() -> None:
    import importlib

    for name in _MODULES:
        try:
            importlib.import_module(f"triage.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"triage.cli.{name}":
                raise


def main() -> None:
    """Entry point of the console script."""
    restrict_umask()  # before anything is created: the database, logs, outbox and scans are private
    _register()
    try:
        code = app(standalone_mode=False)  # non-standalone click returns typer.Exit's code instead of exiting
        if isinstance(code, int) and code:
            sys.exit(code)
    except MediatureError as err:
        err_console.print(f"[bold red]Erreur :[/] {err}")
        sys.exit(2 if isinstance(err, ConfigError) else 1)
    except typer.Abort:
        err_console.print("Interrompu.")
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as err:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(err, click.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise
