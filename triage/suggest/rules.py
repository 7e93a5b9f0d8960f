"""Triage rules: YAML files a non-programmer can read, validated on load with the file and line of each error.

A rule (one item of a rules/*.yaml list):

    - id: cmi-stationnement
      explication: La carte mobilité inclusion est délivrée par la MDA / MDPH (Département).
      si:                                # fires when ANY matcher of this group matches
        lemmes: [carte mobilité inclusion, macaron]     # every inflection: macarons, Macaron...
        expressions: [carte pour me garer, place handicapé]   # exact words, accents and case ignored
        regex: ['\\bcmi\\b']                            # on the text without accents, time-limited
        expediteurs: [mdph38.fr]                        # sender domain or address
        formulaire: {service: [handicap, MDPH]}         # a web-form field contains one of these
      et: {...}        # optional: another group (or a list of groups) that must ALSO match
      sauf: {...}      # optional: the rule does not fire when this group matches
      effets:          # weights added as log-odds to the label's scores (positive: for, negative: against)
        domaine: {autonomie_handicap: 2.5}
        reorientation: {none: 0.5}
      exemples: [« j'ai besoin de la carte pour me garer »]        # checked by `mediature rules check`
      contre_exemples: [« ma voisine se gare devant chez moi »]

How the weights combine with the model is documented in triage/suggest/suggester.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from classifiers.text import clean, fold, strip_accents
from triage import logs
from triage.errors import RulesError
from triage.records import WebForm
from triage.suggest.lemmas import LemmaIndex, tokens
from triage.suggest.taxonomy import SECTIONS, Taxonomy
from triage.suggest.yamlload import LineDict, LineList, load_yaml, where

REGEX_TIMEOUT_SECONDS = 0.05
MAX_WEIGHT = 10.0
MATCHERS = ("lemmes", "expressions", "regex", "expediteurs", "formulaire")
RULE_KEYS = {"id", "explication", "si", "et", "sauf", "effets", "exemples", "contre_exemples", "actif"}
EFFECT_KEYS = {french: label for label, french in SECTIONS.items()} | {label: label for label in SECTIONS}
FORM_FIELDS = {
    "service": "service", "demarches": "prior_steps", "demarches_prealables": "prior_steps",
    "prior_steps": "prior_steps", "objet": "subject", "subject": "subject", "message": "message",
    "commune": "commune", "code_postal": "postcode", "postcode": "postcode",
}  # fmt: skip


@dataclass(frozen=True)
class Group:
    """Matchers of which any one is enough."""

    lemmas: tuple[tuple[str, ...], ...] = ()  # each entry: a sequence of folded lemmas
    phrases: tuple[tuple[str, ...], ...] = ()  # each entry: a sequence of folded words
    patterns: tuple[Any, ...] = ()  # compiled `regex` patterns
    senders: tuple[str, ...] = ()
    form: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (WebForm field, folded phrases)

    def all_lemmas(self) -> set[str]:
        """Every single-word lemma this group needs expanded."""
        return {w for seq in self.lemmas for w in seq}


@dataclass(frozen=True)
class Rule:
    """One validated rule."""

    id: str
    explanation: str
    when: Group
    also: tuple[Group, ...]
    unless: Group | None
    effects: dict[str, dict[str, float]]
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    source: str = ""  # « rules/rsa.yaml, ligne 12 »


@dataclass(frozen=True)
class RuleHit:
    """A rule that fired, with the words that made it fire."""

    rule: Rule
    matched: tuple[str, ...]

    def reason(self) -> str:
        """The French sentence shown to the mediator."""
        words = ", ".join(f"« {m} »" for m in self.matched[:4])
        return f"Règle {self.rule.id} : {self.rule.explanation}" + (f" (mots : {words})" if words else "")


@dataclass
class Text:
    """One text prepared once for all rules: folded, tokenised, with its sender and form."""

    folded: str
    words: list[str]
    joined: str  # " word word word " for phrase look-ups
    sender: str = ""
    form: WebForm | None = None
    lemma_hits: dict[tuple[str, ...], str] = field(default_factory=dict)
    cleaned: str = ""  # the text as written (accents and case), aligned on `folded` character for character

    @classmethod
    def prepare(cls, text: str, sender: str = "", form: WebForm | None = None) -> Text:
        """Fold and tokenise once."""
        cleaned = clean(text)
        folded = strip_accents(cleaned).lower()
        words = tokens(folded)
        aligned = cleaned if len(cleaned) == len(folded) else ""  # a rare ligature: quote the folded form
        return cls(folded, words, " " + " ".join(words) + " ", sender.strip().lower(), form, cleaned=aligned)

    def as_written(self, found: str) -> str:
        """A matched folded word or phrase as it appears in the text (« refusée », « Carte Mobilité
        Inclusion »), the same words whatever separates them; the folded form when it is not in the text
        (a sender, a form field)."""
        words = tokens(found)
        if not words or not self.cleaned:
            return found
        pattern = r"(?<!\w)" + r"\W+".join(regex.escape(w) for w in words) + r"(?!\w)"
        m = regex.search(pattern, self.folded)
        return " ".join(self.cleaned[m.start() : m.end()].split()) if m else found


def _match_group(group: Group, text: Text) -> list[str]:
    found: list[str] = []
    for seq in group.lemmas:
        if seq in text.lemma_hits:
            found.append(text.lemma_hits[seq])
    for phrase in group.phrases:
        if f" {' '.join(phrase)} " in text.joined:
            found.append(" ".join(phrase))
    for pattern in group.patterns:
        try:
            m = pattern.search(text.folded, timeout=REGEX_TIMEOUT_SECONDS)
        except TimeoutError:
            logs.event("rule_regex_timeout", level=logging.WARNING, pattern_length=len(pattern.pattern))
            continue
        if m:
            found.append(m.group(0).strip())
    if text.sender:
        domain = text.sender.rpartition("@")[2]
        for sender in group.senders:
            if text.sender == sender or domain == sender or domain.endswith("." + sender):
                found.append(sender)
    if text.form is not None:
        for name, wanted in group.form:
            value = " " + " ".join(tokens(fold(str(getattr(text.form, name, "") or "")))) + " "
            found += [words for words in wanted if f" {words} " in value]
    return found


class RuleSet:
    """All the rules of a folder, with one lemma index built for all of them."""

    def __init__(self, rules: list[Rule], files: list[Path] | None = None) -> None:
        self.rules = rules
        self.files = files or []
        needed: set[str] = set()
        self._sequences: set[tuple[str, ...]] = set()
        for rule in rules:
            for group in (rule.when, *rule.also, *([rule.unless] if rule.unless else [])):
                needed |= group.all_lemmas()
                self._sequences |= set(group.lemmas)
        self.index = LemmaIndex(needed) if needed else None
        self._starts: dict[str, list[tuple[str, ...]]] = {}
        for seq in self._sequences:
            self._starts.setdefault(seq[0], []).append(seq)

    def __len__(self) -> int:
        return len(self.rules)

    def _find_lemmas(self, text: Text) -> None:
        if self.index is None:
            return
        lemmas = [self.index.lemmas_of(w) for w in text.words]
        for i, candidates in enumerate(lemmas):
            for lemma in candidates:
                for seq in self._starts.get(lemma, ()):
                    if seq in text.lemma_hits or i + len(seq) > len(lemmas):
                        continue
                    if all(seq[k] in lemmas[i + k] for k in range(1, len(seq))):
                        text.lemma_hits[seq] = " ".join(text.words[i : i + len(seq)])

    def match(self, text: str, *, sender: str = "", form: WebForm | None = None) -> list[RuleHit]:
        """The rules that fire on a text, in file order."""
        prepared = Text.prepare(text, sender, form)
        self._find_lemmas(prepared)
        hits = []
        for rule in self.rules:
            found = _match_group(rule.when, prepared)
            if not found:
                continue
            also = [_match_group(g, prepared) for g in rule.also]
            if not all(also):
                continue
            if rule.unless is not None and _match_group(rule.unless, prepared):
                continue
            seen = dict.fromkeys(prepared.as_written(w) for w in found + [w for words in also for w in words])
            hits.append(RuleHit(rule, tuple(seen)))
        return hits


# --------------------------------------------------------------------------- loading and validation


def _strings(value: Any, path: Path, line: int, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise RulesError(f"{where(path, line)} : « {what} » doit être une liste de textes non vide")
    out = []
    for i, item in enumerate(value):
        item_line = value.line_of(i) if isinstance(value, LineList) else line
        if not isinstance(item, str | int) or isinstance(item, bool) or not str(item).strip():
            raise RulesError(f"{where(path, item_line)} : « {what} » : élément vide ou non textuel")
        out.append(str(item))
    return out


def _words(text: str) -> tuple[str, ...]:
    return tuple(tokens(fold(text)))


def _group(raw: Any, path: Path, line: int, what: str) -> Group:
    if not isinstance(raw, LineDict) or not raw:
        raise RulesError(
            f"{where(path, line)} : « {what} » doit contenir au moins un critère parmi : {', '.join(MATCHERS)}"
        )
    for key in raw:
        if key not in MATCHERS:
            raise RulesError(
                f"{where(path, raw.line_of(key))} : critère inconnu « {key} » (attendu : {', '.join(MATCHERS)})"
            )
    lemmas = (
        tuple(_words(s) for s in _strings(raw["lemmes"], path, raw.line_of("lemmes"), "lemmes"))
        if "lemmes" in raw
        else ()
    )
    phrases = (
        tuple(
            _words(s) for s in _strings(raw["expressions"], path, raw.line_of("expressions"), "expressions")
        )
        if "expressions" in raw
        else ()
    )
    for seq in (*lemmas, *phrases):
        if not seq:
            raise RulesError(f"{where(path, line)} : un lemme ou une expression ne contient aucun mot")
    patterns = []
    if "regex" in raw:
        for source in _strings(raw["regex"], path, raw.line_of("regex"), "regex"):
            try:
                # matched against text without accents and in lower case: fold the pattern's letters too
                patterns.append(regex.compile(strip_accents(source), regex.IGNORECASE | regex.V0))
            except regex.error as err:
                raise RulesError(
                    f"{where(path, raw.line_of('regex'))} : expression régulière invalide « {source} » ({err})"
                ) from err
    senders = (
        tuple(
            s.strip().lower().lstrip("@")
            for s in _strings(raw["expediteurs"], path, raw.line_of("expediteurs"), "expediteurs")
        )
        if "expediteurs" in raw
        else ()
    )
    form: list[tuple[str, tuple[str, ...]]] = []
    if "formulaire" in raw:
        fields = raw["formulaire"]
        if not isinstance(fields, LineDict) or not fields:
            raise RulesError(
                f"{where(path, raw.line_of('formulaire'))} : « formulaire » : une table champ -> textes"
            )
        for name, values in fields.items():
            if name not in FORM_FIELDS:
                raise RulesError(
                    f"{where(path, fields.line_of(name))} : champ de formulaire inconnu « {name} » "
                    f"(attendu : {', '.join(sorted(FORM_FIELDS))})"
                )
            phrases_ = tuple(" ".join(_words(v)) for v in _strings(values, path, fields.line_of(name), name))
            form.append((FORM_FIELDS[name], phrases_))
    return Group(lemmas, phrases, tuple(patterns), senders, tuple(form))


def _effects(raw: Any, path: Path, line: int, taxonomy: Taxonomy) -> dict[str, dict[str, float]]:
    if not isinstance(raw, LineDict) or not raw:
        raise RulesError(f"{where(path, line)} : « effets » doit indiquer au moins une étiquette et un poids")
    out: dict[str, dict[str, float]] = {}
    for key, codes in raw.items():
        label = EFFECT_KEYS.get(key)
        if label is None:
            raise RulesError(
                f"{where(path, raw.line_of(key))} : étiquette inconnue « {key} » (attendu : domaine, recevabilite, reorientation)"
            )
        if not isinstance(codes, LineDict) or not codes:
            raise RulesError(f"{where(path, raw.line_of(key))} : « {key} » : une table code -> poids")
        known = taxonomy.codes(label)
        for code, weight in codes.items():
            if code not in known:
                raise RulesError(
                    f"{where(path, codes.line_of(code))} : « {code} » n'est pas un code de {SECTIONS[label]} "
                    f"(codes : {', '.join(known)})"
                )
            if not isinstance(weight, int | float) or isinstance(weight, bool) or abs(weight) > MAX_WEIGHT:
                raise RulesError(
                    f"{where(path, codes.line_of(code))} : le poids de « {code} » doit être un nombre entre "
                    f"-{MAX_WEIGHT:g} et {MAX_WEIGHT:g}"
                )
            out.setdefault(label, {})[code] = float(weight)
    return out


def _rule(raw: Any, path: Path, line: int, taxonomy: Taxonomy) -> Rule | None:
    if not isinstance(raw, LineDict):
        raise RulesError(f"{where(path, line)} : une règle est une table (id, explication, si, effets)")
    for key in raw:
        if key not in RULE_KEYS:
            raise RulesError(
                f"{where(path, raw.line_of(key))} : clé inconnue « {key} » (attendu : {', '.join(sorted(RULE_KEYS))})"
            )
    for key in ("id", "explication", "si", "effets"):
        if key not in raw:
            raise RulesError(f"{where(path, line)} : la règle n'a pas de « {key} »")
    rule_id = raw["id"]
    if not isinstance(rule_id, str) or not regex.fullmatch(r"[a-z0-9][a-z0-9_-]*", rule_id):
        raise RulesError(
            f"{where(path, raw.line_of('id'))} : id « {rule_id} » : minuscules, chiffres, - et _ seulement"
        )
    explanation = raw["explication"]
    if not isinstance(explanation, str) or not explanation.strip():
        raise RulesError(
            f"{where(path, raw.line_of('explication'))} : « explication » doit être un texte en français"
        )
    also_raw = raw.get("et")
    also_items = also_raw if isinstance(also_raw, list) else [also_raw] if also_raw is not None else []
    also = tuple(_group(g, path, raw.line_of("et"), "et") for g in also_items)
    unless = _group(raw["sauf"], path, raw.line_of("sauf"), "sauf") if "sauf" in raw else None
    active = raw.get("actif", True)
    if not isinstance(active, bool):
        raise RulesError(f"{where(path, raw.line_of('actif'))} : « actif » vaut oui ou non")
    rule = Rule(
        id=rule_id,
        explanation=" ".join(explanation.split()),
        when=_group(raw["si"], path, raw.line_of("si"), "si"),
        also=also,
        unless=unless,
        effects=_effects(raw["effets"], path, raw.line_of("effets"), taxonomy),
        examples=tuple(_strings(raw["exemples"], path, raw.line_of("exemples"), "exemples"))
        if "exemples" in raw
        else (),
        counter_examples=tuple(
            _strings(raw["contre_exemples"], path, raw.line_of("contre_exemples"), "contre_exemples")
        )
        if "contre_exemples" in raw
        else (),
        source=where(path, line),
    )
    return rule if active else None


def load_rules_file(path: Path, taxonomy: Taxonomy) -> list[Rule]:
    """Validate one rules file (a YAML list of rules)."""
    data = load_yaml(path)
    if data is None:
        return []
    if not isinstance(data, LineList):
        raise RulesError(
            f"{path} : le fichier doit être une liste de règles (chaque règle commence par « - id: »)"
        )
    rules = [_rule(item, path, data.line_of(i), taxonomy) for i, item in enumerate(data)]
    return [r for r in rules if r is not None]


def load_rules(directory: Path, taxonomy: Taxonomy) -> RuleSet:
    """Every *.yaml / *.yml file of a folder, in name order; ids must be unique across files."""
    if not directory.is_dir():
        raise RulesError(f"dossier des règles introuvable : {directory}")
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in files:
        for rule in load_rules_file(path, taxonomy):
            if rule.id in seen:
                raise RulesError(f"{rule.source} : id « {rule.id} » déjà utilisé ({seen[rule.id]})")
            seen[rule.id] = rule.source
            rules.append(rule)
    return RuleSet(rules, files)


def self_test(ruleset: RuleSet) -> list[str]:
    """Each rule must fire on its examples and not on its counter-examples; returns the failures (French)."""
    problems = []
    for rule in ruleset.rules:
        for example in rule.examples:
            if not any(h.rule.id == rule.id for h in ruleset.match(example)):
                problems.append(
                    f"{rule.source} : la règle {rule.id} ne se déclenche pas sur son exemple « {example} »"
                )
        for example in rule.counter_examples:
            if any(h.rule.id == rule.id for h in ruleset.match(example)):
                problems.append(
                    f"{rule.source} : la règle {rule.id} se déclenche sur son contre-exemple « {example} »"
                )
    return problems


def weights(hits: Iterable[RuleHit]) -> dict[str, dict[str, float]]:
    """Sum of the rule weights per label and code."""
    out: dict[str, dict[str, float]] = {}
    for hit in hits:
        for label, codes in hit.rule.effects.items():
            for code, weight in codes.items():
                out.setdefault(label, {})[code] = out.get(label, {}).get(code, 0.0) + weight
    return out
