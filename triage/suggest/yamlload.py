"""YAML that remembers where each value was written, so errors can name the file and the line.

Rules and taxonomy files are edited by hand by non-programmers: « règles/rsa.yaml, ligne 14 : poids
non numérique » is an error they can fix; a Python traceback is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from triage.errors import RulesError


class LineDict(dict):
    """A mapping that knows the line of each key (1-based) and its own first line."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line where `key` was written (or the mapping's own line)."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows the line of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        """The line of item `index` (or the sequence's own line)."""
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    """SafeLoader (no Python objects) whose mappings and sequences carry line numbers."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            raise yaml.constructor.ConstructorError(None, None, "clé non textuelle", key_node.start_mark)
        skey = str(key)
        if skey in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"clé « {skey} » en double", key_node.start_mark
            )
        out[skey] = loader.construct_object(value_node, deep=True)
        out.key_lines[skey] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; syntax errors become RulesError naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise RulesError(f"{path} : fichier introuvable") from err
    except UnicodeDecodeError as err:
        raise RulesError(f"{path} : le fichier n'est pas en UTF-8") from err
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f", ligne {mark.line + 1}" if mark is not None else ""
        problem = err.problem or err.context or "syntaxe YAML invalide"
        hint = ""
        if "mapping values are not allowed" in problem:
            hint = " ; astuce : un texte qui contient « : » doit être écrit entre guillemets"
        raise RulesError(f"{path}{where} : YAML invalide ({problem}{hint})") from err
    except yaml.YAMLError as err:
        raise RulesError(f"{path} : YAML invalide ({err})") from err


def where(path: Path, line: int) -> str:
    """« fichier, ligne N » for error messages."""
    return f"{path}, ligne {line}" if line else str(path)
