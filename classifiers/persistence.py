"""Saving and loading the trained model safely: skops (no pickle) plus a JSON model card.

    models/triage.skops       the three pipelines (skops format: no code runs on load)
    models/triage.card.json   format number, version, training-data hash, labels, library versions,
                              cross-validated metrics, and the SHA-256 of triage.skops

Loading refuses, with a French message (ModelLoadError), a missing file, an unreadable or foreign
card, another format number, a different scikit-learn version, a file whose hash does not match the
card (modified or truncated), and any type outside the allow-list. The application then carries on
with its rules alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from classifiers import LABELS
from classifiers.model import FORMAT, TriageModel, library_versions

MODEL_FILE = "triage.skops"
CARD_FILE = "triage.card.json"
# Our own transformers; everything else must come from scikit-learn, NumPy or SciPy.
OWN_TYPES = {
    "classifiers.text.TextNormalizer",
    "classifiers.text.CompactTfidfVectorizer",
    "classifiers.cues.CueFeatures",
    "classifiers.model.CompactLinearSVC",
}
LIBRARY_PREFIXES = ("sklearn.", "numpy.", "scipy.")


class ModelLoadError(Exception):
    """The model cannot be used; the message (French) says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a model file is not a secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(model: TriageModel, directory: Path) -> Path:
    """Write the model and its card (each to a temporary file, then renamed: never half-written)."""
    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    _atomic_write(path, sio.dumps(model.pipelines, compression=zipfile.ZIP_DEFLATED, compresslevel=9))
    card = dict(model.card)
    card["file"] = {"name": MODEL_FILE, "sha256": _sha256(path), "bytes": path.stat().st_size}
    _atomic_write(directory / CARD_FILE, json.dumps(card, ensure_ascii=False, indent=2).encode() + b"\n")
    model.card = card
    return path


def read_card(directory: Path) -> dict[str, Any]:
    """The model card, or ModelLoadError."""
    card_path = directory / CARD_FILE
    if not (directory / MODEL_FILE).exists() and not card_path.exists():
        raise ModelLoadError(f"aucun modèle entraîné dans {directory} (lancez « mediature train »)")
    if not card_path.exists():
        raise ModelLoadError(f"fiche du modèle absente ({card_path}) : modèle inutilisable, réentraînez-le")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelLoadError(f"fiche du modèle illisible ({card_path}) : réentraînez le modèle") from err
    if not isinstance(card, dict):
        raise ModelLoadError(f"fiche du modèle invalide ({card_path}) : réentraînez le modèle")
    return card


def check_compatible(card: dict[str, Any]) -> None:
    """Refuse another format number or another scikit-learn version (major.minor)."""
    if card.get("format") != FORMAT:
        raise ModelLoadError(
            f"format de modèle {card.get('format')!r} incompatible (attendu {FORMAT}) : réentraînez avec « mediature train »"
        )
    trained = str(card.get("libraries", {}).get("scikit-learn", "?"))
    installed = library_versions()["scikit-learn"]
    if trained.split(".")[:2] != installed.split(".")[:2]:
        raise ModelLoadError(
            f"modèle entraîné avec scikit-learn {trained}, version installée {installed} : "
            "réentraînez avec « mediature train »"
        )


def _allowed(type_name: str) -> bool:
    return type_name in OWN_TYPES or type_name.startswith(LIBRARY_PREFIXES)


def load(directory: Path) -> TriageModel:
    """Load and verify the model of a folder; every failure is a ModelLoadError with a French message."""
    import skops.io as sio

    card = read_card(directory)
    check_compatible(card)
    path = directory / MODEL_FILE
    if not path.exists():
        raise ModelLoadError(f"fichier du modèle absent ({path}) : réentraînez avec « mediature train »")
    expected = str(card.get("file", {}).get("sha256", ""))
    if not expected or _sha256(path) != expected:
        raise ModelLoadError(
            f"le fichier {path.name} ne correspond pas à sa fiche (modifié ou abîmé) : il n'est pas chargé ; "
            "réentraînez avec « mediature train »"
        )
    try:
        data = path.read_bytes()
        untrusted = sio.get_untrusted_types(data=data)
        refused = [t for t in untrusted if not _allowed(t)]
        if refused:
            raise ModelLoadError(
                f"le fichier {path.name} contient des types non autorisés ({', '.join(refused[:3])}) : il n'est pas chargé"
            )
        pipelines = sio.loads(data, trusted=untrusted)
    except ModelLoadError:
        raise
    except Exception as err:  # skops raises many kinds of errors on a damaged file
        raise ModelLoadError(
            f"fichier du modèle illisible ({path.name}) : réentraînez avec « mediature train »"
        ) from err
    if not isinstance(pipelines, dict) or set(pipelines) != set(LABELS):
        raise ModelLoadError(f"le fichier {path.name} ne contient pas les trois étiquettes attendues")
    for label, pipe in pipelines.items():
        if not hasattr(pipe, "predict_proba"):
            raise ModelLoadError(f"le modèle « {label} » ne donne pas de probabilités")
    return TriageModel(pipelines=pipelines, card=card)
