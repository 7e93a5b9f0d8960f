"""Evaluation glue: the combined system (rules + model + consistency) for cross-validation, and the report text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from classifiers import LABELS
from classifiers.evaluate import Combine
from classifiers.model import TriageModel
from triage.suggest.extract import Extractor
from triage.suggest.rules import RuleSet
from triage.suggest.suggester import Suggester
from triage.suggest.taxonomy import Taxonomy

SYSTEM_NAMES = {
    "systeme": "Médiature (règles + modèle + cohérence)",
    "modele": "modèle seul",
    "reference": "référence : TF-IDF mots + régression logistique",
    "regles": "règles seules",
}
TARGETS = {
    "domain": ("macro_f1", 0.90),
    "admissibility": ("accuracy", 0.85),
    "reorientation": ("macro_f1", 0.70),
}


def _decide_all(suggester: Suggester, texts: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {label: [] for label in LABELS}
    for text in texts:
        chosen = suggester.decide(text).chosen
        for label in LABELS:
            out[label].append(chosen[label])
    return out


def system_combiner(taxonomy: Taxonomy, rules: RuleSet) -> Combine:
    """The `combine` step of classifiers.evaluate.cross_validate: what `mediature suggest` would answer."""
    extractor = Extractor(use_ner=False)

    def combine(model: TriageModel, texts: Sequence[str]) -> dict[str, list[str]]:
        return _decide_all(Suggester(taxonomy, rules, model, extractor=extractor), texts)

    return combine


def rules_only(taxonomy: Taxonomy, rules: RuleSet, texts: Sequence[str]) -> dict[str, list[str]]:
    """Decisions of the rules alone (nothing to train: no fold needed)."""
    return _decide_all(Suggester(taxonomy, rules, None, extractor=Extractor(use_ner=False)), texts)


def _table(entry: dict[str, Any]) -> list[str]:
    lines = [f"    {'code':<28} {'précision':>9} {'rappel':>7} {'F1':>6} {'effectif':>8}"]
    for code, m in entry["per_class"].items():
        lines.append(
            f"    {code:<28} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>6.3f} {m['support']:>8d}"
        )
    return lines


def _confusion(entry: dict[str, Any]) -> list[str]:
    codes = entry["confusion"]["labels"]
    short = [c[:6] for c in codes]
    lines = [
        "    matrice de confusion (lignes : vrai, colonnes : prédit)",
        "    " + " " * 28 + " ".join(f"{s:>6}" for s in short),
    ]
    for code, row in zip(codes, entry["confusion"]["matrix"], strict=True):
        lines.append(f"    {code:<28}" + " ".join(f"{v:>6d}" for v in row))
    return lines


def format_report(report: dict[str, Any], *, confusion: bool = True) -> str:
    """The French text printed by `mediature evaluate`."""
    out = [
        f"Évaluation sur données tenues à l'écart : {report['examples']} lettres, "
        + (
            f"validation croisée stratifiée en {report['folds']} plis"
            if report.get("folds")
            else report.get("protocol", "")
        ),
        "",
        "Résumé (macro-F1 / exactitude) :",
    ]
    order = ["systeme", "modele", "reference", "regles"]
    systems = sorted(report["systems"], key=lambda s: order.index(s) if s in order else len(order))
    for label in LABELS:
        metric, target = TARGETS[label]
        cells = []
        for system in systems:
            e = report["systems"][system][label]
            cells.append(f"{system} {e['macro_f1']:.3f} / {e['accuracy']:.3f}")
        got = report["systems"].get("systeme", report["systems"][systems[0]])[label][metric]
        verdict = "atteint" if got >= target else "NON atteint"
        name = "macro-F1" if metric == "macro_f1" else "exactitude"
        out.append(f"  {label:<14} " + " | ".join(cells) + f"   objectif {name} ≥ {target:.2f} : {verdict}")
    for system in systems:
        out += ["", f"== {SYSTEM_NAMES.get(system, system)} ({system})"]
        for label in LABELS:
            e = report["systems"][system][label]
            folds = e.get("macro_f1_folds")
            spread = f", par pli {folds['mean']:.3f} ± {folds['std']:.3f}" if folds else ""
            out.append(f"  {label} : exactitude {e['accuracy']:.3f}, macro-F1 {e['macro_f1']:.3f}{spread}")
            out += _table(e)
            if confusion:
                out += _confusion(e)
    return "\n".join(out)
