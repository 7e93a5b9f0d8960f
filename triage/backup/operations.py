"""Take a backup of a live instance; restore one into an empty (or, when forced, replaced) instance.

Consistency: the database is copied first (one moment's state), then the home's files. Every file
the copy refers to was written before the transaction that refers to it committed (scan originals,
the secret key), so it is in the backup; a file written after the copy (an outbox .eml of a message
marked sent later) is harmless: the restored sender finds it and does not write it twice.

Restoring verifies the whole archive (decryption tag, every checksum, the manifest, a schema this
version knows) before it touches anything; the database is then replaced all or nothing, the files
are moved in, scan paths follow the new home, and the schema is brought up to date.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from triage.backup.archive import (
    DATABASE_MEMBERS,
    HOME_PREFIX,
    PRIVATE_PREFIX,
    ArchiveWriter,
    Manifest,
    VerifiedBackup,
    home_files,
    unpack_and_verify,
)
from triage.backup.crypto import EncryptingWriter, decrypt_file, is_encrypted
from triage.clock import Clock, system_clock
from triage.errors import BackupError
from triage.files import make_private, open_private, private_dir
from triage.runtime import Runtime
from triage.store import snapshot
from triage.store.db import alembic_config, check_schema, migrate

PASSPHRASE_ENV = "MEDIATURE_BACKUP_PASSPHRASE"


@dataclass(frozen=True)
class BackupSummary:
    """What `mediature backup` wrote."""

    path: Path
    database_kind: str
    schema_revision: str | None
    files: int
    total_bytes: int
    encrypted: bool


@dataclass(frozen=True)
class RestoreSummary:
    """What `mediature restore` put back."""

    created_at: str
    database_kind: str
    schema_revision: str | None
    schema_after: str | None
    files: int
    relocated_scans: int


def read_passphrase(passphrase_file: Path | None, environ: dict[str, str] | None = None) -> str | None:
    """The passphrase from a file (first line) or MEDIATURE_BACKUP_PASSPHRASE; never from the command line."""
    if passphrase_file is not None:
        try:
            text = passphrase_file.read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise BackupError(f"fichier de phrase de passe illisible : {passphrase_file}") from err
        if not text or not text[0].strip():
            raise BackupError(f"fichier de phrase de passe vide : {passphrase_file}")
        return text[0].strip()
    value = (os.environ if environ is None else environ).get(PASSPHRASE_ENV, "")
    return value or None


def _mediature_version() -> str:
    try:
        return version("mediature")
    except PackageNotFoundError:
        return "inconnue"


def _database_files(runtime: Runtime) -> set[Path]:
    path = snapshot.sqlite_path(runtime.engine)
    if path is None:
        return set()
    return {Path(f"{path}{suffix}") for suffix in ("", *snapshot.SQLITE_SIDE_FILES)}


def create_backup(
    runtime: Runtime,
    destination: Path,
    passphrase: str | None = None,
    now: Clock = system_clock,
) -> BackupSummary:
    """Write one backup file (0600): database copy, home files, manifest, checksums; encrypted if asked."""
    engine = runtime.engine
    destination = destination.resolve()
    if not destination.parent.is_dir():
        raise BackupError(f"dossier de destination introuvable : {destination.parent}")
    kind = snapshot.kind(engine)
    home = runtime.settings.paths.home.resolve()
    partial = destination.with_name(f"{PRIVATE_PREFIX}{destination.name}.partiel")
    staging = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}sauvegarde-", dir=destination.parent))
    try:
        revision = snapshot.schema_revision(engine)
        created_at = now().astimezone(UTC).isoformat(timespec="seconds")
        db_copy = staging / "base"
        snapshot.dump(engine, db_copy)  # first: every file the copy refers to exists already
        with open_private(partial) as out:
            sink = EncryptingWriter(out, passphrase) if passphrase else out
            writer = ArchiveWriter(sink)
            database = writer.add_file(DATABASE_MEMBERS[kind], db_copy)
            skip = _database_files(runtime) | {destination, partial}
            files = [
                entry
                for name, path in home_files(home, skip)
                if (entry := writer.add_live_file(HOME_PREFIX + name, path)) is not None
            ]
            manifest = Manifest(
                version=1,
                mediature_version=_mediature_version(),
                created_at=created_at,
                database_kind=kind,
                schema_revision=revision,
                home=str(home),
                database=database,
                files=tuple(files),
            )
            writer.finish(manifest)
            if isinstance(sink, EncryptingWriter):
                sink.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, destination)
        make_private(destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BackupSummary(
        destination, kind, revision, len(files), database.size + sum(f.size for f in files), bool(passphrase)
    )


def _occupied(runtime: Runtime, archive: Path) -> list[str]:
    """Why the target instance is not empty (an empty list when it is)."""
    reasons = []
    settings = runtime.settings
    tables = snapshot.table_names(runtime.engine)
    if tables:
        reasons.append(f"la base contient déjà {len(tables)} table(s)")
    skip = _database_files(runtime) | {archive.resolve()}
    files = [name for name, _ in home_files(settings.paths.home, skip)]
    if files:
        reasons.append(f"le dossier de données {settings.paths.home} contient déjà {len(files)} fichier(s)")
    return reasons


def _known_revision(runtime: Runtime, revision: str | None) -> None:
    if revision is None:
        return
    scripts = ScriptDirectory.from_config(
        alembic_config(runtime.engine.url.render_as_string(hide_password=False))
    )
    try:
        known = scripts.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"cette sauvegarde vient d'une version plus récente de Médiature (schéma {revision}, "
            "inconnu ici) : mettez Médiature à jour avant de restaurer"
        )


def open_backup(archive: Path, passphrase: str | None, staging: Path) -> VerifiedBackup:
    """Decrypt if needed, unpack into staging and check everything."""
    if not archive.is_file():
        raise BackupError(f"sauvegarde introuvable : {archive}")
    plain = archive
    if is_encrypted(archive):
        plain = staging / "archive.tar.gz"
        decrypt_file(archive, plain, passphrase)
    verified = unpack_and_verify(plain, staging / "contenu")
    if plain != archive:
        plain.unlink()
    return verified


def verify_backup(archive: Path, passphrase: str | None) -> Manifest:
    """Check a backup completely without restoring it (the restore drill's first step)."""
    staging = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}verification-"))
    try:
        return open_backup(archive.resolve(), passphrase, staging).manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _clear_home(home: Path, keep: set[Path]) -> None:
    for _name, path in list(home_files(home, keep)):
        path.unlink(missing_ok=True)


