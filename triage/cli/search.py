"""`mediature dossiers search TEXT [--json]`: the web page's full-text search (triage.store.search).

The table shows initials and where the words were found, never excerpts (terminals are shared and
scrolled back); --json gives the excerpts to scripts.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from triage.cli import ConfigOption, console, open_runtime
from triage.cli.dossiers import dossiers_app
from triage.cli.tables import Column, paris_time, show
from triage.dossiers.statuses import status_label
from triage.dossiers.tracking import initials
from triage.store.search import ORDER, SearchFilters, SearchHit, search_dossiers


def hit_record(hit: SearchHit) -> dict[str, object]:
    """One dossier found, as JSON for scripts (excerpts with the found words between « [ » and « ] »)."""
    return {
        "reference": hit.reference,
        "status": hit.status,
        "channel": hit.channel,
        "domain": hit.domain,
        "territory": hit.territory,
        "assignee": hit.assignee or None,
        "received_at": hit.received_at.isoformat(),
        "matches": [
            {
                "source": s.source,
                "excerpt": "".join(f"[{text}]" if matched else text for text, matched in s.parts),
            }
            for s in hit.snippets
        ],
    }


@dossiers_app.command("search")
def dossiers_search(
    words: Annotated[str, typer.Argument(help="Mots à trouver (accents et majuscules indifférents).")],
    status: Annotated[str, typer.Option("--status", help="Seulement ce statut (ex. recue).")] = "",
    channel: Annotated[str, typer.Option("--channel", help="Seulement ce canal (email, courrier…).")] = "",
    page: Annotated[int, typer.Option("--page", min=1, help="Page de résultats (20 par page).")] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Un objet JSON par dossier et par ligne (scripts).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Cherche dans les dossiers, leurs messages et le texte reconnu des courriers numérisés."""
    rt = open_runtime(config)
    with rt.sessions() as session:
        result = search_dossiers(session, words, SearchFilters(status=status, channel=channel), page)
    if as_json:
        for hit in result.hits:
            typer.echo(json.dumps(hit_record(hit), ensure_ascii=False))
        return
    columns = [
        Column("référence", whole=True),
        Column("reçue le", whole=True),
        Column("statut"),
        Column("demandeur"),
        Column("trouvé dans"),
    ]
    rows = [
        (
            hit.reference,
            paris_time(hit.received_at),
            status_label(hit.status),
            initials(hit.requester_name) or "?",
            ", ".join(s.source for s in hit.snippets) or "—",
        )
        for hit in result.hits
    ]
    pages = f" sur {result.pages}" if result.pages else ""
    title = f"{result.found} — page {result.page}{pages}, classés {ORDER}"
    show(console, title, columns, rows, heading=2)
