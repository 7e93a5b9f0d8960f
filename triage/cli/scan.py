"""`mediature scan add FILE...` (the mail service's scans, once) and `mediature scan status` (drop folder)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from triage import logs
from triage.cli import ConfigOption, app, console, err_console, open_runtime
from triage.cli.tables import Column, outcome_name, paris_time, show
from triage.files import private_dir
from triage.pipeline import Pipeline
from triage.records import DossierOutcome, IngestOutcome, ScanDocument
from triage.sources.scans import (
    ScanPipeline,
    ScanResult,
    SettleWatcher,
    ingest_scan_file,
    is_temporary_name,
    rejected_files,
)

scan_app = typer.Typer(help="Courriers papier numérisés.", no_args_is_help=True)
app.add_typer(scan_app, name="scan")

_OUTCOME_STYLES = {
    IngestOutcome.OPENED: "green",
    IngestOutcome.QUARANTINED: "red",
    IngestOutcome.FLAGGED: "yellow",
}
_METHOD_LABELS = {"text-layer": "texte du PDF", "ocr": "OCR"}


class _LazyPipeline:
    """The pipeline, built on first use: files already imported are answered without loading the
    suggester and the notifier (the mail service often re-runs a batch)."""

    def __init__(self, build: Callable[[], ScanPipeline]) -> None:
        self._build = build
        self._pipeline: ScanPipeline | None = None

    def _get(self) -> ScanPipeline:
        if self._pipeline is None:
            self._pipeline = self._build()
        return self._pipeline

    def ingest_scan(self, doc: ScanDocument, original: bytes) -> DossierOutcome:
        """See Pipeline.ingest_scan."""
        return self._get().ingest_scan(doc, original)

    def quarantine_bytes(
        self, source: str, source_key: str, data: bytes, reason: str, error_type: str = ""
    ) -> DossierOutcome:
        """See Pipeline.quarantine_bytes."""
        return self._get().quarantine_bytes(source, source_key, data, reason, error_type)


def _item(result: ScanResult) -> dict[str, Any]:
    doc, outcome = result.doc, result.outcome
    return {
        "file": str(result.path),
        "outcome": outcome.outcome.value,
        "reference": outcome.reference,
        "pages": doc.pages if doc else None,
        "method": doc.method if doc else None,
        "confidence": doc.mean_confidence if doc else None,
        "rotated_degrees": doc.rotated_degrees if doc else None,
        "stored_as": doc.path if doc else None,
        "reason": result.reason or (outcome.detail if outcome.outcome is not IngestOutcome.OPENED else ""),
    }


def _outcome_text(outcome: IngestOutcome) -> Text:
    return Text(outcome_name(outcome), style=_OUTCOME_STYLES.get(outcome, ""))


def _reading(result: ScanResult) -> str:
    doc = result.doc
    if doc is None:
        return "—"
    text = f"{doc.pages} p., {_METHOD_LABELS.get(doc.method, doc.method)}"
    if doc.mean_confidence is not None:
        text += f" ({doc.mean_confidence:.0f} %)"
    if doc.rotated_degrees:
        text += f", tourné de {doc.rotated_degrees}°"
    return text


@scan_app.command("add")
def scan_add(
    files: Annotated[list[Path], typer.Argument(help="Fichiers numérisés (PDF, PNG, JPEG, TIFF).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Un objet JSON : comptes et détail par fichier.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Importe des courriers numérisés : lecture (texte du PDF ou OCR), original conservé, dossier ouvert.

    Le fichier donné n'est ni déplacé ni modifié ; une copie est gardée dans <home>/scans/originaux.
    Un fichier illisible est mis en quarantaine avec la raison (code de sortie 1).
    """
    rt = open_runtime(config)
    pipeline = _LazyPipeline(lambda: Pipeline.from_runtime(rt))
    results: list[ScanResult] = []
    missing: list[Path] = []
    status = console.status("Lecture des courriers…", spinner="dots") if not as_json else nullcontext()
    with logs.to_file(rt.settings.paths.home / "logs" / "scan.log"), status:
        for path in files:
            if not path.is_file():
                missing.append(path)
                continue
            results.append(ingest_scan_file(rt, pipeline, path))
    counts = Counter(r.outcome.outcome.value for r in results)
    if as_json:
        summary = {
            "files": len(results),
            **{k.value: counts.get(k.value, 0) for k in IngestOutcome},
            "missing": [str(p) for p in missing],
            "items": [_item(r) for r in results],
        }
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        columns = [
            Column("fichier", whole=True),
            Column("lecture"),
            Column("résultat"),
            Column("dossier", whole=True),
        ]
        rows = [
            (
                r.path.name,
                _reading(r),
                _outcome_text(r.outcome.outcome),
                r.outcome.reference or "—",
                r.reason or (r.outcome.detail if r.outcome.outcome is not IngestOutcome.OPENED else ""),
            )
            for r in results
        ]
        show(
            console, f"Courriers numérisés — {len(results)} fichier(s)", [*columns, Column("remarque")], rows
        )
        for path in missing:
            err_console.print(f"[red]Fichier introuvable :[/] {path}")
    if missing or counts.get(IngestOutcome.QUARANTINED.value):
        raise typer.Exit(1)


@scan_app.command("status")
def scan_status(config: ConfigOption = None) -> None:
    """Montre le dossier de dépôt : fichiers en attente, en cours d'écriture, rejetés (avec la raison)."""
    rt = open_runtime(config)
    settings = rt.settings
    folder = private_dir(settings.scan_drop_folder)
    ready = set(SettleWatcher().ready(folder, settings.scans.settle_seconds))
    waiting = sorted(p for p in folder.iterdir() if p.is_file())
    rows = []
    for path in waiting:
        st = path.stat()
        if is_temporary_name(path.name):
            state = "ignoré (nom temporaire)"
        elif path in ready:
            state = "prêt : sera lu par le service (mediature worker)"
        else:
            state = "en cours d'écriture"
        rows.append(
            (
                path.name,
                f"{st.st_size / 1000:.0f} ko",
                paris_time(datetime.fromtimestamp(st.st_mtime, UTC)),
                state,
            )
        )
    if waiting:
        columns = [Column("fichier", whole=True), Column("taille", whole=True, justify="right")]
        title = f"Dossier de dépôt : {folder} — {len(waiting)} fichier(s) en attente"
        show(console, title, [*columns, Column("déposé le"), Column("état")], rows)
    else:
        console.print(f"Dossier de dépôt : {folder} — aucun fichier en attente.")
    rejected = rejected_files(settings)
    if rejected:
        title = f"Fichiers rejetés ({len(rejected)}) — aussi en quarantaine"
        columns = [Column("fichier", whole=True), Column("raison")]
        show(console, title, columns, [(path.name, reason) for path, reason in rejected])
    else:
        console.print("Aucun fichier rejeté.")
