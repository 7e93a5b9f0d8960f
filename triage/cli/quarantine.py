"""`mediature quarantine list|show|retry`: items that could not be read or failed, kept with their bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from triage.cli import ConfigOption, app, console, open_runtime
from triage.cli.dossiers import paris_time
from triage.records import IngestOutcome
from triage.store import quarantine

quarantine_app = typer.Typer(
    help="Éléments mis en quarantaine (illisibles ou en erreur).", no_args_is_help=True
)
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(
    all_: Annotated[bool, typer.Option("--all", help="Aussi les éléments déjà résolus.")] = False,
    config: ConfigOption = None,
) -> None:
    """Liste les éléments en quarantaine avec la raison."""
    rt = open_runtime(config)
    with rt.sessions() as session:
        items = quarantine.list_items(session, include_resolved=all_)
    table = Table(title=f"Quarantaine — {len(items)} élément(s)")
    for col in ("n°", "source", "élément", "taille", "essais", "dernier essai", "raison", "résolu"):
        table.add_column(col, overflow="fold")
    for i in items:
        table.add_row(
            str(i.id),
            i.source,
            Path(i.source_key).name or i.source_key,
            f"{i.size} o",
            str(i.attempts),
            paris_time(i.last_attempt_at),
            i.reason,
            paris_time(i.resolved_at) or "",
        )
    console.print(table)


@quarantine_app.command("show")
def quarantine_show(
    item_id: Annotated[int, typer.Argument(help="Numéro de l'élément.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Écrit les octets bruts dans ce fichier.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Détaille un élément en quarantaine (et peut en extraire les octets bruts)."""
    rt = open_runtime(config)
    with rt.sessions() as session:
        item, data = quarantine.get_item(session, item_id)
    table = Table(title=f"Quarantaine n° {item.id}", show_header=False)
    table.add_column("champ")
    table.add_column("valeur", overflow="fold")
    for label, value in (
        ("source", item.source),
        ("élément", item.source_key),
        ("taille", f"{item.size} octets"),
        ("raison", item.reason),
        ("type d'erreur", item.error_type),
        ("essais", str(item.attempts)),
        ("mis en quarantaine le", paris_time(item.created_at)),
        ("dernier essai", paris_time(item.last_attempt_at)),
        ("résolu le", paris_time(item.resolved_at) or "non"),
        ("message créé", str(item.resolved_message_id or "—")),
    ):
        table.add_row(label, value)
    console.print(table)
    if output is not None:
        output.write_bytes(data)
        console.print(f"Octets bruts écrits dans [bold]{output}[/].")


@quarantine_app.command("retry")
def quarantine_retry(
    item_id: Annotated[int | None, typer.Argument(help="Numéro de l'élément.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Réessaie tous les éléments non résolus.")] = False,
    config: ConfigOption = None,
) -> None:
    """Relance le traitement d'un élément (ou de tous) ; il sort de quarantaine s'il passe."""
    from triage.pipeline import Pipeline

    if (item_id is None) == (not all_):
        raise typer.BadParameter("donnez un numéro OU --all")
    rt = open_runtime(config)
    pipeline = Pipeline.from_runtime(rt)
    if all_:
        with rt.sessions() as session:
            ids = [i.id for i in quarantine.list_items(session)]
    else:
        ids = [item_id]  # type: ignore[list-item]
    table = Table(title="Nouvel essai")
    for col in ("n°", "résultat", "dossier", "détail"):
        table.add_column(col, overflow="fold")
    still = 0
    for i in ids:
        outcome = pipeline.retry_quarantined(i)
        still += outcome.outcome is IngestOutcome.QUARANTINED
        table.add_row(str(i), outcome.outcome.value, outcome.reference or "", outcome.detail)
    console.print(table)
    if still:
        raise typer.Exit(1)
