"""The triage taxonomy (domains, admissibility, reorientations) and the directory of reorientation targets.

Both are configuration, not code: the defaults ship in triage/defaults/ (Isère, to be checked locally)
and a collectivité points [triage] taxonomy_file / reorientation_file at its own YAML files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from triage.articles import checked_article
from triage.errors import RulesError
from triage.resources import defaults_dir
from triage.suggest.yamlload import LineDict, LineList, load_yaml, where

TAXONOMY_FILE = "taxonomy.yaml"
TARGETS_FILE = "reorientation-targets.yaml"
# The label names used everywhere (CLI output, rules, model); the YAML sections are in French.
SECTIONS = {"domain": "domaine", "admissibility": "recevabilite", "reorientation": "reorientation"}


@dataclass(frozen=True)
class Code:
    """One label value: its code (stable identifier), its French label and description."""

    code: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Coherence:
    """The consistency rules between the three labels (see TAXONOMY: hors champ => irrecevable...)."""

    out_of_scope_domain: str = "hors_champ"
    out_of_scope_admissibility: str = "irrecevable"
    no_reorientation_admissibility: tuple[str, ...] = ("recevable", "prematuree")
    reorientation_if_admissible_penalty: float = 2.0
    reorientations_if_inadmissible: tuple[str, ...] = ("none", "conciliateur_justice", "defenseur_des_droits")
    other_reorientation_if_inadmissible_penalty: float = 1.5


@dataclass(frozen=True)
class Taxonomy:
    """The three label sets and how they must agree."""

    labels: dict[str, tuple[Code, ...]]
    no_reorientation: str = "none"
    coherence: Coherence = field(default_factory=Coherence)
    source: str = ""

    def codes(self, label: str) -> list[str]:
        """The codes of one label, in file order."""
        return [c.code for c in self.labels[label]]

    def name(self, label: str, code: str) -> str:
        """The French label of a code (the code itself when unknown)."""
        return next((c.label for c in self.labels.get(label, ()) if c.code == code), code)


@dataclass(frozen=True)
class Target:
    """Where a person is redirected: what they need to get in touch."""

    code: str
    name: str
    address: tuple[str, ...] = ()
    phone: str = ""
    website: str = ""
    details: str = ""
    to_check: bool = True
    article: str | None = None  # « la » Préfecture, « le » conciliateur, "" for France Travail; None: guessed


def _article(value: Any, path: Path, line: int) -> str | None:
    try:
        return checked_article(None if value is None else str(value))
    except ValueError as err:
        raise RulesError(f"{where(path, line)} : {err}") from err


def _text(value: Any, path: Path, line: int, what: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if (
        not isinstance(value, str | int | float)
        or isinstance(value, bool)
        or (required and not str(value).strip())
    ):
        raise RulesError(f"{where(path, line)} : {what} doit être un texte non vide")
    return str(value).strip()


def _codes(section: LineDict, path: Path, name: str) -> tuple[Code, ...]:
    items = section.get("codes")
    if not isinstance(items, LineList) or not items:
        raise RulesError(
            f"{where(path, section.line_of('codes'))} : « {name}.codes » doit être une liste non vide"
        )
    out: list[Code] = []
    for i, item in enumerate(items):
        line = items.line_of(i)
        if not isinstance(item, LineDict):
            raise RulesError(f"{where(path, line)} : chaque code doit avoir « code » et « libelle »")
        code = _text(item.get("code"), path, item.line_of("code"), "code")
        if not code.replace("_", "").isalnum() or code != code.lower():
            raise RulesError(
                f"{where(path, item.line_of('code'))} : code « {code} » : minuscules, chiffres et _ seulement"
            )
        if any(c.code == code for c in out):
            raise RulesError(f"{where(path, line)} : code « {code} » en double dans « {name} »")
        label = _text(item.get("libelle"), path, item.line_of("libelle"), "libelle")
        description = _text(
            item.get("description"), path, item.line_of("description"), "description", required=False
        )
        out.append(Code(code, label, description))
    return tuple(out)


def _coherence(raw: Any, path: Path, labels: dict[str, tuple[Code, ...]]) -> Coherence:
    if raw is None:
        return Coherence()
    if not isinstance(raw, LineDict):
        raise RulesError(f"{path} : « coherence » doit être une table")
    default = Coherence()

    def code_of(key: str, label: str, fallback: str) -> str:
        value = str(raw.get(key, fallback))
        if value not in {c.code for c in labels[label]}:
            raise RulesError(
                f"{where(path, raw.line_of(key))} : « {value} » n'est pas un code de {SECTIONS[label]}"
            )
        return value

    def codes_of(key: str, label: str, fallback: tuple[str, ...]) -> tuple[str, ...]:
        values = raw.get(key, list(fallback))
        if not isinstance(values, list):
            raise RulesError(f"{where(path, raw.line_of(key))} : « {key} » doit être une liste de codes")
        known = {c.code for c in labels[label]}
        for value in values:
            if str(value) not in known:
                raise RulesError(
                    f"{where(path, raw.line_of(key))} : « {value} » n'est pas un code de {SECTIONS[label]}"
                )
        return tuple(str(v) for v in values)

    def number(key: str, fallback: float) -> float:
        value = raw.get(key, fallback)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise RulesError(f"{where(path, raw.line_of(key))} : « {key} » doit être un nombre positif")
        return float(value)

    return Coherence(
        out_of_scope_domain=code_of("domaine_hors_champ", "domain", default.out_of_scope_domain),
        out_of_scope_admissibility=code_of(
            "recevabilite_hors_champ", "admissibility", default.out_of_scope_admissibility
        ),
        no_reorientation_admissibility=codes_of(
            "recevabilites_sans_reorientation", "admissibility", default.no_reorientation_admissibility
        ),
        reorientation_if_admissible_penalty=number(
            "penalite_reorientation_si_recevable", default.reorientation_if_admissible_penalty
        ),
        reorientations_if_inadmissible=codes_of(
            "reorientations_si_irrecevable", "reorientation", default.reorientations_if_inadmissible
        ),
        other_reorientation_if_inadmissible_penalty=number(
            "penalite_autre_reorientation_si_irrecevable", default.other_reorientation_if_inadmissible_penalty
        ),
    )


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file (the shipped default when `path` is None)."""
    path = path or defaults_dir() / TAXONOMY_FILE
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise RulesError(f"{path} : la taxonomie doit être une table (domaine, recevabilite, reorientation)")
    labels: dict[str, tuple[Code, ...]] = {}
    for label, section_name in SECTIONS.items():
        section = data.get(section_name)
        if not isinstance(section, LineDict):
            raise RulesError(f"{path} : section « {section_name} » absente ou invalide")
        labels[label] = _codes(section, path, section_name)
    reo = data["reorientation"]
    none_code = str(reo.get("aucune", "none"))
    if none_code not in {c.code for c in labels["reorientation"]}:
        raise RulesError(
            f"{where(path, reo.line_of('aucune'))} : le code « {none_code} » (aucune réorientation) n'est pas dans la liste"
        )
    unknown = set(data) - {*SECTIONS.values(), "coherence"}
    if unknown:
        key = min(unknown)
        raise RulesError(f"{where(path, data.line_of(key))} : section inconnue « {key} »")
    return Taxonomy(labels, none_code, _coherence(data.get("coherence"), path, labels), str(path))


