"""The backup file: a gzip-compressed tar with the database copy, the home's files, a manifest and checksums.

Members, in this order::

    base/mediature.sqlite3 | base/mediature.pgdump   the database (SQLite file or pg_dump custom format)
    home/<relative path>                              the files of the instance home (see home_files)
    manifest.json                                     version, schema revision, database kind, date, files
    SHA256SUMS                                        `sha256sum -c` format, every member above

Reading never trusts the file: only regular members with plain relative names are taken, each is
written to a private staging folder while its SHA-256 is computed, and the set of members, their sizes
and checksums must match SHA256SUMS and the manifest exactly before anything is restored.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

from triage.errors import BackupError
from triage.files import FILE_MODE, private_dir

FORMAT = "mediature-sauvegarde"
VERSION = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
HOME_PREFIX = "home/"
DATABASE_MEMBERS = {"sqlite": "base/mediature.sqlite3", "postgresql": "base/mediature.pgdump"}
CHUNK = 1 << 20

# Left out of a backup, relative to the home: journals (operational, no state; retention applies to
# them separately), the transient upload folders the web app deletes once the scan is ingested, and
# <home>/sauvegardes, where backups may be kept (a backup never holds the previous ones).
EXCLUDED_DIRS = ("logs", "scans/televersements", "sauvegardes")
EXCLUDED_SUFFIXES = (".tmp", ".part", ".restauration")
PRIVATE_PREFIX = ".mediature-"  # this module's own partial files and staging folders


@dataclass(frozen=True)
class FileEntry:
    """One member of the archive: its name, size and SHA-256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a backup says about itself."""

    version: int
    mediature_version: str
    created_at: str
    database_kind: str
    schema_revision: str | None
    home: str
    database: FileEntry
    files: tuple[FileEntry, ...]

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "version": self.version,
            "mediature_version": self.mediature_version,
            "created_at": self.created_at,
            "database_kind": self.database_kind,
            "schema_revision": self.schema_revision,
            "home": self.home,
            "database": self.database.__dict__,
            "files": [f.__dict__ for f in self.files],
        }
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError("ce fichier n'est pas une sauvegarde Médiature (manifeste inconnu)")
            if data.get("version") != VERSION:
                raise BackupError(f"format de sauvegarde {data.get('version')} inconnu de cette version")
            return cls(
                version=data["version"],
                mediature_version=str(data["mediature_version"]),
                created_at=str(data["created_at"]),
                database_kind=str(data["database_kind"]),
                schema_revision=data["schema_revision"],
                home=str(data["home"]),
                database=FileEntry(**data["database"]),
                files=tuple(FileEntry(**f) for f in data["files"]),
            )
        except (ValueError, KeyError, TypeError) as err:
            raise BackupError("manifeste de sauvegarde illisible") from err


def _excluded(relative: PurePosixPath) -> bool:
    text = relative.as_posix()
    if any(text == d or text.startswith(d + "/") for d in EXCLUDED_DIRS):
        return True
    return relative.name.startswith(PRIVATE_PREFIX) or relative.name.endswith(EXCLUDED_SUFFIXES)


def home_files(home: Path, skip: set[Path] | frozenset[Path] = frozenset()) -> Iterator[tuple[str, Path]]:
    """(relative name, path) of every regular file of the home that belongs in a backup, sorted.

    Everything under the home is state (secret key, outbox copies, scan originals, rejected scans,
    scans waiting in the drop folder, reports, models kept there) except the database files, which are
    copied consistently by other means (listed in `skip`), journals and temporary files.
    """
    if not home.is_dir():
        return
    skip = {p.resolve() for p in skip}
    for root, dirs, files in os.walk(home, followlinks=False):
        base = Path(root)
        rel_root = PurePosixPath(base.relative_to(home).as_posix())
        dirs[:] = sorted(d for d in dirs if not _excluded(rel_root / d) and not (base / d).is_symlink())
        for name in sorted(files):
            path = base / name
            relative = rel_root / name
            if _excluded(relative) or path.is_symlink() or not path.is_file() or path.resolve() in skip:
                continue
            yield relative.as_posix().removeprefix("./"), path


def _digest(stream: IO[bytes]) -> tuple[int, str]:
    h, size = hashlib.sha256(), 0
    while block := stream.read(CHUNK):
        h.update(block)
        size += len(block)
    return size, h.hexdigest()


class Writable(Protocol):
    """Where an archive is streamed: a file, or the encrypting writer."""

    def write(self, data: bytes, /) -> int: ...


class ArchiveWriter:
    """Adds members to a streamed tar.gz, noting each one's size and SHA-256."""

    def __init__(self, out: Writable) -> None:
        self._tar = tarfile.open(fileobj=out, mode="w|gz")  # type: ignore[call-overload]  # noqa: SIM115 (finish closes it)
        self.entries: list[FileEntry] = []

    def _info(self, name: str, size: int, mtime: float) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, int(mtime), FILE_MODE
        return info

    def add_file(self, name: str, path: Path) -> FileEntry:
        """Add a file that does not change while it is read (the database copy)."""
        with open(path, "rb") as fh:
            size, sha = _digest(fh)
            fh.seek(0)
            self._tar.addfile(self._info(name, size, path.stat().st_mtime), fh)
        entry = FileEntry(name, size, sha)
        self.entries.append(entry)
        return entry

    def add_live_file(self, name: str, path: Path) -> FileEntry | None:
        """Add a file of the live home, read once (None when it vanished meanwhile: moved by the worker)."""
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        return self.add_bytes(name, data, mtime)

    def add_bytes(self, name: str, data: bytes, mtime: float) -> FileEntry:
        self._tar.addfile(self._info(name, len(data), mtime), io.BytesIO(data))
        entry = FileEntry(name, len(data), hashlib.sha256(data).hexdigest())
        self.entries.append(entry)
        return entry

    def finish(self, manifest: Manifest) -> None:
        """Write the manifest and the checksums of every member, then close the tar."""
        stamp = datetime.fromisoformat(manifest.created_at).timestamp()
        self.add_bytes(MANIFEST, manifest.to_json(), stamp)
        sums = "".join(f"{e.sha256}  {e.path}\n" for e in self.entries).encode()
        self._tar.addfile(self._info(SUMS, len(sums), stamp), io.BytesIO(sums))
        self._tar.close()


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name


