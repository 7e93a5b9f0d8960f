"""The Département's communes: which territory a postcode or a commune name belongs to.

Reads the shipped table triage/defaults/isere-communes.csv (Etalab, Licence Ouverte; see the README
beside it). A postcode shared by communes of different territories is settled by the commune name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from triage.resources import defaults_dir

COMMUNES_FILE = "isere-communes.csv"


@dataclass(frozen=True)
class Place:
    """A commune and its territory."""

    insee: str
    commune: str
    postcodes: tuple[str, ...]
    territory: str


def normalise_name(name: str) -> str:
    """'St-Égrève' -> 'saint egreve': no accents, no hyphens, Saint/Sainte spelt out, no CEDEX."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\bcedex\b.*$", "", text)
    text = re.sub(r"[-'’_.,/]", " ", text)
    text = re.sub(r"\bste\b", "sainte", text)
    text = re.sub(r"\bst\b", "saint", text)
    return re.sub(r"\s+", " ", text).strip()


class Communes:
    """Lookups over the communes table."""

    def __init__(self, places: list[Place]) -> None:
        self.places = places
        self._by_name: dict[str, Place] = {}
        self._by_postcode: dict[str, list[Place]] = {}
        for place in places:
            self._by_name.setdefault(normalise_name(place.commune), place)
            for code in place.postcodes:
                self._by_postcode.setdefault(code, []).append(place)

    @classmethod
    def load(cls, path: Path | None = None) -> Communes:
        """Read a communes CSV (insee, commune, codes_postaux, population, epci_siren, epci, territoire)."""
        path = path or defaults_dir() / COMMUNES_FILE
        places: list[Place] = []
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(line for line in fh if not line.startswith("#")):
                codes = tuple(re.findall(r"\d{5}", row.get("codes_postaux") or ""))
                places.append(Place(row["insee"], row["commune"], codes, row.get("territoire") or ""))
        return cls(places)

    def find(self, postcode: str = "", commune: str = "") -> Place | None:
        """The commune matching a postcode and/or a name, or None when unknown or ambiguous."""
        code = re.sub(r"\s+", "", postcode or "")
        name = normalise_name(commune)
        candidates = self._by_postcode.get(code, []) if code else []
        if name:
            for place in candidates:
                if normalise_name(place.commune) == name:
                    return place
            named = self._by_name.get(name)
            if named is not None and (not candidates or code in named.postcodes):
                return named
        if len(candidates) == 1:
            return candidates[0]
        return None

    def territory(self, postcode: str = "", commune: str = "") -> str:
        """The territory of a place ("" when unknown); a postcode shared within one territory suffices."""
        place = self.find(postcode, commune)
        if place is not None:
            return place.territory
        code = re.sub(r"\s+", "", postcode or "")
        territories = {p.territory for p in self._by_postcode.get(code, [])}
        return territories.pop() if len(territories) == 1 else ""


@lru_cache(maxsize=1)
def default_communes() -> Communes:
    """The shipped table, read once per process."""
    return Communes.load()
