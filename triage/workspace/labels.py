"""The lists the mediator picks from: triage labels, channels of manual requests, who referred them.

Triage labels come from the configured taxonomy (`triage.suggest.taxonomy`) when it is installed; otherwise
from the default codes of TAXONOMY.md, written here and nowhere else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from triage import logs
from triage.config import Settings
from triage.dossiers.tracking import Contact
from triage.errors import MediatureError
from triage.suggest.taxonomy import cached_taxonomy, load_targets

# Default taxonomy (codes used verbatim by `mediature suggest`); only a fallback for the taxonomy module.
_DEFAULT_DOMAINS = (
    ("autonomie_handicap", "Autonomie — handicap (MDPH, PCH, CMI…)"),
    ("autonomie_personnes_agees", "Autonomie — personnes âgées (APA, EHPAD, aide sociale)"),
    ("protection_enfance", "Protection de l'enfance (ASE)"),
    ("pmi", "PMI, assistantes maternelles, modes d'accueil"),
    ("insertion_rsa", "Insertion — RSA"),
    ("logement_fsl", "Logement — FSL"),
    ("education_jeunesse", "Collèges, éducation, jeunesse et sport"),
    ("routes_mobilite", "Routes départementales et mobilité"),
    ("autres_politiques", "Autres politiques du Département"),
    ("hors_champ", "Hors champ du Département"),
)
_DEFAULT_ADMISSIBILITY = (
    ("recevable", "Recevable"),
    ("prematuree", "Prématurée (le service doit d'abord être saisi)"),
    ("irrecevable", "Irrecevable (art. 12)"),
)
_DEFAULT_REORIENTATION = (
    ("none", "Aucune réorientation"),
    ("prefecture", "Préfecture"),
    ("caf", "CAF"),
    ("cpam", "CPAM"),
    ("france_travail", "France Travail"),
    ("bailleur_social", "Bailleur social"),
    ("commune", "Commune (mairie, CCAS)"),
    ("region", "Région"),
    ("education_nationale", "Éducation nationale"),
    ("defenseur_des_droits", "Défenseur des droits"),
    ("conciliateur_justice", "Conciliateur de justice"),
)

# Every channel a request comes by, as the mediator reads it (records.Channel values).
CHANNEL_NAMES: dict[str, str] = {
    "email": "courriel",
    "formulaire": "formulaire web",
    "courrier": "courrier",
    "telephone": "téléphone",
    "permanence": "permanence",
}

# How a request typed in by hand reached the mediation (records.Channel values).
MANUAL_CHANNELS: dict[str, str] = {
    "telephone": "Appel téléphonique",
    "permanence": "Permanence (Maison du Département)",
    "courrier": "Courrier remis en main propre",
}

# Who referred the request (art. 8 and 9 of the règlement; Défenseur des droits' delegates; courts).
REFERRERS: dict[str, str] = {
    "usager": "L'usager lui-même",
    "agent": "Un agent du Département (art. 9)",
    "elu": "Un élu du Conseil départemental (art. 9)",
    "tribunal_administratif": "Le tribunal administratif",
    "delegue_defenseur_droits": "Un délégué du Défenseur des droits",
}

CIVILITIES = ("", "Madame", "Monsieur")


@dataclass(frozen=True)
class LabelChoices:
    """Codes and French labels for the three triage labels."""

    domains: tuple[tuple[str, str], ...]
    admissibility: tuple[tuple[str, str], ...]
    reorientation: tuple[tuple[str, str], ...]

    def name(self, kind: str, code: str | None) -> str:
        """French label of a code ('' for none; the code itself when unknown)."""
        if not code:
            return ""
        return dict(getattr(self, kind)).get(code, code)

    def valid(self, kind: str, code: str) -> bool:
        """Whether `code` is one of the configured codes for `kind`."""
        return code in dict(getattr(self, kind))


def label_choices(settings: Settings) -> LabelChoices:
    """The configured taxonomy's codes and labels (triage.suggest.taxonomy), or the shipped defaults."""
    try:
        tax = cached_taxonomy(settings.triage.taxonomy_file)
    except MediatureError as err:
        # a broken taxonomy file must not lock the mediator out: the default lists still work
        logs.failure("taxonomy_unavailable_default_labels", err, level=logging.WARNING)
        return LabelChoices(_DEFAULT_DOMAINS, _DEFAULT_ADMISSIBILITY, _DEFAULT_REORIENTATION)

    def pairs(label: str) -> tuple[tuple[str, str], ...]:
        return tuple((c.code, c.label) for c in tax.labels[label])

    return LabelChoices(pairs("domain"), pairs("admissibility"), pairs("reorientation"))


def reorientation_contact(settings: Settings, code: str | None) -> Contact | None:
    """Name, address, phone and website of a reorientation target from the configured directory."""
    if not code or code == "none":
        return None
    try:
        targets = _targets(getattr(settings.triage, "reorientation_file", None))
    except MediatureError as err:
        logs.failure("reorientation_directory_unavailable", err, level=logging.WARNING)
        return None
    target = targets.get(code)
    if target is None:
        return None
    return Contact(
        name=target.name,
        address_lines=tuple(target.address),
        phone=target.phone,
        website=target.website,
        note=target.details,
        article=target.article,
    )


@lru_cache(maxsize=4)
def _targets(path: Any) -> dict[str, Any]:
    return load_targets(path)
