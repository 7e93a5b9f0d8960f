"""Triage suggestions: extraction + rules + model -> one Suggestion per request.

How the evidence is combined (one documented way, the same for every label):

1. The model gives calibrated probabilities p(code) per label (rules-only: a fixed prior, see PRIORS).
2. Each rule that fires adds its weight w(code) as log-odds, beside the model's tempered log-probability:
       score(code) = MODEL_WEIGHT × log max(p, 0.001) + Σ w
   A weight of +2 multiplies the odds by e² ≈ 7.4. MODEL_WEIGHT = 0.5 makes the model one expert among
   others (a product of experts, p^0.5): on letters from writers it has never seen it is less sure than
   on its own corpus, while the rules state knowledge of the règlement and of who does what. In
   cross-validation 0.5 gave the best domain macro-F1 and the most useful confidences (the « à vérifier »
   labels are the wrong ones far more often than the others). The floor keeps a confident model from
   silencing a rule entirely.
3. The three labels are then decoded together under the taxonomy's consistency rules: every
   (domain, admissibility, reorientation) triple gets score_D + score_A + score_R, minus the penalties
   of unusual triples; forbidden triples (hors champ but recevable, hors champ without reorientation)
   are dropped. The triples' scores are renormalised (softmax) into a joint distribution.
4. The suggestion is the best triple; each label's confidence is its marginal probability in that
   distribution. A label is « sûr » (`to_check` false) when its confidence reaches the threshold stored
   with the model: chosen by `mediature train` on a cross-validation grouped by writer so that requests
   whose three labels are sure are entirely right at least 97 % of the time on writers the model never
   read (classifiers.calibration). Without calibrated thresholds (rules only, or a forced --seuil),
   [triage] confidence_threshold applies to every label.

`Suggester.from_settings(settings)` loads the rules, the taxonomy, the model and the NER once;
`suggest` is then read-only and safe to call from several threads.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from classifiers import LABELS
from classifiers.model import Analysis, TriageModel
from classifiers.persistence import ModelLoadError
from classifiers.persistence import load as load_model
from triage import logs
from triage.clock import Clock, local_day, system_clock
from triage.config import Settings
from triage.errors import ModelError
from triage.records import AdmissibilityFacts, Body, LabelSuggestion, Suggestion, WebForm
from triage.resources import PROJECT_DIR
from triage.suggest.bodies import Gazetteer, bodies_sentence, body_weights, load_gazetteer
from triage.suggest.extract import Extractor
from triage.suggest.facts import fact_weights, find_facts
from triage.suggest.rules import RuleHit, RuleSet, Text, load_rules, weights
from triage.suggest.taxonomy import Target, Taxonomy, load_targets, load_taxonomy

RULES_ONLY = "regles-seules"
FLOOR = 1e-3
MODEL_WEIGHT = 0.5
# Rules-only priors (log-probabilities before the rules): « none » is the most frequent reorientation, but a
# reorientation rule of weight 1.5 or more must be able to win over it.
PRIORS = {"reorientation": {"none": math.log(0.3)}, "admissibility": {"recevable": math.log(0.4)}}
LABEL_NAMES = {"domain": "Domaine", "admissibility": "Recevabilité", "reorientation": "Réorientation"}


def resolve(path: Path) -> Path:
    """A relative data path (rules, models) is taken from the working directory, else from the project."""
    if path.is_absolute() or path.exists():
        return path
    candidate = PROJECT_DIR / path
    return candidate if candidate.exists() else path


@dataclass(frozen=True)
class Decision:
    """What `Suggester.decide` found for one text."""

    chosen: dict[str, str]
    confidence: dict[str, float]
    hits: list[RuleHit]
    notes: list[str]
    analysis: Analysis | None
    facts: AdmissibilityFacts | None = None
    bodies: tuple[Body, ...] = ()


def merged(*parts: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Sum of several {label: {code: weight}} tables."""
    out: dict[str, dict[str, float]] = {}
    for part in parts:
        for label, codes in part.items():
            for code, weight in codes.items():
                out.setdefault(label, {})[code] = out.get(label, {}).get(code, 0.0) + weight
    return out


@dataclass(frozen=True)
class Scores:
    """Per label, per code: the score before joint decoding (log-probability + rule weights)."""

    values: dict[str, dict[str, float]]


