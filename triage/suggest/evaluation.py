"""Evaluation glue: the combined system (rules + model + consistency) for cross-validation, and the report text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from classifiers import LABELS
from classifiers.calibration import TARGET, label_figures, sure_figures
from classifiers.evaluate import Combine, Decisions
from classifiers.model import TriageModel
from triage.suggest.extract import Extractor
from triage.suggest.rules import RuleSet
from triage.suggest.suggester import Suggester
from triage.suggest.taxonomy import Taxonomy

SYSTEM_NAMES = {
    "systeme": "Médiature (règles + modèle + cohérence)",
    "modele": "modèle seul",
    "reference": "référence : TF-IDF mots + caractères, régression logistique",
    "regles": "règles seules",
}
SHORT_NAMES = {
    "systeme": "Médiature",
    "modele": "modèle seul",
    "reference": "référence",
    "regles": "règles seules",
}
LABEL_FR = {"domain": "domaine", "admissibility": "recevabilité", "reorientation": "réorientation"}
ORDER = ["systeme", "reference", "modele", "regles"]


def decide_all(suggester: Suggester, texts: Sequence[str]) -> Decisions:
    """The final codes and confidences of the system for each text."""
    codes: dict[str, list[str]] = {label: [] for label in LABELS}
    confidence: dict[str, list[float]] = {label: [] for label in LABELS}
    for text in texts:
        decision = suggester.decide(text)
        for label in LABELS:
            codes[label].append(decision.chosen[label])
            confidence[label].append(decision.confidence[label])
    return Decisions(codes, confidence)


def system_combiner(taxonomy: Taxonomy, rules: RuleSet) -> Combine:
    """The `combine` step of classifiers.evaluate.cross_validate: what `mediature suggest` would answer."""
    extractor = Extractor(use_ner=False)

    def combine(model: TriageModel, texts: Sequence[str]) -> Decisions:
        return decide_all(Suggester(taxonomy, rules, model, extractor=extractor), texts)

    return combine


def rules_only(taxonomy: Taxonomy, rules: RuleSet, texts: Sequence[str]) -> dict[str, list[str]]:
    """Decisions of the rules alone (nothing to train: no fold needed)."""
    return decide_all(Suggester(taxonomy, rules, None, extractor=Extractor(use_ner=False)), texts).codes


def add_sure(report: dict[str, Any], thresholds: dict[str, float]) -> None:
    """Add the sure share and precision under `thresholds` to a report that kept its system decisions."""
    oof = report.get("out_of_fold")
    if not oof:
        return
    overall = sure_figures(oof["truth"], oof["codes"], oof["confidence"], thresholds)
    report["sure"] = {
        "thresholds": thresholds,
        "requests": overall.as_dict(),
        "labels": {
            label: label_figures(oof["truth"][label], oof["codes"][label], oof["confidence"][label],
                                 thresholds[label]).as_dict()
            for label in LABELS
        },
    }  # fmt: skip


def _systems(report: dict[str, Any]) -> list[str]:
    return sorted(report["systems"], key=lambda s: ORDER.index(s) if s in ORDER else len(ORDER))


def _side_by_side(report: dict[str, Any], label: str) -> list[str]:
    """Per-code precision / recall / F1 of the system and the baseline side by side, then support."""
    pair = [s for s in ("systeme", "reference") if s in report["systems"]]
    entries = [report["systems"][s][label] for s in pair]
    codes = sorted({c for e in entries for c in e["per_class"]})
    head = "".join(f" | {SHORT_NAMES[s]:^19}" for s in pair)
    out = [
        f"  {LABEL_FR[label]} ({label})",
        f"    {'':<26}{head} | {'effectif':>8}",
        f"    {'code':<26}" + f" | {'préc.':<7}{'rappel':<7}{'F1':<5}" * len(pair) + f" | {'':>8}",
    ]
    for code in codes:
        cells = ""
        support = 0
        for e in entries:
            m = e["per_class"].get(code, {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0})
            cells += f" | {m['precision']:5.3f}  {m['recall']:5.3f}  {m['f1']:5.3f}"
            support = max(support, m["support"])
        out.append(f"    {code:<26}{cells} | {support:>8d}")
    for name, key in (("macro-F1", "macro_f1"), ("exactitude", "accuracy")):
        out.append(f"    {name:<26}" + "".join(f" | {e[key]:^19.3f}" for e in entries) + " |")
    return out


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


def _sure_lines(report: dict[str, Any]) -> list[str]:
    sure = report.get("sure")
    if not sure:
        return []
    r = sure["requests"]
    head = (
        f"  « Sûr » (les trois étiquettes au-dessus de leur seuil) : {r['sure']} demandes sur {r['requests']} "
        f"({100 * r['share']:.1f} %), dont {r['correct']} entièrement justes : précision {100 * r['precision']:.1f} %"
    )
    out = [head]
    for label in LABELS:
        f = sure["labels"][label]
        out.append(
            f"    {LABEL_FR[label]:<14} seuil {sure['thresholds'][label]:.4f} : {100 * f['share']:.1f} % des "
            f"étiquettes sans « à vérifier », justes à {100 * f['precision']:.1f} %"
        )
    return out


def format_section(title: str, report: dict[str, Any], *, confusion: bool = False) -> list[str]:
    """One part of the evaluation (cross-validation or held-out writers)."""
    out = [f"== {title}", "", "  Résumé (macro-F1 / exactitude) :"]
    systems = _systems(report)
    out.append(f"    {'':<16}" + "".join(f"{SHORT_NAMES.get(s, s):>18}" for s in systems))
    for label in LABELS:
        cells = "".join(
            f"{report['systems'][s][label]['macro_f1']:>10.3f} / {report['systems'][s][label]['accuracy']:.3f}"
            for s in systems
        )
        out.append(f"    {LABEL_FR[label]:<16}{cells}")
    out += ["", *_sure_lines(report), ""]
    for label in LABELS:
        out += _side_by_side(report, label)
        if confusion:
            for s in ("systeme", "reference"):
                if s in report["systems"]:
                    out.append(f"    {SYSTEM_NAMES[s]}")
                    out += _confusion(report["systems"][s][label])
        out.append("")
    return out


def format_report(
    cross: dict[str, Any] | None, held: dict[str, Any] | None, *, confusion: bool = False
) -> str:
    """The French text printed by `mediature evaluate`."""
    out = [
        "Évaluation de Médiature face à la référence (TF-IDF mots + caractères, régression logistique),",
        "entraînées sur exactement les mêmes lettres à chaque fois.",
        "",
    ]
    if cross is not None:
        thresholds = (cross.get("sure") or {}).get("thresholds")
        if thresholds:
            out.append(
                f"Seuils « sûr » choisis sur la validation croisée groupée (cible : {100 * TARGET:.0f} % de demandes "
                "entièrement justes) : "
                + ", ".join(f"{LABEL_FR[k]} ≥ {v:.4f}" for k, v in thresholds.items())
            )
            out.append("")
        title = (
            f"Validation croisée groupée par auteur : {cross['examples']} lettres de {cross.get('writers', '?')} "
            f"auteurs, {cross['folds']} plis (aucun auteur à la fois en entraînement et en test)"
        )
        out += format_section(title, cross, confusion=confusion)
    if held is not None:
        title = f"Auteurs tenus à l'écart : {held['examples']} lettres jamais apprises ({held['protocol']})"
        out += format_section(title, held, confusion=confusion)
    return "\n".join(out).rstrip() + "\n"
