"""Backups that restore: one file with the database, the stored files, a manifest and checksums.

Layout (a tar archive, gzip-compressed): `manifest.json` (format, date, database kind, schema revision,
SHA-256 and size of every member), `database/mediature.sqlite3` (SQLite online backup API: a consistent
copy even while the worker writes) or `database/mediature.dump` (`pg_dump -Fc`), and `home/...` (the
outbox, scans, rejected files, logs, the secret key). With a passphrase the whole archive is encrypted
(Fernet: AES-128-CBC + HMAC-SHA256, key derived with scrypt from the passphrase and a random salt).

`restore` refuses a database that holds dossiers or a home that holds files unless forced, checks every
checksum before writing anything, then brings the schema up to date.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from triage.config import Settings
from triage.errors import StoreError
from triage.runtime import Runtime
from triage.store.db import make_engine, migrate
from triage.store.models import Dossier

FORMAT = 1
MAGIC = b"MEDIATURE-BACKUP-ENC1\n"
SALT_BYTES = 16
SQLITE_MEMBER = "database/mediature.sqlite3"
PG_MEMBER = "database/mediature.dump"
SQLITE_NAMES = ("mediature.sqlite3", "mediature.sqlite3-wal", "mediature.sqlite3-shm")


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds (from its manifest)."""

    created_at: str
    database: str
    revision: str
    files: int
    dossiers: int


def _key(passphrase: str, salt: bytes) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1)
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode()))


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=3600)
    except FileNotFoundError as err:
        raise StoreError(f"{command[0]} introuvable : installez postgresql-client") from err
    except subprocess.CalledProcessError as err:
        raise StoreError(f"{command[0]} a échoué : {err.stderr.decode(errors='replace')[:500]}") from err


def _revision(runtime: Runtime) -> str:
    with runtime.engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar() or "")


def _dump_database(runtime: Runtime, folder: Path) -> tuple[str, Path]:
    if runtime.engine.dialect.name == "sqlite":
        target = folder / "mediature.sqlite3"
        source_path = runtime.engine.url.database or ""
        src = sqlite3.connect(source_path, timeout=30)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # one step: a consistent snapshot even while the worker writes
        finally:
            dst.close()
            src.close()
        return SQLITE_MEMBER, target
    target = folder / "mediature.dump"
    _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(target),
          _libpq_url(runtime.engine.url.render_as_string(hide_password=False))])
    return PG_MEMBER, target


def _home_files(settings: Settings, exclude: Path | None) -> list[Path]:
    home = settings.paths.home
    files = []
    for path in sorted(home.rglob("*")):
        if not path.is_file() or path.name in SQLITE_NAMES or (exclude is not None and path == exclude):
            continue
        if path.name.endswith(".tmp"):
            continue
        files.append(path)
    return files


