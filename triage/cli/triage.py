"""Triage commands: suggest, train, evaluate, rules check / rules test."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from triage.cli import ConfigOption, app, console, err_console, open_runtime, settings_only
from triage.errors import MediatureError, RulesError

rules_app = typer.Typer(help="Règles de tri (rules/*.yaml).", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def suggestion_json(source: str, suggestion: Any, suggester: Any) -> dict[str, Any]:
    """The stable JSON contract of `mediature suggest` (one object per input)."""
    out: dict[str, Any] = {
        "source": source,
        "domain": suggestion.domain.code,
        "admissibility": suggestion.admissibility.code,
        "reorientation": suggestion.reorientation.code,
        "confidence": {
            "domain": suggestion.domain.confidence,
            "admissibility": suggestion.admissibility.confidence,
            "reorientation": suggestion.reorientation.confidence,
        },
        "to_check": {
            "domain": suggestion.domain.to_check,
            "admissibility": suggestion.admissibility.to_check,
            "reorientation": suggestion.reorientation.to_check,
        },
        "reasons": list(suggestion.reasons),
        "extracted": suggestion.extracted_json(),
        "model_version": suggestion.model_version,
    }
    target = suggester.targets.get(suggestion.reorientation.code)
    if target is not None:
        out["reorientation_target"] = {
            "name": target.name,
            "address": list(target.address),
            "phone": target.phone,
            "website": target.website,
            "details": target.details,
            "to_check_locally": target.to_check,
        }
    return out


@app.command("suggest")
def suggest(
    paths: Annotated[list[Path], typer.Argument(help="Fichiers .eml, .txt, .pdf ou images (ou dossiers).")],
    config: ConfigOption = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--seuil",
            help="Seuil de confiance « à vérifier » imposé à toutes les étiquettes (sinon les seuils "
            "calibrés du modèle).",
        ),
    ] = None,
) -> None:
    """Suggère domaine, recevabilité et réorientation : une ligne JSON par fichier, sans base ni réseau."""
    from triage.sources.documents import expand, read_request
    from triage.suggest.suggester import Suggester

    settings = settings_only(config)
    suggester = Suggester.from_settings(settings, forced_threshold=threshold)
    if suggester.model is None:
        err_console.print(
            f"[yellow]Attention :[/] {suggester.model_problem} — suggestions fondées sur les seules règles."
        )
    failures = 0
    for path in expand(paths):
        try:
            request = read_request(path, settings)
            suggestion = suggester.suggest(request.text, sender=request.sender, form=request.form)
            line = suggestion_json(str(path), suggestion, suggester)
        except MediatureError as err:
            failures += 1
            line = {"source": str(path), "error": err.message}
        typer.echo(json.dumps(line, ensure_ascii=False))
    if failures:
        raise typer.Exit(1)


@dataclass(frozen=True)
class TrainingData:
    """Labelled texts, the writer of each (for grouped folds) and where they came from."""

    texts: list[str]
    labels: dict[str, list[str]]
    writers: list[str]
    sources: dict[str, int]


def _corpus_dirs(settings: Any, corpus: list[Path] | None) -> list[Path]:
    from triage.suggest.suggester import resolve

    if corpus:
        return list(corpus)
    extra = [resolve(p) for p in settings.triage.extra_corpus_dirs]
    return [resolve(settings.triage.corpus_dir)] + [p for p in extra if p.is_dir()]


def _training_data(
    settings: Any, corpus: list[Path] | None, with_database: bool, config: Path | None = None
) -> TrainingData:
    from classifiers import LABELS
    from classifiers.corpus import CorpusError, columns, load_corpora, writers

    directories = _corpus_dirs(settings, corpus)
    try:
        examples = load_corpora(directories)
    except CorpusError as err:
        raise MediatureError(str(err)) from err
    texts, labels = columns(examples)
    groups = writers(examples)
    sources = {d.name: sum(1 for e in examples if e.source.startswith(d.name + "/")) for d in directories}
    if with_database:
        from triage.store.labelled import labelled_texts

        rt = open_runtime(config)
        rows = labelled_texts(rt.sessions)
        for row in rows:
            texts.append(row.text)
            groups.append(f"base:{row.id}")
            for label in LABELS:
                labels[label].append(getattr(row, label))
        sources["decisions_confirmees"] = len(rows)
    return TrainingData(texts, labels, groups, sources)


def _check_codes(labels: dict[str, list[str]], taxonomy: Any) -> None:
    for label, values in labels.items():
        unknown = sorted(set(values) - set(taxonomy.codes(label)))
        if unknown:
            raise MediatureError(
                f"codes inconnus de la taxonomie dans les données ({label} : {', '.join(unknown)})"
            )


def _grouped_evaluation(settings: Any, data: TrainingData, folds: int) -> dict[str, Any]:
    """Grouped cross-validation of the system and the baseline, with the « sûr » thresholds it calibrates."""
    from classifiers.calibration import choose_thresholds
    from classifiers.evaluate import cross_validate
    from triage.suggest.evaluation import add_sure, system_combiner
    from triage.suggest.rules import load_rules
    from triage.suggest.suggester import resolve
    from triage.suggest.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(
        resolve(settings.triage.taxonomy_file) if settings.triage.taxonomy_file else None
    )
    rules = load_rules(resolve(settings.triage.rules_dir), taxonomy)
    report = cross_validate(
        data.texts, data.labels, data.writers, n_splits=folds, combine=system_combiner(taxonomy, rules),
        progress=lambda k, n: err_console.print(f"  validation croisée groupée par auteur : pli {k}/{n}"),
    )  # fmt: skip
    oof = report["out_of_fold"]
    add_sure(report, choose_thresholds(oof["truth"], oof["codes"], oof["confidence"]))
    return report


@app.command("train")
def train(
    config: ConfigOption = None,
    corpus: Annotated[
        list[Path] | None,
        typer.Option("--corpus", help="Dossier(s) du corpus (sinon la configuration)."),
    ] = None,
    database: Annotated[
        bool,
        typer.Option("--base/--sans-base", help="Ajouter les décisions confirmées par la médiatrice (base)."),
    ] = True,
    output: Annotated[
        Path | None, typer.Option("--sortie", help="Dossier du modèle (sinon triage.model_dir).")
    ] = None,
    folds: Annotated[
        int,
        typer.Option(
            "--plis",
            help="Plis de la validation croisée groupée qui fixe les seuils « sûr » (0 : aucun, tout à vérifier).",
        ),
    ] = 5,
) -> None:
    """Entraîne le modèle sur le corpus et les décisions confirmées, puis l'enregistre (skops + fiche JSON)."""
    from classifiers.evaluate import summary
    from classifiers.model import train as fit
    from classifiers.persistence import save
    from triage.suggest.suggester import resolve
    from triage.suggest.taxonomy import load_taxonomy

    settings = settings_only(config)
    taxonomy = load_taxonomy(
        resolve(settings.triage.taxonomy_file) if settings.triage.taxonomy_file else None
    )
    data = _training_data(settings, corpus, database, config)
    _check_codes(data.labels, taxonomy)
    console.print(
        f"Données : {len(data.texts)} textes de {len(set(data.writers))} auteurs "
        f"({', '.join(f'{k} {v}' for k, v in data.sources.items())})."
    )
    metrics: dict[str, Any] = {}
    sure: dict[str, Any] = {}
    started = time.monotonic()
    if folds >= 2:
        report = _grouped_evaluation(settings, data, folds)
        metrics = summary(report)
        sure = report["sure"]
    model = fit(data.texts, data.labels, metrics=metrics, sources=data.sources, sure=sure)
    path = save(model, output or resolve(settings.triage.model_dir))
    console.print(
        f"Modèle [bold]{model.version}[/] enregistré : {path} ({path.stat().st_size / 1e6:.1f} Mo, "
        f"{time.monotonic() - started:.0f} s)."
    )
    if metrics:
        for label in ("domain", "admissibility", "reorientation"):
            m = metrics["systeme"][label]
            console.print(
                f"  {label} : macro-F1 {m['macro_f1']:.3f}, exactitude {m['accuracy']:.3f} "
                f"(validation croisée groupée), seuil « sûr » {sure['thresholds'][label]:.4f}"
            )
        r = sure["requests"]
        console.print(
            f"  « sûr » : {100 * r['share']:.1f} % des demandes, justes à {100 * r['precision']:.1f} %"
        )


