"""The labelled corpus: one letter per file, a front-matter block with its labels, then the text.

---
domain: insertion_rsa
admissibility: recevable
reorientation: none
writer: ...
channel: courrier
---
Madame la Médiatrice, ...
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from classifiers import LABELS


class CorpusError(ValueError):
    """A corpus file cannot be read; the message is in French and names the file."""


@dataclass(frozen=True)
class Example:
    """One labelled text."""

    text: str
    labels: dict[str, str]
    source: str = ""
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def writer(self) -> str:
        """The writer group: no writer may be both in training and in test.

        ``writer_id`` when the file records one; otherwise the ``writer`` description (files with the same
        description were written as the same persona), else the file itself.
        """
        if self.meta.get("writer_id"):
            return "id:" + self.meta["writer_id"]
        if self.meta.get("writer"):
            return "writer:" + " ".join(self.meta["writer"].lower().split())
        return "file:" + self.source


def parse_example(raw: str, source: str = "") -> Example:
    """Split the front matter (``key: value`` lines between two ``---``) from the text."""
    lines = raw.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise CorpusError(f"{source} : bloc d'en-tête « --- » absent en première ligne")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise CorpusError(f"{source} : bloc d'en-tête non refermé par « --- »") from None
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise CorpusError(f"{source}, ligne {number} : « clé: valeur » attendu")
        meta[key.strip()] = value.strip()
    missing = [label for label in LABELS if not meta.get(label)]
    if missing:
        raise CorpusError(f"{source} : étiquette(s) manquante(s) : {', '.join(missing)}")
    text = "\n".join(lines[end + 1 :]).strip()
    if not text:
        raise CorpusError(f"{source} : texte vide")
    labels = {label: meta.pop(label) for label in LABELS}
    return Example(text=text, labels=labels, source=source, meta=meta)


def load_corpus(directory: Path) -> list[Example]:
    """Every ``*.txt`` under the directory, sorted by path (deterministic order)."""
    if not directory.is_dir():
        raise CorpusError(f"dossier du corpus introuvable : {directory}")
    examples = []
    for path in sorted(directory.rglob("*.txt")):
        examples.append(parse_example(path.read_text(encoding="utf-8"), str(path.relative_to(directory))))
    return examples


def load_corpora(directories: Sequence[Path]) -> list[Example]:
    """Every example of several folders, each source prefixed with its folder's name."""
    examples = []
    for directory in directories:
        for e in load_corpus(directory):
            examples.append(Example(e.text, e.labels, f"{directory.name}/{e.source}", e.meta))
    return examples


def writers(examples: Sequence[Example]) -> list[str]:
    """The writer group of each example (see Example.writer)."""
    return [e.writer for e in examples]


def columns(examples: Sequence[Example]) -> tuple[list[str], dict[str, list[str]]]:
    """(texts, {label: values}) for training."""
    texts = [e.text for e in examples]
    return texts, {label: [e.labels[label] for e in examples] for label in LABELS}


def data_hash(texts: Iterable[str], labels: Mapping[str, Sequence[str]]) -> str:
    """SHA-256 of the training data (texts and labels, in order): the model card's fingerprint."""
    digest = hashlib.sha256()
    names = sorted(labels)
    for i, text in enumerate(texts):
        row = [text] + [labels[name][i] for name in names]
        digest.update(json.dumps(row, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()
