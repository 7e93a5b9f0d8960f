"""The Département's territories and their population (for requests per 10,000 inhabitants).

The shipped table `triage/defaults/isere-territories.csv` is derived from the communes table
(`isere-communes.csv`: Etalab's "découpage administratif", Licence Ouverte) by summing the municipal
population of the communes of each territory; `scripts/build_isere_territories.py` rebuilds it.
Lines starting with `#` carry the source and are skipped when reading.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from triage.resources import PROJECT_DIR, defaults_dir

TERRITORIES_FILE = "isere-territories.csv"
COMMUNES_FILE = "isere-communes.csv"
SOURCE_NOTE = (
    "Population municipale des communes (données Etalab « découpage administratif », paquet "
    "@etalab/decoupage-administratif 6.0.0, Licence Ouverte), sommée par territoire du Département "
    "selon la colonne « territoire » de isere-communes.csv."
)


@dataclass(frozen=True)
class Territory:
    """One territory of the Département with its municipal population."""

    name: str
    population: int
    communes: int


@dataclass(frozen=True)
class Commune:
    """One commune: name, first postcode and the territory it belongs to."""

    insee: str
    name: str
    postcode: str
    population: int
    territory: str


def communes_file() -> Path | None:
    """The communes table: the packaged copy, else the shared reference data (development tree)."""
    for path in (defaults_dir() / COMMUNES_FILE, PROJECT_DIR.parent / "shared" / "data" / COMMUNES_FILE):
        if path.is_file():
            return path
    return None


def read_communes(path: Path | None = None) -> list[Commune]:
    """The communes with their territory ([] when no table is available)."""
    path = path or communes_file()
    if path is None:
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Commune(
                insee=row["insee"],
                name=row["commune"],
                postcode=(row.get("codes_postaux") or "").split(";")[0].split(" ")[0],
                population=int(row["population"] or 0),
                territory=row["territoire"],
            )
            for row in csv.DictReader(fh)
            if row.get("territoire")
        ]


def derive_territories(communes_csv: Path) -> list[Territory]:
    """Sum the communes' population per territory, largest first."""
    population: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for commune in read_communes(communes_csv):
        population[commune.territory] += commune.population
        count[commune.territory] += 1
    return sorted(
        (Territory(name, population[name], count[name]) for name in population),
        key=lambda t: (-t.population, t.name),
    )


def write_territories(territories: list[Territory], path: Path) -> None:
    """Write the table with its source as leading comment lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"# Source : {SOURCE_NOTE}\n")
        fh.write(
            f"# Total : {sum(t.population for t in territories)} habitants, "
            f"{sum(t.communes for t in territories)} communes.\n"
        )
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["territoire", "population", "communes"])
        for t in territories:
            writer.writerow([t.name, t.population, t.communes])


def read_territories(path: Path | None = None) -> list[Territory]:
    """The population table (the shipped one by default)."""
    path = path or defaults_dir() / TERRITORIES_FILE
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [
        Territory(row["territoire"], int(row["population"]), int(row["communes"]))
        for row in csv.DictReader(lines)
    ]