def label_scores(
    taxonomy: Taxonomy,
    probabilities: dict[str, dict[str, float]] | None,
    rule_weights: dict[str, dict[str, float]],
) -> Scores:
    """Step 1 and 2: model log-probabilities (or priors) plus rule log-odds, for every code of the taxonomy."""
    out: dict[str, dict[str, float]] = {}
    for label in LABELS:
        codes = taxonomy.codes(label)
        if probabilities is not None:
            probs = probabilities.get(label, {})
            base = {c: MODEL_WEIGHT * math.log(max(probs.get(c, 0.0), FLOOR)) for c in codes}
        else:
            uniform = math.log(1.0 / len(codes))
            prior = PRIORS.get(label, {})
            rest = (1.0 - sum(math.exp(v) for v in prior.values())) / max(1, len(codes) - len(prior))
            base = {c: prior.get(c, math.log(rest) if prior else uniform) for c in codes}
        extra = rule_weights.get(label, {})
        out[label] = {c: base[c] + extra.get(c, 0.0) for c in codes}
    return Scores(out)


def decode(taxonomy: Taxonomy, scores: Scores) -> tuple[dict[str, str], dict[str, float], list[str]]:
    """Step 3 and 4: the best consistent triple, the marginal confidence of each label, and French notes."""
    coh = taxonomy.coherence
    none = taxonomy.no_reorientation
    triples: list[tuple[tuple[str, str, str], float]] = []
    for d, a, r in itertools.product(*(scores.values[label].items() for label in LABELS)):
        s = d[1] + a[1] + r[1]
        if d[0] == coh.out_of_scope_domain:
            if a[0] != coh.out_of_scope_admissibility or r[0] == none:
                continue
        elif a[0] in coh.no_reorientation_admissibility and r[0] != none:
            s -= coh.reorientation_if_admissible_penalty
        elif a[0] == coh.out_of_scope_admissibility and r[0] not in coh.reorientations_if_inadmissible:
            s -= coh.other_reorientation_if_inadmissible_penalty
        triples.append(((d[0], a[0], r[0]), s))
    top = max(s for _, s in triples)
    total = sum(math.exp(s - top) for _, s in triples)
    best = max(triples, key=lambda t: t[1])[0]
    chosen = dict(zip(LABELS, best, strict=True))
    confidence = {}
    for i, label in enumerate(LABELS):
        mass = sum(math.exp(s - top) for t, s in triples if t[i] == best[i])
        confidence[label] = round(mass / total, 4)
    notes = []
    independent = {label: max(scores.values[label], key=scores.values[label].__getitem__) for label in LABELS}
    for label in LABELS:
        if independent[label] != chosen[label]:
            notes.append(
                f"Cohérence : {LABEL_NAMES[label].lower()} « {taxonomy.name(label, chosen[label])} » plutôt que "
                f"« {taxonomy.name(label, independent[label])} » (règles de cohérence de la taxonomie)"
            )
    return chosen, confidence, notes