@app.command("evaluate")
def evaluate(
    config: ConfigOption = None,
    corpus: Annotated[
        list[Path] | None,
        typer.Option("--corpus", help="Dossier(s) du corpus d'entraînement (sinon la configuration)."),
    ] = None,
    folds: Annotated[
        int, typer.Option("--plis", help="Plis de la validation croisée groupée par auteur (0 : aucune).")
    ] = 5,
    heldout: Annotated[
        Path | None,
        typer.Option(
            "--jeu-tenu-a-l-ecart",
            help="Lettres d'auteurs jamais appris (sinon triage.heldout_dir, s'il existe).",
        ),
    ] = None,
    database: Annotated[
        bool, typer.Option("--base/--sans-base", help="Ajouter les décisions confirmées.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Rapport complet en JSON.")] = False,
    confusion: Annotated[
        bool, typer.Option("--matrices/--sans-matrices", help="Matrices de confusion.")
    ] = False,
) -> None:
    """Validation croisée groupée par auteur et auteurs tenus à l'écart : Médiature face à la référence."""
    from classifiers.corpus import CorpusError, columns, load_corpus
    from classifiers.evaluate import holdout, score
    from triage.suggest.evaluation import add_sure, format_report, rules_only, system_combiner
    from triage.suggest.rules import load_rules
    from triage.suggest.suggester import resolve
    from triage.suggest.taxonomy import load_taxonomy

    settings = settings_only(config)
    taxonomy = load_taxonomy(
        resolve(settings.triage.taxonomy_file) if settings.triage.taxonomy_file else None
    )
    rules = load_rules(resolve(settings.triage.rules_dir), taxonomy)
    data = _training_data(settings, corpus, database, config)
    _check_codes(data.labels, taxonomy)
    held_dir = heldout or resolve(settings.triage.heldout_dir)
    cross = _grouped_evaluation(settings, data, folds) if folds >= 2 else None
    if cross is not None:
        ruled = rules_only(taxonomy, rules, data.texts)
        cross["systems"]["regles"] = {label: score(data.labels[label], ruled[label]) for label in ruled}
    held = None
    if heldout is not None or held_dir.is_dir():
        try:
            test_texts, test_labels = columns(load_corpus(held_dir))
        except CorpusError as err:
            raise MediatureError(str(err)) from err
        _check_codes(test_labels, taxonomy)
        err_console.print(f"  auteurs tenus à l'écart : entraînement sur {len(data.texts)} lettres")
        held = holdout(
            data.texts, data.labels, test_texts, test_labels, combine=system_combiner(taxonomy, rules)
        )
        ruled = rules_only(taxonomy, rules, test_texts)
        held["systems"]["regles"] = {label: score(test_labels[label], ruled[label]) for label in ruled}
        if cross is not None:
            add_sure(held, cross["sure"]["thresholds"])
    if cross is None and held is None:
        raise MediatureError("rien à évaluer : --plis 0 et aucun jeu d'auteurs tenus à l'écart")
    if as_json:
        for part in (cross, held):
            if part is not None:
                part.pop("out_of_fold", None)
        typer.echo(
            json.dumps({"cross_validation": cross, "heldout_writers": held}, ensure_ascii=False, indent=2)
        )
    else:
        typer.echo(format_report(cross, held, confusion=confusion))


