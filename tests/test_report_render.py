"""The rendered report: each figure with chart and table, the PDF's text, comments, recommendations."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import pytest

from tests import report_data as data
from triage.demo.history import generate_history
from triage.errors import ReportError
from triage.report.render import CHAPTERS, build, render_html, render_pdf
from triage.runtime import Runtime
from triage.store.recommendations import (
    add_progress,
    add_recommendation,
    list_recommendations,
    set_comment,
)

UNTIL = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.slow
def test_pdf_renders_and_its_text_holds_the_headline_figures(sqlite_runtime: Runtime, tmp_path: Path) -> None:
    generate_history(sqlite_runtime, until=UNTIL)
    report = build(sqlite_runtime, 2025)
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(render_pdf(report))
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", " ", text.replace("\u202f", " "))
    h = report.figures.headline
    assert h.total == 140 and h.mediations > h.reorientations > 0
    assert "Rapport d'activité" in flat and "2025" in flat
    assert f"{h.total} demandes reçues en 2025" in flat
    assert f"{h.mediations} médiations effectives" in flat
    assert f"{h.reorientations} réorientations" in flat
    assert f"{round(h.duration.mean)} j durée moyenne de traitement" in flat
    assert f"médiane {round(h.duration.median)} jours" in flat
    for table in report.shown.values():
        assert table.title in flat, table.title
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 10  # type: ignore[union-attr]


def test_html_report_shows_every_figure_with_a_chart_and_its_table(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.sessions.begin() as session:
        data.load(session)
    report = build(sqlite_runtime, 2025)
    html = render_html(report)
    for _, _, _, keys in CHAPTERS:
        for key in keys:
            block = html.split(f'id="fig-{key}"', 1)[1].split("</figure>", 1)[0]
            assert '<table class="donnees">' in block, key
            assert report.shown[key].title in html
            if report.shown[key].chart != "none":
                assert 'src="data:image/svg+xml;base64,' in block, key
    assert "<script" not in html


def test_recommendations_appear_with_the_progress_of_the_year(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        rec = add_recommendation(
            session,
            year=2025,
            title="Simplifier le parcours de scolarisation adaptée",
            description="Les familles peinent à suivre les étapes.",
            services=["Direction de l'autonomie", "DT Vals du Dauphiné"],
        )
        add_progress(
            session, rec, "Validée par la direction générale.", on=date(2025, 6, 12), status="validee"
        )
        add_progress(session, rec, "Comité de pilotage installé.", on=date(2026, 3, 4), status="en_cours")
        add_progress(session, rec, "Prototype de brochure testé.", on=date(2026, 9, 1))
        done = add_recommendation(session, year=2024, title="Mentionner les voies de recours")
        add_progress(session, done, "Modèles de décision corrigés.", on=date(2025, 2, 1), status="realisee")
    html_2026 = _text(render_html(build(runtime, 2026, with_charts=False)))
    assert "Simplifier le parcours de scolarisation adaptée" in html_2026
    assert "Direction de l'autonomie ; DT Vals du Dauphiné" in html_2026
    assert "Avancement en 2026" in html_2026
    assert "4 mars 2026 Comité de pilotage installé." in html_2026
    assert "1er septembre 2026 Prototype de brochure testé." in html_2026
    assert "Validée par la direction générale." not in html_2026  # 2025's step belongs to 2025's report
    assert "Mentionner les voies de recours" not in html_2026  # done in 2025, nothing new in 2026
    assert "En cours" in html_2026
    html_2025 = _text(render_html(build(runtime, 2025, with_charts=False)))
    assert "12 juin 2025 Validée par la direction générale." in html_2025
    assert "Comité de pilotage installé." not in html_2025
    assert "Mentionner les voies de recours" in html_2025 and "Réalisée" in html_2025
    with runtime.sessions() as session:
        views = {v.title: v for v in list_recommendations(session)}
    current = views["Simplifier le parcours de scolarisation adaptée"]
    assert current.status == "en_cours"
    assert current.status_at_end_of(2025) == "validee" and current.status_at_end_of(2024) == "proposee"


def test_comments_are_kept_from_year_to_year(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.sessions.begin() as session:
        set_comment(
            sqlite_runtime_session := session, 2025, "conclusion", "La médiation s'affirme.\n\n- Un point"
        )
        set_comment(sqlite_runtime_session, 2025, "synthese", "Synthèse 2025.")
    html = render_html(build(sqlite_runtime, 2026, with_charts=False))
    assert "<p>La médiation s&#39;affirme.</p>" in html and "<li>Un point</li>" in html
    assert "Texte repris du rapport 2025, à actualiser." in html
    with sqlite_runtime.sessions.begin() as session:
        set_comment(session, 2026, "conclusion", "Conclusion 2026 <b>écrite</b>.")
    html = render_html(build(sqlite_runtime, 2026, with_charts=False))
    assert "Conclusion 2026 &lt;b&gt;écrite&lt;/b&gt;." in html  # the mediator's text is escaped
    assert "La médiation s&#39;affirme." not in html
    assert "La médiation s&#39;affirme." in render_html(build(sqlite_runtime, 2025, with_charts=False))


def test_unknown_sections_statuses_and_numbers_are_refused(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.sessions.begin() as session:
        with pytest.raises(ReportError, match="section inconnue"):
            set_comment(session, 2025, "annexe_secrete", "x")
        with pytest.raises(ReportError, match="statut inconnu"):
            add_recommendation(session, year=2025, title="T", status="terminee")
        with pytest.raises(ReportError, match="introuvable"):
            add_progress(session, 999, "note")
