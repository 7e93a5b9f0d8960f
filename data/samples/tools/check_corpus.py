"""Check the labelled letters before they land: every file parses, labels are taxonomy codes, writers are consistent.

    .venv/bin/python data/samples/tools/check_corpus.py            # check, print counts
    .venv/bin/python data/samples/tools/check_corpus.py --quiet    # check only
    .venv/bin/python data/samples/tools/check_corpus.py --counts   # + labels and channels of the tracked writers

Checks, for data/samples/corpus, data/samples/heldout and data/samples/heldout-writers:
- the front matter parses (the loader used for training) and carries domain, admissibility,
  reorientation, writer and channel; the label values are codes of the shipped taxonomy;
- the TAXONOMY consistency rules (hors_champ => irrecevable with a reorientation);
- a file named ``w-…-<n>.txt`` carries ``writer_id`` equal to its name without ``-<n>``;
- in corpus/, a file lives in the folder of its domain;
- no writer_id has letters both in heldout-writers/ and elsewhere (the held-out rule).
Exit status 1 with one French line per problem.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from classifiers.corpus import CorpusError, Example, parse_example
from triage.suggest.taxonomy import load_taxonomy

SAMPLES = Path(__file__).resolve().parent.parent
SETS = ("corpus", "heldout", "heldout-writers")
REQUIRED = ("writer", "channel")
# « formulaire » : older files, same as webform
CHANNELS = {"email", "courrier", "webform", "telephone", "formulaire"}
WRITER_FILE = re.compile(r"^(w-[a-z0-9-]+)-(\d+)\.txt$")


def problems_of(name: str, path: Path, example: Example, codes: dict[str, set[str]]) -> list[str]:
    """Everything wrong with one parsed file (empty when it is fine)."""
    where = f"{name}/{example.source}"
    found = [f"{where} : clé « {key} » absente" for key in REQUIRED if not example.meta.get(key)]
    channel = example.meta.get("channel", "")
    if channel and channel not in CHANNELS:
        found.append(f"{where} : canal inconnu « {channel} »")
    for label, value in example.labels.items():
        if value not in codes[label]:
            found.append(f"{where} : {label} « {value} » absent de la taxonomie")
    labels = example.labels
    if labels["domain"] == "hors_champ" and (
        labels["admissibility"] != "irrecevable" or labels["reorientation"] == "none"
    ):
        found.append(f"{where} : hors_champ exige irrecevable et une réorientation")
    match = WRITER_FILE.match(path.name)
    if match and example.meta.get("writer_id") != match.group(1):
        found.append(f"{where} : writer_id « {example.meta.get('writer_id', '')} » ≠ nom du fichier")
    if name == "corpus" and path.parent.name != labels["domain"]:
        found.append(f"{where} : rangé dans {path.parent.name}/ mais domaine {labels['domain']}")
    return found


def check(
    samples: Path = SAMPLES,
) -> tuple[list[str], dict[str, set[str]], dict[str, Counter[str]], dict[str, Counter[str]]]:
    """(problems, sets of each writer_id, file counts per set, label counts of the tracked writers)."""
    taxonomy = load_taxonomy()
    codes = {label: set(taxonomy.codes(label)) for label in ("domain", "admissibility", "reorientation")}
    problems: list[str] = []
    writers: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    tracked: dict[str, Counter[str]] = defaultdict(Counter)
    for name in SETS:
        directory = samples / name
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*.txt")):
            try:
                example = parse_example(path.read_text(encoding="utf-8"), str(path.relative_to(directory)))
            except (CorpusError, UnicodeDecodeError) as error:
                problems.append(f"{name} : {error}")
                continue
            problems.extend(problems_of(name, path, example, codes))
            writer_id = example.meta.get("writer_id")
            if writer_id:
                writers[writer_id].add(name)
                part = "réservé" if name == "heldout-writers" else "entraînement"
                for key, value in [*example.labels.items(), ("channel", example.meta.get("channel", ""))]:
                    tracked[f"{key} = {value}"][part] += 1
            counts[name]["fichiers"] += 1
            counts[name]["fichiers avec writer_id"] += bool(writer_id)
    for writer_id, sets in sorted(writers.items()):
        if "heldout-writers" in sets and len(sets) > 1:
            others = ", ".join(sorted(sets - {"heldout-writers"}))
            problems.append(f"{writer_id} : lettres dans heldout-writers/ et dans {others}/")
    return problems, writers, counts, tracked


def main(argv: list[str]) -> int:
    problems, writers, counts, tracked = check()
    for problem in problems:
        print(problem)
    if "--quiet" not in argv:
        for name in SETS:
            ids = {w for w, sets in writers.items() if name in sets}
            files, with_id = counts[name]["fichiers"], counts[name]["fichiers avec writer_id"]
            print(f"{name} : {files} fichiers, {with_id} avec writer_id, {len(ids)} writers")
    if "--counts" in argv:
        print("\nAuteurs suivis (writer_id) : étiquette = valeur  entraînement  réservé  total")
        for key in sorted(tracked):
            train, held = tracked[key]["entraînement"], tracked[key]["réservé"]
            print(f"  {key:45} {train:5} {held:5} {train + held:5}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
