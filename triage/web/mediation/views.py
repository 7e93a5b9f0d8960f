"""Turning stored text into safe HTML: highlighted request text and sanitised email HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import nh3
from markupsafe import Markup, escape

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
        out.append(head + pattern.sub(wrap, line[len(head):]))
    return Markup("\n".join(out))


def safe_email_html(html: str) -> str:
    """Sanitise again before display (defence in depth: parse.py stored nh3 output already).

    The result is put in a sandboxed iframe's srcdoc attribute, autoescaped by Jinja, never marked safe.
    """
    return nh3.clean(html or "", url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


EXTRACTED_NAMES = {
    "names": "Noms", "emails": "Courriels", "phones": "Téléphones", "address": "Adresse", "postcodes": "Codes postaux",
    "communes": "Communes", "territory": "Territoire", "references": "Références citées", "dates": "Dates",
    "prior_recourse": "Recours préalable",
}


def _flat(value: object) -> str:
    if isinstance(value, dict):
        return " ; ".join(f"{k} : {_flat(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, (list, tuple)):
        return ", ".join(_flat(v) for v in value if v not in (None, "", [], {}))
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def extracted_items(extracted: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """What the suggester extracted from the request, as (French label, text) pairs, empty ones left out."""
    items = []
    for key, value in (extracted or {}).items():
        text = _flat(value).strip()
        if text:
            items.append((EXTRACTED_NAMES.get(key, key), text))
    return items
