"""Model files: saved with skops and a card; every way a model can be unusable gives a French message
and rules-only suggestions, never a crash."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from classifiers.model import TriageModel
from classifiers.persistence import CARD_FILE, MODEL_FILE, ModelLoadError, _sha256, load, save
from tests.test_classifier import small_model  # noqa: F401 - session fixture shared with the classifier tests
from triage.config import Settings
from triage.suggest.suggester import RULES_ONLY, Suggester


class Intruder:
    """A type no model file may contain."""


@pytest.fixture
def saved(tmp_path: Path, small_model: TriageModel) -> Path:
    directory = tmp_path / "models"
    save(small_model, directory)
    return directory


def edit_card(directory: Path, change: Callable[[dict[str, Any]], None]) -> None:
    card = json.loads((directory / CARD_FILE).read_text())
    change(card)
    (directory / CARD_FILE).write_text(json.dumps(card))


def rehash(directory: Path) -> None:
    """Make the card agree with whatever the model file now contains (to reach the checks after the hash)."""
    edit_card(directory, lambda c: c["file"].__setitem__("sha256", _sha256(directory / MODEL_FILE)))


def test_saved_model_round_trips_with_its_card(saved: Path, small_model: TriageModel) -> None:
    loaded = load(saved)
    letter = "Mon agrément d'assistante maternelle a été retiré par la PMI."
    assert loaded.predict_proba(letter) == small_model.predict_proba(letter)
    card = json.loads((saved / CARD_FILE).read_text())
    assert card["file"]["sha256"] == _sha256(saved / MODEL_FILE)
    assert not list(saved.glob(".*")), "no temporary file left behind"


def _missing(d: Path) -> None:
    shutil.rmtree(d)


def _wrong_format(d: Path) -> None:
    edit_card(d, lambda c: c.__setitem__("format", 99))


def _old_sklearn(d: Path) -> None:
    edit_card(d, lambda c: c["libraries"].__setitem__("scikit-learn", "0.24.2"))


def _corrupt(d: Path) -> None:
    (d / MODEL_FILE).write_bytes(b"PK\x03\x04 this is not a model")
    rehash(d)


def _truncated(d: Path) -> None:
    data = (d / MODEL_FILE).read_bytes()
    (d / MODEL_FILE).write_bytes(data[: len(data) // 2])
    rehash(d)


def _tampered(d: Path) -> None:
    data = bytearray((d / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / MODEL_FILE).write_bytes(bytes(data))


def _no_card(d: Path) -> None:
    (d / CARD_FILE).unlink()


def _card_not_json(d: Path) -> None:
    (d / CARD_FILE).write_text("{ pas du json")


def _untrusted_type(d: Path) -> None:
    import skops.io as sio

    (d / MODEL_FILE).write_bytes(
        sio.dumps({"domain": Intruder(), "admissibility": None, "reorientation": None})
    )
    rehash(d)


def _no_model_file(d: Path) -> None:
    (d / MODEL_FILE).unlink()


CASES = [
    (_missing, "aucun modèle entraîné"),
    (_wrong_format, "format de modèle 99 incompatible"),
    (_old_sklearn, "scikit-learn 0.24.2"),
    (_corrupt, "illisible"),
    (_truncated, "illisible"),
    (_tampered, "ne correspond pas à sa fiche"),
    (_no_card, "fiche du modèle absente"),
    (_card_not_json, "fiche du modèle illisible"),
    (_untrusted_type, "types non autorisés"),
    (_no_model_file, "fichier du modèle absent"),
]


@pytest.mark.parametrize(("damage", "words"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_unusable_model_is_refused_with_a_french_reason(
    saved: Path, damage: Callable[[Path], None], words: str
) -> None:
    damage(saved)
    with pytest.raises(ModelLoadError) as err:
        load(saved)
    assert words in str(err.value)


@pytest.mark.parametrize(("damage", "words"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_unusable_model_falls_back_to_rules_only(
    saved: Path, settings: Settings, damage: Callable[[Path], None], words: str
) -> None:
    damage(saved)
    settings.triage.model_dir = saved
    suggester = Suggester.from_settings(settings, use_ner=False)
    assert suggester.model is None and words in suggester.model_problem
    suggestion = suggester.suggest(
        "Ma carte mobilité inclusion a été refusée, mon RAPO est resté sans réponse."
    )
    assert suggestion.model_version == RULES_ONLY
    assert suggestion.domain.code == "autonomie_handicap"
    assert suggestion.admissibility.code == "recevable"
    assert any("seules règles" in r and words in r for r in suggestion.reasons)


def test_model_with_codes_outside_the_taxonomy_is_refused(
    saved: Path,
    settings: Settings,
    tmp_path: Path,
) -> None:
    taxonomy = (Path(__file__).resolve().parent.parent / "triage" / "defaults" / "taxonomy.yaml").read_text()
    custom = tmp_path / "taxonomy.yaml"
    custom.write_text(taxonomy.replace("code: pmi", "code: petite_enfance"))
    settings.triage.model_dir = saved
    settings.triage.taxonomy_file = custom
    settings.triage.rules_dir = tmp_path / "no-rules"
    settings.triage.rules_dir.mkdir()
    suggester = Suggester.from_settings(settings, use_ner=False)
    assert suggester.model is None
    assert "codes absents de la taxonomie" in suggester.model_problem and "pmi" in suggester.model_problem
