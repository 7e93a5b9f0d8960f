"""Build the annual report (figures, charts, comments, recommendations) and write it as HTML, PDF or CSV.

Only aggregates leave this module: every table goes through tables.show (small cells masked) and
no dossier's name, address or free text is ever read.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from triage.errors import ReportError
from triage.report import charts
from triage.report.figures import Figures, compute
from triage.report.tables import SMALL_CELL_THRESHOLD, Shown, fmt_dec, fmt_int, masked_text, show
from triage.report.territories import SOURCE_NOTE, Territory, read_territories
from triage.resources import templates_dir
from triage.runtime import Runtime
from triage.store.recommendations import (
    SECTIONS,
    STATUSES,
    Comment,
    RecommendationView,
    comments_for,
    for_report,
)
from triage.store.report_queries import report_counts

FORMATS = ("html", "pdf", "csv")
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]

# Which tables go in which part of the statistics chapter, in order.
CHAPTERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "donnees_generales",
        "Données générales",
        "donnees_generales",
        ("demandes_par_annee", "delais", "etat_traitements", "canaux"),
    ),
    (
        "territoires",
        "Répartition territoriale et par direction",
        "territoires",
        ("territoires", "taux_territoires", "directions"),
    ),
    (
        "reorientations",
        "Les réorientations",
        "reorientations",
        ("reorientations_destinations", "reorientations_territoires", "resultats_reorientations"),
    ),
    (
        "mediations",
        "Les médiations",
        "mediations",
        ("resultats_mediations", "politiques_publiques", "sous_chapitres", "motifs"),
    ),
)


@dataclass
class Report:
    """One year's report, ready to render: exact figures, published tables, texts, recommendations."""

    year: int
    figures: Figures
    shown: dict[str, Shown]
    comments: dict[str, Comment]
    new_recommendations: list[RecommendationView]
    followed_recommendations: list[RecommendationView]
    service: Any
    threshold: int = SMALL_CELL_THRESHOLD
    charts: dict[str, str] = field(default_factory=dict)


def date_fr(value: datetime) -> str:
    """'23 novembre 2026'."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def build(
    runtime: Runtime,
    year: int,
    *,
    territories: list[Territory] | None = None,
    threshold: int | None = None,
    with_charts: bool = True,
) -> Report:
    """Compute the year's figures and gather the mediator's texts and recommendations."""
    settings = runtime.settings.report
    threshold = threshold or settings.small_cell_threshold
    if territories is None:
        territories = read_territories(settings.territories_file)
    figures = compute(
        report_counts(runtime.sessions, year),
        year,
        territories,
        threshold=threshold,
        taxonomy_file=runtime.settings.triage.taxonomy_file,
        computed_at=runtime.clock(),
    )
    with runtime.sessions() as session:
        comments = comments_for(session, year)
        new, followed = for_report(session, year)
    shown = {key: show(table, threshold) for key, table in figures.tables.items()}
    report = Report(year, figures, shown, comments, new, followed, runtime.settings.service, threshold)
    if with_charts:
        report.charts = {
            key: _data_uri(charts.draw(table, threshold))
            for key, table in shown.items()
            if table.chart != "none"
        }
    return report


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode() if svg else ""


def count_text(value: int | None, threshold: int) -> str:
    """A headline count as published ('< 5' when small)."""
    if value is None:
        return "—"
    return masked_text(threshold) if 0 < value < threshold else fmt_int(value)


def paragraphs(text: str) -> Markup:
    """The mediator's plain text as HTML paragraphs; lines starting with '- ' become a list."""
    html: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and all(line.startswith(("- ", "• ")) for line in lines):
            items = "".join(f"<li>{escape(line[2:].strip())}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        elif lines:
            html.append(f"<p>{'<br>'.join(str(escape(line)) for line in lines)}</p>")
    return Markup("\n".join(html))


STATUS_PLURALS = {
    "proposee": ("proposée", "proposées"),
    "validee": ("validée", "validées"),
    "en_cours": ("en cours", "en cours"),
    "realisee": ("réalisée", "réalisées"),
}


def recommendation_summary(recs: list[RecommendationView], year: int) -> str:
    """'2 proposées, 1 validée et 4 en cours' (statuses at the end of `year`)."""
    counts = {code: sum(1 for r in recs if r.status_at_end_of(year) == code) for code in STATUSES}
    parts = [f"{n} {STATUS_PLURALS.get(code, (code, code))[n > 1]}" for code, n in counts.items() if n]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1] if parts else "aucune"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir() / "report")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["paragraphs"] = paragraphs
    env.filters["int_fr"] = fmt_int
    env.filters["dec_fr"] = fmt_dec
    env.filters["date_fr"] = date_fr
    return env


