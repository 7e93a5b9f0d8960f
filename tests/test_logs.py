"""The journal: one JSON object per line, errors by their class and place, never their message."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from triage import logs


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _parse(text: str) -> None:
    raise ValueError(f"en-tête illisible de {text}")


def test_an_unexpected_error_is_logged_by_class_and_place_without_its_message(tmp_path: Path) -> None:
    journal = tmp_path / "journal.log"
    with logs.to_file(journal):
        logs.event("kept", level=logging.DEBUG)  # below the level: not written
        try:
            _parse("Samira Benali <samira@exemple.example>")
        except ValueError as err:
            logs.failure("parse_failure", err, level=logging.WARNING, source="imap")
    ((line,),) = [_lines(journal)]
    assert line["event"] == "parse_failure" and line["error"] == "ValueError" and line["source"] == "imap"
    assert str(line["at"]).startswith("test_logs.py:") and int(str(line["at"]).split(":")[1]) > 0
    assert "Benali" not in journal.read_text(encoding="utf-8") and "@" not in journal.read_text(
        encoding="utf-8"
    )


def test_events_after_the_block_no_longer_reach_its_file(tmp_path: Path) -> None:
    journal = tmp_path / "scan.log"
    with logs.to_file(journal):
        logs.event("inside", count=1)
    logs.event("outside", count=2)
    assert [line["event"] for line in _lines(journal)] == ["inside"]


def test_a_library_kept_quiet_writes_nothing_below_errors(tmp_path: Path) -> None:
    logs.quiet("mailparser")
    library = logging.getLogger("mailparser")
    assert not library.isEnabledFor(logging.WARNING) and library.isEnabledFor(logging.ERROR)
