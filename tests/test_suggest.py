"""Combining rules and model into one consistent suggestion, with confidences and French reasons."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from classifiers import LABELS
from triage.config import Settings
from triage.suggest.suggester import MODEL_WEIGHT, Scores, Suggester, decode, label_scores
from triage.suggest.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parent.parent
TAX = load_taxonomy()


def flat(label: str, favourite: str, p: float) -> dict[str, float]:
    codes = TAX.codes(label)
    rest = (1 - p) / (len(codes) - 1)
    return {c: p if c == favourite else rest for c in codes}


def probabilities(domain: str, adm: str, reo: str, p: float = 0.6) -> dict[str, dict[str, float]]:
    return {"domain": flat("domain", domain, p), "admissibility": flat("admissibility", adm, p),
            "reorientation": flat("reorientation", reo, p)}  # fmt: skip


def test_rule_weights_are_added_as_log_odds_to_the_tempered_model() -> None:
    probs = probabilities("pmi", "recevable", "none", 0.5)
    scores = label_scores(TAX, probs, {"domain": {"protection_enfance": 2.0}})
    expected = MODEL_WEIGHT * math.log(probs["domain"]["protection_enfance"]) + 2.0
    assert scores.values["domain"]["protection_enfance"] == pytest.approx(expected)
    assert scores.values["domain"]["pmi"] == pytest.approx(MODEL_WEIGHT * math.log(0.5))


def test_a_strong_rule_overturns_an_unsure_model_but_not_a_sure_one() -> None:
    unsure = label_scores(
        TAX, probabilities("pmi", "recevable", "none", 0.4), {"domain": {"protection_enfance": 2.5}}
    )
    assert decode(TAX, unsure)[0]["domain"] == "protection_enfance"
    sure = label_scores(
        TAX, probabilities("pmi", "recevable", "none", 0.995), {"domain": {"protection_enfance": 1.0}}
    )
    assert decode(TAX, sure)[0]["domain"] == "pmi"


def test_out_of_scope_forces_inadmissible_and_a_reorientation() -> None:
    probs = probabilities("hors_champ", "recevable", "none", 0.5)
    probs["domain"] = flat("domain", "hors_champ", 0.95)
    scores = label_scores(TAX, probs, {"reorientation": {"caf": 1.0}})
    chosen, confidence, notes = decode(TAX, scores)
    assert chosen == {"domain": "hors_champ", "admissibility": "irrecevable", "reorientation": "caf"}
    assert any("Cohérence" in n and "Irrecevable" in n for n in notes)
    assert all(0.0 <= c <= 1.0 for c in confidence.values())


def test_admissible_requests_keep_no_reorientation_unless_strongly_indicated() -> None:
    mild = label_scores(TAX, probabilities("insertion_rsa", "recevable", "caf", 0.45), {})
    assert decode(TAX, mild)[0]["reorientation"] == "none"
    strong = label_scores(
        TAX, probabilities("insertion_rsa", "recevable", "caf", 0.95), {"reorientation": {"caf": 2.5}}
    )
    assert decode(TAX, strong)[0] == {
        "domain": "insertion_rsa",
        "admissibility": "recevable",
        "reorientation": "caf",
    }


def test_confidences_are_marginals_of_the_consistent_triples() -> None:
    scores = Scores({label: {c: 0.0 for c in TAX.codes(label)} for label in LABELS})
    chosen, confidence, _ = decode(TAX, scores)
    assert 0 < confidence["domain"] < 0.2  # ten equally likely domains
    assert set(chosen) == set(LABELS)


def test_rules_only_prior_prefers_no_reorientation() -> None:
    chosen, _, _ = decode(TAX, label_scores(TAX, None, {"domain": {"pmi": 2.0}}))
    assert chosen["domain"] == "pmi" and chosen["reorientation"] == "none"


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    from tests.conftest import make_settings

    return Suggester.from_settings(make_settings(REPO / "no-home-needed"), use_ner=True)


SAMPLE = """\
Madame la Médiatrice,

Ma mère, 87 ans, vit seule à Voiron. Son APA a été réduite de moitié en janvier après une réévaluation
faite par téléphone. J'ai formé un recours gracieux le 3 février 2025 auprès du service autonomie.
Il est resté sans réponse malgré deux relances. Elle n'a plus d'aide pour la toilette.

