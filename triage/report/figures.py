"""The figures of the annual report, computed from the GROUP BY results (exact values, not masked).

Definitions (also printed in the report's method annex):
- the year of a request is the year it was received (dossiers.year); durations are counted by year
  of closure, in calendar days from receipt to closure;
- a request is finished when the mediator's work on it is over (closed, or reoriented); among the
  finished ones, the outcome `irrecevable` and `abandon` are shown apart;
- for a reorientation, pointing the person to the right body without more is a partial resolution
  (as in the Isère report).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from triage.clock import system_clock
from triage.report import labels as L
from triage.report.tables import SMALL_CELL_THRESHOLD, Column, Row, Table, share
from triage.report.territories import Territory
from triage.store.report_queries import ReportCounts

IN_PROGRESS = {"recue", "en_examen", "transmise_service", "mediation_en_cours", "attente_usager"}
DONE = {"cloturee", "reorientee"}
RESULT_OF_OUTCOME = {
    "resolution_complete": "complete",
    "resolution_partielle": "partielle",
    "sans_resolution": "aucune",
    "reorientee": "partielle",
}
MOTIVES_SHOWN = 15
OTHER_DIRECTIONS = "Autres directions"


def processing_state(status: str, outcome: str) -> str:
    """termine / en_cours / irrecevable / abandon for a dossier's status and outcome."""
    if status not in DONE:
        return "en_cours"
    if outcome == "irrecevable":
        return "irrecevable"
    if outcome == "abandon":
        return "abandon"
    return "termine"


def result_of(kind: str, status: str, outcome: str) -> str | None:
    """complete / partielle / aucune for a finished request, None when there is no result to count."""
    if processing_state(status, outcome) != "termine":
        return None
    if outcome in RESULT_OF_OUTCOME:
        return RESULT_OF_OUTCOME[outcome]
    if kind == "reorientation" and not outcome:
        return "partielle"
    return None


@dataclass(frozen=True)
class Duration:
    """Processing time of the dossiers closed in one year."""

    year: int
    closed: int
    mean: float | None
    median: float | None


def duration_of(histogram: Counter[int]) -> tuple[int, float | None, float | None]:
    """(count, mean, median) of a days -> count histogram."""
    n = sum(histogram.values())
    if not n:
        return 0, None, None
    mean = sum(days * k for days, k in histogram.items()) / n
    values = sorted(histogram.elements())
    return n, mean, float(statistics.median(values))


@dataclass(frozen=True)
class Headline:
    """The numbers of the synthesis page."""

    year: int
    total: int
    mediations: int
    reorientations: int
    previous_total: int | None
    cumulative: int
    first_year: int
    duration: Duration
    previous_duration: Duration | None
    finished: int
    in_progress: int
    mediation_results: int
    mediation_resolved: int  # complete + partial
    mediation_complete: int
    territorial: int
    central: int

    @property
    def reorientation_share(self) -> float | None:
        """Share of reorientations among the year's requests (percent)."""
        return share(self.reorientations, self.total)

    @property
    def growth(self) -> float | None:
        """Change of the number of requests from the previous year (percent)."""
        if not self.previous_total:
            return None
        return 100.0 * (self.total - self.previous_total) / self.previous_total


@dataclass(frozen=True)
class Figures:
    """Everything the report shows for one year, exact."""

    year: int
    computed_at: datetime
    headline: Headline
    tables: dict[str, Table]


def _pct_columns(header: str = "Demandes") -> tuple[Column, ...]:
    return (Column(header, "count"), Column("Part", "percent", basis=0))


def _simple(
    key: str,
    title: str,
    label_header: str,
    items: list[tuple[str, str, int]],
    *,
    header: str = "Demandes",
    note: str = "",
    chart: str = "hbar",
) -> Table:
    """A one-count table with shares: items are (key, label, count)."""
    total = sum(n for _, _, n in items)
    rows = tuple(Row(label, (float(n), share(n, total)), key=k) for k, label, n in items)
    return Table(
        key,
        title,
        label_header,
        _pct_columns(header),
        rows,
        total=Row("Total", (float(total), 100.0 if total else None)),
        note=note,
        chart=chart,
    )


