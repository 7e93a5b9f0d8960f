"""Derive triage/defaults/isere-territories.csv (population per territory) from the communes table.

Usage: .venv/bin/python scripts/build_isere_territories.py [communes.csv]
Reads triage/defaults/isere-communes.csv when present, else ../shared/data/isere-communes.csv.
"""

from __future__ import annotations

import sys
from pathlib import Path

from triage.report.territories import communes_file, derive_territories, write_territories
from triage.resources import defaults_dir

source = Path(sys.argv[1]) if len(sys.argv) > 1 else communes_file()
if source is None:
    sys.exit("communes table not found")
target = defaults_dir() / "isere-territories.csv"
write_territories(derive_territories(source), target)
print(f"wrote {target} from {source}")
