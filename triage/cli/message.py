"""`mediature message send`: a free message on a dossier from a script or the terminal."""

from __future__ import annotations

import mimetypes
import sys
from pathlib import Path
from typing import Annotated

import typer

from triage.cli import ConfigOption, app, err_console, open_runtime
from triage.correspondence.send import MENTIONS, FreeMessage, send_message
from triage.dossiers.registry import resolve
from triage.errors import NotFoundError
from triage.notify.compose import OutgoingFile
from triage.store.audit import Actor

message_app = typer.Typer(help="Messages écrits depuis un dossier.", no_args_is_help=True)
app.add_typer(message_app, name="message")


def read_attachment(path: Path) -> OutgoingFile:
    """A file to attach, with its type guessed from its name."""
    if not path.is_file():
        raise NotFoundError(f"pièce jointe introuvable : {path}")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return OutgoingFile(path.name, content_type, path.read_bytes())


@message_app.command("send")
def message_send(
    reference: Annotated[str, typer.Argument(help="Référence du dossier, ex. MED-2026-00042.")],
    to: Annotated[str, typer.Option("--to", help="Adresse de courriel du destinataire.")],
    body_file: Annotated[
        Path, typer.Option("--body-file", help="Fichier texte du message (UTF-8) ; « - » : entrée standard.")
    ],
    subject: Annotated[
        str, typer.Option("--subject", help="Objet (la référence du dossier y est ajoutée).")
    ] = "",
    attach: Annotated[list[Path] | None, typer.Option("--attach", help="Pièce jointe (répétable).")] = None,
    name: Annotated[str, typer.Option("--name", help="Nom du destinataire.")] = "",
    mention: Annotated[
        str, typer.Option("--mention", help="Mention légale : transmission (L114-2 CRPA) ou fin_mediation.")
    ] = "",
    key: Annotated[
        str,
        typer.Option(
            "--key", help="Clé d'unicité : la même clé n'envoie jamais deux fois (par défaut : le contenu)."
        ),
    ] = "",
    config: ConfigOption = None,
) -> None:
    """Met un message libre en envoi sur un dossier (boîte d'envoi) et affiche son Message-ID."""
    if mention not in MENTIONS:
        raise typer.BadParameter(f"mention inconnue : {mention} (transmission ou fin_mediation)")
    body = sys.stdin.read() if str(body_file) == "-" else body_file.read_text(encoding="utf-8")
    files = tuple(read_attachment(p) for p in attach or [])
    rt = open_runtime(config)
    with rt.sessions.begin() as session:
        dossier = resolve(session, reference.strip().upper())
        if dossier is None:
            raise NotFoundError(f"aucun dossier {reference}")
        msg = FreeMessage(
            to_address=to,
            to_name=name,
            subject=subject,
            body=body,
            attachments=files,
            mention=mention,
            key=key,
        )
        sent = send_message(session, rt, dossier, msg, Actor.terminal())
    if not sent.created:
        err_console.print(
            "Ce message était déjà dans la boîte d'envoi : il n'est pas envoyé une seconde fois."
        )
    typer.echo(sent.message_id)
