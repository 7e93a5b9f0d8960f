"""`mediature backup FILE` and `mediature restore FILE`: one consistent file for the database and the home."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from triage.cli import ConfigOption, app, console, open_runtime
from triage.notify.render import PARIS, date_fr

PassphraseOption = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help="Fichier dont la première ligne est la phrase de passe de chiffrement "
        "(sinon la variable MEDIATURE_BACKUP_PASSPHRASE ; jamais sur la ligne de commande).",
    ),
]


def _when(iso: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(PARIS)
    return f"{date_fr(moment)} à {moment:%H:%M}"


@app.command("backup")
def backup(
    file: Annotated[Path, typer.Argument(help="Fichier de sauvegarde à écrire (remplacé s'il existe).")],
    passphrase_file: PassphraseOption = None,
    config: ConfigOption = None,
) -> None:
    """Sauvegarde la base et le dossier de données dans un seul fichier cohérent (droits 0600), chiffré si une
    phrase de passe est donnée. Peut tourner pendant que le service relève et écrit."""
    from triage.backup.operations import create_backup, read_passphrase

    passphrase = read_passphrase(passphrase_file)
    rt = open_runtime(config, upgrade=False)
    summary = create_backup(rt, file, passphrase)
    console.print(
        f"Sauvegarde écrite : [bold]{summary.path}[/] — base {summary.database_kind} "
        f"(schéma {summary.schema_revision or 'vide'}), {summary.files} fichier(s), "
        f"{summary.total_bytes / 1_048_576:.1f} Mio, {'chiffrée' if summary.encrypted else 'non chiffrée'}."
    )
    if rt.settings.security.secret_key.get_secret_value():
        console.print(
            "[yellow]La clé secrète vient de la configuration (MEDIATURE_SECRET_KEY) : elle n'est pas dans "
            "la sauvegarde ; gardez-la en lieu sûr avec la phrase de passe.[/]"
        )
    if not summary.encrypted:
        console.print(
            "[yellow]Sauvegarde non chiffrée : elle contient des données personnelles et la clé secrète.[/]"
        )


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="Fichier de sauvegarde à restaurer.")],
    passphrase_file: PassphraseOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Remplace une base et un dossier de données non vides (leur contenu actuel est perdu).",
        ),
    ] = False,
    verify_only: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Vérifie la sauvegarde (déchiffrement, sommes de contrôle, manifeste) sans rien restaurer.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Restaure une sauvegarde dans une base et un dossier de données vides, après en avoir vérifié chaque somme de
    contrôle, puis met le schéma à jour."""
    from triage.backup.operations import read_passphrase, restore_backup, verify_backup

    passphrase = read_passphrase(passphrase_file)
    if verify_only:
        manifest = verify_backup(file, passphrase)
        console.print(
            f"Sauvegarde intacte : faite le {_when(manifest.created_at)}, base {manifest.database_kind} "
            f"(schéma {manifest.schema_revision}), {len(manifest.files)} fichier(s)."
        )
        return
    rt = open_runtime(config, upgrade=False)  # the schema is brought up to date after the restore
    summary = restore_backup(rt, file, passphrase, force=force)
    console.print(
        f"Sauvegarde du {_when(summary.created_at)} restaurée : base {summary.database_kind} "
        f"(schéma {summary.schema_revision} → {summary.schema_after}), {summary.files} fichier(s) dans "
        f"{rt.settings.paths.home}."
    )
