"""Texts of the demo history: recommendations modelled on the Isère report's projects, sample comments.

They only illustrate what the mediator writes; `mediature demo-history --purge` removes them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

RECOMMENDATIONS: list[dict[str, Any]] = [
    {
        "year": 2023,
        "title": "Simplifier et rendre lisible le parcours de scolarisation adaptée",
        "description": "Les familles d'enfants en situation de handicap peinent à suivre les étapes du "
        "parcours de scolarisation (aide humaine, matériel pédagogique, orientation). Objectif : des "
        "supports simples remis dès l'accusé de réception et des accueils formés.",
        "services": [
            "Direction de l'autonomie",
            "Direction territoriale de l'Agglomération grenobloise",
            "Direction territoriale des Vals du Dauphiné",
            "Direction de la performance et de la modernisation",
        ],
        "progress": [
            (date(2023, 6, 12), "validee", "Préconisation validée par la direction générale des services."),
            (date(2024, 3, 4), "en_cours", "Comité de pilotage installé ; prototype de brochure simplifiée."),
            (date(2024, 11, 18), None, "Tests utilisateurs de la brochure auprès d'un panel de familles."),
            (date(2025, 6, 2), "realisee", "Brochure diffusée avec les accusés de réception de la MDPH."),
        ],
    },
    {
        "year": 2023,
        "title": "Harmoniser l'information sur les voies de recours dans les décisions",
        "description": "Les décisions n'indiquent pas toujours le recours gracieux ni la possibilité de "
        "médiation. Objectif : une mention uniforme des voies de recours et une veille juridique.",
        "services": [
            "Direction des affaires juridiques, des achats et des marchés",
            "Directions territoriales",
        ],
        "progress": [
            (date(2023, 6, 12), "validee", "Préconisation validée par la direction générale des services."),
            (date(2024, 2, 20), "en_cours", "Avis juridique sollicité sur la mention de la médiation."),
            (
                date(2024, 9, 16),
                None,
                "Offre de médiation inscrite au règlement du transport des élèves handicapés.",
            ),
            (
                date(2026, 4, 7),
                None,
                "Modèles de décision RSA et FSL mis à jour avec la mention des recours.",
            ),
        ],
    },
    {
        "year": 2023,
        "title": "Valoriser le projet pour l'enfant au service du suivi des enfants confiés",
        "description": "La traçabilité du projet pour l'enfant (PPE) est insuffisante. Objectif : un PPE "
        "pour chaque enfant confié, des rôles clarifiés et des outils de suivi adaptés.",
        "services": ["Direction de l'éducation, de la jeunesse et du sport"],
        "progress": [
            (date(2023, 6, 12), "validee", "Préconisation validée par la direction générale des services."),
            (date(2024, 1, 15), "en_cours", "Plan d'action en six actions lancé dans tous les territoires."),
            (date(2025, 5, 26), None, "Document PPE refondu, intégrant le parcours de santé."),
            (
                date(2026, 2, 9),
                None,
                "Outil de suivi informatique en attente du schéma des systèmes d'information.",
            ),
        ],
    },
    {
        "year": 2023,
        "title": "Cartographier la représentation des usagers",
        "description": "Recenser les instances où les usagers sont consultés, leurs thèmes et leur "
        "couverture territoriale, pour préparer de nouveaux modes de participation.",
        "services": ["Direction générale des services", "Direction de la performance et de la modernisation"],
        "progress": [
            (date(2023, 6, 12), "validee", "Préconisation validée par la direction générale des services."),
            (date(2024, 10, 1), "en_cours", "Projet intégré à la démarche « Culture usagers »."),
            (date(2025, 9, 29), None, "Comité technique : cadre d'évaluation des expérimentations."),
        ],
    },
    {
        "year": 2025,
        "title": "Généraliser les permanences de médiation dans les territoires",
        "description": "Offrir dans chaque territoire des permanences de médiation dans les Maisons du "
        "Département, pour l'équité d'accès des zones rurales et de montagne.",
        "services": ["Directions territoriales", "Maisons du Département"],
        "progress": [
            (date(2025, 12, 8), "validee", "Préconisation validée par la direction générale des services."),
            (date(2026, 1, 19), "en_cours", "Programme de 65 permanences arrêté pour l'année."),
            (date(2026, 9, 14), None, "Permanences ouvertes dans les treize territoires."),
        ],
    },
    {
        "year": 2026,
        "title": "Créer un réseau interne de référents médiation",
        "description": "Former des agents aux entretiens préalables à la médiation, pour prolonger l'offre "
        "de service au-delà des permanences.",
        "services": ["Direction des ressources humaines", "Direction générale des services"],
        "progress": [],
    },
    {
        "year": 2026,
        "title": "Tenir le délai de réponse de quinze jours aux sollicitations de la médiation",
        "description": "Le règlement de la médiation (article 15) donne quinze jours aux services pour "
        "répondre. Objectif : un référent par direction et un suivi des délais dans Médiature.",
        "services": ["Directions territoriales", "Direction de l'autonomie"],
        "progress": [],
    },
]

COMMENTS: dict[str, str] = {
    "synthese": (
        "- La médiation poursuit sa montée en charge : le dispositif est de mieux en mieux connu "
        "des usagers.\n"
        "- La majorité des médiations aboutit à une résolution totale ou partielle.\n"
        "- Le formulaire en ligne reste le premier mode de saisine ; les permanences dans les territoires "
        "rapprochent la médiation des habitants.\n"
        "- Les délais de traitement continuent de baisser grâce à la réactivité des services."
    ),
    "donnees_generales": (
        "La durée de traitement poursuit sa baisse, signe de la professionnalisation du dispositif et de la "
        "réactivité des services départementaux. La saisine en ligne demeure le principal canal ; le "
        "téléphone garantit l'accès des publics moins connectés."
    ),
    "territoires": (
        "L'Agglomération grenobloise concentre une part importante des demandes, du fait de sa densité de "
        "population. Rapportées à la population, les demandes montrent que les territoires de montagne "
        "restent "
        "sous-représentés : les permanences de médiation y sont une priorité."
    ),
    "reorientations": (
        "Les réorientations concernent surtout la préfecture (titres de séjour), la CAF et les bailleurs "
        "sociaux. La médiation oriente la personne vers l'interlocuteur compétent et, si besoin, vers le "
        "médiateur de cet organisme."
    ),
    "mediations": (
        "Les politiques de l'autonomie et de l'enfance restent les premiers motifs de médiation. "
        "Une analyse des "
        "situations sans résolution sera conduite pour identifier les freins et améliorer les pratiques."
    ),
    "perspectives": (
        "- Poursuivre la généralisation des permanences de médiation dans les Maisons du Département.\n"
        "- Constituer le réseau interne de référents médiation.\n"
        "- Renforcer la coopération avec les médiateurs institutionnels (CAF, CPAM, Éducation nationale, "
        "délégués du Défenseur des droits)."
    ),
    "conclusion": (
        "La médiation territoriale s'affirme comme un outil d'amélioration du service public et de confiance "
        "entre l'administration et les habitants. Les résultats de l'année invitent à poursuivre "
        "l'adaptation "
        "des procédures et l'écoute des usagers."
    ),
}
