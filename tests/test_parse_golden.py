"""Golden tests: each sample message of data/samples/mailbox parses exactly as its tests/golden file says.

After a deliberate change to parsing: `.venv/bin/python scripts/regen_goldens.py`, then read the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.regen_goldens import GOLDEN, MAILBOX, golden_for

SAMPLES = sorted(MAILBOX.glob("*.eml"))


def test_every_sample_has_a_golden_file() -> None:
    assert len(SAMPLES) >= 40
    missing = [p.name for p in SAMPLES if not (GOLDEN / f"{p.stem}.json").exists()]
    assert missing == [], "run scripts/regen_goldens.py and review the new files"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem[:40] for p in SAMPLES])
def test_sample_parses_as_its_golden_file(path: Path) -> None:
    expected = json.loads((GOLDEN / f"{path.stem}.json").read_text(encoding="utf-8"))
    assert golden_for(path) == expected


def _golden(prefix: str) -> dict[str, object]:
    (path,) = GOLDEN.glob(f"{prefix}-*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_goldens_hold_what_the_sample_readme_asks_for() -> None:
    # an independent check that the reviewed goldens say what data/samples/mailbox/README.md demands
    assert all(s in _golden("009")["text"] for s in ("3 412,57 €", "“trop-perçu”", "m’adresse", "sœur", "…"))
    assert "\u0092" not in _golden("009")["text"]
    assert all(s in _golden("010")["text"] for s in ("reçu", "électricité", "Cèdres"))
    assert all(s in _golden("015")["text"] for s in ("retraitée", "« en cours de traitement »"))
    g012 = _golden("012")
    assert "700,90 €" in g012["text"] and "RD 1532" in g012["text"]
    assert not any(
        s in g012["html"] for s in ("trackOpen", "crm-tracker", "document.write", "<script", 'src="http')
    )
    assert [a["filename"] for a in _golden("017")["attachments"]] == ["IMG_20261020_174210.jpg"]
    assert [(a["filename"], a["content_type"]) for a in _golden("021")["attachments"]] == [
        ("Réponse Isère THD.pdf", "application/pdf")
    ]
    assert _golden("023")["attachments"][0]["content_type"] == "application/pdf"
    g006 = _golden("006")
    assert "a écrit" not in g006["text"] and g006["quoted"].startswith("Le 05/10/2026 à 11:32")
    assert _golden("042")["from_address"] == "securite-messagerie@isere-mail.example"
    assert _golden("016")["form"]["email"] == "" and _golden("016")["requester_address"] == ""
    assert _golden("002")["requester_address"] == "christianne.vial@wanadoo.example"
    assert _golden("050")["message_id"] is None
    for prefix in ("030", "037", "040", "046", "051"):
        assert _golden(prefix)["error"] == "ParseError"
