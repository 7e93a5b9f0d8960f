"""`mediature demo`: import the sample mailbox and scans, list the dossiers, write the year's report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from triage.cli import ConfigOption, app, console, err_console, open_runtime
from triage.cli.dossiers import print_dossiers
from triage.cli.ingest import events_to_file, print_report, with_progress
from triage.errors import SourceError
from triage.notify.sender import deliver_due
from triage.pipeline import Pipeline
from triage.resources import PROJECT_DIR
from triage.runtime import Runtime


def _deliver_local(rt: Runtime) -> str:
    """Deliver the acknowledgements just queued (local .eml folder in the embedded default)."""
    result: Any = deliver_due(rt, force=True, limit=10_000)
    target = "SMTP" if rt.settings.smtp.url else str(rt.settings.paths.home / "outbox")
    return f"Accusés de réception envoyés : {result.sent} (vers {target})"


@app.command("demo")
def demo(
    samples: Annotated[
        Path, typer.Option("--samples", help="Dossier d'exemples (mailbox/ et scans/).")
    ] = PROJECT_DIR / "data" / "samples",
    limit: Annotated[int, typer.Option("--limit", help="Nombre de dossiers affichés.")] = 100,
    with_report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report", help="Ajoute l'historique fictif 2022-aujourd'hui et écrit le rapport."
        ),
    ] = True,
    config: ConfigOption = None,
) -> None:
    """Démonstration : importe la boîte et les courriers d'exemple, liste les dossiers, écrit le rapport."""
    rt = open_runtime(config)
    console.print(f"Base : [bold]{rt.engine.url.render_as_string(hide_password=True)}[/]")
    paths = [p for p in (samples / "mailbox", samples / "scans") if p.is_dir()]
    if not paths:
        raise SourceError(f"aucun exemple trouvé sous {samples} (mailbox/, scans/)")
    pipeline = Pipeline.from_runtime(rt)
    with events_to_file(rt):
        report = with_progress(pipeline, paths)
        print_report(report)
        delivered = _deliver_local(rt)
    if delivered:
        console.print(delivered)
    print_dossiers(rt, status=None, limit=limit)
    if report.counts.get("dossiers_opened", 0) == 0 and report.counts.get("duplicates", 0):
        err_console.print(
            "Exemples déjà importés : rien de nouveau (les doublons ne sont jamais réimportés)."
        )
    if with_report:
        _demo_report(rt)
    home = rt.settings.paths.home
    console.print(
        f"\nAccusés de réception : [bold]{home / 'outbox'}[/] — lettres à imprimer : "
        "[bold]mediature print-queue list[/]\n"
        "Pages de suivi et espace de la médiation : [bold]MEDIATURE_WEB__SECURE_COOKIES=false mediature serve[/] "
        "puis les liens des accusés (http://127.0.0.1:8000/suivi/…)."
    )


def _demo_report(rt: Runtime) -> None:
    """Add the fictitious 2022-now history once, then write this year's report as HTML and PDF."""
    # heavy (matplotlib, the demo's texts): loaded only when a report is written
    from triage.demo.history import count_demo_dossiers, generate_history
    from triage.report.render import build, write

    if not count_demo_dossiers(rt):
        per_year = generate_history(rt, force=True)
        console.print(
            f"Historique fictif pour le rapport : {sum(per_year.values())} dossiers (2022 à aujourd'hui)."
        )
    year = rt.clock().year
    built = build(rt, year)
    for fmt in ("html", "pdf"):
        path = rt.settings.paths.home / f"rapport-{year}.{fmt}"
        write(built, fmt, path)
        console.print(f"Rapport annuel {year} : [bold]{path}[/]")
