"""`mediature ingest` (files, folders, Maildirs, mbox, scans once, then exit) and `mediature demo`.

`ingest --json` prints exactly one JSON object:
    {"messages": N, "dossiers_opened": N, "attached_to_existing": N, "not_requests": N,
     "quarantined": N, "duplicates": N, "flagged": N}
with messages = dossiers_opened + attached_to_existing + not_requests + quarantined + duplicates;
`flagged` (replies kept aside for the mediator) is a part of `not_requests`. Oversized items count as
quarantined (they are reported and left where they are).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from triage.cli import ConfigOption, app, console, err_console, open_runtime
from triage.errors import SourceError
from triage.pipeline import Pipeline
from triage.records import DossierOutcome, IngestOutcome, RawMessage
from triage.resources import PROJECT_DIR
from triage.runtime import Runtime
from triage.sources.local import ScanFileRef, read_paths

COUNT_KEYS = (
    "messages",
    "dossiers_opened",
    "attached_to_existing",
    "not_requests",
    "quarantined",
    "duplicates",
)


@dataclass
class IngestReport:
    """Counts of one ingest run, and the items that need a look."""

    counts: Counter[str] = field(default_factory=Counter)
    notable: list[tuple[str, DossierOutcome]] = field(default_factory=list)

    def add(self, key: str, outcome: DossierOutcome) -> None:
        """Count one item's outcome (flagged items count as not_requests too)."""
        self.counts["messages"] += 1
        if outcome.outcome is IngestOutcome.FLAGGED:
            self.counts["flagged"] += 1
            self.counts[IngestOutcome.NOT_REQUEST.value] += 1
        else:
            self.counts[outcome.outcome.value] += 1
        if outcome.outcome in (IngestOutcome.FLAGGED, IngestOutcome.QUARANTINED):
            self.notable.append((key, outcome))

    def as_dict(self) -> dict[str, int]:
        """The --json contract."""
        return {**{k: self.counts.get(k, 0) for k in COUNT_KEYS}, "flagged": self.counts.get("flagged", 0)}


@contextmanager
def _events_to_file(rt: Runtime) -> Iterator[None]:
    """Structured events of the run go to <home>/logs/ingest.log, not over the terminal's tables."""
    from triage.logs import configure

    handler = configure(file=rt.settings.paths.home / "logs" / "ingest.log")
    try:
        yield
    finally:
        for name in ("mediature", "triage"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()


def _ingest_scan(pipeline: Pipeline, ref: ScanFileRef) -> DossierOutcome:
    """A scan file met on the way: read and ingested by triage.sources.scans (known bytes: no OCR)."""
    settings = pipeline.settings
    size = ref.path.stat().st_size
    if size > settings.scans.max_file_bytes:
        return DossierOutcome(
            IngestOutcome.QUARANTINED,
            detail=f"fichier numérisé trop volumineux ({size} octets, "
            f"limite {settings.scans.max_file_bytes}) : "
            "laissé à sa place",
        )
    try:
        from triage.sources.scans import ingest_scan_file
    except ImportError:
        return pipeline.quarantine_bytes(
            "scan",
            str(ref.path),
            ref.path.read_bytes(),
            "lecture des courriers numérisés indisponible",
            "ImportError",
        )
    return ingest_scan_file(pipeline.runtime, pipeline, ref.path).outcome


def run_ingest(
    pipeline: Pipeline, paths: list[Path], on_item: Callable[[str, DossierOutcome], None] | None = None
) -> IngestReport:
    """Ingest everything under `paths` once; one outcome per item, never stopped by a bad one."""
    report = IngestReport()
    for item in read_paths(paths):
        if isinstance(item, ScanFileRef):
            key, outcome = str(item.path), _ingest_scan(pipeline, item)
        else:
            assert isinstance(item, RawMessage)
            key, outcome = item.source_key, pipeline.ingest_raw(item)
        report.add(key, outcome)
        if on_item is not None:
            on_item(key, outcome)
    return report


def _with_progress(pipeline: Pipeline, paths: list[Path]) -> IngestReport:
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed} élément(s)"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Import en cours", total=None)

        def tick(_key: str, _outcome: DossierOutcome) -> None:
            progress.advance(task)

        return run_ingest(pipeline, paths, tick)


