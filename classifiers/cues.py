"""Structured admissibility cues: what a bag of words cannot see on its own.

Article 11 of the règlement makes a request admissible once the service was asked first (recours
gracieux or RAPO refused or unanswered after about two months, or a dialogue that went nowhere);
article 12 excludes court cases, public procurement, subsidies, disputes with the Département's own
agents and disputes between private persons. Each cue below is a small set of patterns over folded
text (see classifiers.text.fold); `CueFeatures` turns them into model features and `prior_recourse`
into the evidence shown to the mediator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from classifiers.dates import find_dates, months_between, reference_date
from classifiers.text import fold

_NUM = r"(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|dix-huit|vingt)"
NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "dix-huit": 18, "vingt": 20,
}  # fmt: skip


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# A formal recourse: recours gracieux, RAPO, réclamation, written contestation.
RECOURSE = _rx(
    r"\brecours (?:gracieux|administratif|prealable|hierarchique)",
    r"\brapo\b",
    r"\b(?:fait|forme|depose|adresse|envoye|introduit|exerce|engage|formule|redige) (?:un |une |mon |ma |notre )?"
    r"(?:recours|reclamation|contestation|demande de (?:revision|reexamen|remise))",
    r"\b(?:mon|notre|ce|son|leur|un) recours\b",
    r"\b(?:conteste|contestee|contestons|contester) (?:cette|la|sa|cette) \w+ (?:par ecrit|par courrier|par lettre)",
    r"\bcontest\w* par (?:ecrit|courrier|lettre|mail|courriel|recommande)",
    r"\bcontestation ecrite\b",
    r"\breclamation (?:ecrite|le|du|en|par)\b",
    r"\bmemoire en reclamation\b",
    r"\bdemande (?:indemnitaire )?prealable\b",
    r"\bdemande de remise gracieuse\b",
)
# Any earlier contact with the service: letters, calls, reminders.
CONTACT = _rx(
    r"\b(?:j'ai|nous avons|avons|ai|a|ont) (?:deja |bien |moi-meme |a nouveau |plusieurs fois |egalement )?"
    r"(?:ecrit|telephone|appele|rappele|contacte|relance|sollicite|signale|alerte|interpelle|envoye|adresse|"
    r"transmis|renvoye|demande|redemande|rencontre|saisi|interroge)\b",
    r"\bje (?:leur |vous |lui )?ai (?:deja )?(?:ecrit|telephone|envoye|relance|signale)",
    r"\b(?:mes|nos|plusieurs|deux|trois|quatre|cinq|nombreuses|multiples) (?:relances|courriers|appels|mails|"
    r"courriels|lettres|demandes|reclamations|messages|coups de fil)\b",
    r"\b(?:relance|relancee|relances|relancer|relancant)\b",
    r"\blettre recommandee\b|\bcourrier recommande\b|\ben recommande\b|\baccuse de reception\b",
    r"\ba (?:plusieurs|de nombreuses|maintes) reprises\b",
    r"\bmalgre (?:mes|nos|ses|leurs|plusieurs|deux|trois) ",
)
UNANSWERED = _rx(
    r"\bsans (?:aucune |la moindre |de )?(?:reponse|retour|suite|nouvelles?|effet)\b",
    r"\baucune? (?:reponse|retour|nouvelle|suite|reaction|accuse)\b",
    r"\bpas (?:eu |recu |obtenu )?(?:de |d'|la moindre |une seule )?(?:reponse|retour|suite|nouvelles?)\b",
    r"\b(?:jamais|rien) (?:eu |recu |obtenu )?(?:de |d')?(?:reponse|retour|nouvelles?)\b",
    r"\bn'(?:ai|avons) (?:jamais|toujours pas|pas|rien) (?:eu|recu|obtenu)(?: de| d'| la moindre| aucune)? ?(?:reponse|retour|nouvelles?|suite)\b",
    r"\blettre morte\b",
    r"\b(?:depuis|toujours),? (?:plus )?(?:rien|silence)\b|\bsilence (?:total|radio|complet)?\b",
    r"\btoujours rien\b|\bplus (?:aucune|rien|de) nouvelles?\b|\bplus rien\b",
    r"\bpersonne ne (?:m'a |nous a |me |nous )?(?:repond|rappel|repondu|rappele)",
    r"\bne (?:me |nous )?(?:repond|rappelle)\w* (?:pas|plus|jamais)\b",
    r"\brejet implicite\b|\bdecision implicite\b|\bsilence garde\b",
    r"\brest\w* sans (?:reponse|suite|effet)\b",
)
REFUSED = _rx(
    r"\b(?:recours|rapo|reclamation|contestation|demande de revision)\b[^.\n]{0,60}?\b(?:rejete|rejetee|refuse|"
    r"refusee|ecarte|n'a pas abouti|a echoue|rejet)",
    r"\brejet (?:explicite |implicite )?de (?:mon|notre|son|leur|ce|sa) (?:recours|rapo|reclamation|demande)",
    r"\b(?:maintenu|maintient|maintenue|confirme|confirmee|confirmant|reitere) (?:sa |la |son |le |leur )?"
    r"(?:decision|refus|position|rejet)",
    r"\b(?:decision|refus) (?:a ete |est |fut )?(?:maintenu|maintenue|confirme|confirmee)",
    r"\breponse negative\b|\bfin de non[- ]recevoir\b|\bdecision initiale (?:a ete )?confirmee\b",
    r"\ba rejete (?:mon|notre|son|le|la) (?:recours|rapo|reclamation|demande)",
)
DIALOGUE_BROKEN = _rx(
    r"\bdialogue (?:est )?(?:rompu|impossible|bloque|au point mort)\b",
    r"\b(?:on me |on nous )?renvo\w+ (?:de service en service|d'un service a l'autre|de bureau en bureau)",
    r"\bpersonne (?:ne )?(?:veut|peut|sait) (?:me |nous )?(?:repondre|aider|recevoir|expliquer)",
    r"\bimpossible (?:de|d') (?:joindre|avoir|obtenir)\b",
    r"\bje (?:n'ai|n'obtiens) aucun interlocuteur\b|\baucun interlocuteur\b",
    r"\bje tourne en rond\b|\bon se renvoie la balle\b|\bsourde? oreille\b",
)
FIRST_CONTACT = _rx(
    r"\bje viens (?:de |d')(?:recevoir|apprendre|etre|decouvrir|lire|avoir)",
    r"\bnous venons (?:de |d')(?:recevoir|apprendre|etre|decouvrir)",
    r"\b(?:vient|viennent) (?:de |d')(?:recevoir|m'etre|nous etre|me|nous|lui|etre|obtenir|arriver)",
    r"\brecu (?:hier|ce matin|avant-hier|aujourd'hui|cette semaine|la semaine derniere|ces jours)",
    r"\b(?:hier|ce matin|avant-hier|cette semaine|la semaine derniere),? (?:j'ai|nous avons) recu\b",
    r"\bavant (?:de |d')(?:faire|former|deposer|envoyer|ecrire|contester|engager) ",
    r"\b(?:puis-je|peut-on|est-ce que je peux|comment) (?:contester|faire|faire un recours|faire appel)\b",
    r"\b(?:je voudrais|j'aimerais|je souhaite|je souhaiterais) (?:contester|faire un recours|savoir comment)",
    r"\bque (?:dois-je|puis-je|faut-il) faire\b|\bquelles? (?:sont les )?demarches?\b",
    r"\bpremiere fois\b|\bpour la premiere\b|\bje ne sais pas (?:a qui|comment|quoi|vers qui)\b",
    r"\ba qui (?:dois-je|faut-il|je dois|m'adresser)\b",
)
COURT_PENDING = _rx(
    r"\b(?:j'ai|nous avons|a|ont|avons|avait) saisi (?:le |la )?(?:tribunal|juge|cour|conseil de prud|pole social)",
    r"\b(?:requete|recours contentieux|assignation|plainte) (?:a ete |est )?(?:deposee?|introduite?|en cours|"
    r"enregistree?|devant)",
    r"\b(?:procedure|instance|affaire) (?:judiciaire |contentieuse )?(?:est |reste )?(?:en cours|pendante)\b",
    r"\baudience (?:est |a ete )?(?:fixee|prevue|aura lieu|devrait avoir lieu|le)\b",
    r"\b(?:jugement|arret|ordonnance) (?:du|rendu|a ete rendu|de la cour|du tribunal)\b",
    r"\b(?:le|la) (?:juge|tribunal|cour) (?:a|ont) (?:decide|ordonne|rendu|condamne|rejete|tranche|statue)",
    r"\bdecision de justice\b|\bdevant le tribunal\b|\bdossier n° ?\d+\b|\brg n° ?\d+",
    r"\ben cours d'instruction\b|\bappel (?:a ete )?interjete\b",
)
COURT_FUTURE = _rx(
    r"\bavant (?:de |d')(?:saisir|engager|aller|introduire)",
    r"\b(?:envisage|envisageons|pret a|prets a|je vais|nous allons|sinon je) (?:de )?saisir\b",
    r"\bn'a (?:pas )?encore ete introduite\b|\baucune requete\b|\bvoie amiable\b",
)
JUSTICE_WORDS = _rx(
    r"\btribunal\b", r"\bjuge\b", r"\bavocat\w*\b", r"\bjugement\b", r"\bproces\b", r"\bprud'?hom"
)
PROCUREMENT = _rx(
    r"\bmarches? publics?\b",
    r"\bappel d'offres?\b",
    r"\bconsultation (?:n°|publique|lancee)\b",
    r"\b(?:candidature|offre) (?:a ete |n'a pas ete )?(?:rejetee|ecartee|non retenue|retenue)\b",
    r"\battributaire\b|\btitulaire du (?:marche|lot)\b|\bdce\b|\bpouvoir adjudicateur\b|\bpenalites de retard\b",
    r"\blot n° ?\d|\blot \d+\b|\bmaitrise d'(?:oeuvre|ouvrage)\b|\bbon de commande\b|\bsous-traitan",
    r"\bfactures? (?:restent |sont )?impayees?\b.*\bservice comptable\b|\bdelai global de paiement\b",
)
SUBSIDY = _rx(
    r"\bsubventions?\b",
    r"\bcommission permanente\b",
    r"\bdossier de financement\b",
    r"\baide (?:financiere )?(?:a|pour) (?:notre|l') association\b",
)
AGENT = _rx(
    r"\b(?:agent|agente|salariee?|employee?|fonctionnaire|contractuel|contractuelle|titulaire) "
    r"(?:du|au) (?:departement|conseil departemental)\b",
    r"\bje (?:travaille|suis employee?|suis en poste) (?:au|pour le|dans un service du) (?:departement|conseil)",
    # « mon employeur » alone is not enough: a person at risk of losing a job elsewhere says it too
    r"\bma hierarchie\b|\bmon (?:chef|cheffe|responsable) de service\b",
    r"\bmutation d'office\b|\bentretien professionnel\b|\bavertissement disciplinaire\b",
    r"\bmon contrat (?:de travail|se termine|ne sera pas|n'est pas)\b|\bma titularisation\b|\bma fiche de poste\b",
    r"\bsanction disciplinaire\b",
    r"\b(?:elus?|conseillers? departementaux|vice-president)\b[^.\n]{0,40}\b(?:conflit|litige|differend)\b",
)
PRIVATE = _rx(
    r"\b(?:mon|ma|mes|notre|nos) (?:voisins?|voisine)\b",
    r"\bvoisinage\b",
    r"\b(?:mon|notre) (?:proprietaire|bailleur prive|syndic|garagiste|artisan|plombier|vendeur|operateur)\b",
    r"\b(?:artisan|entreprise|magasin|vendeur|operateur|garage|concessionnaire) (?:n'a|refuse|ne veut)\b",
    r"\blitige (?:commercial|avec (?:mon|ma|un|une) (?:voisin|proprietaire|artisan|entreprise|magasin))\b",
    r"\bmon ex(?:-mari|-femme|-compagn\w+| conjoint| mari| femme)?\b",
    r"\bsuccession\b|\bheritage\b",
)
DURATION = re.compile(
    rf"\b(?:depuis|il y a|cela fait|ca fait|voila|plus de|pres de|bientot) (?:plus de |pres de |bientot )?"
    rf"({_NUM}) (mois|semaines|ans|annees)\b"
)
WINDOW = 100  # characters around a recourse cue where a duration counts
ELAPSED_WORDS = _rx(
    r"\bdepuis (?:des|plusieurs|de longs) mois\b",
    r"\bdepuis l'annee derniere\b",
    r"\bdepuis (?:plus d'|pres d')?un an\b",
)

CUES: dict[str, re.Pattern[str]] = {
    "recourse": RECOURSE,
    "contact": CONTACT,
    "unanswered": UNANSWERED,
    "refused": REFUSED,
    "dialogue_broken": DIALOGUE_BROKEN,
    "first_contact": FIRST_CONTACT,
    "court_pending": COURT_PENDING,
    "court_future": COURT_FUTURE,
    "justice_words": JUSTICE_WORDS,
    "procurement": PROCUREMENT,
    "subsidy": SUBSIDY,
    "agent": AGENT,
    "private": PRIVATE,
}
# What each cue means, in French, for the reasons shown to the mediator.
CUE_LABELS = {
    "recourse": "recours préalable mentionné (recours gracieux, RAPO, réclamation)",
    "contact": "démarches déjà faites auprès du service (courriers, appels, relances)",
    "unanswered": "demande restée sans réponse",
    "refused": "recours ou demande rejeté, décision maintenue",
    "dialogue_broken": "dialogue rompu avec le service",
    "first_contact": "première démarche (décision reçue récemment, pas de recours)",
    "court_pending": "procédure en justice en cours ou décision de justice",
    "court_future": "saisine du juge seulement envisagée",
    "justice_words": "vocabulaire judiciaire",
    "procurement": "marché public",
    "subsidy": "subvention",
    "agent": "litige d'un agent avec le Département",
    "private": "litige entre particuliers ou commercial",
    "months_2": "au moins deux mois écoulés",
    "months_unknown": "durée écoulée inconnue",
}


def _duration_months(folded: str, near: list[tuple[int, int]]) -> float | None:
    """The longest duration written close to a recourse / contact / no-answer cue (« sans réponse depuis
    trois mois »); « au RSA depuis quatre ans » says nothing about the recourse."""
    best: float | None = None
    for m in DURATION.finditer(folded):
        if not any(m.start() - WINDOW <= e and m.end() + WINDOW >= s for s, e in near):
            continue
        raw, unit = m.group(1), m.group(2)
        n = float(raw) if raw.isdigit() else float(NUMBER_WORDS.get(raw, 0))
        months = n if unit == "mois" else n / 4.3 if unit == "semaines" else n * 12
        best = months if best is None else max(best, months)
    if best is None:
        for m in ELAPSED_WORDS.finditer(folded):
            if any(m.start() - WINDOW <= e and m.end() + WINDOW >= s for s, e in near):
                best = 6.0
    return best


@dataclass(frozen=True)
class Cues:
    """The cues found in one text, with the matched snippets (folded) for display."""

    hits: dict[str, list[str]]
    months_elapsed: float | None
    sent_on: date | None


def detect(text: str, today: date | None = None, *, folded: bool = False) -> Cues:
    """Find every cue; months elapsed come from the recourse date and the letter's date, else from wording."""
    f = text if folded else fold(text)
    spans: dict[str, list[tuple[int, int]]] = {}
    for name, rx in CUES.items():
        found = [(m.start(), m.end()) for m in rx.finditer(f)]
        if found:
            spans[name] = found
    hits = {name: [f[s:e] for s, e in found] for name, found in spans.items()}
    ref = reference_date(f, today)
    sent_on = None
    months = None
    first = RECOURSE.search(f) or CONTACT.search(f)
    if first is not None:
        # the first date written after the first recourse/contact mention, in the same stretch of text
        sentence_end = f.find(".", first.end())
        limit = first.end() + 120 if sentence_end < 0 else max(sentence_end, first.end() + 40)
        dates = [d for d in find_dates(f, ref) if first.start() <= d.start <= limit]
        if dates:
            sent_on = dates[0].value
    if sent_on is not None and ref is not None and ref >= sent_on:
        months = months_between(sent_on, ref)
    near = [s for name in ("recourse", "contact", "unanswered", "refused") for s in spans.get(name, [])]
    wording = _duration_months(f, near)
    if wording is not None:
        months = max(months or 0.0, wording)
    return Cues(hits=hits, months_elapsed=months, sent_on=sent_on)


