"""Text normalisation shared by the model and the cue detectors: folding accents and case, repairing OCR.

Citizens write without accents, in capitals, with phone keyboards; scans come back from OCR with
ligatures, hyphenated line breaks and stray characters. Everything that compares words folds first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

_TRANSLATE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "–": "-",
        "—": "-",
        "\u00ad": "",  # soft hyphen
    }
)
# "dé-\ncision" in OCR output and justified letters: join the word back.
_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def strip_accents(text: str) -> str:
    """Remove diacritics (é -> e, ç -> c), keep everything else."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean(text: str) -> str:
    """Normalise typography and OCR artefacts while keeping case and accents (for display and extraction)."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def fold(text: str) -> str:
    """Lower-case, accent-free, typographically normalised text: what matchers and the model see."""
    return strip_accents(clean(text)).lower()


class TextNormalizer(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """First step of every pipeline: raw text -> folded text (stateless)."""

    def fit(self, X: Iterable[str], y: Any = None) -> TextNormalizer:
        """Nothing to learn."""
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """Fold each text."""
        return np.array([fold(str(x)) for x in X], dtype=object)
