"""`mediature export --pseudonymised`: one CSV line per dossier for analysts, without direct identifiers.

Each dossier gets a stable pseudonym, an HMAC-SHA256 of its internal id keyed with the installation
secret: the same dossier has the same pseudonym in every export of the same installation, and nobody
without the secret can link it back. Left out: names, civility, emails, phones, addresses, postcodes,
communes, references, tracking data, subjects, texts and exact dates (only the month of receipt and
durations in days remain). The columns are codes from fixed lists, never free text: a direction typed
freely that matches no known direction is exported as "autre".
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from triage.report.labels import SUB_CHAPTERS, direction_label
from triage.report.territories import read_territories
from triage.runtime import Runtime
from triage.store.report_queries import export_rows

COLUMNS = [
    "pseudonyme",
    "annee",
    "mois_reception",
    "type",
    "canal",
    "saisi_par",
    "statut",
    "resultat",
    "territoire",
    "direction",
    "domaine",
    "sous_chapitre",
    "recevabilite",
    "reorientation",
    "delai_premier_contact_jours",
    "duree_traitement_jours",
]
CODE_MAX = 64


def pseudonym(secret: bytes, dossier_id: int) -> str:
    """Stable pseudonym of a dossier: 20 hex digits of HMAC-SHA256(secret, 'dossier:<id>')."""
    return hmac.new(secret, f"dossier:{dossier_id}".encode(), hashlib.sha256).hexdigest()[:20]


def _days(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    days = (end.date() - start.date()).days
    return str(days) if days >= 0 else ""


def _code(value: str | None) -> str:
    # codes only: anything that looks like typed text (spaces and length aside) is not exported
    text = (value or "").strip()
    if len(text) > CODE_MAX or any(ch in text for ch in "@\n\r\t<>") or any(ch.isdigit() for ch in text[:1]):
        return "autre"
    return text


def _direction(value: str | None, territories: set[str]) -> str:
    # the workspace types directions freely: only a direction the report recognises is exported
    if not value or not value.strip():
        return ""
    return direction_label(value, territories) or "autre"


def rows(runtime: Runtime) -> Iterator[list[str]]:
    """The export's lines (header first), streamed from the database."""
    territories = {t.name for t in read_territories(runtime.settings.report.territories_file)}
    secret = runtime.secret
    yield COLUMNS
    for row in export_rows(runtime.engine):
        received = _aware(row.received_at)
        yield [
            pseudonym(secret, row.id),
            str(row.year),
            received.strftime("%Y-%m"),
            row.kind,
            _code(row.channel),
            _code(row.referred_by),
            _code(row.status),
            _code(row.outcome),
            row.territory if row.territory in territories else "",
            _direction(row.direction, territories),
            _code(row.domain),
            row.sub_chapter if row.sub_chapter in SUB_CHAPTERS else ("autre" if row.sub_chapter else ""),
            _code(row.admissibility),
            _code(row.reorientation),
            _days(received, _aware(row.first_contact_at)),
            _days(received, _aware(row.closed_at)),
        ]


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def write_csv(runtime: Runtime, out: TextIO) -> int:
    """Write the export to an open text stream; returns the number of dossiers."""
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    n = -1
    for n, line in enumerate(rows(runtime)):  # noqa: B007  (n counts the lines after the loop)
        writer.writerow(line)
    return max(n, 0)


def export_pseudonymised(runtime: Runtime, path: Path) -> int:
    """Write the pseudonymised CSV to `path` (UTF-8 with BOM, ';'); returns the number of dossiers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        return write_csv(runtime, fh)


def export_text(runtime: Runtime) -> str:
    """The export as a string (tests, small databases)."""
    buf = io.StringIO()
    write_csv(runtime, buf)
    return buf.getvalue()
