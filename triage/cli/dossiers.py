"""`mediature dossiers list|show`.

Tables show initials and commune, never full names, addresses or message contents: terminals are
shared and scrolled back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from triage.cli import ConfigOption, app, console, open_runtime
from triage.cli.tables import (
    CHANNELS,
    MESSAGE_KINDS,
    MESSAGE_ROLES,
    WIDE_ENOUGH,
    Column,
    french,
    paris_time,
    show,
    show_fields,
)
from triage.config import Settings
from triage.correspondence.document import dossier_pdf
from triage.correspondence.export import dossier_record, summary
from triage.dossiers.statuses import status_label
from triage.dossiers.tracking import initials
from triage.errors import NotFoundError
from triage.runtime import Runtime
from triage.store.access import steps_of
from triage.store.audit import Actor, record
from triage.store.dossier_data import (
    DossierLine,
    count_dossiers,
    dossier_line,
    dossier_lines,
    latest_suggestions,
    messages_to_review,
    received,
)
from triage.store.models import SuggestionRow
from triage.suggest.taxonomy import cached_taxonomy
from triage.workspace.queue import label_to_check

dossiers_app = typer.Typer(help="Dossiers de médiation.", no_args_is_help=True)
app.add_typer(dossiers_app, name="dossiers")


def _labels(s: SuggestionRow | None, settings: Settings) -> str:
    """The three suggested labels in French, each marked « à vérifier » when it is not sure."""
    if s is None:
        return "—"

    taxonomy = cached_taxonomy(settings.triage.taxonomy_file)
    threshold = settings.triage.confidence_threshold
    parts = [
        taxonomy.name(kind, getattr(s, kind))
        + (" (à vérifier)" if label_to_check(s, kind, threshold) else "")
        for kind in ("domain", "admissibility", "reorientation")
    ]
    return " / ".join(parts)


def _requester(d: DossierLine) -> str:
    who = initials(d.requester_name) or "?"
    where = d.requester_commune or d.requester_postcode
    return f"{who} — {where}" if where else who


def print_dossiers(rt: Runtime, *, status: str | None, limit: int) -> None:
    """The dossiers table, most recent first."""
    with rt.sessions() as session:
        total = count_dossiers(session, status)
        rows = dossier_lines(session, status=status, limit=limit)
        suggestions = latest_suggestions(session, [d.id for d in rows])
        review = messages_to_review(session)
    if console.width < WIDE_ENOUGH:
        console.print(f"[bold]Dossiers — {len(rows)} affiché(s) sur {total}[/]")
        for d in rows:
            console.print(
                Text.assemble(
                    (d.reference, "bold"),
                    f"  reçue le {paris_time(d.received_at)}, {french(CHANNELS, d.channel)}",
                )
            )
            details = [_requester(d), d.requester_territory or "", f"statut : {status_label(d.status)}"]
            console.print(Padding(Text(" · ".join(x for x in details if x)), (0, 0, 0, 2)))
            console.print(
                Padding(Text(f"tri suggéré : {_labels(suggestions.get(d.id), rt.settings)}"), (0, 0, 0, 2))
            )
        rows = []
    table = Table(title=f"Dossiers — {len(rows)} affiché(s) sur {total}")
    for col in ("référence", "reçue le", "canal", "demandeur", "territoire", "statut", "tri suggéré"):
        table.add_column(col, no_wrap=col in ("référence", "reçue le"))
    for d in rows:
        table.add_row(
            d.reference,
            paris_time(d.received_at),
            french(CHANNELS, d.channel),
            _requester(d),
            d.requester_territory or "",
            status_label(d.status),
            _labels(suggestions.get(d.id), rt.settings),
        )
    if rows:
        console.print(table)
    if review:
        console.print(
            f"[yellow]{review} message(s) mis de côté pour vérification[/] (réponse venue d'une autre "
            "adresse, expéditeur suspect, courrier citant un dossier)."
        )


@dossiers_app.command("list")
def dossiers_list(
    status: Annotated[str | None, typer.Option("--status", help="Seulement ce statut (ex. recue).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Nombre maximal de lignes.")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="Un objet JSON par dossier et par ligne (scripts).")
    ] = False,
    assignee: Annotated[
        str | None,
        typer.Option(
            "--assignee",
            help="Avec --json : seulement les dossiers de cet identifiant (« - » : non attribués).",
        ),
    ] = None,
    unread: Annotated[
        bool, typer.Option("--unread", help="Avec --json : seulement les dossiers non lus.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Liste les dossiers, les plus récents d'abord."""
    if as_json:
        print_json_lines(open_runtime(config), status=status, limit=limit, assignee=assignee, unread=unread)
        return
    print_dossiers(open_runtime(config), status=status, limit=limit)


