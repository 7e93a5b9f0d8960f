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
from sklearn.feature_extraction.text import TfidfVectorizer

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


class TextNormalizer(BaseEstimator, TransformerMixin):
    """First step of every pipeline: raw text -> folded text (stateless)."""

    def fit(self, X: Iterable[str], y: Any = None) -> TextNormalizer:
        """Nothing to learn."""
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """Fold each text."""
        return np.array([fold(str(x)) for x in X], dtype=object)


_MEMO: dict[tuple[Any, str], tuple[str, ...]] = {}
_MEMO_SIZE = 32


def _memo(key: Any, doc: str, analyze: Any) -> tuple[str, ...]:
    # a tiny cache of the last documents' n-grams (dict operations are atomic: safe across threads)
    found = _MEMO.get((key, doc))
    if found is None:
        found = tuple(analyze(doc))
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[(key, doc)] = found
    return found


class CompactTfidfVectorizer(TfidfVectorizer):
    """TfidfVectorizer whose saved form is small and fast to load.

    skops writes a Python dict entry by entry: a 60,000-term vocabulary took minutes and tens of MB.
    The vocabulary is kept as one NumPy string array (`terms_`, rebuilt into the dict on load), and
    `stop_words_` (every pruned term, « only for introspection » says scikit-learn) is dropped.
    """

    def build_analyzer(self) -> Any:
        """The analyzer, memoised per document: the three label pipelines split the same text the same way."""
        analyze = super().build_analyzer()
        if not isinstance(self.analyzer, str) or self.preprocessor is not None or self.tokenizer is not None:
            return analyze
        stop = (
            tuple(sorted(self.stop_words))
            if isinstance(self.stop_words, list | set | frozenset)
            else self.stop_words
        )
        key = (self.analyzer, self.ngram_range, self.lowercase, self.token_pattern, self.strip_accents, stop)

        def cached(doc: str) -> list[str]:
            return list(_memo(key, doc, analyze))

        return cached

    def fit(self, raw_documents: Any, y: Any = None) -> CompactTfidfVectorizer:
        """Fit, then compact the vocabulary."""
        super().fit(raw_documents, y)
        self._compact()
        return self

    def fit_transform(self, raw_documents: Any, y: Any = None) -> Any:
        """Fit and transform, then compact the vocabulary."""
        out = super().fit_transform(raw_documents, y)
        self._compact()
        return out

    def _compact(self) -> None:
        if hasattr(self, "stop_words_"):
            del self.stop_words_
        vocabulary: dict[str, int] = self.__dict__["vocabulary_"]
        width = max((len(t) for t in vocabulary), default=1)
        terms = np.empty(len(vocabulary), dtype=f"<U{width}")
        for term, index in vocabulary.items():
            terms[index] = term
        self.terms_ = terms

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        if "terms_" in state:
            state.pop("vocabulary_", None)
        state.pop("stop_words_", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "terms_" in state and "vocabulary_" not in state:
            self.vocabulary_ = {str(t): i for i, t in enumerate(self.terms_)}
