"""The annual report, its comments, the recommendations, the pseudonymised export and the demo history."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from triage.cli import ConfigOption, app, console, open_runtime
from triage.clock import local_day
from triage.errors import ReportError
from triage.report.export import export_pseudonymised
from triage.store.recommendations import (
    SECTIONS,
    STATUSES,
    add_progress,
    add_recommendation,
    list_recommendations,
    set_comment,
)

report_app = typer.Typer(help="Rapport annuel d'activité (observatoire).", invoke_without_command=True)
rec_app = typer.Typer(help="Préconisations du rapport et leur suivi.", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(rec_app, name="recommendations")

YearOption = Annotated[
    int | None, typer.Option("--year", "-y", help="Année du rapport (défaut : l'année en cours).")
]


@report_app.callback()
def report(
    ctx: typer.Context,
    year: YearOption = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="html, pdf ou csv (défaut : selon --output, sinon html)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Fichier à écrire (défaut : rapport-ANNÉE.FORMAT).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Produit le rapport annuel d'activité : chiffres, graphiques, commentaires et préconisations."""
    if ctx.invoked_subcommand is not None:
        return
    from triage.report.render import FORMATS, build, write  # matplotlib: loaded only to write a report

    rt = open_runtime(config)
    year = year or rt.clock().year
    fmt = (fmt or (output.suffix.lstrip(".") if output and output.suffix else "html")).lower()
    if fmt not in FORMATS:
        raise ReportError(f"format inconnu « {fmt} » : {', '.join(FORMATS)}")
    output = output or Path(f"rapport-{year}.{fmt}")
    started = time.perf_counter()
    built = build(rt, year, with_charts=fmt != "csv")
    write(built, fmt, output)
    h = built.figures.headline
    console.print(
        f"Rapport {year} écrit dans [bold]{output}[/] "
        f"({fmt.upper()}, {time.perf_counter() - started:.1f} s) : "
        f"{h.total} demandes, dont {h.mediations} médiations et {h.reorientations} réorientations."
    )


