"""A small known dataset for the report tests, with hand-computed figures beside it.

Twelve dossiers: three of 2024, nine of 2025 that count, and one 2025 duplicate merged into another
(never counted). Every requester has realistic-looking identifiers so that the export tests can check
that none of them leaves the database.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from triage.store.models import Dossier


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    """A UTC moment."""
    return datetime(y, m, d, h, 0, tzinfo=UTC)


# reference, year, kind-defining fields, dates...
DOSSIERS: list[dict[str, Any]] = [
    # 2024
    dict(
        reference="MED-2024-00001",
        channel="formulaire",
        status="cloturee",
        outcome="resolution_complete",
        received_at=at(2024, 3, 1),
        closed_at=at(2024, 3, 31),
        requester_territory="Agglomération grenobloise",
        direction="DAU",
        domain="autonomie_handicap",
        sub_chapter="cmi",
        admissibility="recevable",
    ),
    dict(
        reference="MED-2024-00002",
        channel="telephone",
        status="cloturee",
        outcome="reorientee",
        received_at=at(2024, 5, 10),
        closed_at=at(2024, 5, 20),
        requester_territory="Voironnais-Chartreuse",
        reorientation="caf",
        domain="hors_champ",
        admissibility="irrecevable",
    ),
    dict(
        reference="MED-2024-00003",
        channel="email",
        status="cloturee",
        outcome="resolution_complete",
        received_at=at(2024, 12, 1),
        closed_at=at(2025, 1, 15),
        requester_territory="Grésivaudan",
        direction="Grésivaudan",
        domain="pmi",
        sub_chapter="agrement_assmat",
        admissibility="recevable",
    ),
    # 2025
    dict(
        reference="MED-2025-00001",
        channel="formulaire",
        status="cloturee",
        outcome="resolution_complete",
        received_at=at(2025, 1, 10),
        closed_at=at(2025, 1, 30),
        requester_territory="Agglomération grenobloise",
        direction="DAU",
        domain="autonomie_handicap",
        sub_chapter="cmi",
        admissibility="recevable",
    ),
    dict(
        reference="MED-2025-00002",
        channel="formulaire",
        status="cloturee",
        outcome="resolution_partielle",
        received_at=at(2025, 2, 1),
        closed_at=at(2025, 3, 3),
        requester_territory="Agglomération grenobloise",
        direction="Agglomération grenobloise",
        domain="protection_enfance",
        sub_chapter="visites_mediatisees",
        admissibility="recevable",
    ),
    dict(
        reference="MED-2025-00003",
        channel="telephone",
        status="cloturee",
        outcome="sans_resolution",
        received_at=at(2025, 3, 1),
        closed_at=at(2025, 4, 10),
        requester_territory="Trièves",
        direction="Trièves",
        domain="insertion_rsa",
        sub_chapter="rsa_indu",
        admissibility="recevable",
    ),
    dict(
        reference="MED-2025-00004",
        channel="email",
        status="mediation_en_cours",
        outcome=None,
        received_at=at(2025, 4, 1),
        requester_territory="Agglomération grenobloise",
        direction="DAU",
        domain="autonomie_personnes_agees",
        sub_chapter="ehpad",
        admissibility="recevable",
    ),
    dict(
        reference="MED-2025-00005",
        channel="courrier",
        status="cloturee",
        outcome="irrecevable",
        received_at=at(2025, 5, 1),
        closed_at=at(2025, 5, 3),
        requester_territory="",
        admissibility="irrecevable",
    ),
    dict(
        reference="MED-2025-00006",
        channel="permanence",
        status="cloturee",
        outcome="abandon",
        received_at=at(2025, 6, 1),
        closed_at=at(2025, 6, 11),
        requester_territory="Grésivaudan",
        direction="Grésivaudan",
        domain="pmi",
        sub_chapter="agrement_assmat",
        admissibility="recevable",
    ),
    dict(
        reference="MED-2025-00007",
        channel="formulaire",
        status="cloturee",
        outcome="reorientee",
        received_at=at(2025, 7, 1),
        closed_at=at(2025, 7, 4),
        requester_territory="Agglomération grenobloise",
        reorientation="prefecture",
        domain="hors_champ",
        admissibility="irrecevable",
    ),
    dict(
        reference="MED-2025-00008",
        channel="formulaire",
        status="cloturee",
        outcome="resolution_complete",
        received_at=at(2025, 8, 1),
        closed_at=at(2025, 8, 6),
        requester_territory="Agglomération grenobloise",
        reorientation="caf",
        domain="hors_champ",
        admissibility="irrecevable",
    ),
    dict(
        reference="MED-2025-00009",
        channel="telephone",
        status="reorientee",
        outcome=None,
        received_at=at(2025, 9, 1),
        requester_territory="Trièves",
        reorientation="prefecture",
        domain="hors_champ",
        admissibility="irrecevable",
    ),
]
MERGED = dict(
    reference="MED-2025-00010",
    channel="email",
    status="cloturee",
    outcome="resolution_complete",
    received_at=at(2025, 1, 11),
    closed_at=at(2025, 1, 12),
    requester_territory="Oisans",
    direction="DAU",
    domain="autonomie_handicap",
    admissibility="recevable",
)

# Hand-computed figures of 2025 (dossiers received in 2025; durations of dossiers closed in 2025).
EXPECTED_2025 = {
    "total": 9,
    "mediations": 6,
    "reorientations": 3,
    "per_year": {"2024": (2, 1, 3), "2025": (6, 3, 9)},
    # closed in 2025: 45 (2024-00003), 20, 30, 40, 2, 10, 3, 5 days
    "durations": {"2024": (2, 20.0, 20.0), "2025": (8, 155 / 8, 15.0)},
    "states": {"termine": 6, "en_cours": 1, "irrecevable": 1, "abandon": 1},
    "channels": {"formulaire": 4, "telephone": 2, "email": 1, "courrier": 1, "permanence": 1},
    "territories": {"Agglomération grenobloise": 5, "Trièves": 2, "Grésivaudan": 1, "": 1, "Oisans": 0},
    "rates": {"Trièves": 2 * 10000 / 10394, "Agglomération grenobloise": 5 * 10000 / 450608},
    "territorial": 3,
    "central": 2,
    "destinations": {"prefecture": 2, "caf": 1},
    "results_mediations": {"complete": 1, "partielle": 1, "aucune": 1},
    "results_reorientations": {"complete": 1, "partielle": 2, "aucune": 0},
    "areas": {
        "autonomie": 2,
        "enfance_famille": 2,
        "social_insertion": 1,
        "education": 0,
        "routes": 0,
        "divers": 1,
    },
}

# Identifiers given to the requesters: none may ever appear in an export or a report.
PEOPLE = [
    (
        "Madame",
        "Sylvie Martin-Roux",
        "sylvie.martinroux@example.org",
        "06 12 34 56 78",
        "12 rue des Alpes, Bâtiment C",
    ),
    ("Monsieur", "Karim Benali", "k.benali@example.net", "+33 4 76 00 11 22", "3 impasse du Vercors"),
    (
        "Madame",
        "Jeanne Dupont-Lefèvre",
        "jeanne.dupont@example.com",
        "07 98 76 54 32",
        "45 avenue Jean Jaurès",
    ),
]
SUBJECT = "Refus de carte mobilité inclusion pour mon fils Théo"


def load(session: Session) -> dict[str, int]:
    """Insert the dataset; returns the id of each reference."""
    ids: dict[str, int] = {}
    for i, spec in enumerate(DOSSIERS):
        civility, name, email, phone, address = PEOPLE[i % len(PEOPLE)]
        values = dict(spec)
        dossier = Dossier(
            year=values["received_at"].year,
            tracking_token_hash=hashlib.sha256(values["reference"].encode()).hexdigest(),
            tracking_key="K7PX",
            opened_at=values["received_at"],
            requester_civility=civility,
            requester_name=name,
            requester_email=email,
            requester_phone=phone,
            requester_address=address,
            requester_postcode="38100",
            requester_commune="Grenoble",
            subject=SUBJECT,
            service_concerned="Service autonomie de la MDA, Mme Girard",
            **values,
        )
        session.add(dossier)
        session.flush()
        ids[dossier.reference] = dossier.id
    merged = Dossier(
        year=2025,
        tracking_token_hash="f" * 64,
        tracking_key="ABCD",
        opened_at=MERGED["received_at"],
        merged_into_id=ids["MED-2025-00001"],
        requester_name="Sylvie Martin-Roux",
        **MERGED,
    )
    session.add(merged)
    session.flush()
    ids[merged.reference] = merged.id
    return ids