def load_targets(path: Path | None = None, taxonomy: Taxonomy | None = None) -> dict[str, Target]:
    """Read the directory of reorientation targets; every key must be a reorientation code."""
    path = path or defaults_dir() / TARGETS_FILE
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise RulesError(f"{path} : l'annuaire doit être une table code -> fiche")
    known = set(taxonomy.codes("reorientation")) if taxonomy else None
    out: dict[str, Target] = {}
    for code, entry in data.items():
        line = data.line_of(code)
        if known is not None and code not in known:
            raise RulesError(
                f"{where(path, line)} : « {code} » n'est pas un code de réorientation de la taxonomie"
            )
        if not isinstance(entry, LineDict):
            raise RulesError(
                f"{where(path, line)} : la fiche « {code} » doit être une table (nom, adresse...)"
            )
        address = entry.get("adresse") or []
        if isinstance(address, str):
            address = [address]
        if not isinstance(address, list):
            raise RulesError(f"{where(path, entry.line_of('adresse'))} : « adresse » : une liste de lignes")
        out[code] = Target(
            code=code,
            name=_text(entry.get("nom"), path, entry.line_of("nom"), "nom"),
            address=tuple(str(a) for a in address),
            phone=_text(
                entry.get("telephone"), path, entry.line_of("telephone"), "telephone", required=False
            ),
            website=_text(entry.get("site"), path, entry.line_of("site"), "site", required=False),
            details=_text(
                entry.get("precisions"), path, entry.line_of("precisions"), "precisions", required=False
            ),
            to_check=bool(entry.get("a_verifier", True)),
            article=_article(entry.get("article"), path, entry.line_of("article")),
        )
    return out


@lru_cache(maxsize=8)
def cached_taxonomy(path: Path | None) -> Taxonomy:
    """The taxonomy of a path, read once per process."""
    return load_taxonomy(path)
