"""Organisations named as French does: « vers la Préfecture », « au conciliateur de justice », « à
l'Éducation nationale », on every default body, in the directory and on the citizen's tracking page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workspace_data import add_request
from triage.articles import after, checked_article, guess_article, with_article
from triage.correspondence.contacts import ContactValues, body_contact, save_contact
from triage.dossiers.tracking import load_view
from triage.errors import DossierError, RulesError
from triage.notify.render import environment
from triage.resources import templates_dir
from triage.runtime import Runtime
from triage.store.audit import Actor
from triage.suggest.taxonomy import load_targets
from triage.workspace.process import StatusChange, change_status

ACTOR = Actor(None, "claire", "mediateur")

# every body of triage/defaults/reorientation-targets.yaml: « réorientée vers … », « transmise à … »
EXPECTED = {
    "prefecture": ("vers la Préfecture de l'Isère", "à la Préfecture de l'Isère"),
    "caf": (
        "vers la Caisse d'allocations familiales de l'Isère",
        "à la Caisse d'allocations familiales de l'Isère",
    ),
    "cpam": (
        "vers la Caisse primaire d'assurance maladie de l'Isère",
        "à la Caisse primaire d'assurance maladie de l'Isère",
    ),
    "france_travail": (
        "vers France Travail (agence de votre secteur)",
        "à France Travail (agence de votre secteur)",
    ),
    "bailleur_social": ("vers votre bailleur social", "à votre bailleur social"),
    "commune": ("vers votre mairie (ou son CCAS)", "à votre mairie (ou son CCAS)"),
    "region": ("vers la Région Auvergne-Rhône-Alpes", "à la Région Auvergne-Rhône-Alpes"),
    "education_nationale": (
        "vers la Direction des services départementaux de l'Éducation nationale de l'Isère",
        "à la Direction des services départementaux de l'Éducation nationale de l'Isère",
    ),
    "defenseur_des_droits": ("vers le Défenseur des droits", "au Défenseur des droits"),
    "conciliateur_justice": ("vers le conciliateur de justice", "au conciliateur de justice"),
}


def test_every_default_body_is_named_with_its_article() -> None:
    targets = load_targets()
    assert set(targets) == set(EXPECTED)
    for code, target in targets.items():
        assert target.article is not None, code  # recorded, not guessed
        assert (
            after("vers", target.name, target.article),
            after("à", target.name, target.article),
        ) == EXPECTED[code]


def test_the_guess_agrees_with_every_article_recorded_for_the_default_bodies() -> None:
    for code, target in load_targets().items():
        assert guess_article(target.name) == target.article, code


@pytest.mark.parametrize(
    ("preposition", "name", "article", "expected"),
    [
        ("à", "Maison départementale de l'autonomie", None, "à la Maison départementale de l'autonomie"),
        ("à", "Service autonomie", None, "au Service autonomie"),
        ("à", "Archives départementales", None, "aux Archives départementales"),
        ("de", "Département", None, "du Département"),
        ("à", "Éducation nationale", "la", "à l'Éducation nationale"),
        ("à", "Office public de l'habitat", None, "à l'Office public de l'habitat"),
        ("à", "Haute-Savoie", "la", "à la Haute-Savoie"),
        ("auprès de", "conciliateur de justice", "le", "auprès du conciliateur de justice"),
        ("de", "Enedis", None, "d'Enedis"),
        ("vers", "Territoire du Grésivaudan", None, "vers Territoire du Grésivaudan"),
        ("vers", "Territoire du Grésivaudan", "le", "vers le Territoire du Grésivaudan"),
    ],
)
def test_prepositions_contract_and_elide_as_french_does(
    preposition: str, name: str, article: str | None, expected: str
) -> None:
    assert after(preposition, name, article) == expected


def test_with_article_and_the_recorded_forms() -> None:
    assert with_article("Éducation nationale", "la") == "l'Éducation nationale"
    assert with_article("France Travail", "") == "France Travail"
    assert checked_article("L’") == "l'" and checked_article("aucun") == "" and checked_article(None) is None
    with pytest.raises(ValueError, match="article inconnu"):
        checked_article("du")


def test_an_unknown_article_in_the_directory_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "annuaire.yaml"
    path.write_text("prefecture:\n  nom: Préfecture de l'Isère\n  article: des\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"annuaire.yaml.*3.*article inconnu"):
        load_targets(path)


def test_tracking_page_names_the_body_and_the_service_with_their_article(runtime: Runtime) -> None:
    settings = runtime.settings
    with runtime.sessions.begin() as s:
        sent, sent_token = add_request(s, "MED-2026-00001")
        change_status(
            s, settings, sent, StatusChange("reorientee", reorientation="conciliateur_justice"), ACTOR
        )
        passed, passed_token = add_request(s, "MED-2026-00002")
        change_status(
            s,
            settings,
            passed,
            StatusChange("transmise_service", service="Maison départementale de l'autonomie"),
            ACTOR,
        )
        local, local_token = add_request(s, "MED-2026-00003")
        change_status(
            s, settings, local, StatusChange("transmise_service", service="Territoire du Grésivaudan"), ACTOR
        )
        # the directory records what no guess can know
        save_contact(
            s, settings, ACTOR, ContactValues(kind="service", name="Territoire du Grésivaudan", article="le")
        )
    with runtime.engine.connect() as conn:

        def contact_for(code: str):  # type: ignore[no-untyped-def]
            return body_contact(conn, settings, code)

        views = [
            load_view(conn, token=t, contact_for=contact_for) for t in (sent_token, passed_token, local_token)
        ]
    labels = [v.status_label for v in views if v is not None]
    assert labels == [
        "Réorientée vers le conciliateur de justice",
        "Transmise à la Maison départementale de l'autonomie",
        "Transmise au Territoire du Grésivaudan",
    ]
    assert views[1] is not None and "Transmise à la Maison départementale de l'autonomie" in [
        step.label for step in views[1].steps
    ]


def test_a_body_of_the_directory_keeps_the_article_recorded_for_it(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        save_contact(
            s,
            runtime.settings,
            ACTOR,
            ContactValues(kind="externe", name="Préfecture de l'Isère", code="prefecture"),
        )
        assert (
            body_contact(s, runtime.settings, "prefecture").after("vers") == "vers la Préfecture de l'Isère"
        )  # type: ignore[union-attr]
        save_contact(
            s,
            runtime.settings,
            ACTOR,
            ContactValues(kind="externe", name="Sous-préfecture de Vienne", code="caf", article="la"),
        )
        assert body_contact(s, runtime.settings, "caf").after("à") == "à la Sous-préfecture de Vienne"  # type: ignore[union-attr]
        with pytest.raises(DossierError, match="article inconnu"):
            save_contact(
                s, runtime.settings, ACTOR, ContactValues(kind="service", name="Pôle RSA", article="du")
            )


def test_letter_templates_write_to_the_service_with_its_article() -> None:
    service = {
        "name": "Mission de médiation départementale",
        "address_lines": ["7 rue Fantin-Latour", "38000 GRENOBLE"],
    }
    text = render_template_string(
        '{{ service.name|after_preposition("à") }}, {{ "Conciliateur de justice"|after_preposition("à") }}',
        service=service,
    )
    assert text == "à la Mission de médiation départementale, au conciliateur de justice"
    # the letters that tell the citizen where to write use the same filter, never a bare « à Mission… »
    for name in ("pieces.html.j2", "_mention_algorithmique.html.j2"):
        source = (templates_dir() / "letters" / name).read_text(encoding="utf-8")
        assert "à {{ service.name" not in source and 'service.name|after_preposition("à")' in source


def render_template_string(source: str, **context: object) -> str:
    return environment().from_string(source).render(**context)
