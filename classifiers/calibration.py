"""Thresholds that make « sûr » mean sure, chosen on decisions about writers the model never saw.

A request is *sure* when each of its three labels reaches that label's threshold; the mediator's bulk
button accepts sure requests and `mediature suggest` says `to_check: false` for them. The thresholds are
chosen on out-of-fold decisions of a cross-validation grouped by writer (the model had never read a
line of the writers it was deciding for), as the largest share of sure requests whose three labels are
all right at least TARGET of the time. One error is added to the count before comparing with TARGET, so
that a handful of lucky requests cannot make a threshold look safe.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from classifiers import LABELS

TARGET = 0.97
CANDIDATES = 40  # thresholds tried per label (quantiles of the observed confidences)
NEVER = 1.01  # a threshold no confidence reaches: nothing is sure


@dataclass(frozen=True)
class SureFigures:
    """How many requests are sure and how many of those have their three labels right."""

    requests: int
    sure: int
    correct: int

    @property
    def share(self) -> float:
        """Share of the requests that are sure."""
        return self.sure / self.requests if self.requests else 0.0

    @property
    def precision(self) -> float:
        """Share of the sure requests whose three labels are right (1.0 when none is sure)."""
        return self.correct / self.sure if self.sure else 1.0

    def as_dict(self) -> dict[str, float | int]:
        """For the JSON report and the model card."""
        return {
            "requests": self.requests,
            "sure": self.sure,
            "correct": self.correct,
            "share": round(self.share, 4),
            "precision": round(self.precision, 4),
        }


def _arrays(
    truth: Mapping[str, Sequence[str]],
    predicted: Mapping[str, Sequence[str]],
    confidence: Mapping[str, Sequence[float]],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    right = {label: np.asarray(truth[label]) == np.asarray(predicted[label]) for label in LABELS}
    conf = {label: np.asarray(confidence[label], dtype=float) for label in LABELS}
    return right, conf


def sure_figures(
    truth: Mapping[str, Sequence[str]],
    predicted: Mapping[str, Sequence[str]],
    confidence: Mapping[str, Sequence[float]],
    thresholds: Mapping[str, float],
) -> SureFigures:
    """Sure share and precision of decisions under given per-label thresholds."""
    right, conf = _arrays(truth, predicted, confidence)
    n = len(right[LABELS[0]])
    sure = np.ones(n, dtype=bool)
    correct = np.ones(n, dtype=bool)
    for label in LABELS:
        sure &= conf[label] >= thresholds[label]
        correct &= right[label]
    return SureFigures(n, int(sure.sum()), int((sure & correct).sum()))


def label_figures(
    truth: Sequence[str], predicted: Sequence[str], confidence: Sequence[float], threshold: float
) -> SureFigures:
    """Share and precision of the labels of one kind that reach their threshold (`to_check: false`)."""
    right = np.asarray(truth) == np.asarray(predicted)
    sure = np.asarray(confidence, dtype=float) >= threshold
    return SureFigures(len(right), int(sure.sum()), int((sure & right).sum()))


def _candidates(values: np.ndarray) -> np.ndarray:
    qs = np.unique(np.quantile(values, np.linspace(0.0, 1.0, CANDIDATES))) if len(values) else np.array([])
    return np.concatenate([qs, [NEVER]])


def choose_thresholds(
    truth: Mapping[str, Sequence[str]],
    predicted: Mapping[str, Sequence[str]],
    confidence: Mapping[str, Sequence[float]],
    target: float = TARGET,
) -> dict[str, float]:
    """Per-label thresholds giving the most sure requests with (correct) / (sure + 1) ≥ target."""
    right, conf = _arrays(truth, predicted, confidence)
    all_right = np.logical_and.reduce([right[label] for label in LABELS])
    grids = [_candidates(conf[label]) for label in LABELS]
    # masks[k][i, j]: request j reaches candidate threshold i of label k
    masks = [conf[label][None, :] >= grid[:, None] for label, grid in zip(LABELS, grids, strict=True)]
    best: tuple[int, float, float] = (0, 0.0, 0.0)  # (sure count, precision, sum of thresholds)
    chosen = {label: NEVER for label in LABELS}
    for i, ti in enumerate(grids[0]):
        ab = masks[0][i][None, :] & masks[1]  # (len(grid1), n)
        for k, tk in enumerate(grids[2]):
            sure = ab & masks[2][k][None, :]
            counts = sure.sum(axis=1)
            good = (sure & all_right[None, :]).sum(axis=1)
            ok = good >= target * (counts + 1)
            for j in np.flatnonzero(ok):
                candidate = (
                    int(counts[j]),
                    float(good[j] / counts[j]) if counts[j] else 1.0,
                    -(ti + grids[1][j] + tk),
                )
                if candidate > best:
                    best = candidate
                    chosen = {LABELS[0]: float(ti), LABELS[1]: float(grids[1][j]), LABELS[2]: float(tk)}
    # rounded up: a rounded-down threshold would let slightly less sure labels through
    return {label: math.ceil(value * 10000) / 10000 for label, value in chosen.items()}
