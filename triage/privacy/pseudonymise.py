"""Training data without people: a request's text with names, addresses, emails, phones and dates of
birth replaced by placeholders, before it is stored as a labelled example.

What is replaced: everything the dossier knows about its requester (name and its words, email, phone,
street address, postcode), what the suggester extracted from the text (names, emails, phones, address,
case numbers), and what patterns recognise on their own (emails, French phone numbers, street addresses,
dates of birth). The words that carry the request (APA, RSA, refus, délai…) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from triage.records import Extraction

NAME = "[NOM]"
EMAIL = "[COURRIEL]"
PHONE = "[TELEPHONE]"
ADDRESS = "[ADRESSE]"
POSTCODE = "[CODE_POSTAL]"
BIRTH = "[DATE_DE_NAISSANCE]"
NUMBER = "[NUMERO]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+33\s?|0033\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
_STREET = re.compile(
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|place|allée|allee|impasse|route|"
    r"quai|cours|square|lotissement|résidence|residence|montée|montee|voie|passage|hameau|lieu-dit)\b"
    r"[^\n,.;]{0,60}",
    re.IGNORECASE,
)
_BIRTH = re.compile(
    r"\b(?:n[ée]e?\s+le|date\s+de\s+naissance\s*:?)\s*\d{1,2}(?:er)?[\s/.-]+(?:\d{1,2}|[a-zéû]+)[\s/.-]+\d{2,4}",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b(?:0[1-9]|[1-8]\d|9[0-5])\d{3}(?=\s+[A-ZÉÈÀ])")  # a postcode before its commune
_SHORT = 3  # name words shorter than this (de, le) are not replaced on their own


@dataclass(frozen=True)
class Known:
    """What the store knows identifies the requester of one dossier."""

    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    numbers: tuple[str, ...] = field(default=())


def known_from(dossier: object, extracted: Extraction | None) -> Known:
    """The requester's identifiers from a dossier row and what the suggester extracted."""
    ex = extracted or Extraction()
    names = [getattr(dossier, "requester_name", "") or "", *ex.names]
    return Known(
        names=tuple(n for n in names if n.strip()),
        emails=tuple(e for e in [getattr(dossier, "requester_email", "") or "", *ex.emails] if e),
        phones=tuple(p for p in [getattr(dossier, "requester_phone", "") or "", *ex.phones] if p),
        addresses=tuple(a for a in [getattr(dossier, "requester_address", "") or "", ex.address] if a),
        numbers=ex.references.all(),
    )


def _replace_literal(text: str, values: Iterable[str], placeholder: str) -> str:
    for value in sorted({v.strip() for v in values if v and v.strip()}, key=len, reverse=True):
        text = re.sub(re.escape(value), placeholder, text, flags=re.IGNORECASE)
    return text


def _phone_pattern(phone: str) -> re.Pattern[str] | None:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 9:
        return None
    return re.compile(r"[\s.-]?".join(re.escape(d) for d in digits[-9:]))


def pseudonymise(text: str, known: Known = Known()) -> str:
    """The text with the requester's identifiers and recognisable personal data replaced by placeholders."""
    out = _BIRTH.sub(BIRTH, text)
    out = _replace_literal(out, known.emails, EMAIL)
    out = _EMAIL.sub(EMAIL, out)
    for phone in known.phones:
        pattern = _phone_pattern(phone)
        if pattern is not None:
            out = pattern.sub(PHONE, out)
    out = _PHONE.sub(PHONE, out)
    for address in known.addresses:
        out = _replace_literal(out, [line for line in address.splitlines() if len(line.strip()) > 4], ADDRESS)
    out = _STREET.sub(ADDRESS, out)
    out = _replace_literal(out, known.numbers, NUMBER)
    out = _replace_literal(out, known.names, NAME)
    words = {w for name in known.names for w in re.split(r"[\s,]+", name) if len(w) >= _SHORT}
    for word in sorted(words, key=len, reverse=True):
        out = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", NAME, out, flags=re.IGNORECASE)
    return _POSTCODE.sub(POSTCODE, out)
