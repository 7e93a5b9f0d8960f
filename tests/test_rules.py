"""Rules: loading, validation errors with file and line, lemma / phrase / regex / sender / form matching."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from triage.errors import RulesError
from triage.records import WebForm
from triage.suggest.rules import load_rules, self_test, weights
from triage.suggest.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def write_rules(tmp_path: Path, text: str, name: str = "regles.yaml") -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


RULE = """\
- id: refus-pch
  explication: Un refus de PCH.
  si:
    lemmes: [refus, refuser]
  et:
    lemmes: [pch]
  effets:
    domaine: {autonomie_handicap: 2}
"""


def test_shipped_rules_are_valid_and_fire_on_their_examples(taxonomy) -> None:
    ruleset = load_rules(REPO / "rules", taxonomy)
    assert 30 <= len(ruleset) <= 80
    assert self_test(ruleset) == []
    labelled = {label for rule in ruleset.rules for label in rule.effects}
    assert labelled == {"domain", "admissibility", "reorientation"}
    targets = {code for rule in ruleset.rules for code in rule.effects.get("reorientation", {})}
    assert set(taxonomy.codes("reorientation")) - {"none"} <= targets


@pytest.mark.parametrize(
    "text",
    [
        "Le refus de ma PCH",
        "ma PCH a été refusée",
        "PCH : ils ont refusé",
        "ON A REFUSEE LA PCH",
        "pch refusee",
    ],
)
def test_lemma_matches_every_inflection_with_or_without_accents(tmp_path: Path, taxonomy, text: str) -> None:
    ruleset = load_rules(write_rules(tmp_path, RULE), taxonomy)
    hits = ruleset.match(text)
    assert [h.rule.id for h in hits] == ["refus-pch"]
    assert weights(hits) == {"domain": {"autonomie_handicap": 2.0}}


def test_lemma_needs_its_companion_condition(tmp_path: Path, taxonomy) -> None:
    ruleset = load_rules(write_rules(tmp_path, RULE), taxonomy)
    assert ruleset.match("Mon APA a été refusée") == []


def test_short_acronym_lemma_does_not_match_common_words(tmp_path: Path, taxonomy) -> None:
    rule = RULE.replace("lemmes: [refus, refuser]", "lemmes: [cer]").replace("lemmes: [pch]", "lemmes: [ce]")
    ruleset = load_rules(write_rules(tmp_path, rule), taxonomy)
    assert ruleset.match("ce dossier ce matin") == []
    assert [h.rule.id for h in ruleset.match("mon CER signé ce lundi")] == ["refus-pch"]


def test_phrases_sender_domains_and_form_fields(tmp_path: Path, taxonomy) -> None:
    folder = write_rules(
        tmp_path,
        """\
- id: carte-garer
  explication: "Carte de stationnement : MDPH."
  si:
    expressions: [carte pour me garer]
  effets:
    domaine: {autonomie_handicap: 2}
- id: depuis-la-caf
  explication: Message venu de la CAF.
  si:
    expediteurs: [caf.fr]
  effets:
    reorientation: {caf: 1}
- id: formulaire-rsa
  explication: Le formulaire indique le service RSA.
  si:
    formulaire: {service: [rsa], demarches: [recours gracieux]}
  effets:
    domaine: {insertion_rsa: 1.5}
