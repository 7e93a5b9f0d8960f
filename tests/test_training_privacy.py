"""Training data without people: the mediator's decisions are stored pseudonymised, and a model trained
on them has no requester's name or street among its features (while one trained on the raw texts has)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from classifiers.model import train
from classifiers.text import fold
from tests.factories import make_dossier
from triage.privacy.pseudonymise import pseudonymise
from triage.runtime import Runtime
from triage.store.audit import Actor
from triage.store.models import LabelledExample, Message
from triage.workspace.review import Labels, confirm

PEOPLE = [
    ("Jeanne Dupraz-Vernet", "14 chemin des Tilleuls", "38500", "Voiron", "06 12 34 56 78"),
    ("Marcel Quintanilla", "3 rue Abel Servien", "38000", "Grenoble", "07 98 76 54 32"),
    ("Odile Brisebarre", "27 avenue Marcellin Berthelot", "38100", "Grenoble", "04 76 22 33 44"),
    ("Yannick Lhermitte", "5 allée des Charmilles", "38400", "Saint-Martin-d'Hères", "06 55 44 33 22"),
]
TOPICS = [
    (
        Labels("autonomie_personnes_agees", "recevable", "none"),
        "Le Département a refusé mon allocation personnalisée d'autonomie et le service ne répond pas.",
    ),
    (
        Labels("insertion_rsa", "prematuree", "caf"),
        "Mon RSA est suspendu depuis trois mois, je n'ai pas encore écrit au service insertion.",
    ),
]


def _letter(person: tuple[str, ...], topic: str) -> str:
    name, street, postcode, commune, phone = person
    return (
        f"Bonjour,\nJe suis {name}, née le 3 mars 1951, domiciliée {street}, {postcode} {commune}. {topic}\n"
        f"Mon téléphone : {phone}.\nCordialement,\n{name}"
    )


def _decide_all(rt: Runtime) -> list[str]:
    raw = []
    n = 0
    with rt.sessions.begin() as s:
        for person in PEOPLE:
            for repeat in range(3):
                for labels, topic in TOPICS:
                    n += 1
                    name, street, postcode, commune, phone = person
                    dossier, _ = make_dossier(
                        s,
                        f"MED-2026-{n:05d}",
                        name=name,
                        address=street,
                        postcode=postcode,
                        commune=commune,
                        email=f"p{n}@exemple.example",
                    )
                    dossier.requester_phone = phone
                    text = _letter(person, topic) + f"\n(courrier {repeat})"
                    raw.append(text)
                    digest = hashlib.sha256(text.encode()).hexdigest()
                    s.add(
                        Message(
                            dossier_id=dossier.id,
                            channel="email",
                            kind="request",
                            role="request",
                            source="eml",
                            dedupe_key=digest,
                            content_hash=digest,
                            body_text=text,
                        )
                    )
                    s.flush()
                    confirm(s, rt.settings, dossier, labels, Actor(None, "mediatrice"))
    return raw


def _labels_of(rt: Runtime) -> tuple[list[str], dict[str, list[str]]]:
    with rt.sessions() as s:
        rows = s.scalars(select(LabelledExample).order_by(LabelledExample.id)).all()
    texts = [r.text for r in rows]
    labels = {k: [getattr(r, k) for r in rows] for k in ("domain", "admissibility", "reorientation")}
    return texts, labels


def _features(model: Any) -> set[str]:
    out: set[str] = set()
    for pipeline in model.pipelines.values():
        for name, vectorizer in pipeline.named_steps["features"].transformer_list:
            if name in ("words", "chars"):
                out |= set(vectorizer.get_feature_names_out())
    return out


def _identifying_words() -> set[str]:
    words = set()
    for name, street, _postcode, _commune, phone in PEOPLE:
        words |= {w for w in fold(f"{name} {street}").replace("-", " ").split() if len(w) > 4}
        words.add(fold(phone.split()[1]) + " " + fold(phone.split()[2]))
    return words - {"chemin", "avenue", "allee", "marcellin"} | {"quintanilla", "brisebarre", "tilleuls"}


def test_examples_are_stored_without_names_addresses_phones_or_birth_dates(sqlite_runtime: Runtime) -> None:
    _decide_all(sqlite_runtime)
    texts, _ = _labels_of(sqlite_runtime)
    assert len(texts) == 24
    for text in texts:
        for name, street, _postcode, _commune, phone in PEOPLE:
            assert name.split()[-1] not in text and street not in text and phone not in text
        assert "1951" not in text and "[NOM]" in text and "[ADRESSE]" in text and "[TELEPHONE]" in text


def test_a_model_trained_on_the_decisions_has_no_requester_name_or_street_among_its_features(
    sqlite_runtime: Runtime,
) -> None:
    raw = _decide_all(sqlite_runtime)
    texts, labels = _labels_of(sqlite_runtime)
    identifying = _identifying_words()
    leaked = {w for w in identifying if w in _features(train(texts, labels))}
    assert leaked == set()
    # the same training on the texts as written does learn them: the check above can fail
    assert {w for w in identifying if w in _features(train(raw, labels))}


def test_pseudonymise_leaves_the_words_of_the_request() -> None:
    text = pseudonymise("Je conteste le refus de PCH de la MDPH du 12 janvier, montant 1200 euros.")
    assert text == "Je conteste le refus de PCH de la MDPH du 12 janvier, montant 1200 euros."