def print_json_lines(
    rt: Runtime, *, status: str | None, limit: int, assignee: str | None = None, unread: bool = False
) -> None:
    """One JSON object per dossier on each line, most recent first."""
    with rt.sessions() as session:
        rows = dossier_lines(session, status=status, limit=limit, assignee=assignee, unread=unread)
    for d in rows:
        typer.echo(json.dumps(summary(d), ensure_ascii=False))


@dossiers_app.command("show")
def dossiers_show(
    reference: Annotated[str, typer.Argument(help="Référence, ex. MED-2026-00042.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Un objet JSON avec les messages (scripts).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Affiche un dossier : demandeur (initiales), statut, tri suggéré, messages et chronologie."""
    rt = open_runtime(config)
    with rt.sessions() as session:
        d = dossier_line(session, reference.strip().upper())
        if d is None:
            raise NotFoundError(f"aucun dossier {reference}")
        if as_json:
            typer.echo(json.dumps(dossier_record(session, rt.settings, d), ensure_ascii=False))
            return
        events = steps_of(session, d.id)
        messages = received(session, d.id)
        suggestion = latest_suggestions(session, [d.id]).get(d.id)
    show_fields(
        console,
        f"Dossier {d.reference}",
        (
            ("reçue le", paris_time(d.received_at)),
            ("canal", french(CHANNELS, d.channel)),
            ("statut", status_label(d.status)),
            ("demandeur", _requester(d)),
            ("territoire", d.requester_territory or "—"),
            ("courriel connu", "oui" if d.requester_email else "non"),
            ("service concerné", d.service_concerned or "—"),
            ("tri suggéré", _labels(suggestion, rt.settings)),
            ("modèle", suggestion.model_version if suggestion else "—"),
        ),
    )
    if messages:
        columns = [Column("reçu le", whole=True), Column("rôle"), Column("type"), Column("canal")]
        rows = [
            (
                paris_time(m.received_at),
                french(MESSAGE_ROLES, m.role),
                french(MESSAGE_KINDS, m.kind),
                french(CHANNELS, m.channel),
                str(len(m.attachments)),
            )
            for m in messages
        ]
        show(console, "Messages", [*columns, Column("pièces jointes", whole=True, justify="right")], rows)
    columns = [Column("date", whole=True), Column("événement"), Column("visible par l'usager")]
    timeline = [(paris_time(e.at), e.summary or e.kind, "oui" if e.public else "non") for e in events]
    show(console, "Chronologie", columns, timeline)


@dossiers_app.command("pdf")
def dossiers_pdf(
    reference: Annotated[str, typer.Argument(help="Référence, ex. MED-2026-00042.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Fichier PDF à écrire.")],
    notes: Annotated[bool, typer.Option("--notes", help="Ajoute les notes privées.")] = False,
    config: ConfigOption = None,
) -> None:
    """Écrit le dossier complet en PDF : historique, messages reçus et envoyés (transmission, archivage)."""
    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        d = dossier_line(session, reference.strip().upper())
        if d is None:
            raise NotFoundError(f"aucun dossier {reference}")
        pdf = dossier_pdf(session, rt.settings, d, notes=notes, now=rt.clock())
        record(session, Actor.terminal(), "dossier.document", dossier_id=d.id, details={"notes": notes})
    output.write_bytes(pdf)
    console.print(f"Dossier écrit dans [bold]{output}[/] ({len(pdf)} octets).")
