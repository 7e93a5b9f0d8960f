"""Confidentiality: small cells masked in published tables; the pseudonymised export leaks no identifier."""

from __future__ import annotations

import csv
import io

from tests import report_data as data
from tests.conftest import make_settings
from triage.report.export import COLUMNS, export_text, pseudonym
from triage.report.render import build, render_csv
from triage.report.tables import Column, Row, Table, show
from triage.runtime import Runtime


def _one_column(values: list[int]) -> Table:
    total = sum(values)
    return Table(
        "t",
        "T",
        "Libellé",
        (Column("Demandes", "count"), Column("Part", "percent", basis=0)),
        tuple(Row(f"r{i}", (float(v), 100.0 * v / total)) for i, v in enumerate(values)),
        total=Row("Total", (float(total), 100.0)),
    )


def test_counts_under_five_are_masked_with_their_percentages() -> None:
    shown = show(_one_column([12, 3, 7, 0, 4]))
    texts = [[c.text for c in row.cells] for row in shown.rows]
    assert texts[0] == ["12", "46\u202f%"]
    assert texts[1] == ["<\u202f5", "s"]
    assert texts[4] == ["<\u202f5", "s"]
    assert texts[3][0] == "0"  # an empty category reveals nobody
    assert shown.total is not None and shown.total.cells[0].text == "26"
    assert shown.masked_any


def test_a_lone_masked_cell_is_protected_by_a_second_one() -> None:
    # 26 - 12 - 7 would give the 3 back: the smallest other cell is masked too
    shown = show(_one_column([12, 3, 7]))
    texts = [row.cells[0].text for row in shown.rows]
    assert texts == ["12", "<\u202f5", "s"]
    assert all(row.cells[0].value is None for row in shown.rows[1:])


def test_row_totals_protect_masked_cells_across_columns() -> None:
    table = Table(
        "y",
        "Par an",
        "Année",
        (
            Column("Médiations", "count"),
            Column("Réorientations", "count"),
            Column("Total", "count", summed=False),
        ),
        (Row("2024", (40.0, 2.0, 42.0)), Row("2025", (50.0, 9.0, 59.0))),
        row_total=2,
    )
    shown = show(table)
    assert [c.text for c in shown.rows[0].cells] == ["s", "<\u202f5", "42"]
    assert [c.text for c in shown.rows[1].cells] == ["50", "9", "59"]


def test_group_subtotals_protect_their_members() -> None:
    table = Table(
        "g",
        "Groupes",
        "Libellé",
        (Column("Médiations", "count"),),
        (
            Row("Social", (12.0,), heading=True),
            Row("RSA", (9.0,)),
            Row("FSL", (3.0,)),
            Row("Autonomie", (20.0,), heading=True),
            Row("Handicap", (20.0,)),
        ),
        total=Row("Total", (32.0,)),
    )
    texts = [row.cells[0].text for row in show(table).rows]
    assert texts == ["12", "s", "<\u202f5", "20", "20"]


def test_durations_resting_on_few_dossiers_are_masked() -> None:
    table = Table(
        "d",
        "Durées",
        "Année",
        (Column("Clôturés", "count"), Column("Moyenne", "days", basis=0)),
        (Row("2022", (3.0, 95.0)), Row("2023", (40.0, 60.0))),
    )
    shown = show(table)
    assert [c.text for c in shown.rows[0].cells] == ["<\u202f5", "s"]
    assert [c.text for c in shown.rows[1].cells] == ["40", "60"]


