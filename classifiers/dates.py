"""French dates in free text: « le 3 février 2025 », « 03/02/25 », « en mars 2024 », « le 12 mai ».

Works on folded text (see classifiers.text.fold) so that « fevrier » and « février » are the same, and
tolerates the OCR habit of reading 0 as O and 1 as l inside numbers (« 2O février », « l2 mai »).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
_MONTH = r"(janvier|janv|fevrier|fevr|fev|mars|avril|avr|mai|juin|juillet|juil|aout|septembre|sept|octobre|oct|novembre|nov|decembre|dec)\.?"
_DAY = r"([0-3lo]?[0-9lo]|1er|ler)"
DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+{_MONTH}(?:\s+((?:19|20)[0-9o]{{2}}))?\b")
MONTH_YEAR = re.compile(rf"\b(?:en|de|d'|depuis|debut|fin|mi-?)\s*{_MONTH}\s+((?:19|20)[0-9]{{2}})\b")
NUMERIC = re.compile(r"\b([0-3]?[0-9])[/.-]([01]?[0-9])[/.-]((?:19|20)?[0-9]{2})\b")
# « Grenoble, le 4 juin 2025 » at the head of a letter: the date the letter was written.
LETTER_DATE = re.compile(rf"^[^\n,]{{2,40}},?\s+le\s+{_DAY}\s+{_MONTH}\s+((?:19|20)[0-9]{{2}})", re.MULTILINE)


@dataclass(frozen=True)
class FoundDate:
    """A date found in the text, where it was, and whether the year was written."""

    value: date
    start: int
    end: int
    year_given: bool


def _number(text: str) -> int:
    # OCR reads 0 as o and 1 as l; "1er" is the first.
    text = text.replace("er", "").replace("o", "0").replace("l", "1")
    return int(text)


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(folded: str, reference: date | None = None) -> list[FoundDate]:
    """All dates in folded text, in order.

    A date written without its year (« le 4 septembre ») takes the year of the closest full date written
    before it (letters tell a story in order), else the latest year that does not put it after `reference`.
    """
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    partial: list[tuple[int, int, int, int]] = []  # day, month, start, end

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for m in DAY_MONTH_YEAR.finditer(folded):
        try:
            day = _number(m.group(1))
        except ValueError:
            continue
        month = MONTHS[m.group(2)]
        taken.append((m.start(), m.end()))
        if m.group(3):
            value = _make(int(m.group(3).replace("o", "0")), month, day)
            if value is not None:
                found.append(FoundDate(value, m.start(), m.end(), True))
        else:
            partial.append((day, month, m.start(), m.end()))
    for m in NUMERIC.finditer(folded):
        if not free(m.start(), m.end()):
            continue
        year = int(m.group(3))
        year = year + 2000 if year < 100 else year
        value = _make(year, int(m.group(2)), int(m.group(1)))
        if value is not None:
            found.append(FoundDate(value, m.start(), m.end(), True))
            taken.append((m.start(), m.end()))
    for m in MONTH_YEAR.finditer(folded):
        if not free(m.start(), m.end()):
            continue
        value = _make(int(m.group(2)), MONTHS[m.group(1)], 1)
        if value is not None:
            found.append(FoundDate(value, m.start(), m.end(), True))
    for day, month, start, end in partial:
        before = [d for d in found if d.year_given and d.start < start]
        if before:
            value = _make(max(before, key=lambda d: d.start).value.year, month, day)
        elif reference is not None:
            value = _make(reference.year, month, day)
            if value is not None and value > reference:
                value = _make(reference.year - 1, month, day)
        else:
            continue
        if value is not None:
            found.append(FoundDate(value, start, end, False))
    return sorted(found, key=lambda d: d.start)


def letter_date(folded: str) -> date | None:
    """The date a letter is written on (« Voiron, le 3 mars 2025 »), else None."""
    m = LETTER_DATE.search(folded)
    if not m:
        return None
    try:
        return _make(int(m.group(3)), MONTHS[m.group(2)], _number(m.group(1)))
    except ValueError:
        return None


def reference_date(folded: str, today: date | None = None) -> date | None:
    """The « now » of a letter: the date written at its head, else ``today`` (when the letter arrives),
    else the latest date it mentions (for a corpus letter read out of time)."""
    written = letter_date(folded)
    if written is not None:
        return written
    if today is not None:
        return today
    full = [d.value for d in find_dates(folded) if d.year_given]
    return max(full) if full else None


def months_between(earlier: date, later: date) -> float:
    """Elapsed months (30.44-day months), never negative."""
    return max(0.0, round((later - earlier).days / 30.44, 1))