def _add(tar: tarfile.TarFile, name: str, data: bytes, manifest: dict[str, Any]) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    manifest["members"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def backup(runtime: Runtime, output: Path, passphrase: str | None = None) -> BackupInfo:
    """Write one backup file of the database and the home (encrypted when a passphrase is given)."""
    with runtime.sessions() as session:
        dossiers = session.scalar(select(func.count()).select_from(Dossier)) or 0
    manifest: dict[str, Any] = {
        "format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": runtime.engine.dialect.name, "revision": _revision(runtime), "dossiers": dossiers,
        "members": {},
    }
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        member, dump = _dump_database(runtime, Path(folder))
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            _add(tar, member, dump.read_bytes(), manifest)
            home = runtime.settings.paths.home
            for path in _home_files(runtime.settings, output.resolve()):
                try:
                    data = path.read_bytes()
                except FileNotFoundError:
                    continue  # sent or moved meanwhile
                _add(tar, "home/" + path.relative_to(home).as_posix(), data, manifest)
            _add(tar, "manifest.json", json.dumps(manifest, indent=1).encode(), {"members": {}})
    payload = buffer.getvalue()
    if passphrase:
        salt = os.urandom(SALT_BYTES)
        payload = MAGIC + salt + Fernet(_key(passphrase, salt)).encrypt(payload)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(output)
    return BackupInfo(manifest["created_at"], manifest["database"], manifest["revision"],
                      len(manifest["members"]), dossiers)


def _open(path: Path, passphrase: str | None) -> dict[str, bytes]:
    """The verified members of a backup file (StoreError when encrypted without the passphrase or corrupt)."""
    payload = path.read_bytes()
    if payload.startswith(MAGIC):
        if not passphrase:
            raise StoreError("sauvegarde chiffrée : donnez la phrase de passe")
        salt = payload[len(MAGIC):len(MAGIC) + SALT_BYTES]
        try:
            payload = Fernet(_key(passphrase, salt)).decrypt(payload[len(MAGIC) + SALT_BYTES:])
        except InvalidToken as err:
            raise StoreError("phrase de passe incorrecte ou sauvegarde altérée") from err
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
            for info in tar.getmembers():
                if not info.isfile() or info.name.startswith("/") or ".." in Path(info.name).parts:
                    raise StoreError(f"membre inattendu dans la sauvegarde : {info.name}")
                fh = tar.extractfile(info)
                assert fh is not None
                members[info.name] = fh.read()
    except (tarfile.TarError, OSError, EOFError) as err:
        raise StoreError(f"sauvegarde illisible : {type(err).__name__}") from err
    if "manifest.json" not in members:
        raise StoreError("sauvegarde sans manifeste")
    manifest = json.loads(members.pop("manifest.json"))
    expected = manifest.get("members", {})
    if set(expected) != set(members):
        raise StoreError("la sauvegarde ne contient pas les fichiers annoncés par son manifeste")
    for name, meta in expected.items():
        if hashlib.sha256(members[name]).hexdigest() != meta["sha256"]:
            raise StoreError(f"empreinte incorrecte : {name}")
    members["manifest.json"] = json.dumps(manifest).encode()
    return members


def verify(path: Path, passphrase: str | None = None) -> BackupInfo:
    """Read and check a backup without restoring it."""
    members = _open(path, passphrase)
    manifest = json.loads(members["manifest.json"])
    return BackupInfo(manifest["created_at"], manifest["database"], manifest["revision"],
                      len(manifest["members"]), int(manifest.get("dossiers", 0)))


def _database_in_use(settings: Settings) -> bool:
    engine = make_engine(settings.database_url)
    try:
        if "dossiers" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            return bool(conn.execute(select(func.count()).select_from(Dossier)).scalar())
    finally:
        engine.dispose()


def restore(settings: Settings, path: Path, passphrase: str | None = None, *, force: bool = False) -> BackupInfo:
    """Restore a backup into the configured database and home (empty ones unless `force`)."""
    members = _open(path, passphrase)
    manifest = json.loads(members["manifest.json"])
    home = settings.paths.home
    url = settings.database_url
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    if manifest["database"] != kind:
        raise StoreError(f"sauvegarde {manifest['database']} : la base configurée est {kind}")
    occupied = [p for p in home.rglob("*") if p.is_file() and p.name not in SQLITE_NAMES] if home.exists() else []
    if not force and (occupied or _database_in_use(settings)):
        raise StoreError("la base ou le dossier de données n'est pas vide : restauration refusée (--force pour "
                         "remplacer)")
    home.mkdir(parents=True, exist_ok=True)
    for name, data in members.items():
        if not name.startswith("home/"):
            continue
        target = home / name[len("home/"):]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if kind == "sqlite":
        db_path = Path(make_url(url).database or "")
        for leftover in SQLITE_NAMES:
            (db_path.parent / leftover).unlink(missing_ok=True)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = db_path.with_name(db_path.name + ".restore")
        tmp.write_bytes(members[SQLITE_MEMBER])
        tmp.replace(db_path)
    else:
        with tempfile.TemporaryDirectory() as folder:
            dump = Path(folder) / "mediature.dump"
            dump.write_bytes(members[PG_MEMBER])
            command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", _libpq_url(url)]
            if force:
                command[1:1] = ["--clean", "--if-exists"]
            _run([*command, str(dump)])
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return BackupInfo(manifest["created_at"], manifest["database"], manifest["revision"],
                      len(manifest["members"]), int(manifest.get("dossiers", 0)))
