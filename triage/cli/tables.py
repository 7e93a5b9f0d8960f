"""Terminal tables that stay readable at 80 columns, in French and Paris time.

A table when the terminal is wide enough; under that width one block per row (the first cells on a bold
line, then « nom : valeur » lines wrapped between words), so that no reference, date, file name or word
is cut mid-token. Codes never reach the screen: channels, message roles, send states and ingest
outcomes are named in French here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from triage.records import IngestOutcome
from triage.workspace.common import PARIS
from triage.workspace.labels import CHANNEL_NAMES

# under this width a table would cut references and dates mid-token: one block per row instead
WIDE_ENOUGH = 110

CHANNELS = CHANNEL_NAMES
MESSAGE_ROLES = {
    "request": "demande",
    "reply": "réponse",
    "flagged": "mis de côté",
    "auto_reply": "réponse automatique",
    "bounce": "non-distribution",
    "list": "liste de diffusion",
    "not_request": "pas une demande",
    "acknowledgement": "accusé de réception",
    "letter": "courrier envoyé",
}
MESSAGE_KINDS = {
    "request": "message",
    "auto_reply": "réponse automatique",
    "bounce": "non-distribution",
    "list": "liste de diffusion",
    "document": "document",
}
SOURCES = {
    "eml": "fichier .eml",
    "imap": "boîte IMAP",
    "maildir": "Maildir",
    "mbox": "fichier mbox",
    "scan": "courrier numérisé",
}
OUTCOMES = {
    IngestOutcome.OPENED: "dossier ouvert",
    IngestOutcome.DUPLICATE: "déjà importé",
    IngestOutcome.FLAGGED: "mis de côté (à vérifier)",
    IngestOutcome.QUARANTINED: "en quarantaine",
    IngestOutcome.ATTACHED: "rattaché à un dossier",
    IngestOutcome.NOT_REQUEST: "pas une demande",
}


def french(names: dict[str, str], code: str | None) -> str:
    """The French name of a code, or the code made readable (« letter_pieces » -> « letter pieces »)."""
    if not code:
        return "—"
    return names.get(code) or code.replace("_", " ")


def outcome_name(outcome: IngestOutcome) -> str:
    """What happened to an ingested item, in French."""
    return OUTCOMES.get(outcome, outcome.value.replace("_", " "))


def paris_time(value: datetime | None) -> str:
    """'05/10/2026 à 9 h 14', Paris time (the web shows the same)."""
    if not value:
        return ""
    local = value.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local.hour} h {local:%M}"


def paris_date(value: datetime | None) -> str:
    """'05/10/2026', the day in Paris."""
    return f"{value.astimezone(PARIS):%d/%m/%Y}" if value else ""


@dataclass(frozen=True)
class Column:
    """One column: `whole` for tokens never folded (references, dates, numbers, file names)."""

    name: str
    whole: bool = False
    justify: str = "left"
    named_in_heading: bool = False  # a block's heading says « n° 3 », not a bare « 3 »


def show(
    console: Console,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str | Text]],
    *,
    heading: int = 1,
) -> None:
    """Print `rows` as a table, or as blocks when the terminal is narrow. In blocks, the first `heading`
    cells head each block; the others follow as « nom : valeur », empty ones left out."""
    if console.width < WIDE_ENOUGH:
        console.print(Text(title, style="bold"))
        for row in rows:
            head = "  ".join(
                f"{column.name} {cell}" if column.named_in_heading else str(cell)
                for column, cell in zip(columns[:heading], row[:heading], strict=True)
                if cell
            )
            console.print(Text(head, style="bold"))
            for column, cell in zip(columns[heading:], row[heading:], strict=True):
                if cell and str(cell) != "—":
                    console.print(Padding(Text.assemble(f"{column.name} : ", cell), (0, 0, 0, 2)))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(
            column.name,
            no_wrap=column.whole,
            overflow="ellipsis" if column.whole else "fold",
            justify=column.justify,  # type: ignore[arg-type]
        )
    for row in rows:
        table.add_row(*row)
    console.print(table)


def show_fields(console: Console, title: str, fields: Sequence[tuple[str, str]]) -> None:
    """One record as « nom : valeur » lines under a bold title: readable at any width."""
    console.print(Text(title, style="bold"))
    for name, value in fields:
        console.print(Padding(Text(f"{name} : {value or '—'}"), (0, 0, 0, 2)))
