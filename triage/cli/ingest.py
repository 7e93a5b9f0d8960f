"""`mediature ingest`: files, folders, Maildirs, mbox, scans once, then exit.

`ingest --json` prints exactly one JSON object:
    {"messages": N, "dossiers_opened": N, "attached_to_existing": N, "not_requests": N,
     "quarantined": N, "duplicates": N, "flagged": N}
with messages = dossiers_opened + attached_to_existing + not_requests + quarantined + duplicates;
`flagged` (replies kept aside for the mediator) is a part of `not_requests`. Oversized items count as
quarantined (they are reported and left where they are).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from triage import logs
from triage.cli import ConfigOption, app, console, open_runtime
from triage.cli.tables import Column, outcome_name, show
from triage.errors import SourceError
from triage.pipeline import Pipeline
from triage.records import DossierOutcome, IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.sources.local import ScanFileRef, read_paths
from triage.sources.scans import ingest_scan_file

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


def events_to_file(rt: Runtime) -> AbstractContextManager[None]:
    """Structured events of the run go to <home>/logs/ingest.log, not over the terminal's tables."""
    return logs.to_file(rt.settings.paths.home / "logs" / "ingest.log")


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


def with_progress(pipeline: Pipeline, paths: list[Path]) -> IngestReport:
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
    "not_requests": "non-demandes (absences, non-distributions, listes, messages mis de côté)",
    "flagged": "  dont mis de côté (à vérifier, courrier indésirable probable)",
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
        columns = [Column("élément", whole=True), Column("résultat"), Column("dossier cité", whole=True)]
        rows = [
            (
                Path(key).name if "/" in key else key,
                outcome_name(outcome.outcome),
                outcome.reference or "",
                outcome.detail,
            )
            for key, outcome in report.notable
        ]
        show(console, "À regarder", [*columns, Column("raison")], rows)
        console.print(
            "Quarantaine : [bold]mediature quarantine list[/] ; messages mis de côté : "
            "page « Courrier mis de côté » du poste de la médiatrice (/mediation/mis-de-cote)."
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
    with events_to_file(rt):
        if as_json:
            report = run_ingest(pipeline, paths)
            typer.echo(json.dumps(report.as_dict()))
            return
        report = with_progress(pipeline, paths)
    print_report(report)
