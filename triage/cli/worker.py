"""`mediature worker [--once]` and `mediature mailbox check|status`: the continuous ingestion and its mailbox."""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType
from typing import Annotated, Self

import typer
from rich.live import Live
from rich.table import Table

from triage import logs
from triage.cli import ConfigOption, app, console, open_runtime, settings_only
from triage.cli.tables import paris_time
from triage.store.mailbox_items import TOO_LARGE, item_counts, too_large_items
from triage.worker import OUTCOMES, Worker, WorkerStatus, open_source

mailbox_app = typer.Typer(help="Boîte aux lettres de la médiation (IMAP ou Maildir).", no_args_is_help=True)
app.add_typer(mailbox_app, name="mailbox")

LABELS = {
    "dossiers_opened": "dossiers ouverts",
    "attached_to_existing": "rattachés à un dossier",
    "flagged": "mis de côté (à vérifier)",
    "not_requests": "non-demandes (absences, rebonds, listes)",
    "quarantined": "en quarantaine",
    "duplicates": "doublons",
    "too_large": "trop volumineux (laissés sur le serveur)",
}


class LiveDisplay:
    """A small live table in the terminal (only when stdout is a TTY); log lines scroll above it."""

    def __init__(self) -> None:
        self.live = Live(self._render(WorkerStatus()), console=console, refresh_per_second=4, transient=False)

    def __enter__(self) -> Self:
        self.live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.live.__exit__(kind, err, tb)

    def update(self, status: WorkerStatus) -> None:
        """Redraw with the latest counts."""
        self.live.update(self._render(status))

    @staticmethod
    def _render(status: WorkerStatus) -> Table:
        table = Table(title="Médiature — relève", show_header=False, box=None, padding=(0, 2))
        table.add_row("boîte", status.mailbox or "(aucune configurée)")
        table.add_row("état", status.state)
        table.add_row("messages traités", str(status.messages))
        for key in OUTCOMES:
            if status.counts.get(key):
                table.add_row(f"  {LABELS[key]}", str(status.counts[key]))
        table.add_row("courriers numérisés", str(status.scans))
        table.add_row("messages envoyés", str(status.sent))
        if status.errors:
            table.add_row("[red]erreurs[/]", str(status.errors))
        if status.last_reference:
            table.add_row("dernier dossier", status.last_reference)
        return table


def _size(size: int | None) -> str:
    if size is None:
        return "?"
    return (
        f"{size / 1_048_576:.1f} Mo".replace(".", ",") if size >= 1_048_576 else f"{max(1, size // 1024)} Ko"
    )


def _summary(status: WorkerStatus) -> str:
    parts = [f"{status.messages} message(s)"]
    parts += [f"{status.counts[k]} {LABELS[k]}" for k in OUTCOMES if status.counts.get(k)]
    if status.scans:
        parts.append(f"{status.scans} courrier(s) numérisé(s)")
    if status.sent:
        parts.append(f"{status.sent} message(s) envoyé(s)")
    return "Relève terminée : " + ", ".join(parts) + "."


@app.command("worker")
def worker(
    config: ConfigOption = None,
    once: Annotated[
        bool, typer.Option("--once", help="Une seule passe (boîte, scans, envoi) puis sortie : tests, cron.")
    ] = False,
    log_file: Annotated[
        Path | None, typer.Option("--log-file", help="Écrire le journal structuré (JSON) dans ce fichier.")
    ] = None,
) -> None:
    """Relève en continu la boîte de la médiation, le dossier de dépôt des scans et la boîte d'envoi.

    S'arrête proprement sur SIGTERM ou Ctrl-C (l'élément en cours est terminé). Journal : une ligne JSON
    par événement, sans donnée personnelle, sur stderr (dans <home>/logs/worker.log quand la sortie est un
    terminal, où s'affiche alors un tableau de progression).
    """
    rt = open_runtime(config)
    if sys.stdout.isatty():
        # in a terminal the live table owns the screen: the JSON lines go to a file, said once
        log_file = log_file or rt.settings.paths.home / "logs" / "worker.log"
        logs.configure(file=log_file)
        console.print(f"Journal structuré : {log_file}")
        with LiveDisplay() as display:
            status = Worker(rt, on_progress=display.update).run(once=once)
    else:
        logs.configure(file=log_file)
        status = Worker(rt).run(once=once)
    console.print(_summary(status))
    with rt.sessions() as session:
        left = len(too_large_items(session))
    if left:
        console.print(
            f"[yellow]{left} message(s) trop volumineux laissé(s) sur le serveur, à traiter à la main : "
            "`mediature mailbox status`.[/]"
        )


@mailbox_app.command("check")
def mailbox_check(config: ConfigOption = None) -> None:
    """Vérifie l'adresse de la boîte, l'identifiant, le mot de passe et les dossiers, sans rien relever."""
    settings = settings_only(config)
    source = open_source(settings)
    if source is None:
        console.print("Aucune boîte configurée (mailbox.url ou MEDIATURE_MAILBOX_URL).")
        raise typer.Exit(1)
    source.connect()
    try:
        console.print(f"Boîte joignable : [bold]{source.url.redacted()}[/]")
        action = settings.mailbox.processed_action
        if action == "move":
            console.print(f"Messages traités déplacés vers « {settings.mailbox.processed_folder} ».")
        elif action == "flag":
            console.print(f"Messages traités marqués du mot-clé {settings.mailbox.processed_flag}.")
        else:
            console.print("Messages traités laissés en place (processed_action = none).")
        console.print(
            "Attente : IDLE (notification immédiate)"
            if source.supports_idle
            else f"Attente : relève toutes les {settings.mailbox.poll_seconds:g} s (pas d'IDLE)"
        )
    finally:
        source.close()


@mailbox_app.command("status")
def mailbox_status(config: ConfigOption = None) -> None:
    """Ce que la relève a vu : éléments traités, déplacements en attente, messages trop volumineux laissés sur le serveur."""
    rt = open_runtime(config)
    with rt.sessions() as session:
        rows = item_counts(session)
        large = too_large_items(session)
    if not rows:
        console.print("Aucun message relevé pour l'instant.")
        return
    table = Table(title="Éléments relevés")
    for column in ("boîte", "issue", "nombre", "déplacés ou marqués"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.mailbox,
            LABELS.get(row.outcome, row.outcome),
            str(row.count),
            "—" if row.outcome == TOO_LARGE else str(row.moved),
        )
    console.print(table)
    if large:
        limit = rt.settings.mailbox.max_message_bytes
        table = Table(
            title=f"Messages trop volumineux laissés sur le serveur (limite {limit / 1_048_576:.0f} Mo) : à traiter à la main"
        )
        for column in ("boîte", "UID", "taille", "vu le"):
            table.add_column(column)
        for item in large:
            size = _size(item.size)
            table.add_row(item.mailbox, str(item.uid), size, paris_time(item.seen_at))
        console.print(table)