FEATURES: tuple[str, ...] = (*CUES, "months_2", "months_unknown")


def cue_vector(cues: Cues) -> list[float]:
    """0/1 per cue (a count would reward long letters), then the elapsed-time indicators."""
    row = [1.0 if name in cues.hits else 0.0 for name in CUES]
    row.append(1.0 if cues.months_elapsed is not None and cues.months_elapsed >= 2 else 0.0)
    row.append(1.0 if cues.months_elapsed is None else 0.0)
    return row


class CueFeatures(BaseEstimator, TransformerMixin):
    """Folded text -> one column per admissibility cue, scaled by `weight` so the model can use them."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, X: Iterable[str], y: Any = None) -> CueFeatures:
        """Nothing to learn."""
        return self

    def transform(self, X: Iterable[str]) -> sparse.csr_matrix:
        """One row of cue indicators per (already folded) text."""
        rows = [cue_vector(detect(str(x), folded=True)) for x in X]
        return sparse.csr_matrix(np.asarray(rows, dtype=np.float64) * self.weight)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the cue columns."""
        return np.array([f"cue:{name}" for name in FEATURES], dtype=object)


def prior_recourse(text: str, today: date | None = None) -> dict[str, object]:
    """The prior-recourse evidence of a letter, as the mediator sees it in ``extracted``."""
    cues = detect(text, today)
    h = cues.hits
    sent = "recourse" in h or "contact" in h
    kinds = []
    if "recourse" in h:
        folded = fold(text)
        if re.search(r"\brapo\b|recours administratif prealable", folded):
            kinds.append("RAPO")
        if "recours gracieux" in folded:
            kinds.append("recours gracieux")
        if not kinds:
            kinds.append("réclamation écrite")
    if "contact" in h:
        kinds.append("contacts avec le service")
    answered: bool | None = None
    outcome = None
    if "refused" in h:
        answered, outcome = True, "refus"
    elif "unanswered" in h:
        answered, outcome = False, "sans réponse"
    evidence = [
        s.strip()
        for name in ("recourse", "contact", "refused", "unanswered", "dialogue_broken")
        for s in h.get(name, [])
    ]
    return {
        "found": sent,
        "kinds": kinds,
        "sent_on": cues.sent_on.isoformat() if cues.sent_on else None,
        "answered": answered,
        "outcome": outcome,
        "months_elapsed": cues.months_elapsed,
        "evidence": evidence[:6],
    }