class Suggester:
    """Rules + model (or rules only) + extraction; cheap to share, safe across threads."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        rules: RuleSet,
        model: TriageModel | None,
        *,
        extractor: Extractor | None = None,
        threshold: float = 0.6,
        thresholds: dict[str, float] | None = None,
        targets: dict[str, Target] | None = None,
        model_problem: str = "",
        gazetteer: Gazetteer | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.taxonomy = taxonomy
        self.clock = clock  # "today" of a request that says « il y a trois mois »
        self.rules = rules
        self.model = model
        self.extractor = extractor or Extractor()
        self.threshold = threshold
        self.thresholds = (
            dict(thresholds) if thresholds is not None else (model.sure_thresholds if model else {})
        )
        self.targets = targets or {}
        self.model_problem = model_problem
        self.gazetteer = gazetteer if gazetteer is not None else load_gazetteer(None, taxonomy)

    @property
    def model_version(self) -> str:
        """The model's version, or « regles-seules »."""
        return self.model.version if self.model is not None else RULES_ONLY

    def threshold_of(self, label: str) -> float:
        """The confidence a label must reach to be « sûr »."""
        return self.thresholds.get(label, self.threshold)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        use_ner: bool = True,
        forced_threshold: float | None = None,
        clock: Clock = system_clock,
    ) -> Suggester:
        """Load taxonomy, rules and model once (a missing or unusable model means rules only, never a crash)."""
        t = settings.triage
        taxonomy = load_taxonomy(resolve(t.taxonomy_file) if t.taxonomy_file else None)
        rules = load_rules(resolve(t.rules_dir), taxonomy)
        targets = load_targets(resolve(t.reorientation_file) if t.reorientation_file else None, taxonomy)
        model, problem = None, ""
        try:
            model = open_model(resolve(t.model_dir), taxonomy)
        except ModelError as err:
            problem = err.message
            logs.failure("model_unusable_rules_only", err, level=logging.WARNING)
        extractor = Extractor(use_ner=use_ner, reference_prefix=settings.service.reference_prefix)
        gazetteer = load_gazetteer(resolve(t.bodies_file) if t.bodies_file else None, taxonomy)
        return cls(taxonomy, rules, model, extractor=extractor,
                   threshold=t.confidence_threshold if forced_threshold is None else forced_threshold,
                   thresholds={} if forced_threshold is not None else None,
                   targets=targets, model_problem=problem, gazetteer=gazetteer, clock=clock)  # fmt: skip

    def decide(
        self, text: str, *, sender: str = "", form: WebForm | None = None, today: date | None = None
    ) -> Decision:
        """The three codes, their confidences, the rules that fired, the règlement's facts and the
        coherence notes (no extraction of names and places)."""
        hits = self.rules.match(text, sender=sender, form=form)
        facts = find_facts(text, form=form, today=today)
        bodies = self.gazetteer.find(text)
        analysis = self.model.analyse(text) if self.model is not None else None
        extra = merged(weights(hits), fact_weights(facts), body_weights(bodies, self.taxonomy))
        scores = label_scores(self.taxonomy, analysis.probabilities if analysis else None, extra)
        chosen, confidence, notes = decode(self.taxonomy, scores)
        return Decision(chosen, confidence, hits, notes, analysis, facts, bodies)

    def suggest(
        self, text: str, *, sender: str = "", form: WebForm | None = None, today: date | None = None
    ) -> Suggestion:
        """The suggested domain, admissibility and reorientation of one request, with reasons in French."""
        today = today or local_day(self.clock())
        decision = self.decide(text, sender=sender, form=form, today=today)
        chosen, confidence = decision.chosen, decision.confidence
        extracted = self.extractor.extract(text, form=form, today=today)
        written = Text.prepare(text)  # to quote the model's terms as the letter writes them
        per_label = {label: self._label_reasons(label, decision, written) for label in LABELS}
        labels = {
            label: LabelSuggestion(
                code=chosen[label],
                confidence=confidence[label],
                to_check=confidence[label] < self.threshold_of(label),
                reasons=tuple(per_label[label][0]),
                highlights=tuple(per_label[label][1]),
            )
            for label in LABELS
        }
        reasons = [self._summary(label, labels[label]) for label in LABELS]
        seen = set(reasons)
        for label in LABELS:
            for reason in labels[label].reasons:
                if reason not in seen:
                    seen.add(reason)
                    reasons.append(reason)
        reasons += decision.notes
        if self.model is None:
            reasons.append("Sans modèle entraîné : suggestion fondée sur les seules règles" +
                           (f" ({self.model_problem})" if self.model_problem else ""))  # fmt: skip
        return Suggestion(
            domain=labels["domain"],
            admissibility=labels["admissibility"],
            reorientation=labels["reorientation"],
            model_version=self.model_version,
            reasons=tuple(reasons),
            extracted=extracted,
            facts=decision.facts,
            bodies=decision.bodies,
        )

    def _summary(self, label: str, s: LabelSuggestion) -> str:
        share = f"{round(s.confidence * 100)} %"
        certainty = f"à vérifier, {share}" if s.to_check else f"sûr à {share}"
        return f"{LABEL_NAMES[label]} : {self.taxonomy.name(label, s.code)} ({certainty})"

    def _label_reasons(self, label: str, decision: Decision, written: Text) -> tuple[list[str], list[str]]:
        code = decision.chosen[label]
        reasons: list[str] = []
        highlights: list[str] = []
        for hit in decision.hits:
            weight = hit.rule.effects.get(label, {}).get(code)
            if weight is not None and weight > 0:
                reasons.append(hit.reason())
                highlights += list(hit.matched)
        if label == "admissibility" and decision.facts is not None:
            reasons += [f"Règlement : {sentence}" for sentence in decision.facts.sentences()]
        if label == "reorientation":
            reasons += bodies_sentence(decision.bodies)
        if self.model is not None and decision.analysis is not None:
            terms = self.model.top_terms(decision.analysis, label, code)
            if terms:
                reasons.append(
                    f"Modèle ({LABEL_NAMES[label].lower()} « {self.taxonomy.name(label, code)} ») : termes les "
                    "plus déterminants " + ", ".join(f"« {written.as_written(name)} »" for name, _ in terms)
                )
        return reasons, list(dict.fromkeys(highlights))


def open_model(directory: Path, taxonomy: Taxonomy) -> TriageModel:
    """Load the model and check its codes against the taxonomy; ModelError (French) otherwise."""
    try:
        model = load_model(directory)
    except ModelLoadError as err:
        raise ModelError(str(err), key=str(directory)) from err
    for label in LABELS:
        unknown = set(model.classes(label)) - set(taxonomy.codes(label))
        if unknown:
            raise ModelError(
                f"le modèle connaît des codes absents de la taxonomie ({label} : {', '.join(sorted(unknown))}) : "
                "réentraînez-le avec « mediature train »",
                key=str(directory),
            )
    return model