Je vous remercie de votre aide.
Claire Mounier
"""


def test_sample_letter_is_explained_in_french(suggester: Suggester) -> None:
    s = suggester.suggest(SAMPLE)
    assert (s.domain.code, s.admissibility.code, s.reorientation.code) == (
        "autonomie_personnes_agees", "recevable", "none",
    )  # fmt: skip
    assert s.domain.confidence > 0.5 and s.admissibility.confidence > 0.5
    text = "\n".join(s.reasons)
    assert "Domaine : Autonomie – personnes âgées" in text
    assert "Règle agees-apa" in text and "« APA »" in text and "« apa »" not in text
    assert "Règle recours-sans-reponse" in text
    assert (
        "Règlement : Démarche préalable auprès du service (recours gracieux, RAPO ou réclamation écrite) le 3 février 2025"
        in text
    )
    assert (
        "Règlement : Démarche restée sans réponse" in text
        and "« Il est resté sans réponse malgré deux relances »" in text
    )
    assert s.facts is not None and s.facts.prior_outcome == "sans_reponse"
    assert s.facts is not None and s.facts.prior_date == date(2025, 2, 3)
    assert s.extracted_json()["admissibility_facts"]["prior_date"] == "2025-02-03"
    assert s.extracted.communes == ("Voiron",)
    assert s.model_version != "regles-seules" or suggester.model is None


def test_highlights_and_to_check_flags(suggester: Suggester) -> None:
    s = suggester.suggest(SAMPLE)
    assert "APA" in s.domain.highlights  # as written: the page highlights it in the letter
    sure = Suggester(
        suggester.taxonomy,
        suggester.rules,
        suggester.model,
        extractor=suggester.extractor,
        threshold=0.0,
        thresholds={},
    )
    doubtful = Suggester(
        suggester.taxonomy,
        suggester.rules,
        suggester.model,
        extractor=suggester.extractor,
        threshold=1.0,
        thresholds={},
    )
    assert not sure.suggest("bonjour").domain.to_check
    flagged = doubtful.suggest("bonjour")
    assert flagged.domain.to_check and "à vérifier" in flagged.reasons[0]


def test_each_label_is_sure_against_its_own_calibrated_threshold(suggester: Suggester) -> None:
    base = suggester.suggest(SAMPLE)
    confidence = {label: getattr(base, label).confidence for label in LABELS}
    # the domain's threshold just above its confidence, the others just below theirs
    thresholds = {label: c - 0.01 for label, c in confidence.items()} | {
        "domain": confidence["domain"] + 0.01
    }
    per_label = Suggester(
        suggester.taxonomy,
        suggester.rules,
        suggester.model,
        extractor=suggester.extractor,
        threshold=0.0,
        thresholds=thresholds,
    ).suggest(SAMPLE)
    assert per_label.domain.to_check
    assert not per_label.admissibility.to_check and not per_label.reorientation.to_check


def test_shipped_model_brings_its_calibrated_thresholds(suggester: Suggester) -> None:
    assert suggester.model is not None
    assert set(suggester.thresholds) == set(LABELS)
    assert suggester.thresholds == suggester.model.card["sure"]["thresholds"]


def test_out_of_scope_letter_goes_to_the_prefecture(suggester: Suggester) -> None:
    s = suggester.suggest(
        "Bonjour, cela fait six mois que j'essaie d'avoir un rendez-vous à la préfecture pour renouveler mon "
        "titre de séjour. Mon récépissé expire la semaine prochaine et je vais perdre mon travail."
    )
    assert (s.domain.code, s.admissibility.code, s.reorientation.code) == (
        "hors_champ",
        "irrecevable",
        "prefecture",
    )


def test_suggester_is_safe_to_share_between_threads(suggester: Suggester) -> None:
    texts = [
        SAMPLE,
        "Mon RSA est suspendu",
        "Un nid de poule sur la RD 1075 a crevé mon pneu",
        "Ma voisine fait du bruit",
    ]
    alone = [suggester.suggest(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(suggester.suggest, texts * 3))
    assert together == alone * 3


def test_from_settings_resolves_relative_folders_from_the_project(
    settings: Settings, monkeypatch, tmp_path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings.triage.rules_dir = Path("rules")
    settings.triage.model_dir = Path("models")
    s = Suggester.from_settings(settings, use_ner=False)
    assert len(s.rules) > 30
