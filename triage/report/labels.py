"""French names of the codes the report counts: channels, statuses, outcomes, domains, directions...

The report uses its own short names for the default codes (they must fit beside a bar); a code the
configured taxonomy adds (triage.suggest.taxonomy) gets the taxonomy's French name.
"""

from __future__ import annotations

from pathlib import Path

from triage.errors import MediatureError
from triage.records import Channel
from triage.suggest.taxonomy import cached_taxonomy

CHANNELS: dict[str, str] = {
    Channel.FORM.value: "Formulaire en ligne",
    Channel.PHONE.value: "Téléphone",
    Channel.EMAIL.value: "Courriel",
    Channel.LETTER.value: "Courrier",
    Channel.VISIT.value: "Permanence",
}

# Processing state of a request (the Isère report's "état des traitements").
PROCESSING: dict[str, str] = {
    "termine": "Terminés",
    "en_cours": "En cours",
    "irrecevable": "Irrecevables",
    "abandon": "Abandonnés",
}

# Result of a finished mediation or reorientation.
RESULTS: dict[str, str] = {
    "complete": "Résolution complète",
    "partielle": "Résolution partielle",
    "aucune": "Sans résolution",
}

KINDS: dict[str, str] = {"mediation": "Médiations", "reorientation": "Réorientations"}

# Domains (the report's "sous-chapitres") grouped into policy areas, in display order.
POLICY_AREAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "autonomie": ("Autonomie", ("autonomie_handicap", "autonomie_personnes_agees")),
    "enfance_famille": ("Enfance et famille", ("protection_enfance", "pmi")),
    "social_insertion": ("Social et insertion", ("insertion_rsa", "logement_fsl")),
    "education": ("Éducation, jeunesse et sport", ("education_jeunesse",)),
    "routes": ("Routes et mobilités", ("routes_mobilite",)),
    "divers": ("Divers", ("autres_politiques", "hors_champ")),
}

DOMAINS: dict[str, str] = {
    "autonomie_handicap": "Handicap",
    "autonomie_personnes_agees": "Personnes âgées",
    "protection_enfance": "Protection de l'enfance",
    "pmi": "PMI",
    "insertion_rsa": "RSA",
    "logement_fsl": "FSL",
    "education_jeunesse": "Collèges, jeunesse et sport",
    "routes_mobilite": "Routes départementales",
    "autres_politiques": "Autres politiques",
    "hors_champ": "Hors champ",
}

REORIENTATIONS: dict[str, str] = {
    "prefecture": "Préfecture",
    "caf": "CAF",
    "cpam": "CPAM",
    "france_travail": "France Travail",
    "bailleur_social": "Bailleurs sociaux",
    "commune": "Communes et CCAS",
    "region": "Région",
    "education_nationale": "Éducation nationale",
    "defenseur_des_droits": "Défenseur des droits",
    "conciliateur_justice": "Conciliateur de justice",
}

# Central directions of the Département (codes as the workspace stores them, then their names).
CENTRAL_DIRECTIONS: dict[str, str] = {
    "DAU": "Direction de l'autonomie",
    "DEJS": "Direction de l'éducation, de la jeunesse et du sport",
    "DSO": "Direction des solidarités",
    "DMO": "Direction des mobilités",
    "DCP": "Direction de la culture et du patrimoine",
    "DAJAM": "Direction des affaires juridiques, des achats et des marchés",
    "DINSI": "Direction de l'innovation numérique et des systèmes d'information",
    "DPM": "Direction de la performance et de la modernisation",
    "DRH": "Direction des ressources humaines",
}
TERRITORIAL_PREFIXES = ("direction territoriale", "dt ", "dt-", "dt:", "territoire:")

