"""`mediature suggest`, `train`, `evaluate` and `rules check|test` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_classifier import small_training_set
from triage.cli import _register, app
from triage.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent
MEDIATURE = Path(sys.executable).parent / "mediature"
CONTRACT = {"source", "domain", "admissibility", "reorientation", "confidence", "reasons", "extracted"}

EML = b"""\
From: Jean Perrin <jean.perrin@example.org>
To: mediation@isere.example
Subject: Nid de poule sur la RD 1075
Message-ID: <abc123@example.org>
Date: Mon, 02 Jun 2025 10:00:00 +0200
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Bonjour,
Le 12 mars, un nid de poule sur la RD 1075 a d\xc3\xa9truit mon pneu. J'ai envoy\xc3\xa9 une r\xc3\xa9clamation
au service des routes le 20 mars, toujours sans r\xc3\xa9ponse.
Jean Perrin, 38500 Voiron
"""


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MEDIATURE), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=env or os.environ.copy(),
        check=False,
    )


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    """No database, no mail server: only a home folder that must stay empty of any database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATURE_")}
    env["MEDIATURE_HOME"] = str(tmp_path / "home")
    env["MEDIATURE_DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # would fail if touched
    return env


def test_suggest_prints_one_json_line_per_file_in_input_order(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    letter = tmp_path / "lettre.txt"
    letter.write_text(
        "---\ndomain: pmi\nadmissibility: recevable\nreorientation: none\n---\n"
        "Mon APA a été réduite, mon recours gracieux du 3 février est resté sans réponse.\nClaire Mounier, Voiron",
        encoding="utf-8",
    )
    mail = tmp_path / "message.eml"
    mail.write_bytes(EML)
    pdf = tmp_path / "courrier.pdf"
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.multi_cell(0, 8, "Bonjour, la CAF a suspendu mon APL et ma prime d'activite depuis deux mois.")
    doc.output(str(pdf))
    result = run_cli("suggest", str(pdf), str(letter), str(mail), env=isolated_env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source"] for line in lines] == [str(pdf), str(letter), str(mail)]
    for line in lines:
        assert set(line) >= CONTRACT
        assert set(line["confidence"]) == {"domain", "admissibility", "reorientation"}
        assert all(0.0 <= v <= 1.0 for v in line["confidence"].values())
        assert line["reasons"] and all(isinstance(r, str) for r in line["reasons"])
    assert (lines[0]["domain"], lines[0]["reorientation"]) == ("hors_champ", "caf")
    assert lines[0]["reorientation_target"]["name"].startswith("Caisse d'allocations familiales")
    assert lines[1]["domain"] == "autonomie_personnes_agees"  # the labels in the front matter are not read
    assert lines[2]["domain"] == "routes_mobilite" and lines[2]["admissibility"] == "recevable"
    assert lines[2]["reorientation"] == "none"
    assert (
        lines[2]["extracted"]["emails"] == [] or "jean.perrin@example.org" in lines[2]["extracted"]["emails"]
    )
    assert not (tmp_path / "home" / "mediature.sqlite3").exists()


def test_unreadable_file_gets_an_error_line_and_the_others_still_run(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    good = tmp_path / "a.txt"
    good.write_text("Mon RSA est suspendu depuis trois mois sans explication.", encoding="utf-8")
    result = run_cli("suggest", str(tmp_path / "absent.txt"), str(good), env=isolated_env)
    assert result.returncode == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first == {"source": str(tmp_path / "absent.txt"), "error": "fichier introuvable"}
    assert second["domain"] == "insertion_rsa"


def test_missing_model_warns_in_french_and_suggests_with_rules(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    isolated_env["MEDIATURE_TRIAGE__MODEL_DIR"] = str(tmp_path / "nothing")
    letter = tmp_path / "a.txt"
    letter.write_text("Ma carte mobilité inclusion a été refusée.", encoding="utf-8")
    result = run_cli("suggest", str(letter), env=isolated_env)
    assert result.returncode == 0
    assert "aucun modèle entraîné" in result.stderr and "seules règles" in result.stderr
    line = json.loads(result.stdout)
    assert line["model_version"] == "regles-seules" and line["domain"] == "autonomie_handicap"


@pytest.mark.ocr
@pytest.mark.slow
def test_suggest_reads_a_scanned_image_through_ocr(isolated_env: dict[str, str]) -> None:
    scan = REPO / "data" / "samples" / "scans" / "scan-01-cmi-refus.png"
    result = run_cli("suggest", str(scan), env=isolated_env)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["domain"] == "autonomie_handicap"
    assert "francoise.meunier@laposte.example" in line["extracted"]["emails"]


def write_corpus(tmp_path: Path) -> tuple[Path, int]:
    """A small corpus folder in the shipped format (front matter, then the text)."""
    texts, labels = small_training_set(per_code=3)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, text in enumerate(texts):
        head = "".join(f"{k}: {labels[k][i]}\n" for k in ("domain", "admissibility", "reorientation"))
        (corpus / f"{i:03d}.txt").write_text(f"---\n{head}---\n{text}", encoding="utf-8")
    return corpus, len(texts)


runner = CliRunner()
_register()


def test_rules_check_validates_the_shipped_rules() -> None:
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "règles valides" in result.output and "à vérifier localement" in result.output


def test_rules_check_reports_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "r.yaml").write_text(
        "- id: x\n  explication: e\n  si: {lemmes: [a]}\n  effets: {domaine: {nope: 1}}\n"
    )
    monkeypatch.setenv("MEDIATURE_TRIAGE__RULES_DIR", str(tmp_path))
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code != 0
    assert "r.yaml, ligne 4" in str(result.exception) and "nope" in str(result.exception)


def test_rules_test_shows_the_rules_that_fire() -> None:
    result = runner.invoke(app, ["rules", "test", "On m'a refusé la carte pour me garer"])
    assert result.exit_code == 0, result.output
    assert "handicap-cmi" in result.output and "carte pour me garer" in result.output
    assert '"domain": "autonomie_handicap"' in result.output


def test_train_then_evaluate_on_a_small_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, _ = write_corpus(tmp_path)
    monkeypatch.setenv("MEDIATURE_HOME", str(tmp_path / "home"))
    out = tmp_path / "model"
    trained = runner.invoke(
        app, ["train", "--sans-base", "--corpus", str(corpus), "--sortie", str(out), "--plis", "0"]
    )
    assert trained.exit_code == 0, trained.output
    assert (out / "triage.skops").exists() and (out / "triage.card.json").exists()
    evaluated = runner.invoke(
        app,
        ["evaluate", "--corpus", str(corpus), "--plis", "2", "--jeu-tenu-a-l-ecart", str(corpus), "--json"],
    )
    assert evaluated.exit_code == 0, evaluated.output
    both = json.loads(evaluated.output[evaluated.output.index("{") :])
    report, held = both["cross_validation"], both["heldout_writers"]
    assert set(report["systems"]) == {"modele", "reference", "systeme", "regles"}
    assert set(held["systems"]) == {"modele", "reference", "systeme", "regles"}
    assert set(report["sure"]["thresholds"]) == {"domain", "admissibility", "reorientation"}
    assert held["sure"]["thresholds"] == report["sure"]["thresholds"]  # chosen on the folds, applied as is
    entry = report["systems"]["systeme"]["domain"]
    assert {"precision", "recall", "f1", "support"} <= set(next(iter(entry["per_class"].values())))
    assert len(entry["confusion"]["matrix"]) == len(entry["confusion"]["labels"])


def test_train_adds_the_mediators_confirmed_decisions(
    tmp_path: Path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.cli import STATE
    from triage.store.models import LabelledExample

    corpus, count = write_corpus(tmp_path)
    with runtime.sessions.begin() as session:
        for text in (
            "Ma PCH a été supprimée sans visite.",
            "La PCH de mon fils est en retard de trois mois.",
        ):
            session.add(
                LabelledExample(
                    text=text, domain="autonomie_handicap", admissibility="prematuree", reorientation="none"
                )
            )
    monkeypatch.setenv("MEDIATURE_HOME", str(runtime.settings.paths.home))
    monkeypatch.setenv("MEDIATURE_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setattr(STATE, "runtime", None)
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", "--corpus", str(corpus), "--sortie", str(out), "--plis", "0"])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "triage.card.json").read_text())
    assert card["training_data"]["sources"] == {"corpus": count, "decisions_confirmees": 2}
    assert card["training_data"]["examples"] == count + 2
    if STATE.runtime is not None:
        STATE.runtime.close()