def restore_backup(
    runtime: Runtime, archive: Path, passphrase: str | None, *, force: bool = False
) -> RestoreSummary:
    """Restore archive into the runtime's database and home (opened without migrating); refuse a non-empty
    target unless forced."""
    archive = archive.resolve()
    engine = runtime.engine
    home = runtime.settings.paths.home.resolve()
    kind = snapshot.kind(engine)
    reasons = _occupied(runtime, archive)
    if reasons and not force:
        raise BackupError(
            "restauration refusée : "
            + " ; ".join(reasons)
            + ". Restaurez dans une installation vide, ou ajoutez --force pour tout remplacer."
        )
    private_dir(home)
    staging = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}restauration-", dir=home.parent))
    try:
        verified = open_backup(archive, passphrase, staging)
        manifest = verified.manifest
        if manifest.database_kind != kind:
            raise BackupError(
                f"cette sauvegarde contient une base {manifest.database_kind} ; la configuration "
                f"désigne une base {kind} : restaurez-la dans une base du même type"
            )
        _known_revision(runtime, manifest.schema_revision)
        snapshot.restore(engine, verified.database_file, staging)
        if force:
            _clear_home(home, _database_files(runtime) | {archive})
        members = list(verified.home_members())
        for relative, staged in members:
            target = home / relative
            private_dir(target.parent)
            os.replace(staged, target)
            make_private(target)
        relocated = snapshot.relocate_scan_paths(engine, manifest.home, home)
        migrate(engine)
        check_schema(engine)
        after = snapshot.schema_revision(engine)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreSummary(manifest.created_at, kind, manifest.schema_revision, after, len(members), relocated)
