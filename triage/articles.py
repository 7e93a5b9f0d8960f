"""How a French sentence names an organisation: « vers la Préfecture », « à la Maison départementale de
l'autonomie », « au conciliateur de justice », « à l'Éducation nationale », « à France Travail ».

The article comes from the directory (`article` in triage/defaults/reorientation-targets.yaml, the
`article` column of a contact); when nobody recorded it, it is guessed from the name's first word."""

from __future__ import annotations

import unicodedata

ARTICLES = (
    "le",
    "la",
    "l'",
    "les",
    "",
)  # "": a proper name or a possessive (« France Travail », « votre mairie »)
ARTICLE_LABELS = {"le": "le", "la": "la", "l'": "l'", "les": "les", "": "aucun"}

# the first word of an organisation's name -> its article (the usual nouns of public bodies in France)
_FEMININE = frozenset(
    [
        "agence",
        "antenne",
        "association",
        "autorité",
        "caf",
        "caisse",
        "cellule",
        "chambre",
        "cnaf",
        "commission",
        "cour",
        "cpam",
        "délégation",
        "direction",
        "ddets",
        "dgfip",
        "dsden",
        "fédération",
        "maison",
        "mairie",
        "mda",
        "mdph",
        "mission",
        "msa",
        "mutuelle",
        "pmi",
        "plateforme",
        "préfecture",
        "protection",
        "région",
        "sous-préfecture",
    ]
)
_MASCULINE = frozenset(
    [
        "bailleur",
        "bureau",
        "ccas",
        "cd38",
        "centre",
        "comité",
        "conciliateur",
        "conseil",
        "crous",
        "département",
        "défenseur",
        "fonds",
        "greffe",
        "médiateur",
        "ministère",
        "office",
        "pôle",
        "rectorat",
        "service",
        "secrétariat",
        "syndicat",
        "tribunal",
        "trésor",
    ]
)
_PLURAL = frozenset(["archives", "services", "finances", "impôts"])
_NO_ARTICLE = frozenset(
    ["votre", "vos", "mon", "ma", "mes", "notre", "nos", "son", "sa", "ses", "leur", "leurs"]
)
_ELIDED = frozenset("aeiouyhàâäéèêëîïôöùûü")  # before a vowel or a mute h, « le »/« la » become « l' »
_ASPIRATED_H = frozenset(
    ["haut", "hauts", "haute", "hautes", "halle", "hangar"]
)  # « la Haute-Savoie », not « l'… »
_PERSON_TITLES = frozenset(
    ["conciliateur", "conciliatrice", "médiateur", "médiatrice", "délégué", "déléguée"]
)
_CONTRACTED = {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}


def _first_word(name: str) -> str:
    word = name.strip().split(" ", 1)[0] if name.strip() else ""
    return word.split("'", 1)[0].split("’", 1)[0].strip(",.;:()").lower()


def _starts_with_vowel(name: str) -> bool:
    first = unicodedata.normalize("NFC", name.strip()[:1].lower())
    return bool(first) and first in _ELIDED and _first_word(name).split("-")[0] not in _ASPIRATED_H


def _in_sentence(name: str) -> str:
    """A person's title and a possessive are lower case inside a sentence (« au conciliateur de justice »,
    « vers votre mairie »); an organisation keeps its capital (« à la Maison départementale… »)."""
    name = " ".join(name.split())
    if _first_word(name) in _PERSON_TITLES or _first_word(name) in _NO_ARTICLE:
        return name[:1].lower() + name[1:]
    return name


def guess_article(name: str) -> str:
    """The article a name most likely takes: the first word's gender, elided before a vowel; "" when the
    name starts with a possessive or an article, or its first word is not a known noun (a proper name)."""
    word = _first_word(name)
    if not word or word in _NO_ARTICLE or word in ("le", "la", "les", "l"):
        return ""
    if word in _PLURAL:
        return "les"
    if word in _FEMININE or word in _MASCULINE:
        if _starts_with_vowel(name):
            return "l'"
        return "la" if word in _FEMININE else "le"
    return ""


def checked_article(value: str | None) -> str | None:
    """A recorded article, normalised (« L’ » -> « l' », « aucun » -> ""); None when none was recorded."""
    if value is None:
        return None
    text = value.strip().lower().replace("’", "'")
    if text in ("aucun", "-", "—", "", "none"):
        return ""
    if text == "l":
        text = "l'"
    if text not in ARTICLES:
        raise ValueError(f"article inconnu : « {value} » (le, la, l', les ou aucun)")
    return text


def with_article(name: str, article: str | None = None) -> str:
    """« la Préfecture de l'Isère », « l'Éducation nationale », « France Travail »: the name as a sentence
    names it. `article` None: guessed."""
    name = _in_sentence(name)
    article = guess_article(name) if article is None else article
    if not article:
        return name
    if article in ("le", "la") and _starts_with_vowel(name):
        article = "l'"
    return f"{article}{name}" if article == "l'" else f"{article} {name}"


def after(preposition: str, name: str, article: str | None = None) -> str:
    """The name after a preposition, contracted as French does: after("à", …) gives « au conciliateur de
    justice », « aux services… », « à la Maison… », « à l'Éducation… »; after("vers", …) « vers la Préfecture »;
    after("de", …) « du Département »."""
    name = _in_sentence(name)
    article = guess_article(name) if article is None else article
    if article in ("le", "la") and _starts_with_vowel(name):
        article = "l'"
    last = preposition.split()[-1] if preposition.split() else ""
    head = preposition[: len(preposition) - len(last)]
    if (last, article) in _CONTRACTED:
        return f"{head}{_CONTRACTED[(last, article)]} {name}"
    if last == "de" and not article and _starts_with_vowel(name):
        return f"{head}d'{name}"
    return f"{preposition} {with_article(name, article)}"