@report_app.command("comment")
def report_comment(
    section: Annotated[
        str, typer.Option("--section", "-s", help="Section du rapport (voir `mediature report sections`).")
    ],
    year: YearOption = None,
    text: Annotated[str | None, typer.Option("--text", "-t", help="Le texte.")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="Fichier texte UTF-8 (paragraphes séparés par une ligne vide, listes en « - »)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Écrit le commentaire de la médiation pour une section du rapport d'une année."""
    if (text is None) == (file is None):
        raise ReportError("donnez soit --text, soit --file")
    body = text if text is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    rt = open_runtime(config)
    year = year or rt.clock().year
    with rt.sessions.begin() as session:
        set_comment(session, year, section, body)
    console.print(f"Commentaire « {section} » du rapport {year} enregistré.")


@report_app.command("sections")
def report_sections() -> None:
    """Liste les sections que la médiation peut commenter."""
    for code, title in SECTIONS.items():
        console.print(f"[bold]{code}[/] — {title}")


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise ReportError(f"date invalide « {value} » (format AAAA-MM-JJ)") from err


@rec_app.command("add")
def rec_add(
    title: Annotated[str, typer.Option("--title", help="Intitulé de la préconisation.")],
    year: YearOption = None,
    description: Annotated[str, typer.Option("--description", "-d", help="Constat et objectifs.")] = "",
    service: Annotated[
        list[str] | None, typer.Option("--service", help="Service contributeur (répétable).")
    ] = None,
    status: Annotated[
        str, typer.Option("--status", help="proposee, validee, en_cours ou realisee.")
    ] = "proposee",
    config: ConfigOption = None,
) -> None:
    """Enregistre une préconisation."""
    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        rec_id = add_recommendation(
            session,
            year=year or rt.clock().year,
            title=title,
            description=description,
            services=service or [],
            status=status,
        )
    console.print(f"Préconisation n° {rec_id} enregistrée.")


@rec_app.command("list")
def rec_list(year: YearOption = None, config: ConfigOption = None) -> None:
    """Liste les préconisations (d'une année si --year) avec leur statut et leur dernière étape."""
    rt = open_runtime(config)
    with rt.sessions() as session:
        views = list_recommendations(session, year)
    table = Table("N°", "Année", "Préconisation", "Services", "Statut", "Dernière étape")
    for v in views:
        last = v.progress[-1] if v.progress else None
        table.add_row(
            str(v.id),
            str(v.year),
            v.title,
            "\n".join(v.services),
            v.status_label,
            f"{last.on:%d/%m/%Y} {last.note}" if last else "",
        )
    console.print(table if views else "Aucune préconisation.")


@rec_app.command("progress")
def rec_progress(
    number: Annotated[int, typer.Argument(help="Numéro de la préconisation.")],
    note: Annotated[str, typer.Option("--note", "-n", help="Ce qui a été fait.")],
    on: Annotated[
        str | None, typer.Option("--date", help="Date de l'étape, AAAA-MM-JJ (défaut : aujourd'hui).")
    ] = None,
    status: Annotated[str | None, typer.Option("--status", help="Nouveau statut à cette date.")] = None,
    config: ConfigOption = None,
) -> None:
    """Ajoute une note d'avancement datée (et, si --status, change le statut)."""
    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        add_progress(session, number, note, on=_parse_date(on) or local_day(rt.clock()), status=status)
    console.print(f"Avancement de la préconisation n° {number} enregistré.")


@rec_app.command("status")
def rec_status(
    number: Annotated[int, typer.Argument(help="Numéro de la préconisation.")],
    status: Annotated[str, typer.Argument(help="proposee, validee, en_cours ou realisee.")],
    note: Annotated[str, typer.Option("--note", "-n", help="Commentaire de l'étape.")] = "",
    on: Annotated[str | None, typer.Option("--date", help="Date du changement, AAAA-MM-JJ.")] = None,
    config: ConfigOption = None,
) -> None:
    """Change le statut d'une préconisation (enregistré comme une étape datée)."""
    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        add_progress(session, number, note, on=_parse_date(on) or local_day(rt.clock()), status=status)
    console.print(f"Préconisation n° {number} : {STATUSES[status].lower()}.")


@app.command("export")
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="Fichier CSV à écrire.")],
    pseudonymised: Annotated[
        bool, typer.Option("--pseudonymised", help="Obligatoire : l'export est pseudonymisé.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Exporte un CSV pseudonymisé (une ligne par dossier, sans identifiant direct) pour les analystes."""
    if not pseudonymised:
        raise ReportError("seul l'export pseudonymisé existe : ajoutez --pseudonymised")
    rt = open_runtime(config)
    n = export_pseudonymised(rt, output)
    console.print(
        f"{n} dossiers exportés dans [bold]{output}[/] (pseudonymes stables, sans identifiant direct)."
    )


@app.command("demo-history")
def demo_history(
    scale: Annotated[
        float, typer.Option(help="Multiplie le nombre de demandes de chaque année.", min=0.01)
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Graine du tirage (même graine, même historique).")] = 2022,
    first_year: Annotated[int, typer.Option("--first-year", help="Première année de l'historique.")] = 2022,
    texts: Annotated[
        bool, typer.Option("--texts/--no-texts", help="Ajoute des préconisations et commentaires d'exemple.")
    ] = True,
    purge: Annotated[
        bool, typer.Option("--purge", help="Supprime l'historique de démonstration et s'arrête.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Accepte une base qui contient de vrais dossiers.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Crée un historique fictif (2022 à aujourd'hui) aux proportions du rapport de l'Isère."""
    from triage.demo.history import generate_history, purge_history  # the demo's texts: only for this command

    rt = open_runtime(config)
    if purge:
        console.print(f"{purge_history(rt)} dossiers de démonstration supprimés.")
        return
    per_year = generate_history(
        rt, first_year=first_year, scale=scale, seed=seed, with_texts=texts, force=force
    )
    detail = ", ".join(f"{y} : {n}" for y, n in sorted(per_year.items()))
    console.print(f"Historique de démonstration créé : {sum(per_year.values())} dossiers fictifs ({detail}).")
    console.print(
        f"Rapport : [bold]mediature report --year {max(per_year, default=rt.clock().year)} --format pdf "
        f"--output rapport.pdf[/]"
    )
