"""Turning stored text into safe HTML: highlighted request text and sanitised email HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

import nh3
from markupsafe import Markup, escape

from triage.notify.render import date_fr

_ENTITY = r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);"


# "Courriel :", "Adresse postale :" at the start of a line: a form's label, never highlighted
_FIELD_LABEL = re.compile(r"^(\s*(?:[^\W\d][\w'’-]*\s?){1,5}:)(?=\s|$)", re.MULTILINE)


def highlight(text: str, words_by_kind: Mapping[str, Iterable[str]]) -> Markup:
    """Escape `text`, then wrap the trigger words in <mark class="m-KIND"> (never inside an entity, never in
    the label of a form field such as "Courriel :")."""
    escaped = str(escape(text or ""))
    kind_of: dict[str, str] = {}
    for kind, words in words_by_kind.items():
        for word in words:
            word = (word or "").strip()
            if len(word) >= 2:
                kind_of.setdefault(str(escape(word)).lower(), kind)
    if not kind_of:
        return Markup(escaped)
    terms = sorted(kind_of, key=len, reverse=True)
    pattern = re.compile(
        f"({_ENTITY})|(?<!\\w)(" + "|".join(re.escape(t) for t in terms) + ")", re.IGNORECASE
    )

    def wrap(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1)
        word = match.group(2)
        return f'<mark class="m-{kind_of.get(word.lower(), "domain")}">{word}</mark>'

    out = []
    for line in escaped.split("\n"):
        label = _FIELD_LABEL.match(line)
        head = label.group(1) if label else ""
        out.append(head + pattern.sub(wrap, line[len(head) :]))
    return Markup("\n".join(out))


def safe_email_html(html: str) -> str:
    """Sanitise again before display (defence in depth: parse.py stored nh3 output already).

    The result is put in a sandboxed iframe's srcdoc attribute, autoescaped by Jinja, never marked safe.
    """
    return nh3.clean(
        html or "", url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow"
    )


EXTRACTED_NAMES = {
    "names": "Noms",
    "emails": "Courriels",
    "phones": "Téléphones",
    "address": "Adresse",
    "postcodes": "Codes postaux",
    "communes": "Communes",
    "territory": "Territoire",
    "references": "Références citées",
    "dates": "Dates citées",
    "prior_recourse": "Recours préalable",
}
REFERENCE_NAMES = {"caf": "allocataire CAF n°", "mdph": "dossier MDPH n°", "med": "dossier de médiation"}


def _day(value: object) -> str:
    """An ISO date written the French way ('28 juillet 2026'); anything else as it is."""
    try:
        return date_fr(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def _flat(value: object) -> str:
    if isinstance(value, dict):
        return " ; ".join(_flat(v) for v in value.values() if v not in (None, "", [], {}))
    if isinstance(value, (list, tuple)):
        return ", ".join(_flat(v) for v in value if v not in (None, "", [], {}))
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def _months(value: object) -> str:
    try:
        months = round(float(str(value)))
    except ValueError:
        return ""
    return "moins d'un mois" if months < 1 else f"{months} mois"  # "il y a 4 mois"


def recourse_sentence(found: Mapping[str, object]) -> str:
    """The prior-recourse evidence as one French sentence."""
    if not found.get("found"):
        return "Aucune démarche préalable auprès du service n'a été repérée dans la lettre."
    kinds = [str(k) for k in (found.get("kinds") or []) if k]  # type: ignore[attr-defined]
    sentence = "Démarche préalable repérée" + (f" ({', '.join(kinds)})" if kinds else "")
    ago = _months(found["months_elapsed"]) if found.get("months_elapsed") not in (None, "") else ""
    if found.get("sent_on"):
        sentence += f", faite le {_day(found['sent_on'])}" + (f" (il y a {ago})" if ago else "")
    elif ago:
        sentence += f", il y a {ago}"
    if found.get("outcome"):
        sentence += f", {found['outcome']}"
    elif found.get("answered") is False:
        sentence += ", sans réponse"
    return sentence + "."


def extracted_items(extracted: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """What the suggester extracted from the request, as (French label, sentence) pairs, empty ones left out."""
    items = []
    for key, value in (extracted or {}).items():
        if key == "prior_recourse" and isinstance(value, Mapping):
            text = recourse_sentence(value)
        elif key == "references" and isinstance(value, Mapping):
            text = " ; ".join(f"{REFERENCE_NAMES.get(k, k)} {_flat(v)}" for k, v in value.items() if v)
        elif key == "dates" and isinstance(value, (list, tuple)):
            text = ", ".join(_day(v) for v in value if v)
        else:
            text = _flat(value)
        if text.strip():
            items.append((EXTRACTED_NAMES.get(key, key.replace("_", " ").capitalize()), text.strip()))
    return items
