"""Who is responsible: the organisations a request names or implies, and whether the Département is one.

The gazetteer (triage/defaults/organismes.yaml, or [triage] bodies_file) lists each body of the
taxonomy with its French names and variants, its acronyms (read in capitals only: « ASE » but not
« phrase ») and context words that designate it without naming it (« mon bailleur », « la cantine de
l'école »). A body is *responsible* when the sentence naming it says it decided, refused, cut, claimed
or does not answer. `body_weights` turns what was found into weights on the reorientation (the body in
cause) and on the domain (no Département body in cause while another one is: out of scope).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from classifiers.text import clean, fold, strip_accents
from triage.errors import RulesError
from triage.records import Body
from triage.resources import defaults_dir
from triage.suggest.taxonomy import Taxonomy
from triage.suggest.yamlload import LineDict, load_yaml, where

BODIES_FILE = "organismes.yaml"
DEPARTEMENT = "departement"
KINDS = ("noms", "sigles", "contexte")
RESPONSIBLE = re.compile(
    # a third-person perfect (« la CAF a coupé », « m'ont refusé ») : the body did something
    r"\b(?:a|ont|m'a|nous a|lui a|leur a|m'ont|nous ont|lui ont|avait|avaient|aurait) (?:\w+ ){0,2}?"
    r"\w+(?:e|es|ee|ees|i|is|u|us|t|ts)\b"
    r"|\b(?:refuse|refusent|reclame|reclament|exige|exigent|bloque|bloquent|retient|impose|imposent|menace|"
    r"augmente|augmentent|supprime|suppriment|coupe|coupent)\b"
    r"|\bne (?:me |nous |lui |leur |m'|l'|les |la |le )?\w+ (?:pas|plus|jamais|rien|aucun\w*)\b"
    r"|\b(?:decision|refus|notification|courrier|lettre|mise en demeure|indu|dette|facture|retard) "
    r"(?:de|du|des|de la|d')\b"
)
SENTENCE = re.compile(r"[^.!?\n]+")


@dataclass(frozen=True)
class Entry:
    """One body of the gazetteer, with its compiled patterns."""

    code: str
    name: str
    names: re.Pattern[str] | None  # on folded text
    acronyms: re.Pattern[str] | None  # on the text as written
    context: re.Pattern[str] | None  # on folded text


def _alternatives(words: list[str], *, folded: bool) -> re.Pattern[str] | None:
    if not words:
        return None
    forms = sorted({fold(w) if folded else strip_accents(w) for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])")


class Gazetteer:
    """The bodies of a gazetteer file; `find` is read-only and safe across threads."""

    def __init__(self, entries: list[Entry], source: str = "") -> None:
        self.entries = entries
        self.source = source

    def find(self, text: str) -> tuple[Body, ...]:
        """Every body named or implied, once each, quoted where it is most clearly in cause."""
        cleaned = clean(text)
        folded = fold(cleaned)
        plain = strip_accents(cleaned)
        if len(plain) != len(folded):
            plain = folded.upper()  # acronyms are then matched without their case: rare, harmless
        sentences = [(m.start(), m.end()) for m in SENTENCE.finditer(folded)]
        found: list[Body] = []
        for entry in self.entries:
            spans: list[tuple[int, int, int, int]] = []  # (not responsible, not named, start, end)
            for rx, target, named in (
                (entry.names, folded, True), (entry.acronyms, plain, True), (entry.context, folded, False),
            ):  # fmt: skip
                if rx is None:
                    continue
                for m in rx.finditer(target):
                    responsible = self._responsible(folded, sentences, m.start())
                    spans.append((0 if responsible else 1, 0 if named else 1, m.start(), m.end()))
            if spans:
                best = min(spans)
                found.append(self._body(entry, cleaned, folded, sentences, best[2], best[3], best[0] == 0))
        return tuple(found)

    @staticmethod
    def _sentence(sentences: list[tuple[int, int]], start: int) -> tuple[int, int]:
        return next(((s, e) for s, e in sentences if s <= start < e), (start, start))

    def _responsible(self, folded: str, sentences: list[tuple[int, int]], start: int) -> bool:
        s, e = self._sentence(sentences, start)
        return RESPONSIBLE.search(folded, s, e) is not None

    def _body(
        self, entry: Entry, cleaned: str, folded: str, sentences: list[tuple[int, int]], start: int, end: int,
        responsible: bool,
    ) -> Body:  # fmt: skip
        s, e = self._sentence(sentences, start)
        source = cleaned if len(cleaned) == len(folded) else folded
        quote = " ".join(source[s:e].split())
        if len(quote) > 180:
            left = max(s, start - 80)
            quote = "…" + " ".join(source[left : min(e, end + 80)].split()) + "…"
        return Body(entry.code, entry.name, quote, responsible)


def load_gazetteer(path: Path | None, taxonomy: Taxonomy) -> Gazetteer:
    """Read and validate the gazetteer: every key is « departement » or a reorientation code."""
    path = path or defaults_dir() / BODIES_FILE
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise RulesError(f"{path} : l'annuaire des organismes doit être une table code -> organisme")
    known = set(taxonomy.codes("reorientation")) | {DEPARTEMENT}
    entries = []
    for code, raw in data.items():
        line = data.line_of(code)
        if code not in known or code == taxonomy.no_reorientation:
            raise RulesError(
                f"{where(path, line)} : « {code} » n'est ni « departement » ni un code de réorientation"
            )
        if not isinstance(raw, LineDict) or not isinstance(raw.get("nom"), str):
            raise RulesError(f"{where(path, line)} : « {code} » doit avoir un « nom » et des « noms »")
        lists: dict[str, list[str]] = {}
        for kind in KINDS:
            value = raw.get(kind, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise RulesError(
                    f"{where(path, raw.line_of(kind))} : « {kind} » doit être une liste de textes"
                )
            lists[kind] = [str(v) for v in value]
        unknown = set(raw) - {"nom", *KINDS}
        if unknown:
            raise RulesError(f"{where(path, line)} : clé(s) inconnue(s) {', '.join(sorted(unknown))}")
        entries.append(Entry(
            code, raw["nom"], _alternatives(lists["noms"], folded=True),
            _alternatives(lists["sigles"], folded=False), _alternatives(lists["contexte"], folded=True),
        ))  # fmt: skip
    return Gazetteer(entries, str(path))


# Log-odds added for what the gazetteer found; chosen by grouped cross-validation (see docs/tri-suggere.md).
NAMED = 0.4  # a body other than the Département is named (or implied) in the request
RESPONSIBLE_BONUS = 0.6  # ... and the request says it decided, refused or does not answer
NOT_DEPARTEMENT = 0.6  # another body is in cause and no Département service is named: hors champ
DEPARTEMENT_IN_CAUSE = 0.6  # a Département service is in cause: not hors champ, no reorientation


def body_weights(bodies: tuple[Body, ...], taxonomy: Taxonomy) -> dict[str, dict[str, float]]:
    """Weights on the reorientation and the domain from the bodies found."""
    out: dict[str, dict[str, float]] = {}

    def add(label: str, code: str, weight: float) -> None:
        out.setdefault(label, {})[code] = out.get(label, {}).get(code, 0.0) + weight

    out_of_scope = taxonomy.coherence.out_of_scope_domain
    departement = [b for b in bodies if b.code == DEPARTEMENT]
    others = [b for b in bodies if b.code != DEPARTEMENT]
    for body in others:
        add("reorientation", body.code, NAMED + (RESPONSIBLE_BONUS if body.responsible else 0.0))
    if any(b.responsible for b in others) and not departement:
        add("domain", out_of_scope, NOT_DEPARTEMENT)
    if any(b.responsible for b in departement):
        add("domain", out_of_scope, -DEPARTEMENT_IN_CAUSE)
        add("reorientation", taxonomy.no_reorientation, DEPARTEMENT_IN_CAUSE / 2)
    return out


def bodies_sentence(bodies: tuple[Body, ...]) -> list[str]:
    """French sentences for the mediator: who is named, who is in cause, with the quoted words."""
    out = []
    for b in bodies:
        role = "mis en cause" if b.responsible else "cité"
        out.append(f"Organisme {role} : {b.name} — « {b.quote} »")
    return out
