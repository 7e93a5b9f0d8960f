"""Regenerate the initial migration from the models (only while Médiature has no released schema).

Usage: .venv/bin/python scripts/regen_initial_migration.py
Once a release is out, schema changes get ordinary new revisions (`alembic revision --autogenerate`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from triage.store.db import MIGRATIONS_DIR, alembic_config

versions = MIGRATIONS_DIR / "versions"
for old in versions.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    cfg = alembic_config(f"sqlite:///{Path(tmp) / 'empty.sqlite3'}")
    command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
for new in versions.glob("0001_*.py"):
    text = new.read_text()
    text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    new.write_text(text)
    print(f"wrote {new}")
