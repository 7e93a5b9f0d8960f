"""A fictitious multi-year history of requests, so that a fresh install can show a real-looking report.

The proportions follow the Isère mediation report 2024: the number of requests grows every year
(mediations multiplied by more than four in three years), about 30 % are reorientations (more in
2024, with the préfecture's residence permits), the online form dominates the channels, then the
phone, email and post, with in-person sessions from September 2024; the Agglomération grenobloise
dominates the territories and mountain areas are under-represented; mediations end in complete
(46 %), partial (34 %) or no resolution (20 %), reorientations mostly in partial ones; processing
times fall year after year.

Demo dossiers carry references DEMO-YYYY-NNNNN and no personal data at all: no name, no address,
no email, no phone, no text; only a commune and its postcode to place them on a territory.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from triage.clock import system_clock
from triage.demo.texts import COMMENTS, RECOMMENDATIONS
from triage.dossiers.tracking import KEY_ALPHABET, KEY_LENGTH
from triage.errors import ReportError
from triage.report.territories import Commune, Territory, read_communes, read_territories
from triage.runtime import Runtime
from triage.store.demo_history import count_dossiers, delete_history, insert_dossier_rows
from triage.store.recommendations import (
    add_progress,
    add_recommendation,
    count_recommendations,
    has_comment,
    set_comment,
)

DEMO_PREFIX = "DEMO-"
START = datetime(2022, 2, 1, tzinfo=UTC)  # the Isère mediator took office in February 2022


@dataclass(frozen=True)
class YearPlan:
    """What one year of the history looks like."""

    requests: int
    reorientation_share: float
    mean_days: float  # mediations
    reorientation_days: float


PLANS: dict[int, YearPlan] = {
    2022: YearPlan(30, 0.25, 96.0, 16.0),
    2023: YearPlan(58, 0.27, 61.0, 12.0),
    2024: YearPlan(96, 0.36, 46.0, 10.0),
    2025: YearPlan(140, 0.30, 40.0, 9.0),
    2026: YearPlan(175, 0.30, 34.0, 8.0),
}


def plan_for(year: int) -> YearPlan:
    """The plan of a year; after the last one, +12 % a year and slowly shorter durations."""
    if year in PLANS:
        return PLANS[year]
    last = max(PLANS)
    base = PLANS[last]
    k = year - last
    return YearPlan(
        round(base.requests * 1.12**k), 0.30, max(25.0, base.mean_days - 2 * k), base.reorientation_days
    )


MONTH_WEIGHTS = [1.0, 1.0, 1.1, 1.0, 1.0, 1.0, 0.8, 0.5, 1.1, 1.2, 1.1, 0.9]
CHANNELS = {"formulaire": 0.55, "telephone": 0.22, "email": 0.12, "courrier": 0.07, "permanence": 0.04}
REFERRED_BY = {
    "usager": 0.88,
    "elu": 0.04,
    "agent": 0.04,
    "delegue_defenseur_droits": 0.03,
    "tribunal_administratif": 0.01,
}
TERRITORY_FACTOR = {
    "Agglomération grenobloise": 1.7,
    "Matheysine": 0.5,
    "Vercors": 0.5,
    "Trièves": 0.5,
    "Oisans": 0.45,
    "Vals du Dauphiné": 1.0,
}
OUTSIDE_SHARE = 0.04
DOMAINS = {
    "autonomie_handicap": 0.20,
    "autonomie_personnes_agees": 0.12,
    "protection_enfance": 0.18,
    "pmi": 0.07,
    "insertion_rsa": 0.12,
    "logement_fsl": 0.08,
    "education_jeunesse": 0.05,
    "routes_mobilite": 0.06,
    "autres_politiques": 0.07,
    "hors_champ": 0.05,
}
SUB_CHAPTERS = {
    "autonomie_handicap": {
        "cmi": 0.3,
        "pch": 0.3,
        "aesh": 0.2,
        "orientation_esms": 0.12,
        "transport_tseh": 0.08,
    },
    "autonomie_personnes_agees": {
        "ehpad": 0.4,
        "apa": 0.3,
        "obliges_alimentaires": 0.2,
        "aide_sociale_hebergement": 0.1,
    },
    "protection_enfance": {
        "visites_mediatisees": 0.35,
        "placement": 0.35,
        "assfam": 0.15,
        "jeune_majeur": 0.15,
    },
    "pmi": {"agrement_assmat": 0.8, "consultation_pmi": 0.2},
    "insertion_rsa": {"rsa_indu": 0.45, "rsa_suspension": 0.3, "rsa_recours": 0.25},
    "logement_fsl": {"fsl_dette": 0.7, "fsl_energie": 0.3},
    "education_jeunesse": {"college": 0.6, "bourses": 0.4},
    "routes_mobilite": {"dommages_voirie": 0.5, "travaux": 0.3, "deneigement": 0.2},
    "autres_politiques": {"accueil": 0.5, "thd": 0.3, "autre": 0.2},
    "hors_champ": {"marches_publics": 0.4, "autre": 0.6},
}
# Where the service concerned sits: "DT" is the requester's territorial direction.
DIRECTIONS = {
    "autonomie_handicap": {"DAU": 0.55, "DT": 0.45},
    "autonomie_personnes_agees": {"DAU": 0.5, "DT": 0.5},
    "protection_enfance": {"DT": 0.8, "DEJS": 0.2},
    "pmi": {"DT": 0.85, "DEJS": 0.15},
    "insertion_rsa": {"DT": 0.85, "DSO": 0.15},
    "logement_fsl": {"DT": 0.7, "DSO": 0.3},
    "education_jeunesse": {"DEJS": 0.8, "DT": 0.2},
    "routes_mobilite": {"DT": 0.7, "DMO": 0.3},
    "autres_politiques": {"DT": 0.4, "DCP": 0.3, "DINSI": 0.15, "DAJAM": 0.15},
    "hors_champ": {"DT": 0.5, "DAJAM": 0.5},
}
REORIENTATIONS = {
    "prefecture": 0.34,
    "caf": 0.18,
    "bailleur_social": 0.12,
    "commune": 0.08,
    "cpam": 0.07,
    "france_travail": 0.06,
    "education_nationale": 0.05,
    "defenseur_des_droits": 0.05,
    "conciliateur_justice": 0.04,
    "region": 0.01,
}
REORIENTATION_MOTIVE = {
    "prefecture": "titre_sejour",
    "caf": "prestations_caf",
    "bailleur_social": "logement_social",
}
MEDIATION_RESULTS = {"resolution_complete": 0.46, "resolution_partielle": 0.34, "sans_resolution": 0.20}
REORIENTATION_RESULTS = {
    "reorientee": 0.55,
    "resolution_partielle": 0.10,
    "resolution_complete": 0.32,
    "sans_resolution": 0.03,
}


_CUMULATIVE: dict[int, tuple[dict[Any, float], list[Any], list[float]]] = {}


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    """A weighted draw; the cumulative weights of each (module-level, never mutated) table are kept."""
    cached = _CUMULATIVE.get(id(weights))
    if cached is None or cached[0] is not weights:  # the cache keeps the table alive: its id stays its own
        total, cum = 0.0, []
        for w in weights.values():
            total += w
            cum.append(total)
        cached = _CUMULATIVE[id(weights)] = (weights, list(weights), cum)
    return rng.choices(cached[1], cum_weights=cached[2])[0]


def _lognormal_days(rng: random.Random, mean: float, sigma: float = 0.65) -> int:
    mu = math.log(mean) - sigma * sigma / 2
    return max(1, round(rng.lognormvariate(mu, sigma)))


class _Places:
    """Territories weighted by population (and the report's urban/mountain contrast), with their communes."""

    def __init__(self, territories: list[Territory], communes: list[Commune]) -> None:
        self.territories = {t.name: t.population * TERRITORY_FACTOR.get(t.name, 0.85) for t in territories}
        grouped: dict[str, list[Commune]] = {}
        for c in communes:
            grouped.setdefault(c.territory, []).append(c)
        self.communes: dict[str, dict[Commune, float]] = {
            name: {c: float(max(c.population, 1)) for c in members} for name, members in grouped.items()
        }

    def pick(self, rng: random.Random) -> tuple[str, str, str]:
        """(territory, commune, postcode); empty for a requester outside the Département."""
        if rng.random() < OUTSIDE_SHARE or not self.territories:
            return "", "", ""
        territory = _pick(rng, self.territories)
        options = self.communes.get(territory)
        if not options:
            return territory, "", ""
        commune: Commune = _pick(rng, options)
        return territory, commune.name, commune.postcode


def _received(rng: random.Random, year: int, start: datetime, until: datetime) -> datetime:
    lo = max(start, datetime(year, 1, 1, tzinfo=UTC))
    hi = min(until, datetime(year + 1, 1, 1, tzinfo=UTC))
    while True:
        month = rng.choices(range(1, 13), weights=MONTH_WEIGHTS)[0]
        day = rng.randint(1, 28)
        moment = datetime(year, month, day, rng.randint(7, 20), rng.randint(0, 59), tzinfo=UTC)
        if lo <= moment < hi:
            return moment


CHANNELS_BEFORE_SESSIONS = {k: v for k, v in CHANNELS.items() if k != "permanence"} | {
    "formulaire": CHANNELS["formulaire"] + CHANNELS["permanence"]
}
CHANNELS_WITH_SESSIONS = CHANNELS | {"formulaire": 0.50, "permanence": 0.09}
SESSIONS_START = datetime(2024, 9, 1, tzinfo=UTC)  # permanences in the territories


def _channel(rng: random.Random, when: datetime) -> str:
    if when < SESSIONS_START:
        return str(_pick(rng, CHANNELS_BEFORE_SESSIONS))
    return str(_pick(rng, CHANNELS if when.year < 2025 else CHANNELS_WITH_SESSIONS))


def demo_rows(
    first_year: int,
    until: datetime,
    *,
    scale: float = 1.0,
    seed: int = 2022,
    territories: list[Territory] | None = None,
    communes: list[Commune] | None = None,
    start: datetime = START,
) -> Iterator[dict[str, Any]]:
    """Rows for `insert(Dossier)`: the fictitious dossiers from `first_year` to `until`."""
    rng = random.Random(seed)
    places = _Places(
        territories if territories is not None else read_territories(),
        communes if communes is not None else read_communes(),
    )
    for year in range(first_year, until.year + 1):
        plan = plan_for(year)
        active_from = max(start, datetime(year, 1, 1, tzinfo=UTC))
        year_end = datetime(year + 1, 1, 1, tzinfo=UTC)
        if until <= active_from:
            continue
        # the plan counts a whole active year; the current year gets its share up to `until`
        covered = min(1.0, (min(until, year_end) - active_from) / (year_end - active_from))
        count = round(plan.requests * scale * covered)
        for seq in range(1, count + 1):
            yield _one(rng, places, plan, year, seq, start, until, seed)


def _one(
    rng: random.Random,
    places: _Places,
    plan: YearPlan,
    year: int,
    seq: int,
    start: datetime,
    until: datetime,
    seed: int,
) -> dict[str, Any]:
    received = _received(rng, year, start, until)
    territory, commune, postcode = places.pick(rng)
    reoriented = rng.random() < plan.reorientation_share
    row: dict[str, Any] = {
        "reference": f"{DEMO_PREFIX}{year}-{seq:05d}",
        "year": year,
        "tracking_token_hash": hashlib.sha256(f"demo:{seed}:{year}:{seq}".encode()).hexdigest(),
        "tracking_key": "".join(rng.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH)),
        "channel": _channel(rng, received),
        "referred_by": _pick(rng, REFERRED_BY),
        "triage_status": "confirmed",
        "received_at": received,
        "opened_at": received,
        "first_contact_at": None,
        "closed_at": None,
        "requester_civility": "",
        "requester_name": "",
        "requester_email": "",
        "requester_phone": "",
        "requester_address": "",
        "requester_postcode": postcode,
        "requester_commune": commune,
        "requester_territory": territory,
        "subject": "",
        "service_concerned": "",
        "direction": "",
        "merged_into_id": None,
        "service_deadline": None,
        "created_at": received,
    }
    contact = received + timedelta(days=rng.randint(1, 8), hours=rng.randint(0, 6))
    row["first_contact_at"] = contact if contact < until else None
    if reoriented:
        target = _pick(rng, REORIENTATIONS)
        if year == 2024 and rng.random() < 0.25:  # the 2024 wave of residence-permit requests
            target = "prefecture"
        row.update(
            domain="hors_champ",
            sub_chapter=REORIENTATION_MOTIVE.get(target, "autre"),
            admissibility="irrecevable",
            reorientation=target,
        )
        days = _lognormal_days(rng, plan.reorientation_days, 0.5)
        outcome = _pick(rng, REORIENTATION_RESULTS)
        closed = received + timedelta(days=days, hours=rng.randint(0, 8))
        if closed < until:
            row.update(status="cloturee", outcome=outcome, closed_at=closed)
        else:
            row.update(status="reorientee" if rng.random() < 0.5 else "en_examen", outcome=None)
    else:
        domain = _pick(rng, DOMAINS)
        direction = _pick(rng, DIRECTIONS[domain])
        row.update(
            domain=domain,
            sub_chapter=_pick(rng, SUB_CHAPTERS[domain]),
            reorientation="none",
            direction=(territory or "Agglomération grenobloise") if direction == "DT" else direction,
        )
        draw = rng.random()
        if draw < 0.02:
            row["admissibility"], outcome, days = "irrecevable", "irrecevable", _lognormal_days(rng, 12, 0.4)
        elif draw < 0.04:
            row["admissibility"], outcome = "recevable", "abandon"
            days = _lognormal_days(rng, plan.mean_days * 0.8)
        else:
            row["admissibility"] = "prematuree" if rng.random() < 0.04 else "recevable"
            outcome, days = _pick(rng, MEDIATION_RESULTS), _lognormal_days(rng, plan.mean_days)
        closed = received + timedelta(days=days, hours=rng.randint(0, 8))
        if closed < until:
            row.update(status="cloturee", outcome=outcome, closed_at=closed)
        else:
            elapsed = (until - received).days
            status = (
                "en_examen"
                if elapsed < 10
                else ("transmise_service" if elapsed < 25 else "mediation_en_cours")
            )
            row.update(status=status, outcome=None)
    row["updated_at"] = row["closed_at"] or received
    row["service_deadline"] = (received + timedelta(days=15)).date() if row["direction"] else None
    return row


