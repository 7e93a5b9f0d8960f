"""The report commands end to end, as the mediator types them (real `mediature` processes)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

MEDIATURE = str(Path(sys.executable).parent / "mediature")


def _run(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MEDIATURE_HOME": str(home),
        "MEDIATURE_SECRET_KEY": "cli-test-secret",
        "COLUMNS": "200",
    }
    env.pop("MEDIATURE_DATABASE_URL", None)
    env.pop("MEDIATURE_CONFIG", None)
    done = subprocess.run([MEDIATURE, *args], capture_output=True, text=True, env=env, timeout=300)
    if ok:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


@pytest.mark.slow
def test_fresh_install_demo_history_report_recommendation_and_export(home: Path, tmp_path: Path) -> None:
    out = _run(home, "demo-history", "--scale", "0.5").stdout
    assert "Historique de démonstration créé" in out
    added = _run(
        home,
        "recommendations",
        "add",
        "--year",
        "2025",
        "--title",
        "Former les accueils au RSA",
        "--service",
        "Direction des solidarités",
        "--service",
        "DT Matheysine",
    ).stdout
    number = added.split("n° ", 1)[1].split(" ", 1)[0]
    _run(home, "recommendations", "status", number, "validee", "--date", "2025-09-01", "--note", "Validée.")
    _run(home, "recommendations", "progress", number, "--date", "2025-11-15", "--note", "Première session.")
    listing = _run(home, "recommendations", "list", "--year", "2025").stdout
    assert "Former les accueils au RSA" in listing and "Validée" in listing
    _run(home, "report", "comment", "--year", "2025", "--section", "conclusion", "--text", "Une année utile.")
    html = tmp_path / "rapport.html"
    out = _run(home, "report", "--year", "2025", "--output", str(html)).stdout
    assert "Rapport 2025 écrit" in out
    page = html.read_text(encoding="utf-8")
    assert "Former les accueils au RSA" in page and "Première session." in page and "Une année utile." in page
    table = tmp_path / "rapport.csv"
    _run(home, "report", "--year", "2025", "--format", "csv", "--output", str(table))
    assert table.read_text(encoding="utf-8").lstrip("\ufeff").startswith("annee;tableau;titre;ligne")
    export = tmp_path / "export.csv"
    assert "exportés" in _run(home, "export", "--pseudonymised", "--output", str(export)).stdout
    with export.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][0] == "pseudonyme" and len(rows) > 100
    assert not any("DEMO-" in cell for row in rows for cell in row)


def test_mistakes_get_a_french_message_and_an_error_code(home: Path, tmp_path: Path) -> None:
    refused = _run(home, "report", "--format", "docx", "--output", str(tmp_path / "x"), ok=False)
    assert refused.returncode == 1 and "format inconnu" in refused.stderr
    refused = _run(home, "export", "--output", str(tmp_path / "x.csv"), ok=False)
    assert refused.returncode == 1 and "--pseudonymised" in refused.stderr
    refused = _run(home, "recommendations", "status", "42", "faite", ok=False)
    assert refused.returncode == 1 and "statut inconnu" in refused.stderr
