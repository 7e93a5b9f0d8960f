"""The report's figures equal hand-computed values, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests import report_data as data
from triage.report.figures import Figures, compute
from triage.report.territories import read_territories
from triage.runtime import Runtime
from triage.store.report_queries import report_counts


@pytest.fixture
def figures_2025(runtime: Runtime) -> Figures:
    with runtime.sessions.begin() as session:
        data.load(session)
    return compute(report_counts(runtime.sessions, 2025), 2025, read_territories())


def test_requests_per_year_split_mediations_and_reorientations(figures_2025: Figures) -> None:
    table = figures_2025.tables["demandes_par_annee"]
    got = {row.label: tuple(int(v or 0) for v in row.values) for row in table.rows}
    assert got == data.EXPECTED_2025["per_year"]


def test_headline_counts_match_hand_computed_values(figures_2025: Figures) -> None:
    h = figures_2025.headline
    expected = data.EXPECTED_2025
    assert (h.total, h.mediations, h.reorientations) == (
        expected["total"],
        expected["mediations"],
        expected["reorientations"],
    )
    assert h.previous_total == 3 and h.growth == pytest.approx(200.0)
    assert h.cumulative == 12 and h.first_year == 2024
    assert (h.territorial, h.central) == (expected["territorial"], expected["central"])


def test_mean_and_median_durations_count_dossiers_by_year_of_closure(figures_2025: Figures) -> None:
    table = figures_2025.tables["delais"]
    for year, (closed, mean, median) in data.EXPECTED_2025["durations"].items():
        assert table.value(year, 0) == closed
        assert table.value(year, 1) == pytest.approx(mean)
        assert table.value(year, 2) == pytest.approx(median)
    assert figures_2025.headline.duration.mean == pytest.approx(155 / 8)


def test_processing_states_and_channels(figures_2025: Figures) -> None:
    states = figures_2025.tables["etat_traitements"]
    for key, n in data.EXPECTED_2025["states"].items():
        assert states.value(key) == n
    channels = figures_2025.tables["canaux"]
    for key, n in data.EXPECTED_2025["channels"].items():
        assert channels.value(key) == n
    assert channels.total is not None and channels.total.values[0] == 9
    assert channels.value("formulaire", 1) == pytest.approx(100 * 4 / 9)


def test_territories_and_rates_per_10000_inhabitants(figures_2025: Figures) -> None:
    territories = figures_2025.tables["territoires"]
    for name, n in data.EXPECTED_2025["territories"].items():
        assert territories.value(name) == n
    rates = figures_2025.tables["taux_territoires"]
    for name, rate in data.EXPECTED_2025["rates"].items():
        assert rates.value(name, 2) == pytest.approx(rate)
    assert rates.total is not None and rates.total.values[0] == 8  # the one outside Isère is not in a rate


def test_directions_count_mediations_by_territorial_or_central_direction(figures_2025: Figures) -> None:
    rows = {(r.label, r.heading): r.values[0] for r in figures_2025.tables["directions"].rows}
    assert rows[("Directions territoriales", True)] == 3
    assert rows[("Directions centrales", True)] == 2
    assert rows[("Direction de l'autonomie", False)] == 2
    assert rows[("DT Trièves", False)] == 1
    assert rows[("Direction non renseignée", True)] == 1


def test_reorientation_destinations_and_results_are_apart_from_mediations(figures_2025: Figures) -> None:
    destinations = figures_2025.tables["reorientations_destinations"]
    for code, n in data.EXPECTED_2025["destinations"].items():
        assert destinations.value(code) == n
    for key in ("results_mediations", "results_reorientations"):
        table = figures_2025.tables[key.replace("results", "resultats")]
        for code, n in data.EXPECTED_2025[key].items():
            assert table.value(code) == n, (key, code)


def test_policy_areas_and_sub_chapters_of_mediations(figures_2025: Figures) -> None:
    areas = figures_2025.tables["politiques_publiques"]
    for key, n in data.EXPECTED_2025["areas"].items():
        assert areas.value(key) == n
    subs = figures_2025.tables["sous_chapitres"]
    assert subs.value("autonomie_handicap") == 1 and subs.value("autonomie_personnes_agees") == 1
    assert (
        subs.value("pmi") == 1 and subs.value("protection_enfance") == 1 and subs.value("insertion_rsa") == 1
    )


def test_a_year_without_requests_gives_zeros_not_errors(runtime: Runtime) -> None:
    figures = compute(report_counts(runtime.sessions, 2030), 2030, read_territories())
    assert figures.headline.total == 0 and figures.headline.duration.mean is None
    assert figures.tables["etat_traitements"].value("termine") == 0
