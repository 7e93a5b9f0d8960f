"""The règlement's facts (art. 11 and 12) and the bodies in cause, each quoted from the request."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from triage.errors import RulesError
from triage.records import WebForm
from triage.suggest.bodies import DEPARTEMENT, body_weights, load_gazetteer
from triage.suggest.facts import fact_weights, find_facts
from triage.suggest.taxonomy import load_taxonomy

TAX = load_taxonomy()
GAZ = load_gazetteer(None, TAX)


def test_unanswered_recourse_is_dated_and_quoted() -> None:
    facts = find_facts(
        "Grenoble, le 4 juin 2025\nJ'ai formé un recours gracieux le 3 février 2025 contre la baisse de l'APA. "
        "Il est resté sans réponse malgré deux relances."
    )
    assert facts.prior_step and facts.prior_outcome == "sans_reponse"
    assert facts.prior_date == date(2025, 2, 3) and facts.months_elapsed == 4.0
    sentences = facts.sentences()
    assert any("le 3 février 2025" in s and "« J'ai formé un recours gracieux" in s for s in sentences)
    assert any(s.startswith("Démarche restée sans réponse, depuis 4 mois") for s in sentences)
    assert fact_weights(facts)["admissibility"]["recevable"] > 0


def test_recourse_younger_than_two_months_leaves_the_delay_running() -> None:
    facts = find_facts(
        "Voiron, le 20 mars 2025\nJ'ai envoyé un recours gracieux le 1er mars 2025, toujours sans réponse."
    )
    assert "delay_running" in facts.codes()
    assert fact_weights(facts)["admissibility"]["prematuree"] > 0


def test_refusal_is_an_answered_step() -> None:
    facts = find_facts("Mon recours gracieux a été rejeté par courrier du 9 avril.")
    assert facts.prior_outcome == "refus" and "prior_refused" in facts.codes()


def test_first_complaint_has_no_prior_step() -> None:
    facts = find_facts("Je viens de recevoir la décision de suppression de mon RSA et je la conteste.")
    assert not facts.prior_step and "first_contact" in facts.codes()
    assert fact_weights(facts)["admissibility"]["prematuree"] > 0


@pytest.mark.parametrize(
    ("text", "court", "code"),
    [
        ("Le juge des enfants a décidé le placement de mon fils en mars.", "jugee", "court_decided"),
        ("Mon avocat a saisi le tribunal administratif la semaine dernière.", "en_cours", "court_pending"),
        ("Avant de saisir le tribunal, je tente la voie amiable.", "envisagee", "court_envisaged"),
    ],
)
def test_court_case_decided_pending_or_only_envisaged(text: str, court: str, code: str) -> None:
    facts = find_facts(text)
    assert facts.court == court and code in facts.codes()


def test_private_and_agent_disputes_are_excluded_by_article_12() -> None:
    assert "private_dispute" in find_facts("Mon voisin a planté une haie qui empiète chez moi.").codes()
    agent = find_facts("Je suis agente du Département et ma hiérarchie refuse ma mutation.")
    assert "agent_dispute" in agent.codes() and fact_weights(agent)["admissibility"]["irrecevable"] > 0


def test_old_facts_ask_to_check_the_time_limits() -> None:
    facts = find_facts("Crolles, le 2 mai 2025\nEn mars 2019, le Département m'a réclamé un indu de RSA.")
    old = [f for f in facts.facts if f.code == "old_dispute"]
    assert old and old[0].when == date(2019, 3, 1) and "mars 2019" in old[0].quote


def test_web_form_prior_steps_field_counts() -> None:
    form = WebForm(prior_steps="Recours gracieux envoyé le 2 janvier 2025, sans réponse à ce jour")
    facts = find_facts("Ma PCH a été supprimée.", form=form, today=date(2025, 5, 1))
    assert facts.prior_step and facts.prior_outcome == "sans_reponse"


def test_body_in_cause_is_found_by_name_acronym_or_context() -> None:
    bodies = {b.code: b for b in GAZ.find(
        "La CAF m'a coupé les APL. Mon bailleur ne répare pas la fuite. Ma fille est au lycée."
    )}  # fmt: skip
    assert bodies["caf"].responsible and bodies["caf"].quote == "La CAF m'a coupé les APL"
    assert bodies["bailleur_social"].responsible
    assert "region" in bodies and not bodies["region"].responsible


def test_acronyms_are_read_in_capitals_only() -> None:
    assert not [b for b in GAZ.find("Cette phrase est étrange, je la case où ?") if b.code == DEPARTEMENT]
    assert [b for b in GAZ.find("L'ASE a placé mon fils.") if b.code == DEPARTEMENT]


def test_another_body_in_cause_without_the_departement_points_out_of_scope() -> None:
    outside = body_weights(GAZ.find("La mairie a refusé mon permis de construire."), TAX)
    assert outside["domain"]["hors_champ"] > 0 and outside["reorientation"]["commune"] > 0
    inside = body_weights(GAZ.find("La MDPH a refusé la PCH de mon fils."), TAX)
    assert inside["domain"]["hors_champ"] < 0 and inside["reorientation"]["none"] > 0


def test_gazetteer_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "organismes.yaml"
    path.write_text("caf:\n  nom: la CAF\n  noms: [caisse]\nastrologie:\n  nom: x\n", encoding="utf-8")
    with pytest.raises(RulesError, match="ligne 4"):
        load_gazetteer(path, TAX)
