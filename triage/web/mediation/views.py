"""Turning stored text into safe HTML: highlighted request text and sanitised email HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import nh3
from markupsafe import Markup, escape

from triage.notify.render import date_fr
from triage.records import Extraction, PriorRecourse

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


REFERENCE_NAMES = {"caf": "allocataire CAF n°", "mdph": "dossier MDPH n°", "med": "dossier de médiation"}


def _months(months_elapsed: float) -> str:
    months = round(months_elapsed)
    return "moins d'un mois" if months < 1 else f"{months} mois"  # "il y a 4 mois"


def recourse_sentence(found: PriorRecourse) -> str:
    """The prior-recourse evidence as one French sentence."""
    if not found.found:
        return "Aucune démarche préalable auprès du service n'a été repérée dans la lettre."
    sentence = "Démarche préalable repérée" + (f" ({', '.join(found.kinds)})" if found.kinds else "")
    ago = _months(found.months_elapsed) if found.months_elapsed is not None else ""
    if found.sent_on:
        sentence += f", faite le {date_fr(found.sent_on)}" + (f" (il y a {ago})" if ago else "")
    elif ago:
        sentence += f", il y a {ago}"
    if found.outcome:
        sentence += f", {found.outcome}"
    elif found.answered is False:
        sentence += ", sans réponse"
    return sentence + "."


def extracted_items(extracted: Extraction | None) -> list[tuple[str, str]]:
    """What the suggester extracted from the request, as (French label, sentence) pairs, empty ones left out."""
    if extracted is None:
        return []
    ex = extracted
    references = " ; ".join(
        f"{REFERENCE_NAMES[kind]} {', '.join(numbers)}"
        for kind, numbers in (
            ("caf", ex.references.caf),
            ("mdph", ex.references.mdph),
            ("med", ex.references.med),
        )
        if numbers
    )
    items = [
        ("Noms", ", ".join(ex.names)),
        ("Courriels", ", ".join(ex.emails)),
        ("Téléphones", ", ".join(ex.phones)),
        ("Adresse", ex.address),
        ("Codes postaux", ", ".join(ex.postcodes)),
        ("Communes", ", ".join(ex.communes)),
        ("Territoire", ex.territory),
        ("Références citées", references),
        ("Dates citées", ", ".join(date_fr(d) for d in ex.dates)),
        ("Recours préalable", recourse_sentence(ex.prior_recourse) if ex.prior_recourse else ""),
    ]
    return [(label, text.strip()) for label, text in items if text.strip()]
