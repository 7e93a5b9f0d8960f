"""`mediature retention run|list|extend` and `mediature privacy export|erase`: personal data over time."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from triage.cli import ConfigOption, app, console, open_runtime
from triage.clock import local_day
from triage.privacy.access import Who, export_person
from triage.privacy.erasure import erase
from triage.privacy.retention import EXTENSION_REASONS, LABELS, extend_by_reference, run, upcoming
from triage.store.audit import Actor

retention_app = typer.Typer(help="Durées de conservation : anonymisation et purge.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")

AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Jour considéré (AAAA-MM-JJ ; défaut : aujourd'hui).")
]


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise typer.BadParameter(f"date invalide (AAAA-MM-JJ attendu) : {text}") from err


def _fr(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone().date()
    return value.strftime("%d/%m/%Y")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Affiche ce qui serait fait, sans rien changer.")
    ] = False,
    as_of: AsOfOption = None,
    config: ConfigOption = None,
) -> None:
    """Applique les durées de conservation : anonymise les dossiers échus, supprime le reste échu."""
    rt = open_runtime(config)
    report = run(rt, as_of=_day(as_of), dry_run=dry_run, actor=Actor.terminal())
    title = "Simulation (rien n'a été modifié)" if dry_run else "Conservation appliquée"
    console.print(f"[bold]{title}[/] — au {_fr(report.as_of)}")
    if not report.counts:
        console.print("Rien n'est échu.")
    for key, n in report.counts.items():
        console.print(f"  {LABELS.get(key, key)} : {n}")
    if report.references:
        console.print("Dossiers : " + ", ".join(report.references))


@retention_app.command("list")
def retention_list(
    days: Annotated[
        int | None, typer.Option("--days", help="Horizon en jours (défaut : retention.notice_days).")
    ] = None,
    as_of: AsOfOption = None,
    config: ConfigOption = None,
) -> None:
    """Liste les dossiers qui seront anonymisés dans les prochains jours."""
    rt = open_runtime(config)
    today = _day(as_of) or local_day(rt.clock())
    with rt.sessions() as session:
        items = upcoming(session, rt.settings.retention, today, days)
    horizon = days if days is not None else rt.settings.retention.notice_days
    if not items:
        console.print(f"Aucun dossier à anonymiser dans les {horizon} prochains jours.")
        return
    table = Table(title=f"Dossiers anonymisés d'ici {horizon} jours")
    for column in ("dossier", "clôturé le", "anonymisé le", "prolongé jusqu'au"):
        table.add_column(column)
    for item in items:
        extension = (
            f"{_fr(item.extended_until)} ({EXTENSION_REASONS.get(item.reason, item.reason)})"
            if item.extended_until
            else "—"
        )
        table.add_row(item.reference, _fr(item.closed_at), _fr(item.term), extension)
    console.print(table)


@retention_app.command("extend")
def retention_extend(
    reference: Annotated[str, typer.Argument(help="Référence du dossier (MED-2026-00042).")],
    until: Annotated[str, typer.Option("--until", help="Conserver jusqu'au (AAAA-MM-JJ).")],
    reason: Annotated[
        str, typer.Option("--reason", help="Motif : contentieux, demande_en_cours, demande_usager, autre.")
    ],
    config: ConfigOption = None,
) -> None:
    """Prolonge la conservation d'un dossier (motif obligatoire, tracé dans le journal d'audit)."""
    rt = open_runtime(config)
    day = _day(until)
    assert day is not None
    extend_by_reference(rt, reference, day, reason, Actor.terminal())
    console.print(f"Dossier {reference} conservé jusqu'au {_fr(day)}.")


privacy_app = typer.Typer(help="Droits des personnes : accès (export) et effacement.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("erase")
def privacy_erase(
    email: Annotated[str, typer.Option("--email", help="Adresse électronique de la personne.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirme l'effacement (irréversible).")] = False,
    config: ConfigOption = None,
) -> None:
    """Efface tout ce qui concerne une personne : ses dossiers sont anonymisés, le reste supprimé (irréversible)."""
    if not yes:
        console.print("Effacement irréversible : relancez avec --yes pour confirmer.")
        raise typer.Exit(1)
    rt = open_runtime(config)
    report = erase(rt, email, Actor.terminal())
    console.print(
        f"Effacement fait : {len(report.references)} dossier(s) anonymisé(s)"
        + (f" ({', '.join(report.references)})" if report.references else "")
        + "."
    )
    for key, n in report.counts.items():
        console.print(f"  {LABELS.get(key, key)} : {n}")
    if not report.compacted:
        console.print(
            "[yellow]La base était occupée : relancez `mediature privacy erase` quand le worker est "
            "arrêté pour effacer aussi l'espace libre du fichier SQLite.[/]"
        )
    if report.mentioned_in:
        console.print(
            "[yellow]D'autres dossiers mentionnent encore cette personne (à vérifier à la main) : "
            + ", ".join(report.mentioned_in)
            + "[/]"
        )
    console.print("Journaux archivés (rotation) et sauvegardes : voir docs/donnees-personnelles.md.")


@privacy_app.command("export")
def privacy_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="Fichier zip à écrire.")],
    email: Annotated[str, typer.Option("--email", help="Adresse électronique de la personne.")] = "",
    phone: Annotated[str, typer.Option("--phone", help="Numéro de téléphone.")] = "",
    name: Annotated[str, typer.Option("--name", help="Nom et prénom (avec --postcode).")] = "",
    postcode: Annotated[str, typer.Option("--postcode", help="Code postal (avec --name).")] = "",
    config: ConfigOption = None,
) -> None:
    """Droit d'accès : écrit dans un zip tout ce que Médiature détient sur une personne (synthèse + originaux)."""
    rt = open_runtime(config)
    export = export_person(rt, Who(email, phone, name, postcode), output, Actor.terminal())
    console.print(
        f"Export écrit : [bold]{output}[/] — {len(export.dossiers)} dossier(s), "
        f"{len(export.loose)} courrier(s) hors dossier, {len(export.files)} fichier(s)."
    )
    console.print(
        "Le fichier contient des données personnelles : remettez-le à la personne par un moyen sûr, "
        "puis supprimez-le."
    )
