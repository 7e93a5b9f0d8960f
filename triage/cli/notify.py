"""`mediature outbox` and `mediature print-queue`: what is waiting to be sent or printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from triage.cli import ConfigOption, app, console, open_runtime
from triage.cli.tables import Column, french, paris_time, show
from triage.notify.sender import deliver_due
from triage.store.outbox import letters_to_print, mark_exported, outbox_lines, print_lines
from triage.workspace.view import OUTBOX_STATES, PRINT_STATES, sent_kind

outbox_app = typer.Typer(
    help="Messages sortants (accusés de réception, courriers, synthèses).", no_args_is_help=True
)
print_app = typer.Typer(help="File d'impression des courriers papier.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
app.add_typer(print_app, name="print-queue")


def _mask(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:2]}…@{domain}" if domain else "…"


@outbox_app.command("list")
def outbox_list(
    all_: Annotated[bool, typer.Option("--all", help="Aussi les messages déjà envoyés.")] = False,
    config: ConfigOption = None,
) -> None:
    """Liste les messages en attente, en échec ou non envoyés (avec la raison)."""
    rt = open_runtime(config)
    rows = outbox_lines(rt.sessions, with_sent=all_)
    columns = [
        Column("n°", whole=True, named_in_heading=True),
        Column("dossier", whole=True),
        Column("type"),
        Column("destinataire", whole=True),
        Column("état"),
        Column("essais", whole=True, justify="right"),
        Column("prochain essai / envoi"),
        Column("raison"),
    ]
    table_rows = []
    for item in rows:
        when = item.sent_at if item.status == "sent" else item.next_attempt_at
        table_rows.append(
            (
                str(item.id),
                item.reference or "",
                sent_kind(item.kind),
                _mask(item.to_address),
                french(OUTBOX_STATES, item.status),
                str(item.attempts),
                paris_time(when),
                item.last_error[:200],
            )
        )
    show(console, f"Boîte d'envoi — {len(rows)} message(s)", columns, table_rows, heading=2)


@outbox_app.command("flush")
def outbox_flush(config: ConfigOption = None) -> None:
    """Envoie une fois tout ce qui est en attente, puis s'arrête."""
    rt = open_runtime(config)
    report = deliver_due(rt, force=True, limit=10_000)
    target = rt.settings.smtp.url and "SMTP" or str(rt.settings.paths.home / "outbox")
    console.print(
        f"Envoyés : [bold]{report.sent}[/] — à réessayer : {report.retried} — en échec : {report.failed} "
        f"(vers {target})"
    )
    if report.retried or report.failed:
        raise typer.Exit(1)


@print_app.command("list")
def print_list(config: ConfigOption = None) -> None:
    """Liste les courriers à imprimer."""
    rt = open_runtime(config)
    rows = print_lines(rt.sessions)
    columns = [
        Column("n°", whole=True, named_in_heading=True),
        Column("dossier", whole=True),
        Column("type"),
        Column("créé le"),
        Column("état"),
    ]
    table_rows = [
        (
            str(r.id),
            r.reference or "",
            sent_kind(r.kind),
            paris_time(r.created_at),
            french(PRINT_STATES, r.status),
        )
        for r in rows
    ]
    waiting = sum(1 for r in rows if r.status == "pending")
    show(console, f"File d'impression — {waiting} à imprimer", columns, table_rows, heading=2)


@print_app.command("export")
def print_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="Dossier où écrire les PDF.")] = Path(
        "impression"
    ),
    again: Annotated[
        bool, typer.Option("--again", help="Réexporte aussi les courriers déjà exportés.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Écrit les courriers à imprimer en PDF (un fichier par courrier) et les marque exportés."""
    rt = open_runtime(config)
    output.mkdir(parents=True, exist_ok=True)
    letters = letters_to_print(rt.sessions, again=again)
    for letter in letters:
        path = output / f"{letter.id:06d}-{letter.reference or 'sans-dossier'}-{letter.kind}.pdf"
        path.write_bytes(letter.pdf)
    mark_exported(rt.sessions, [letter.id for letter in letters], rt.clock())
    count = len(letters)
    console.print(f"{count} courrier(s) écrit(s) dans [bold]{output}[/]")