""",
    )
    ruleset = load_rules(folder, taxonomy)
    assert [h.rule.id for h in ruleset.match("il me faut la CARTE pour me GARER")] == ["carte-garer"]
    assert [h.rule.id for h in ruleset.match("bonjour", sender="agent@isere.caf.fr")] == ["depuis-la-caf"]
    assert ruleset.match("bonjour", sender="quelqu.un@cafe.fr") == []
    form = WebForm(service="Insertion - RSA", prior_steps="J'ai fait un recours gracieux en mars")
    hit = ruleset.match("voir formulaire", form=form)
    assert [h.rule.id for h in hit] == ["formulaire-rsa"]
    assert "recours gracieux" in hit[0].matched  # a form field's words, as the form gave them


def test_unless_prevents_the_rule(taxonomy) -> None:
    ruleset = load_rules(REPO / "rules", taxonomy)
    fired = {h.rule.id for h in ruleset.match("Nous ne demandons aucune subvention, seulement une réponse")}
    assert "subventions" not in fired
    assert "subventions" in {h.rule.id for h in ruleset.match("La subvention de notre club a été refusée")}


def test_catastrophic_regex_is_cut_off_by_its_time_limit(tmp_path: Path, taxonomy) -> None:
    folder = write_rules(
        tmp_path,
        """\
- id: piege
  explication: Expression régulière catastrophique.
  si:
    regex: ['(a+)+$']
  effets:
    domaine: {pmi: 1}
""",
    )
    ruleset = load_rules(folder, taxonomy)
    started = time.monotonic()
    assert ruleset.match("a" * 40 + "!") == []
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (RULE.replace("autonomie_handicap: 2", "autonomie_handicape: 2"), 8, "n'est pas un code de domaine"),
        (RULE.replace("autonomie_handicap: 2", "autonomie_handicap: fort"), 8, "doit être un nombre"),
        (RULE.replace("autonomie_handicap: 2", "autonomie_handicap: 25"), 8, "entre -10 et 10"),
        (RULE.replace("    lemmes: [pch]", "    mots: [pch]"), 6, "critère inconnu « mots »"),
        (RULE.replace("  explication: Un refus de PCH.\n", ""), 1, "pas de « explication »"),
        (RULE.replace("lemmes: [refus, refuser]", "regex: ['(refus']"), 4, "expression régulière invalide"),
        (RULE.replace("domaine:", "domain_x:"), 8, "étiquette inconnue"),
        (RULE.replace("id: refus-pch", "id: Refus PCH"), 1, "minuscules"),
        (
            RULE.replace("  explication: Un refus de PCH.", "  explication: Un refus : PCH."),
            2,
            "entre guillemets",
        ),
        (RULE + "  effets:\n    domaine: {pmi: 1}\n", 9, "en double"),
    ],
)
def test_invalid_rule_names_file_and_line(tmp_path: Path, taxonomy, text: str, line: int, words: str) -> None:
    folder = write_rules(tmp_path, text)
    with pytest.raises(RulesError) as err:
        load_rules(folder, taxonomy)
    message = str(err.value)
    assert f"regles.yaml, ligne {line}" in message
    assert words in message


def test_duplicate_id_across_files_names_both_places(tmp_path: Path, taxonomy) -> None:
    write_rules(tmp_path, RULE, "a.yaml")
    folder = write_rules(tmp_path, "# commentaire\n" + RULE, "b.yaml")
    with pytest.raises(
        RulesError, match=r"b.yaml, ligne 2 : id « refus-pch » déjà utilisé \(.*a.yaml, ligne 1\)"
    ):
        load_rules(folder, taxonomy)


def test_failing_example_is_reported_by_self_test(tmp_path: Path, taxonomy) -> None:
    folder = write_rules(tmp_path, RULE + '  exemples: ["ma demande d\'APA est refusée"]\n')
    problems = self_test(load_rules(folder, taxonomy))
    assert len(problems) == 1 and "ne se déclenche pas sur son exemple" in problems[0]


def test_rule_reason_quotes_the_matched_words_as_they_appear_in_the_letter(tmp_path: Path, taxonomy) -> None:
    hits = load_rules(write_rules(tmp_path, RULE), taxonomy).match("Ma PCH a été REFUSÉE,\nmalgré tout")
    reason = hits[0].reason()
    assert reason.startswith("Règle refus-pch : Un refus de PCH.")
    assert "« REFUSÉE »" in reason and "« PCH »" in reason, reason
    assert "refusee" not in reason and "« pch »" not in reason
