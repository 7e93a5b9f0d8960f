"""Held-out evaluation: stratified K-fold cross-validation, never scoring a text the model was trained on.

Each fold trains the production pipelines and the plain baseline on the same training part and predicts
the same held-out part; out-of-fold predictions are pooled and scored per label (precision, recall, F1
per code, macro-F1, accuracy, confusion matrix). An optional `combine` step turns a fold's model into
final decisions (the application adds its rules and consistency constraints there), so the whole
system is scored on held-out data too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from classifiers import LABELS
from classifiers.model import RANDOM_STATE, TriageModel, build_baseline, build_pipeline, fit_quietly

Predictions = dict[str, list[str]]
Combine = Callable[[TriageModel, Sequence[str]], Predictions]


def stratification_key(labels: Mapping[str, Sequence[str]]) -> list[str]:
    """Fold on the rare reorientation targets first, then on the domain for the rest."""
    keys = [
        r if r != "none" else f"none:{d}"
        for d, r in zip(labels["domain"], labels["reorientation"], strict=True)
    ]
    counts = Counter(keys)
    return [k if counts[k] >= 5 else labels["reorientation"][i] for i, k in enumerate(keys)]


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


def cross_validate(
    texts: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    *,
    n_splits: int = 5,
    combine: Combine | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Out-of-fold scores of the model, of the baseline and (if given) of the combined system."""
    texts = list(texts)
    labels = {k: list(v) for k, v in labels.items()}
    keys = stratification_key(labels)
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=RANDOM_STATE)
    systems = ["modele", "reference"] + (["systeme"] if combine else [])
    pooled: dict[str, dict[str, list[str | None]]] = {
        s: {label: [None] * len(texts) for label in LABELS} for s in systems
    }
    fold_macro: dict[str, dict[str, list[float]]] = {s: {label: [] for label in LABELS} for s in systems}
    for k, (train_idx, test_idx) in enumerate(folds.split(texts, keys)):
        if progress:
            progress(k + 1, n_splits)
        tr_texts = [texts[i] for i in train_idx]
        te_texts = [texts[i] for i in test_idx]
        tr_labels = {label: [labels[label][i] for i in train_idx] for label in LABELS}
        model = _fit_model(build_pipeline, tr_texts, tr_labels)
        baseline = _fit_model(build_baseline, tr_texts, tr_labels)
        fold_preds = {"modele": _predict(model, te_texts), "reference": _predict(baseline, te_texts)}
        if combine:
            fold_preds["systeme"] = combine(model, te_texts)
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
    report: dict[str, Any] = {"examples": len(texts), "folds": n_splits, "systems": {}}
    for system in systems:
        report["systems"][system] = {}
        for label in LABELS:
            predicted = [str(p) for p in pooled[system][label]]
            entry = score(labels[label], predicted)
            entry["macro_f1_folds"] = {
                "mean": float(np.mean(fold_macro[system][label])),
                "std": float(np.std(fold_macro[system][label])),
            }
            report["systems"][system][label] = entry
    return report


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The figures the model card keeps: macro-F1 and accuracy per label and system."""
    return {
        system: {
            label: {"macro_f1": round(v["macro_f1"], 4), "accuracy": round(v["accuracy"], 4)}
            for label, v in labels.items()
        }
        for system, labels in report["systems"].items()
    } | {"examples": report["examples"], "folds": report["folds"]}


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
    if combine:
        preds["systeme"] = combine(model, test_texts)
    report: dict[str, Any] = {
        "examples": len(test_texts),
        "folds": 0,
        "protocol": f"jeu tenu à l'écart, entraînement sur {len(texts)} lettres",
        "systems": {},
    }
    for system, p in preds.items():
        report["systems"][system] = {label: score(list(test_labels[label]), p[label]) for label in LABELS}
    return report