def _sorted_known(counter: Counter[str], names: dict[str, str], other: str) -> list[tuple[str, str, int]]:
    """Known codes in their order (zeros kept), then the unknown ones pooled under `other`."""
    items = [(code, name, counter.get(code, 0)) for code, name in names.items()]
    rest = sum(n for code, n in counter.items() if code not in names)
    if rest:
        items.append(("", other, rest))
    return items


def _destinations(counter: Counter[str], taxonomy_file: Path | None) -> list[tuple[str, str, int]]:
    """Reorientation targets with a count, largest first; no target given -> 'Non précisé' last."""
    items = sorted(
        (
            (code, L.reorientation_label(code, taxonomy_file), n)
            for code, n in counter.items()
            if code and code not in ("none", "?") and n
        ),
        key=lambda i: (-i[2], i[1]),
    )
    unknown = sum(n for code, n in counter.items() if not code or code in ("none", "?"))
    return items + ([("", "Non précisé", unknown)] if unknown else [])


def compute(
    read: ReportCounts,
    year: int,
    territories: list[Territory],
    *,
    threshold: int = SMALL_CELL_THRESHOLD,
    taxonomy_file: Path | None = None,
    computed_at: datetime | None = None,
) -> Figures:
    """All the figures of `year` (requests received that year; durations of dossiers closed that year)."""
    counts, per_year, durations = read.year, read.per_year, read.durations
    names = {t.name for t in territories}
    tables: dict[str, Table] = {}

    # -- requests per year, mediations vs reorientations
    first = min([*per_year, year])
    rows = []
    for y in range(first, year + 1):
        c = per_year.get(y, Counter())
        rows.append(
            Row(str(y), (float(c["mediation"]), float(c["reorientation"]), float(c.total())), key=str(y))
        )
    tables["demandes_par_annee"] = Table(
        "demandes_par_annee",
        "Évolution du nombre de demandes par an",
        "Année",
        (
            Column("Médiations", "count"),
            Column("Réorientations", "count"),
            Column("Total", "count", summed=False),
        ),
        tuple(rows),
        row_total=2,
        chart="stacked",
        chart_columns=(0, 1),
    )

    # -- processing time per year of closure
    duration_by_year: dict[int, Duration] = {}
    for y in range(min([*durations, year]), year + 1):
        merged: Counter[int] = Counter()
        for hist in durations.get(y, {}).values():
            merged.update(hist)
        n, mean, median = duration_of(merged)
        duration_by_year[y] = Duration(y, n, mean, median)
    tables["delais"] = Table(
        "delais",
        "Durée de traitement des dossiers clôturés (en jours)",
        "Année de clôture",
        (
            Column("Dossiers clôturés", "count"),
            Column("Durée moyenne", "days", basis=0),
            Column("Durée médiane", "days", basis=0),
        ),
        tuple(
            Row(str(d.year), (float(d.closed), d.mean, d.median), key=str(d.year))
            for d in duration_by_year.values()
        ),
        chart="grouped",
        chart_columns=(1, 2),
        note="Jours calendaires entre la réception de la demande et la clôture du dossier.",
    )

    # -- processing state and results
    states: Counter[str] = Counter()
    results: dict[str, Counter[str]] = {"mediation": Counter(), "reorientation": Counter()}
    kinds: Counter[str] = Counter()
    for (kind, status, outcome), n in counts.by_kind_status_outcome.items():
        kinds[kind] += n
        states[processing_state(status, outcome)] += n
        result = result_of(kind, status, outcome)
        if result:
            results[kind][result] += n
    tables["etat_traitements"] = _simple(
        "etat_traitements",
        f"État des traitements des demandes reçues en {year}",
        "État",
        [(k, name, states[k]) for k, name in L.PROCESSING.items()],
    )
    tables["canaux"] = _simple(
        "canaux",
        "Mode de saisine de la médiation",
        "Canal",
        _sorted_known(counts.by_channel, L.CHANNELS, "Autre canal"),
    )

    # -- territories
    per_territory: Counter[str] = Counter()
    reo_territory: Counter[str] = Counter()
    for (kind, territory), n in counts.by_kind_territory.items():
        place = territory if territory in names else ""
        per_territory[place] += n
        if kind == "reorientation":
            reo_territory[place] += n

    def territory_items(counter: Counter[str]) -> list[tuple[str, str, int]]:
        items = sorted(((t.name, t.name, counter.get(t.name, 0)) for t in territories), key=lambda i: -i[2])
        return items + [("", L.OUTSIDE, counter.get("", 0))]

    tables["territoires"] = _simple(
        "territoires",
        "Répartition géographique des demandes par territoire",
        "Territoire",
        territory_items(per_territory),
        note="Territoire du domicile du demandeur. « Hors Isère ou non renseigné » : personnes domiciliées "
        "dans un autre département ou adresse inconnue.",
    )
    rate_rows = []
    for t in territories:
        n = per_territory.get(t.name, 0)
        rate = 10000.0 * n / t.population if t.population else None
        rate_rows.append(Row(t.name, (float(n), float(t.population), rate), key=t.name))
    rate_rows.sort(key=lambda r: -(r.values[2] or 0))
    in_isere = sum(per_territory.get(t.name, 0) for t in territories)
    population = sum(t.population for t in territories)
    tables["taux_territoires"] = Table(
        "taux_territoires",
        "Demandes pour 10 000 habitants par territoire",
        "Territoire",
        (
            Column("Demandes", "count"),
            Column("Population", "population", summed=False),
            Column("Pour 10 000 hab.", "rate", basis=0),
        ),
        tuple(rate_rows),
        total=Row(
            "Isère",
            (float(in_isere), float(population), 10000.0 * in_isere / population if population else None),
        ),
        chart="hbar",
        chart_columns=(2,),
        note="Population municipale des communes de chaque territoire (voir l'annexe « Méthode »).",
    )

    # -- directions
    territorial: Counter[str] = Counter()
    central: Counter[str] = Counter()
    no_direction = 0
    typed: Counter[str] = Counter()  # values typed freely: shown only when they recur (see below)
    for (kind, direction), n in counts.by_kind_direction.items():
        if kind != "mediation":  # a reorientation leaves the Département: no direction to count
            continue
        label = L.direction_label(direction, names) if direction else None
        if not direction:
            no_direction += n
        elif label is None:
            typed[" ".join(direction.split())] += n
        elif L.is_territorial(direction, names):
            territorial[label] += n
        else:
            central[label] += n
    for value, n in typed.items():
        # a direction typed in by hand is published only when at least `threshold` dossiers share it:
        # a recurring value is a direction's name, a rare one may be anything the mediator wrote
        group = territorial if L.is_territorial(value, names) else central
        group[value[:80] if n >= threshold else OTHER_DIRECTIONS] += n
    direction_rows: list[Row] = []
    mediation_total = kinds["mediation"]
    for heading, group in (("Directions territoriales", territorial), ("Directions centrales", central)):
        direction_rows.append(
            Row(
                heading,
                (float(sum(group.values())), share(sum(group.values()), mediation_total)),
                heading=True,
            )
        )
        direction_rows += [
            Row(name, (float(n), share(n, mediation_total)))
            for name, n in sorted(group.items(), key=lambda i: (i[0] == OTHER_DIRECTIONS, -i[1], i[0]))
        ]
    if no_direction:
        direction_rows.append(
            Row(
                "Direction non renseignée",
                (float(no_direction), share(no_direction, mediation_total)),
                heading=True,
            )
        )
    tables["directions"] = Table(
        "directions",
        "Répartition des médiations par direction territoriale ou centrale",
        "Direction",
        _pct_columns("Médiations"),
        tuple(direction_rows),
        total=Row("Total", (float(mediation_total), 100.0 if mediation_total else None)),
        note="Direction du Département dont relève le service concerné par la médiation.",
    )

    # -- reorientations
    tables["reorientations_destinations"] = _simple(
        "reorientations_destinations",
        "Organismes vers lesquels les demandes ont été réorientées",
        "Organisme",
        _destinations(counts.by_reorientation, taxonomy_file),
        header="Réorientations",
    )
    tables["reorientations_territoires"] = _simple(
        "reorientations_territoires",
        "Répartition géographique des réorientations",
        "Territoire",
        [i for i in territory_items(reo_territory) if i[2] or i[0] == ""],
        header="Réorientations",
    )
    for kind, key, title in (
        ("reorientation", "resultats_reorientations", "Résultat du traitement des réorientations"),
        ("mediation", "resultats_mediations", "Résultat des médiations"),
    ):
        tables[key] = _simple(
            key,
            title,
            "Résultat",
            [(k, name, results[kind][k]) for k, name in L.RESULTS.items()],
            header="Dossiers",
            note="Dossiers terminés de l'année (hors irrecevables et abandons)."
            + (
                " Une réorientation vers l'organisme compétent, sans plus, compte comme une résolution "
                "partielle."
                if kind == "reorientation"
                else ""
            ),
        )

    # -- policy areas, sub-chapters (domains) and detailed motives, for mediations
    per_domain: Counter[str] = Counter()
    per_motive: Counter[str] = Counter()
    for (kind, domain, sub), n in counts.by_kind_domain_sub.items():
        if kind != "mediation":
            continue
        per_domain[domain] += n
        per_motive[sub] += n
    mediations = kinds["mediation"]
    area_rows: list[Row] = []
    sub_rows: list[Row] = []
    for area, (area_name, domains) in L.POLICY_AREAS.items():
        in_area = {d: per_domain.get(d, 0) for d in domains}
        if area == "divers":  # unknown domains and unlabelled requests go to "Divers"
            known = {d for _, ds in L.POLICY_AREAS.values() for d in ds}
            for d, n in per_domain.items():
                if d not in known:
                    in_area["autre"] = in_area.get("autre", 0) + n
        subtotal = sum(in_area.values())
        area_rows.append(Row(area_name, (float(subtotal), share(subtotal, mediations)), key=area))
        sub_rows.append(
            Row(area_name, (float(subtotal), share(subtotal, mediations)), heading=True, key=area)
        )
        for d, n in in_area.items():
            label = "Autre ou non renseigné" if d == "autre" else L.domain_label(d, taxonomy_file)
            sub_rows.append(Row(label, (float(n), share(n, mediations)), key=d))
    total_row = Row("Total", (float(mediations), 100.0 if mediations else None))
    tables["politiques_publiques"] = Table(
        "politiques_publiques",
        "Répartition des médiations par politique publique",
        "Politique publique",
        _pct_columns("Médiations"),
        tuple(area_rows),
        total=total_row,
    )
    tables["sous_chapitres"] = Table(
        "sous_chapitres",
        "Répartition des médiations par sous-chapitre",
        "Sous-chapitre",
        _pct_columns("Médiations"),
        tuple(sub_rows),
        total=total_row,
    )
    motive_items = sorted(
        ((k, L.sub_chapter_label(k), n) for k, n in per_motive.items() if k), key=lambda i: (-i[2], i[1])
    )
    shown_motives = [i for i in motive_items[:MOTIVES_SHOWN] if i[0] in L.SUB_CHAPTERS or i[2] >= 5]
    pooled = mediations - sum(i[2] for i in shown_motives)
    tables["motifs"] = Table(
        "motifs",
        "Motifs de médiation les plus fréquents",
        "Motif",
        _pct_columns("Médiations"),
        tuple(Row(label, (float(n), share(n, mediations)), key=k) for k, label, n in shown_motives)
        + (
            (Row("Autres motifs ou non renseignés", (float(pooled), share(pooled, mediations))),)
            if pooled
            else ()
        ),
        total=total_row,
        chart="none",
    )

    # -- headline
    result_m = results["mediation"]
    previous = per_year.get(year - 1)
    headline = Headline(
        year=year,
        total=kinds.total(),
        mediations=kinds["mediation"],
        reorientations=kinds["reorientation"],
        previous_total=previous.total() if previous else None,
        cumulative=sum(c.total() for y, c in per_year.items() if y <= year),
        first_year=first,
        duration=duration_by_year[year],
        previous_duration=duration_by_year.get(year - 1),
        finished=states["termine"] + states["irrecevable"] + states["abandon"],
        in_progress=states["en_cours"],
        mediation_results=result_m.total(),
        mediation_resolved=result_m["complete"] + result_m["partielle"],
        mediation_complete=result_m["complete"],
        territorial=sum(territorial.values()),
        central=sum(central.values()),
    )
    return Figures(year, computed_at or system_clock(), headline, tables)