def count_real_dossiers(runtime: Runtime) -> int:
    """Dossiers that are not part of the demo history."""
    return count_dossiers(runtime.sessions, DEMO_PREFIX, with_prefix=False)


def count_demo_dossiers(runtime: Runtime) -> int:
    """Dossiers of the demo history."""
    return count_dossiers(runtime.sessions, DEMO_PREFIX, with_prefix=True)


def insert_rows(runtime: Runtime, rows: Iterator[dict[str, Any]], batch: int = 5000) -> Counter[int]:
    """Bulk-insert dossier rows (Core executemany in batches, one transaction); returns the count per year."""
    return insert_dossier_rows(runtime.engine, rows, batch)


def generate_history(
    runtime: Runtime,
    *,
    first_year: int = 2022,
    until: datetime | None = None,
    scale: float = 1.0,
    seed: int = 2022,
    with_texts: bool = True,
    force: bool = False,
) -> Counter[int]:
    """Fill the database with the demo history (replacing an earlier one); refuses next to real dossiers."""
    if not force and count_real_dossiers(runtime):
        raise ReportError(
            "la base contient de vrais dossiers : l'historique de démonstration les mélangerait "
            "aux statistiques (utilisez une base vide, ou --force en connaissance de cause)"
        )
    until = until or system_clock()
    purge_history(runtime)
    per_year = insert_rows(runtime, demo_rows(first_year, until, scale=scale, seed=seed))
    if with_texts:
        with runtime.sessions.begin() as session:
            if not count_recommendations(session):
                for rec in RECOMMENDATIONS:
                    if rec["year"] > until.year:
                        continue
                    rec_id = add_recommendation(
                        session,
                        year=rec["year"],
                        title=rec["title"],
                        description=rec["description"],
                        services=rec["services"],
                    )
                    for on, status, note in rec["progress"]:
                        if on <= until.date():
                            add_progress(session, rec_id, note, on=on, status=status)
            for section, text in COMMENTS.items():
                if not has_comment(session, until.year, section):
                    set_comment(session, until.year, section, text)
    return per_year


def purge_history(runtime: Runtime) -> int:
    """Remove the demo dossiers, recommendations and texts; returns the number of dossiers removed."""
    titles = [rec["title"] for rec in RECOMMENDATIONS]
    return delete_history(runtime.sessions, DEMO_PREFIX, titles, [t.strip() for t in COMMENTS.values()])
