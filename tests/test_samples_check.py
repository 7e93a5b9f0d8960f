"""The labelled letters under data/samples: every file valid, held-out writers never seen elsewhere."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"
_spec = importlib.util.spec_from_file_location("check_corpus", SAMPLES / "tools" / "check_corpus.py")
assert _spec and _spec.loader
check_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_corpus)

GOOD = """---
domain: {domain}
admissibility: {admissibility}
reorientation: {reorientation}
writer: retraitée, courrier manuscrit
writer_id: {writer_id}
channel: courrier
---

Madame, je vous écris au sujet de mon aide à domicile.
"""


def write(root: Path, relative: str, **labels: str) -> None:
    values = {"domain": "autonomie_personnes_agees", "admissibility": "prematuree", "reorientation": "none"}
    values |= labels
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GOOD.format(**values), encoding="utf-8")


def test_shipped_samples_pass_the_check_and_keep_a_quarter_of_tracked_writers_apart() -> None:
    problems, writers, _, _ = check_corpus.check(SAMPLES)
    assert problems == []
    held = [w for w, sets in writers.items() if sets == {"heldout-writers"}]
    assert len(writers) >= 150
    assert 0.2 <= len(held) / len(writers) <= 0.3


def test_a_clean_tree_has_no_problem(tmp_path: Path) -> None:
    write(tmp_path, "corpus/autonomie_personnes_agees/w-t-0001-1.txt", writer_id="w-t-0001")
    write(tmp_path, "heldout-writers/w-t-0002-1.txt", writer_id="w-t-0002")
    problems, writers, _, _ = check_corpus.check(tmp_path)
    assert problems == []
    assert set(writers) == {"w-t-0001", "w-t-0002"}


def test_a_held_out_writer_with_a_training_letter_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "corpus/autonomie_personnes_agees/w-t-0001-1.txt", writer_id="w-t-0001")
    write(tmp_path, "heldout-writers/w-t-0001-2.txt", writer_id="w-t-0001")
    problems, _, _, _ = check_corpus.check(tmp_path)
    assert problems == ["w-t-0001 : lettres dans heldout-writers/ et dans corpus/"]


def test_unknown_label_misfiled_letter_and_broken_consistency_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "corpus/pmi/w-t-0003-1.txt", writer_id="w-t-0003")
    write(tmp_path, "corpus/hors_champ/w-t-0004-1.txt", writer_id="w-t-0004", domain="hors_champ")
    write(
        tmp_path, "corpus/autonomie_personnes_agees/w-t-0005-1.txt", writer_id="w-t-0005", reorientation="msa"
    )
    write(tmp_path, "corpus/autonomie_personnes_agees/w-t-0006-1.txt", writer_id="w-t-0099")
    problems, _, _, _ = check_corpus.check(tmp_path)
    assert len(problems) == 4
    assert any("rangé dans pmi/" in p for p in problems)
    assert any("hors_champ exige irrecevable" in p for p in problems)
    assert any("« msa » absent de la taxonomie" in p for p in problems)
    assert any("w-t-0099" in p and "nom du fichier" in p for p in problems)


def test_a_file_without_front_matter_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "corpus" / "pmi").mkdir(parents=True)
    (tmp_path / "corpus" / "pmi" / "lettre.txt").write_text("Bonjour, pas d'en-tête.", encoding="utf-8")
    problems, _, _, _ = check_corpus.check(tmp_path)
    assert len(problems) == 1 and "bloc d'en-tête" in problems[0]
