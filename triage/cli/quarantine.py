"""`mediature quarantine list|show|retry`: items that could not be read or failed, kept with their bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from triage.cli import ConfigOption, app, console, open_runtime
from triage.cli.tables import SOURCES, Column, french, outcome_name, paris_time, show, show_fields
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
    columns = [
        Column("n°", whole=True, named_in_heading=True),
        Column("élément", whole=True),
        Column("source"),
        Column("taille", whole=True, justify="right"),
        Column("essais", whole=True, justify="right"),
        Column("dernier essai"),
        Column("raison"),
        Column("résolu le"),
    ]
    rows = [
        (
            str(i.id),
            Path(i.source_key).name or i.source_key,
            french(SOURCES, i.source),
            f"{i.size} o",
            str(i.attempts),
            paris_time(i.last_attempt_at),
            i.reason,
            paris_time(i.resolved_at) or "",
        )
        for i in items
    ]
    show(console, f"Quarantaine — {len(items)} élément(s)", columns, rows, heading=2)


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
    show_fields(
        console,
        f"Quarantaine n° {item.id}",
        (
            ("source", french(SOURCES, item.source)),
            ("élément", item.source_key),
            ("taille", f"{item.size} octets"),
            ("raison", item.reason),
            ("type d'erreur", item.error_type),
            ("essais", str(item.attempts)),
            ("mis en quarantaine le", paris_time(item.created_at)),
            ("dernier essai", paris_time(item.last_attempt_at)),
            ("résolu le", paris_time(item.resolved_at) or "non"),
            ("message créé", str(item.resolved_message_id or "—")),
        ),
    )
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
    rows = []
    still = 0
    for i in ids:
        outcome = pipeline.retry_quarantined(i)
        still += outcome.outcome is IngestOutcome.QUARANTINED
        rows.append((str(i), outcome_name(outcome.outcome), outcome.reference or "", outcome.detail))
    columns = [
        Column("n°", whole=True, named_in_heading=True),
        Column("résultat"),
        Column("dossier", whole=True),
    ]
    show(console, "Nouvel essai", [*columns, Column("détail")], rows)
    if still:
        raise typer.Exit(1)
