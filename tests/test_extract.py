"""Extraction on realistic letters: people, places, references, dates and prior recourse."""

from __future__ import annotations

import json
from datetime import date

import pytest

from classifiers.cues import prior_recourse
from classifiers.dates import find_dates
from classifiers.text import fold
from triage.records import Extraction, References, WebForm
from triage.suggest.extract import Extractor

LETTER = """\
Mme Josiane Berthier
12, rue des Tilleuls
38500 Voiron
Tél. : 06 12 34 56 78
josiane.berthier@laposte.example

Voiron, le 10 juin 2025

Objet : PCH aide humaine de mon fils – dossier MDPH n° 38-2023-004512

Madame la Médiatrice,

Mon fils Théo perçoit la PCH aide humaine. Par décision du 14 janvier 2025, la CDAPH a réduit ses
heures de moitié. J'ai formé un recours gracieux (RAPO) le 3 février 2025, envoyé en recommandé
avec accusé de réception. Il est resté sans réponse à ce jour, malgré une relance le 2 avril.
Notre numéro d'allocataire CAF est le 1234567. Votre service m'a donné la référence MED-2025-00042.

Je vous prie d'agréer, Madame, l'expression de mes salutations distinguées.

Josiane Berthier
"""


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def test_letter_gives_contact_place_and_references(extractor: Extractor) -> None:
    out = extractor.extract(LETTER, today=date(2025, 6, 20))
    assert any("Berthier" in name for name in out.names)
    assert out.emails == ("josiane.berthier@laposte.example",)
    assert out.phones == ("06 12 34 56 78",)
    assert out.postcodes == ("38500",)
    assert out.communes[0] == "Voiron"
    assert out.territory == "Voironnais-Chartreuse"
    assert out.address == "12, rue des Tilleuls, 38500 Voiron"
    assert out.references == References(caf=("1234567",), mdph=("38-2023-004512",), med=("MED-2025-00042",))
    assert {date(2025, 1, 14), date(2025, 2, 3), date(2025, 4, 2), date(2025, 6, 10)} <= set(out.dates)


def test_extraction_is_stored_under_the_documented_keys_and_read_back_whole(extractor: Extractor) -> None:
    out = extractor.extract(LETTER, today=date(2025, 6, 20))
    stored = json.loads(json.dumps(out.to_json()))
    assert set(stored) == {
        "names", "emails", "phones", "postcodes", "communes", "territory", "address", "references", "dates",
        "prior_recourse",
    }  # fmt: skip
    assert stored["references"]["mdph"] == ["38-2023-004512"] and "2025-02-03" in stored["dates"]
    assert stored["prior_recourse"]["sent_on"] == "2025-02-03"
    assert Extraction.from_json(stored) == out


def test_rows_stored_before_the_record_are_still_read() -> None:
    old = {
        "names": ["Samira Benali"],
        "address": "4 allée des Pins",
        "dates": ["2026-10-01 00:00:00", "pas une date"],
        "prior_recourse": {
            "found": True,
            "kinds": ["RAPO"],
            "sent_on": "2026-07-28",
            "months_elapsed": "4.2",
        },
        "admissibility_facts": {"prior_step": True},
        "bodies": [],
    }
    read = Extraction.from_json(old)
    assert read.names == ("Samira Benali",) and read.emails == () and read.references == References()
    assert read.dates == (date(2026, 10, 1),)
    assert read.prior_recourse is not None and read.prior_recourse.sent_on == date(2026, 7, 28)
    assert read.prior_recourse.months_elapsed == 4.2 and read.prior_recourse.answered is None
    assert Extraction.from_json({}) == Extraction.from_json(None) == Extraction()