# Detailed motives (dossiers.sub_chapter) the history generator and the workspace use.
SUB_CHAPTERS: dict[str, str] = {
    "cmi": "Carte mobilité inclusion",
    "pch": "Prestation de compensation du handicap",
    "aesh": "Aide humaine à la scolarisation (AESH)",
    "orientation_esms": "Orientation en établissement ou service",
    "transport_tseh": "Transport des élèves handicapés",
    "apa": "Allocation personnalisée d'autonomie",
    "ehpad": "Prise en charge en établissement",
    "obliges_alimentaires": "Obligés alimentaires",
    "aide_sociale_hebergement": "Aide sociale à l'hébergement",
    "placement": "Modalités de placement",
    "visites_mediatisees": "Visites médiatisées",
    "assfam": "Assistants familiaux",
    "jeune_majeur": "Contrat jeune majeur",
    "agrement_assmat": "Agrément d'assistant maternel",
    "consultation_pmi": "Consultations PMI",
    "rsa_indu": "Indu de RSA",
    "rsa_suspension": "Suspension ou radiation du RSA",
    "rsa_recours": "Recours gracieux RSA sans réponse",
    "fsl_dette": "Dette locative",
    "fsl_energie": "Impayés d'énergie",
    "college": "Vie au collège",
    "bourses": "Bourses et aides départementales",
    "dommages_voirie": "Dommages sur route départementale",
    "travaux": "Travaux routiers",
    "deneigement": "Déneigement",
    "thd": "Très haut débit",
    "accueil": "Accueil dans une Maison du Département",
    "marches_publics": "Marchés publics",
    "titre_sejour": "Titre de séjour",
    "prestations_caf": "Prestations de la CAF",
    "logement_social": "Logement social",
    "autre": "Autre motif",
}

NOT_GIVEN = "Non renseigné"
OUTSIDE = "Hors Isère ou non renseigné"
OTHERS = "Autres"


def _taxonomy_name(label: str, code: str, taxonomy_file: Path | None) -> str | None:
    """The configured taxonomy's French name of a code, None when it has none (or cannot be read)."""
    try:
        name = cached_taxonomy(taxonomy_file).name(label, code)
    except MediatureError:  # a broken taxonomy file must not stop the report: codes stay readable
        return None
    return name if name and name != code else None


def domain_label(code: str, taxonomy_file: Path | None = None) -> str:
    """Short French name of a domain (sub-chapter): the report's own, else the taxonomy's."""
    return DOMAINS.get(code) or _taxonomy_name("domain", code, taxonomy_file) or humanise(code)


def reorientation_label(code: str, taxonomy_file: Path | None = None) -> str:
    """French name of a reorientation target: the report's own, else the taxonomy's."""
    return REORIENTATIONS.get(code) or _taxonomy_name("reorientation", code, taxonomy_file) or humanise(code)


def sub_chapter_label(code: str) -> str:
    """French name of a detailed motive."""
    return SUB_CHAPTERS.get(code) or humanise(code)


def policy_area_of(domain: str) -> str:
    """The policy area a domain belongs to ('divers' when unknown)."""
    for area, (_, domains) in POLICY_AREAS.items():
        if domain in domains:
            return area
    return "divers"


def is_territorial(direction: str, territories: set[str]) -> bool:
    """Whether a direction value names a territorial direction (a territory, 'Direction territoriale …')."""
    value = direction.strip()
    return value in territories or value.lower().startswith(TERRITORIAL_PREFIXES)


def direction_label(direction: str, territories: set[str]) -> str | None:
    """Display name of a direction the report knows ('DT Agglomération grenobloise', 'Direction de
    l'autonomie'); None for a value typed freely that matches no known direction."""
    value = " ".join(direction.split())
    lowered = value.lower()
    if is_territorial(value, territories):
        named = [t for t in territories if t.lower() in lowered]
        return f"DT {max(named, key=len)}" if named else None
    if value.upper() in CENTRAL_DIRECTIONS:
        return CENTRAL_DIRECTIONS[value.upper()]
    for name in CENTRAL_DIRECTIONS.values():
        if lowered == name.lower():
            return name
    return None


def humanise(code: str) -> str:
    """'obliges_alimentaires' -> 'Obliges alimentaires' (last resort for unknown codes)."""
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else NOT_GIVEN