@dataclass(frozen=True)
class VerifiedBackup:
    """An archive unpacked into a staging folder, every checksum checked."""

    manifest: Manifest
    root: Path  # staging folder holding the members under their archive names

    @property
    def database_file(self) -> Path:
        return self.root / self.manifest.database.path

    def home_members(self) -> Iterator[tuple[str, Path]]:
        """(path relative to the home, staged file) of every home file of the backup."""
        for entry in self.manifest.files:
            yield entry.path.removeprefix(HOME_PREFIX), self.root / entry.path


def unpack_and_verify(archive: Path, root: Path) -> VerifiedBackup:
    """Unpack archive (plain tar.gz) into root and check it completely; BackupError in French otherwise."""
    found: dict[str, tuple[int, str]] = {}
    sums_raw: bytes | None = None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if not member.isfile() or not _safe_name(member.name) or member.name in found:
                    raise BackupError(f"sauvegarde refusée : élément inattendu « {member.name} »")
                stream = tar.extractfile(member)
                assert stream is not None  # a regular file always has a stream
                if member.name == SUMS:
                    sums_raw = stream.read(1 << 24)
                    continue
                target = root / member.name
                private_dir(target.parent)
                h, size = hashlib.sha256(), 0
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
                with os.fdopen(fd, "wb") as out:
                    while block := stream.read(CHUNK):
                        h.update(block)
                        size += len(block)
                        out.write(block)
                found[member.name] = (size, h.hexdigest())
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        if isinstance(err, FileNotFoundError) and not archive.exists():
            raise BackupError(f"sauvegarde introuvable : {archive}") from err
        raise BackupError(
            f"sauvegarde illisible, tronquée ou endommagée ({type(err).__name__}) : rien n'a été restauré"
        ) from err
    if sums_raw is None or MANIFEST not in found:
        raise BackupError(
            "sauvegarde incomplète : manifeste ou sommes de contrôle absents, rien n'a été restauré"
        )
    expected: dict[str, str] = {}
    for line in sums_raw.decode("utf-8", "replace").splitlines():
        sha, _, name = line.partition("  ")
        expected[name] = sha
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            raise BackupError(f"sauvegarde incomplète : « {name} » manque, rien n'a été restauré")
        if expected.get(name) != found[name][1]:
            raise BackupError(
                f"sauvegarde altérée : la somme de contrôle de « {name} » ne correspond pas, "
                "rien n'a été restauré"
            )
    manifest = Manifest.from_json((root / MANIFEST).read_bytes())
    listed = {e.path: e for e in (manifest.database, *manifest.files)}
    if set(listed) | {MANIFEST} != set(found):
        raise BackupError(
            "sauvegarde altérée : les fichiers ne correspondent pas au manifeste, rien n'a été restauré"
        )
    for name, entry in listed.items():
        if (entry.size, entry.sha256) != found[name]:
            raise BackupError(
                f"sauvegarde altérée : « {name} » ne correspond pas au manifeste, rien n'a été restauré"
            )
    if DATABASE_MEMBERS.get(manifest.database_kind) != manifest.database.path:
        raise BackupError("manifeste de sauvegarde incohérent (type de base)")
    if any(not e.path.startswith(HOME_PREFIX) for e in manifest.files):
        raise BackupError("manifeste de sauvegarde incohérent (fichier hors du dossier de données)")
    return VerifiedBackup(manifest, root)
