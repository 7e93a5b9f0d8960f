"""Held-out evaluation that measures generalisation to new writers.

Cross-validation is grouped by writer (StratifiedGroupKFold): no writer has a letter both in a fold's
training part and in its test part, so the model is scored on ways of writing it has never read. Each
fold trains the production pipelines and the plain baseline (TF-IDF words + characters, logistic
regression) on the same training part and predicts the same test part; an optional `combine` step turns
a fold's model into the application's final decisions with their confidences (rules + model +
consistency), so the whole system is scored, and its out-of-fold confidences calibrate « sûr »
(classifiers.calibration). `holdout` trains on everything and scores a set of writers never used for
anything else.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold

from classifiers import LABELS
from classifiers.model import RANDOM_STATE, TriageModel, build_baseline, build_pipeline, fit_quietly

Predictions = dict[str, list[str]]


@dataclass(frozen=True)
class Decisions:
    """Final codes and their confidences, per label, for a list of texts."""

    codes: Predictions
    confidence: dict[str, list[float]]


Combine = Callable[[TriageModel, Sequence[str]], Decisions]


def stratification_key(labels: Mapping[str, Sequence[str]]) -> list[str]:
    """Fold on the rare reorientation targets first, then on the domain for the rest."""
    keys = [
        r if r != "none" else f"none:{d}"
        for d, r in zip(labels["domain"], labels["reorientation"], strict=True)
    ]
    counts = Counter(keys)
    return [k if counts[k] >= 5 else labels["reorientation"][i] for i, k in enumerate(keys)]


def grouped_folds(
    labels: Mapping[str, Sequence[str]], groups: Sequence[str], n_splits: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds with no writer on both sides, as balanced in labels as the groups allow (seeded)."""
    keys = stratification_key(labels)
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=RANDOM_STATE)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        return list(folds.split(np.zeros(len(keys)), keys, list(groups)))


def _fit_model(
    builder: Callable[[str, Sequence[str]], Any], texts: list[str], labels: dict[str, list[str]]
) -> TriageModel:
    return TriageModel(
        {label: fit_quietly(builder(label, labels[label]), texts, labels[label]) for label in LABELS}
    )


def _predict(model: TriageModel, texts: Sequence[str]) -> Predictions:
    return {label: [str(p) for p in pipe.predict(list(texts))] for label, pipe in model.pipelines.items()}


def score(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Per-code precision/recall/F1/support, macro-F1, accuracy and the confusion matrix."""
    codes = sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=codes, zero_division=0)
    per_class = {
        c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
        for i, c in enumerate(codes)
    }
    true_codes = sorted(set(y_true))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        # macro over the codes that really occur: a code only ever predicted wrongly still costs precision
        "macro_f1": float(f1_score(y_true, y_pred, labels=true_codes, average="macro", zero_division=0)),
        "per_class": per_class,
        "confusion": {"labels": codes, "matrix": confusion_matrix(y_true, y_pred, labels=codes).tolist()},
    }


def _scored(
    truth: Mapping[str, Sequence[str]], predictions: Mapping[str, Predictions]
) -> dict[str, dict[str, Any]]:
    return {
        system: {label: score(list(truth[label]), preds[label]) for label in LABELS}
        for system, preds in predictions.items()
    }


def cross_validate(
    texts: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    groups: Sequence[str] | None = None,
    *,
    n_splits: int = 5,
    combine: Combine | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Out-of-fold scores of the model, of the baseline and (if given) of the combined system.

    `groups` names each text's writer (default: every text its own writer). The report keeps the
    system's out-of-fold decisions and confidences under « out_of_fold » for calibration.
    """
    texts = list(texts)
    labels = {k: list(v) for k, v in labels.items()}
    groups = list(groups) if groups is not None else [str(i) for i in range(len(texts))]
    systems = ["modele", "reference"] + (["systeme"] if combine else [])
    pooled: dict[str, dict[str, list[str]]] = {
        s: {label: [""] * len(texts) for label in LABELS} for s in systems
    }
    confidence = {label: [0.0] * len(texts) for label in LABELS}
    fold_macro: dict[str, dict[str, list[float]]] = {s: {label: [] for label in LABELS} for s in systems}
    folds = grouped_folds(labels, groups, n_splits)
    for k, (train_idx, test_idx) in enumerate(folds):
        if progress:
            progress(k + 1, len(folds))
        tr_texts = [texts[i] for i in train_idx]
        te_texts = [texts[i] for i in test_idx]
        tr_labels = {label: [labels[label][i] for i in train_idx] for label in LABELS}
        model = _fit_model(build_pipeline, tr_texts, tr_labels)
        baseline = _fit_model(build_baseline, tr_texts, tr_labels)
        fold_preds = {"modele": _predict(model, te_texts), "reference": _predict(baseline, te_texts)}
        if combine:
            decided = combine(model, te_texts)
            fold_preds["systeme"] = decided.codes
            for label in LABELS:
                for j, i in enumerate(test_idx):
                    confidence[label][i] = decided.confidence[label][j]
        for system, preds in fold_preds.items():
            for label in LABELS:
                truth = [labels[label][i] for i in test_idx]
                fold_macro[system][label].append(
                    float(
                        f1_score(
                            truth, preds[label], labels=sorted(set(truth)), average="macro", zero_division=0
                        )
                    )
                )
                for j, i in enumerate(test_idx):
                    pooled[system][label][i] = preds[label][j]
    report: dict[str, Any] = {
        "examples": len(texts),
        "writers": len(set(groups)),
        "folds": len(folds),
        "protocol": f"validation croisée groupée par auteur en {len(folds)} plis",
        "systems": _scored(labels, pooled),
    }
    for system in systems:
        for label in LABELS:
            report["systems"][system][label]["macro_f1_folds"] = {
                "mean": float(np.mean(fold_macro[system][label])),
                "std": float(np.std(fold_macro[system][label])),
            }
    if combine:
        report["out_of_fold"] = {"truth": labels, "codes": pooled["systeme"], "confidence": confidence}
    return report


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The figures the model card keeps: macro-F1 and accuracy per label and system."""
    return {
        system: {
            label: {"macro_f1": round(v["macro_f1"], 4), "accuracy": round(v["accuracy"], 4)}
            for label, v in labels.items()
        }
        for system, labels in report["systems"].items()
    } | {"examples": report["examples"], "folds": report["folds"], "writers": report.get("writers")}


def holdout(
    texts: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    test_texts: Sequence[str],
    test_labels: Mapping[str, Sequence[str]],
    *,
    combine: Combine | None = None,
) -> dict[str, Any]:
    """Train on one set, score on a fixed held-out set never used for training (model, baseline, system)."""
    train_labels = {k: list(v) for k, v in labels.items()}
    model = _fit_model(build_pipeline, list(texts), train_labels)
    baseline = _fit_model(build_baseline, list(texts), train_labels)
    preds = {"modele": _predict(model, test_texts), "reference": _predict(baseline, test_texts)}
    decided = combine(model, test_texts) if combine else None
    if decided is not None:
        preds["systeme"] = decided.codes
    report: dict[str, Any] = {
        "examples": len(test_texts),
        "folds": 0,
        "protocol": f"auteurs tenus à l'écart, entraînement sur {len(texts)} lettres",
        "systems": _scored(test_labels, preds),
    }
    if decided is not None:
        truth = {label: list(test_labels[label]) for label in LABELS}
        report["out_of_fold"] = {"truth": truth, "codes": decided.codes, "confidence": decided.confidence}
    return report
