"""The postal address printed in the envelope window: **the** one place where address lines are normalised.

A scanned or typed address often already ends with « 38100 GRENOBLE » (sometimes on the street's line), while
the dossier also holds the postcode and the town: printed naively, the window repeats them. The last line
follows La Poste's usage (AFNOR NF Z 10-011): postcode, a space, the town in capitals, once.
"""

from __future__ import annotations

import re
import unicodedata

_POSTCODE_LINE = re.compile(r"^(?P<before>.*?)[\s,]*(?P<code>\d{5})\s+(?P<town>[^\d].*)$")
_MAX_LINES = 6  # the window holds six lines


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[-',.]", " ", plain).split())


def _city_line(postcode: str, town: str) -> str:
    return " ".join(f"{postcode} {town.upper()}".split())


def postal_lines(address: str, postcode: str = "", commune: str = "") -> tuple[str, ...]:
    """The window's lines: the street lines (spaces collapsed, empty and repeated lines dropped), then the
    « CODE POSTAL VILLE » line exactly once (from the address when it has one, else from postcode and town)."""
    lines: list[str] = []
    city = ""
    for raw in (address or "").splitlines():
        line = " ".join(raw.split()).strip(" ,;")
        if not line:
            continue
        found = _POSTCODE_LINE.match(line)
        if found:
            before = found["before"].strip(" ,;")
            if before:
                lines.append(before)
            city = city or _city_line(found["code"], found["town"])
            continue
        if postcode and commune and _fold(line) == _fold(f"{postcode} {commune}"):
            continue
        if commune and _fold(line) == _fold(commune):
            city = city or _city_line(postcode or "", commune)
            continue
        if all(_fold(line) != _fold(kept) for kept in lines):
            lines.append(line)
    if not city and (postcode or commune):
        city = _city_line(postcode or "", commune or "")
    if city:
        lines = [line for line in lines if _fold(line) != _fold(city)]
        lines = lines[: _MAX_LINES - 1] + [city]
    return tuple(lines)
