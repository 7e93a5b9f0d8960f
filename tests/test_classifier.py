"""The classifiers package: corpus loading, determinism, robustness to spelling, honest cross-validation."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from classifiers import LABELS
from classifiers.corpus import CorpusError, columns, data_hash, load_corpus, parse_example
from classifiers.evaluate import Decisions, cross_validate, grouped_folds
from classifiers.model import TriageModel, build_pipeline, fit_quietly, train
from classifiers.text import fold

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "data" / "samples" / "corpus"


def small_training_set(per_code: int = 4) -> tuple[list[str], dict[str, list[str]]]:
    """A few corpus letters such that every code of every label appears `per_code` times (when it can)."""
    counts: dict[tuple[str, str], int] = {}
    chosen = []
    for example in load_corpus(CORPUS):
        if any(counts.get((label, example.labels[label]), 0) < per_code for label in LABELS):
            chosen.append(example)
            for label in LABELS:
                counts[(label, example.labels[label])] = counts.get((label, example.labels[label]), 0) + 1
    return columns(chosen)


@pytest.fixture(scope="session")
def small_model() -> TriageModel:
    texts, labels = small_training_set()
    return train(texts, labels)


def test_classifiers_package_never_imports_triage() -> None:
    for path in (REPO / "classifiers").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "triage" or n.startswith("triage.") for n in names), path


def test_front_matter_is_split_from_the_text() -> None:
    example = parse_example(
        "---\ndomain: pmi\nadmissibility: prematuree\nreorientation: none\nwriter: x\n---\nBonjour", "a.txt"
    )
    assert example.text == "Bonjour"
    assert example.labels == {"domain": "pmi", "admissibility": "prematuree", "reorientation": "none"}
    assert example.meta == {"writer": "x"}


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("Bonjour", "bloc d'en-tête"),
        ("---\ndomain: pmi\n", "non refermé"),
        ("---\ndomain: pmi\n---\nBonjour", "étiquette(s) manquante(s)"),
        ("---\ndomain: pmi\nadmissibility: recevable\nreorientation: none\n---\n  ", "texte vide"),
    ],
)
def test_malformed_corpus_file_is_reported_in_french(raw: str, words: str) -> None:
    with pytest.raises(CorpusError, match="a.txt") as err:
        parse_example(raw, "a.txt")
    assert words in str(err.value)


def test_shipped_corpus_loads_with_every_code() -> None:
    texts, labels = columns(load_corpus(CORPUS))
    assert len(texts) >= 500
    assert len(set(labels["domain"])) == 10
    assert len(set(labels["reorientation"])) == 11


def test_data_hash_changes_with_a_single_label() -> None:
    labels = {
        "domain": ["pmi", "pmi"],
        "admissibility": ["recevable", "recevable"],
        "reorientation": ["none", "none"],
    }
    first = data_hash(["a", "b"], labels)
    assert first == data_hash(["a", "b"], {k: list(v) for k, v in labels.items()})
    labels["reorientation"][1] = "caf"
    assert data_hash(["a", "b"], labels) != first


def test_folding_removes_accents_case_and_ocr_hyphenation() -> None:
    assert (
        fold("DÉCISION de la Maison de l’Autonomie, dé-\ncision œuvre")
        == "decision de la maison de l'autonomie, decision oeuvre"
    )


def test_training_twice_gives_the_same_model(small_model: TriageModel) -> None:
    texts, labels = small_training_set()
    again = train(texts, labels)
    letter = "Ma PCH a été réduite et mon recours gracieux est resté sans réponse."
    assert again.predict_proba(letter) == small_model.predict_proba(letter)
    assert again.card["training_data"]["sha256"] == small_model.card["training_data"]["sha256"]


def test_probabilities_are_calibrated_distributions(small_model: TriageModel) -> None:
    proba = small_model.predict_proba("Le RSA de mon fils a été suspendu sans explication")
    for label in LABELS:
        assert set(proba[label]) == set(small_model.classes(label))
        assert sum(proba[label].values()) == pytest.approx(1.0)
        assert all(0.0 <= p <= 1.0 for p in proba[label].values())


def test_capitals_and_missing_accents_do_not_change_the_prediction(small_model: TriageModel) -> None:
    plain = "Ma mère est en EHPAD, la facture de dépendance a augmenté sans explication."
    shouted = "MA MERE EST EN EHPAD, LA FACTURE DE DEPENDANCE A AUGMENTE SANS EXPLICATION."
    a, b = small_model.predict_proba(plain), small_model.predict_proba(shouted)
    for label in LABELS:
        assert a[label] == pytest.approx(b[label])


def test_model_card_records_data_labels_and_libraries(small_model: TriageModel) -> None:
    card = small_model.card
    assert card["format"] == 1 and card["version"].startswith("triage-")
    assert len(card["training_data"]["sha256"]) == 64
    assert set(card["labels"]) == set(LABELS)
    assert {"scikit-learn", "numpy", "scipy", "skops", "python"} <= set(card["libraries"])


def test_top_terms_are_readable_words_or_cues(small_model: TriageModel) -> None:
    analysis = small_model.analyse("Mon RSA a été suspendu, j'ai écrit au service sans réponse.")
    terms = small_model.top_terms(analysis, "domain", "insertion_rsa")
    assert terms and all(name.startswith("«") or " " in name for name, _ in terms)
    assert all(weight > 0 for _, weight in terms)
    for code in small_model.classes("admissibility"):  # two or more classes: every code can be explained
        assert isinstance(small_model.top_terms(analysis, "admissibility", code), list)


def test_analysis_gives_the_pipelines_own_probabilities(small_model: TriageModel) -> None:
    text = "La PMI a retiré mon agrément d'assistante maternelle"
    analysis = small_model.analyse(text)
    for label, pipe in small_model.pipelines.items():
        expected = dict(zip(pipe.classes_, pipe.predict_proba([text])[0], strict=True))
        assert analysis.probabilities[label] == pytest.approx(expected)


def test_cross_validation_never_scores_a_text_it_trained_on() -> None:
    # random labels: a model scored on its own training texts would look perfect; held out it is at chance
    rng = random.Random(7)
    words = [
        "dossier",
        "aide",
        "service",
        "courrier",
        "demande",
        "refus",
        "mairie",
        "route",
        "enfant",
        "famille",
    ]
    texts = [" ".join(rng.choice(words) for _ in range(12)) + f" lettre{i}" for i in range(80)]
    y = [rng.choice(["a", "b"]) for _ in texts]
    labels = {"domain": y, "admissibility": y, "reorientation": y}
    fitted = fit_quietly(build_pipeline("domain", y), texts, y)
    assert (fitted.predict(texts) == y).mean() > 0.9
    seen: list[str] = []

    def combine(model, held_out):
        seen.extend(held_out)
        codes = {label: [str(p) for p in model.pipelines[label].predict(list(held_out))] for label in LABELS}
        return Decisions(codes, {label: [1.0] * len(held_out) for label in LABELS})

    report = cross_validate(texts, labels, n_splits=4, combine=combine)
    assert sorted(seen) == sorted(texts)  # every text held out exactly once
    assert report["systems"]["modele"]["domain"]["accuracy"] < 0.7
    assert set(report["systems"]) == {"modele", "reference", "systeme"}


def test_grouped_folds_never_put_one_writer_on_both_sides() -> None:
    writers = [f"w{i // 3}" for i in range(60)]  # twenty writers of three letters each
    codes = ["a", "b", "c"] * 20
    labels = {"domain": codes, "admissibility": codes, "reorientation": ["none"] * 60}
    folds = grouped_folds(labels, writers, 5)
    assert len(folds) == 5
    tested = sorted(i for _, test in folds for i in test)
    assert tested == list(range(60))
    for train_idx, test_idx in folds:
        assert not {writers[i] for i in train_idx} & {writers[i] for i in test_idx}


def test_writer_group_comes_from_writer_id_else_description_else_file() -> None:
    head = "---\ndomain: pmi\nadmissibility: recevable\nreorientation: none\n"
    with_id = parse_example(head + "writer_id: mme-b\nwriter: dame âgée\n---\nTexte", "a.txt")
    described = parse_example(head + "writer: Dame  âgée\n---\nTexte", "b.txt")
    bare = parse_example(head + "---\nTexte", "c.txt")
    assert with_id.writer == "id:mme-b"
    assert described.writer == "writer:dame âgée"
    assert bare.writer == "file:c.txt"
