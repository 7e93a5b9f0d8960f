"""The DPO's page states the retention durations the software applies: every `[retention]` setting is in
docs/donnees-personnelles.md with its default value."""

from __future__ import annotations

import re
from pathlib import Path

from triage.config import RetentionSettings

DOC = Path(__file__).resolve().parent.parent / "docs" / "donnees-personnelles.md"


def test_every_retention_duration_in_the_dpo_page_matches_the_default() -> None:
    rows = dict(re.findall(r"\| `retention\.(\w+)` \| (\d+) ", DOC.read_text(encoding="utf-8")))
    defaults = {name: field.default for name, field in RetentionSettings.model_fields.items()}
    assert set(rows) == set(defaults)
    assert {name: int(value) for name, value in rows.items()} == defaults


def test_the_acknowledgement_sentence_and_the_page_give_the_same_term() -> None:
    years = RetentionSettings().closed_dossier_years
    assert f"{years} ans après la clôture" in RetentionSettings().sentence()
    assert f"| `retention.closed_dossier_years` | {years} ans après la clôture |" in DOC.read_text(
        encoding="utf-8"
    )