def test_published_csv_masks_small_cells_and_holds_no_identifier(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.sessions.begin() as session:
        data.load(session)
    text = render_csv(build(sqlite_runtime, 2025, with_charts=False))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["annee", "tableau", "titre", "ligne", "colonne", "valeur"]
    values = {(r[1], r[3], r[4]): r[5] for r in rows[1:]}
    assert values[("canaux", "Formulaire en ligne", "Demandes")] == "<\u202f5"
    assert values[("demandes_par_annee", "2025", "Total")] == "9"
    assert values[("delais", "2025", "Dossiers clôturés")] == "8"
    _assert_no_identifier(text)


def _assert_no_identifier(text: str) -> None:
    lowered = text.lower()
    for _civility, name, email, phone, address in data.PEOPLE:
        for value in (name, email, phone, address, *name.split(), phone.replace(" ", "")):
            if len(value) > 3:
                assert value.lower() not in lowered, value
    for spec in [*data.DOSSIERS, data.MERGED]:
        assert spec["reference"] not in text
    for fragment in ("Théo", "mobilité inclusion pour", "Girard", "Grenoble", "38100", "K7PX"):
        assert fragment.lower() not in lowered, fragment


def test_pseudonymised_export_has_no_identifier_of_the_dataset(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        ids = data.load(session)
    text = export_text(runtime)
    _assert_no_identifier(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == COLUMNS
    assert len(rows) == 1 + len(data.DOSSIERS)  # the merged duplicate is left out
    by_pseudonym = {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]}
    first = by_pseudonym[pseudonym(runtime.secret, ids["MED-2025-00001"])]
    assert first["mois_reception"] == "2025-01" and first["duree_traitement_jours"] == "20"
    assert first["type"] == "mediation" and first["territoire"] == "Agglomération grenobloise"
    reoriented = by_pseudonym[pseudonym(runtime.secret, ids["MED-2025-00007"])]
    assert reoriented["type"] == "reorientation" and reoriented["reorientation"] == "prefecture"
    assert str(ids["MED-2025-00001"]) not in {r[0] for r in rows[1:]}


def test_pseudonyms_are_stable_and_keyed_with_the_installation_secret(
    sqlite_runtime: Runtime, tmp_path
) -> None:
    with sqlite_runtime.sessions.begin() as session:
        data.load(session)
    first = [line.split(";")[0] for line in export_text(sqlite_runtime).splitlines()[1:]]
    again = [line.split(";")[0] for line in export_text(sqlite_runtime).splitlines()[1:]]
    assert first == again and len(set(first)) == len(first)
    other = Runtime.open(make_settings(tmp_path / "other", sqlite_runtime.settings.database_url))
    other.settings.security.secret_key = "another-installation-secret"  # type: ignore[assignment]
    try:
        assert set(first).isdisjoint(line.split(";")[0] for line in export_text(other).splitlines()[1:])
    finally:
        other.close()


def test_free_text_typed_in_a_code_field_is_not_exported(sqlite_runtime: Runtime) -> None:
    from triage.store.models import Dossier

    with sqlite_runtime.sessions.begin() as session:
        ids = data.load(session)
        dossier = session.get(Dossier, ids["MED-2025-00001"])
        assert dossier is not None
        dossier.direction = "voir avec sylvie.martinroux@example.org au 06 12 34 56 78"
        dossier.sub_chapter = "06 12 34 56 78"
    text = export_text(sqlite_runtime)
    assert "example.org" not in text and "56 78" not in text
    row = next(
        r
        for r in csv.reader(io.StringIO(text), delimiter=";")
        if r[0] == pseudonym(sqlite_runtime.secret, ids["MED-2025-00001"])
    )
    assert row[COLUMNS.index("direction")] == "autre" and row[COLUMNS.index("sous_chapitre")] == "autre"


def test_the_masking_threshold_is_a_setting(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.sessions.begin() as session:
        data.load(session)
    sqlite_runtime.settings.report.small_cell_threshold = 3
    report = build(sqlite_runtime, 2025, with_charts=False)
    channels = {row.label: row.cells[0].text for row in report.shown["canaux"].rows}
    assert channels["Formulaire en ligne"] == "4" and channels["Téléphone"] == "<\u202f3"


def test_directions_typed_freely_are_published_only_when_they_recur(sqlite_runtime: Runtime) -> None:
    from triage.report.render import render_html
    from triage.store.models import Dossier

    with sqlite_runtime.sessions.begin() as session:
        ids = data.load(session)
        first = session.get(Dossier, ids["MED-2025-00001"])
        second = session.get(Dossier, ids["MED-2025-00004"])
        assert first is not None and second is not None
        first.direction = "voir Mme Girard au service PCH"
        second.direction = "direction de l'AUTONOMIE"
    report = build(sqlite_runtime, 2025, with_charts=False)
    labels = [row.label for row in report.shown["directions"].rows]
    assert "Autres directions" in labels and "Direction de l'autonomie" in labels
    assert "Girard" not in render_html(report)