LABELS = {
    "messages": "éléments lus",
    "dossiers_opened": "dossiers ouverts",
    "attached_to_existing": "rattachés à un dossier existant",
    "not_requests": "non-demandes (absences, non-distributions, listes, réponses mises de côté)",
    "flagged": "  dont réponses mises de côté pour vérification",
    "quarantined": "mis en quarantaine",
    "duplicates": "doublons (déjà importés)",
}


def print_report(report: IngestReport) -> None:
    """The summary table, then what needs a look."""
    table = Table(title="Résumé de l'import")
    table.add_column("résultat")
    table.add_column("nombre", justify="right")
    counts = report.as_dict()
    for key in (
        "messages",
        "dossiers_opened",
        "attached_to_existing",
        "not_requests",
        "flagged",
        "quarantined",
        "duplicates",
    ):
        table.add_row(LABELS[key], str(counts[key]))
    console.print(table)
    if report.notable:
        look = Table(title="À regarder")
        for col in ("élément", "résultat", "dossier cité", "raison"):
            look.add_column(col, overflow="fold")
        for key, outcome in report.notable:
            look.add_row(
                Path(key).name if "/" in key else key,
                outcome.outcome.value,
                outcome.reference or "",
                outcome.detail,
            )
        console.print(look)
        console.print(
            "Quarantaine : [bold]mediature quarantine list[/] ; réponses mises de côté : "
            "[bold]mediature dossiers list[/] puis le poste de la médiatrice."
        )


@app.command("ingest")
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Fichiers .eml, dossiers, Maildir, fichiers mbox, scans.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Affiche un seul objet JSON de comptes.")] = False,
    config: ConfigOption = None,
) -> None:
    """Importe une fois des messages (et des courriers numérisés), puis s'arrête."""
    rt = open_runtime(config)
    pipeline = Pipeline.from_runtime(rt)
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise SourceError("introuvable : " + ", ".join(str(p) for p in missing))
    with _events_to_file(rt):
        if as_json:
            report = run_ingest(pipeline, paths)
            typer.echo(json.dumps(report.as_dict()))
            return
        report = _with_progress(pipeline, paths)
    print_report(report)


def _deliver_local(rt: Runtime) -> str:
    """Deliver the acknowledgements just queued (local .eml folder in the embedded default)."""
    try:
        from triage.notify.sender import deliver_due
    except ImportError:
        return ""
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
        typer.Option("--report/--no-report", help="Ajoute l'historique fictif 2022-aujourd'hui et écrit le rapport."),
    ] = True,
    config: ConfigOption = None,
) -> None:
    """Démonstration : importe la boîte et les courriers d'exemple, liste les dossiers, écrit le rapport."""
    from triage.cli.dossiers import print_dossiers

    rt = open_runtime(config)
    console.print(f"Base : [bold]{rt.engine.url.render_as_string(hide_password=True)}[/]")
    paths = [p for p in (samples / "mailbox", samples / "scans") if p.is_dir()]
    if not paths:
        raise SourceError(f"aucun exemple trouvé sous {samples} (mailbox/, scans/)")
    pipeline = Pipeline.from_runtime(rt)
    with _events_to_file(rt):
        report = _with_progress(pipeline, paths)
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
    from datetime import datetime, timezone

    from sqlalchemy import func, select

    from triage.demo.history import generate_history
    from triage.report.render import build, write
    from triage.store.models import Dossier

    with rt.sessions() as session:
        has_history = session.scalar(select(func.count(Dossier.id)).where(Dossier.reference.like("DEMO-%")))
    if not has_history:
        per_year = generate_history(rt, force=True)
        console.print(f"Historique fictif pour le rapport : {sum(per_year.values())} dossiers (2022 à aujourd'hui).")
    year = datetime.now(timezone.utc).year
    built = build(rt, year)
    for fmt in ("html", "pdf"):
        path = rt.settings.paths.home / f"rapport-{year}.{fmt}"
        write(built, fmt, path)
        console.print(f"Rapport annuel {year} : [bold]{path}[/]")


# the dossiers and quarantine commands live beside this module; importing registers them
from triage.cli import dossiers as _dossiers  # noqa: E402,F401  (registers the commands)