def test_prior_recourse_says_what_was_sent_when_and_how_long_ago(extractor: Extractor) -> None:
    prior = extractor.extract(LETTER, today=date(2025, 6, 20)).prior_recourse
    assert prior is not None and prior.found is True
    assert "RAPO" in prior.kinds and "recours gracieux" in prior.kinds
    assert prior.sent_on == date(2025, 2, 3)
    assert prior.answered is False and prior.outcome == "sans réponse"
    # measured from the date written at the head of the letter (10 June), not from today
    assert prior.months_elapsed == pytest.approx(4.2, abs=0.1)


@pytest.mark.parametrize(
    ("text", "answered", "outcome"),
    [
        ("Mon recours gracieux a été rejeté le 9 avril.", True, "refus"),
        ("La commission a maintenu sa décision malgré mon RAPO.", True, "refus"),
        ("J'ai écrit trois fois au service, jamais eu de réponse.", False, "sans réponse"),
        ("Je viens de recevoir la décision, comment la contester ?", None, None),
    ],
)
def test_prior_recourse_outcomes(text: str, answered: bool | None, outcome: str | None) -> None:
    prior = prior_recourse(text)
    assert prior["answered"] is answered
    assert prior["outcome"] == outcome


def test_first_complaint_has_no_prior_recourse() -> None:
    prior = prior_recourse(
        "Je viens de recevoir la notification de refus de l'APA pour ma mère. Que puis-je faire ?"
    )
    assert prior["found"] is False and prior["months_elapsed"] is None


def test_duration_counts_only_next_to_a_recourse() -> None:
    assert (
        prior_recourse("Je suis au RSA depuis quatre ans. On vient de me le couper.")["months_elapsed"]
        is None
    )
    assert prior_recourse("J'ai écrit au service, sans réponse depuis trois mois.")["months_elapsed"] == 3.0


def test_web_form_fields_come_first(extractor: Extractor) -> None:
    form = WebForm(
        first_name="Karim", last_name="Benali", postcode="38130", commune="Échirolles", phone="0476000000",
        email="Karim.Benali@example.org", address="4 allée des Pins",
    )  # fmt: skip
    out = extractor.extract("Bonjour, mon RSA est suspendu depuis mars.", form=form)
    assert out.names[0] == "Karim Benali"
    assert out.emails == ("karim.benali@example.org",)
    assert out.phones == ("04 76 00 00 00",)
    assert out.communes == ("Échirolles",) and out.territory
    assert out.address == "4 allée des Pins, 38130 Échirolles"


def test_unaccented_capitals_and_signature_commune(extractor: Extractor) -> None:
    text = "BONJOUR JE SUIS AU RSA ET ON ME DEMANDE DE REMBOURSER 2000 EUROS. MERCI\n\nNadia K.\nassistante - Saint-Egreve"
    out = extractor.extract(text)
    assert out.communes == ("Saint-Égrève",)
    assert out.territory == "Agglomération grenobloise"


def test_ocr_digits_in_dates_are_repaired() -> None:
    found = [
        d.value.isoformat()
        for d in find_dates(fold("J'ai formé un RAPO le 2O février 2025, rejeté le l2 mai 2025."))
    ]
    assert found == ["2025-02-20", "2025-05-12"]


def test_dates_without_year_follow_the_story() -> None:
    text = fold(
        "Mon agrément expirait le 31 août 2025. J'ai envoyé un mail le 28 août et un recommandé le 4 septembre."
    )
    assert [d.value.isoformat() for d in find_dates(text)] == ["2025-08-31", "2025-08-28", "2025-09-04"]


def test_phone_formats_are_normalised(extractor: Extractor) -> None:
    out = extractor.extract("Joignable au +33 6 12 34 56 78 ou au 04.76.12.34.56, pas au 1234567890123.")
    assert out.phones == ("06 12 34 56 78", "04 76 12 34 56")


def test_text_without_anything_gives_empty_fields(extractor: Extractor) -> None:
    out = extractor.extract("bonjour")
    assert out.names == () and out.emails == () and out.territory == ""
    assert out.references == References()
    assert out.prior_recourse is not None and out.prior_recourse.found is False
