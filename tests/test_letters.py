"""Letters: the envelope window's address (postcode and town once, in La Poste's form)."""

from __future__ import annotations

import pytest

from triage.notify.postal import postal_lines


@pytest.mark.parametrize(
    ("address", "postcode", "commune", "expected"),
    [
        # a scanned letter: the address already ends with postcode and town
        ("12 rue des Alpes\n38100 GRENOBLE", "38100", "Grenoble", ("12 rue des Alpes", "38100 GRENOBLE")),
        ("12 rue des Alpes\n38100 Grenoble", "38100", "Grenoble", ("12 rue des Alpes", "38100 GRENOBLE")),
        # typed: the town comes from the dossier's fields, once, in capitals
        ("12 rue des Alpes", "38100", "Grenoble", ("12 rue des Alpes", "38100 GRENOBLE")),
        # OCR put everything on one line, with stray spaces and a comma
        ("12  rue des Alpes, 38100 Grenoble", "38100", "Grenoble", ("12 rue des Alpes", "38100 GRENOBLE")),
        # the town alone repeated after the postcode line, and a repeated street line
        (
            "Bât. B\n12 rue des Alpes\n12 rue des Alpes\n38400 Saint-Martin-d'Hères\nSaint-Martin-d'Hères",
            "38400",
            "Saint-Martin-d'Hères",
            ("Bât. B", "12 rue des Alpes", "38400 SAINT-MARTIN-D'HÈRES"),
        ),
        # a cedex line is kept as written
        ("BP 1096\n38022 Grenoble Cedex 1", "", "", ("BP 1096", "38022 GRENOBLE CEDEX 1")),
        ("", "", "", ()),
    ],
)
def test_window_address_carries_postcode_and_town_exactly_once(
    address: str, postcode: str, commune: str, expected: tuple[str, ...]
) -> None:
    assert postal_lines(address, postcode, commune) == expected
