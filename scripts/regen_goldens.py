"""Regenerate the golden parse results of the sample mailbox (tests/golden/*.json).

Run after a deliberate change to parsing, then READ THE DIFF (git diff tests/golden) before committing:
every changed line is a behaviour change a reviewer must accept.

    .venv/bin/python scripts/regen_goldens.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from triage.config import Settings  # noqa: E402
from triage.errors import ParseError  # noqa: E402
from triage.parse.message import parse_message, to_json_dict  # noqa: E402

MAILBOX = REPO / "data" / "samples" / "mailbox"
GOLDEN = REPO / "tests" / "golden"


def golden_for(path: Path) -> dict[str, object]:
    """What parsing one sample gives, as stored in its golden file."""
    try:
        return to_json_dict(parse_message(path.read_bytes(), Settings()))
    except ParseError as err:
        return {"error": "ParseError", "reason": err.message}


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    changed = 0
    for path in sorted(MAILBOX.glob("*.eml")):
        target = GOLDEN / f"{path.stem}.json"
        text = json.dumps(golden_for(path), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed += 1
            target.write_text(text, encoding="utf-8")
            print(f"écrit {target.relative_to(REPO)}")
    print(f"{changed} fichier(s) modifié(s) : relisez `git diff tests/golden` avant de valider.")


if __name__ == "__main__":
    main()