def _context(report: Report, extra: dict[str, Any] | None) -> dict[str, Any]:
    h = report.figures.headline
    t = report.threshold
    with_result = h.mediation_results >= t
    context: dict[str, Any] = {
        "r": report,
        "h": h,
        "year": report.year,
        "service": report.service,
        "chapters": [
            (key, title, comment, [report.shown[k] for k in keys]) for key, title, comment, keys in CHAPTERS
        ],
        "sections": SECTIONS,
        "rec_statuses": STATUSES,
        "generated": date_fr(report.figures.computed_at),
        "source_note": SOURCE_NOTE,
        "masked": masked_text(t),
        "n": lambda value: count_text(value, t),
        "pct": lambda part, whole: (
            f"{fmt_int(100.0 * part / whole)}\u202f%" if whole and part >= t and whole >= t else "s"
        ),
        "resolved_share": (
            f"{fmt_int(100.0 * h.mediation_resolved / h.mediation_results)}\u202f%" if with_result else "s"
        ),
        "rec_summary": lambda recs: recommendation_summary(recs, report.year),
        "web": False,
    }
    context.update(extra or {})
    return context


def render_html(report: Report, extra: dict[str, Any] | None = None) -> str:
    """The report as one self-contained HTML page (charts inlined)."""
    return _environment().get_template("rapport.html").render(**_context(report, extra))


def render_pdf(report: Report) -> bytes:
    """The report as a PDF (WeasyPrint), from the same HTML."""
    from weasyprint import HTML  # heavy (Pango, fonts): loaded with the first PDF only

    html = render_html(report, {"pdf": True})
    pdf: bytes = HTML(string=html, base_url=str(templates_dir() / "report")).write_pdf()
    return pdf


def _csv_value(cell_text: str) -> str:
    # machine-friendly numbers for spreadsheets: no thousands space, decimal comma, no % sign
    return cell_text.replace("\u202f%", "").replace("\u202f", "") if cell_text[:1] != "<" else cell_text


def render_csv(report: Report) -> str:
    """Every published table in long format: tableau;titre;ligne;colonne;valeur (masked cells kept masked)."""
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["annee", "tableau", "titre", "ligne", "colonne", "valeur"])
    for key, table in report.shown.items():
        rows = list(table.rows) + ([table.total] if table.total else [])
        for row in rows:
            for header, cell in zip(table.headers, row.cells, strict=False):
                if row.heading and not cell.text:
                    continue
                writer.writerow([report.year, key, table.title, row.label, header, _csv_value(cell.text)])
    return out.getvalue()


def write(report: Report, fmt: str, path: Path) -> Path:
    """Write the report in `fmt` (html, pdf, csv) to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        path.write_bytes(render_pdf(report))
    elif fmt == "html":
        path.write_text(render_html(report), encoding="utf-8")
    elif fmt == "csv":
        path.write_text(render_csv(report), encoding="utf-8", newline="")
    else:
        raise ReportError(f"format inconnu « {fmt} » : {', '.join(FORMATS)}")
    return path