@rules_app.command("check")
def rules_check(config: ConfigOption = None) -> None:
    """Vérifie les fichiers de règles, la taxonomie et l'annuaire ; essaie les exemples de chaque règle."""
    from triage.suggest.rules import load_rules, self_test
    from triage.suggest.suggester import resolve
    from triage.suggest.taxonomy import load_targets, load_taxonomy

    settings = settings_only(config)
    t = settings.triage
    taxonomy = load_taxonomy(resolve(t.taxonomy_file) if t.taxonomy_file else None)
    targets = load_targets(resolve(t.reorientation_file) if t.reorientation_file else None, taxonomy)
    ruleset = load_rules(resolve(t.rules_dir), taxonomy)
    for path in ruleset.files:
        count = sum(1 for r in ruleset.rules if r.source.startswith(str(path)))
        console.print(f"  {path} : {count} règle(s)")
    missing = [
        c for c in taxonomy.codes("reorientation") if c != taxonomy.no_reorientation and c not in targets
    ]
    problems = self_test(ruleset)
    for problem in problems:
        err_console.print(f"[red]✗[/] {problem}")
    if missing:
        err_console.print(f"[yellow]Annuaire :[/] pas de fiche pour {', '.join(missing)}")
    to_check = sorted(code for code, target in targets.items() if target.to_check)
    if to_check:
        console.print(f"Annuaire : {len(to_check)} fiche(s) à vérifier localement ({', '.join(to_check)}).")
    if problems:
        raise RulesError(f"{len(problems)} exemple(s) de règles en échec")
    console.print(f"[green]✓[/] {len(ruleset)} règles valides, taxonomie {taxonomy.source}.")


@rules_app.command("test")
def rules_test(
    text: Annotated[str, typer.Argument(help="Texte à tester (entre guillemets).")],
    config: ConfigOption = None,
    sender: Annotated[str, typer.Option("--expediteur", help="Adresse de l'expéditeur.")] = "",
) -> None:
    """Montre les règles qui se déclenchent sur un texte, puis la suggestion complète."""
    from triage.suggest.suggester import Suggester

    settings = settings_only(config)
    suggester = Suggester.from_settings(settings, use_ner=False)
    hits = suggester.rules.match(text, sender=sender)
    if not hits:
        console.print("Aucune règle ne se déclenche.")
    for hit in hits:
        effects = "; ".join(
            f"{label} " + ", ".join(f"{code} {w:+g}" for code, w in codes.items())
            for label, codes in hit.rule.effects.items()
        )
        console.print(f"[bold]{hit.rule.id}[/] ({hit.rule.source}) : {', '.join(hit.matched)} -> {effects}")
    suggestion = suggester.suggest(text, sender=sender)
    typer.echo(json.dumps(suggestion_json("texte", suggestion, suggester), ensure_ascii=False, indent=2))
