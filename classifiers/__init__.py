"""Text classifiers for triage: train and evaluate from (texts, labels), return a versioned artifact.

This package never imports the application (`triage`): it knows texts, label names and files.
The application decides what to do when there is no usable model.

    corpus.py       labelled letters with a front-matter block -> (texts, labels)
    text.py         accent/case folding and OCR-tolerant normalisation (a transformer)
    dates.py        French dates in free text
    cues.py         structured admissibility cues (prior recourse, court, procurement, ...)
    model.py        one scikit-learn Pipeline per label, from raw text to calibrated probabilities
    persistence.py  skops file + JSON model card; every failure is a ModelLoadError
    evaluate.py     stratified cross-validation beside a plain TF-IDF + logistic regression baseline
"""

from __future__ import annotations

LABELS: tuple[str, ...] = ("domain", "admissibility", "reorientation")
