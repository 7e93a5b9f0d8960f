"""A consistent copy of the database, and putting one back: SQLite's online backup API, pg_dump/pg_restore.

- SQLite: ``sqlite3.Connection.backup`` copies the live database page by page into a new file while
  the worker and the web app keep writing (WAL): the copy is the state of one moment.
- PostgreSQL: ``pg_dump --format=custom`` (one snapshot transaction). Restoring turns the dump into
  SQL with ``pg_restore --file`` and plays it with ``psql --single-transaction``, after dropping the
  target's schema (when replacing one) in the same transaction: the target ends up either fully
  restored or untouched.

The password of a PostgreSQL URL goes to the tools through the PGPASSWORD environment variable,
never on their command line (visible to every user in ``ps``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from triage.errors import BackupError, StoreError
from triage.files import make_private, private_dir, private_file
from triage.store.models import ScanFile

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def kind(engine: Engine) -> str:
    """'sqlite' or 'postgresql'; BackupError for any other database."""
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"sauvegarde impossible : base {name} non prise en charge (SQLite ou PostgreSQL)")
    return name


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite database (None in memory or for PostgreSQL)."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return None
    return Path(engine.url.database).resolve()


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None when it was never migrated)."""
    try:
        with engine.connect() as conn:
            if "alembic_version" not in inspect(conn).get_table_names():
                return None
            return conn.scalar(text("SELECT version_num FROM alembic_version"))
    except OperationalError as err:
        raise StoreError(f"base de données inaccessible : {err.orig}") from err


def table_names(engine: Engine) -> list[str]:
    """The tables the database holds (an empty list for a new database or a missing SQLite file)."""
    path = sqlite_path(engine)
    if engine.dialect.name == "sqlite" and (path is None or not path.exists()):
        return []
    try:
        with engine.connect() as conn:
            return sorted(inspect(conn).get_table_names())
    except OperationalError as err:
        raise StoreError(f"base de données inaccessible : {err.orig}") from err


def _pg_tool(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise BackupError(f"{tool} introuvable : installez le paquet Debian postgresql-client")
    return found


def _pg_target(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without password, and the environment carrying the password."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq = make_url(url.render_as_string(hide_password=False)).set(drivername="postgresql", password=None)
    return libpq.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} a échoué : {detail[-1] if detail else f'code {done.returncode}'}")


def dump(engine: Engine, destination: Path) -> None:
    """Write a consistent copy of the database to destination (created 0600: it holds personal data)."""
    private_file(destination)
    if kind(engine) == "sqlite":
        path = sqlite_path(engine)
        if path is None or not path.exists():
            raise BackupError("sauvegarde impossible : la base SQLite n'existe pas encore")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(destination)
        try:
            source.execute("PRAGMA busy_timeout=30000")
            source.backup(target)  # one step: the copy is one moment's state, even while others write
            target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        except sqlite3.Error as err:
            raise BackupError(f"copie de la base SQLite impossible : {err}") from err
        finally:
            target.close()
            source.close()
        return
    url, env = _pg_target(engine)
    _run(
        [
            _pg_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={destination}",
            f"--dbname={url}",
        ],
        env,
        "pg_dump",
    )


def restore(engine: Engine, dump_file: Path, work_dir: Path) -> None:
    """Replace the database's content with the dump, all or nothing (work_dir holds the temporary files)."""
    if kind(engine) == "sqlite":
        path = sqlite_path(engine)
        if path is None:
            raise BackupError("restauration impossible dans une base SQLite en mémoire")
        try:
            check = sqlite3.connect(f"file:{dump_file}?mode=ro", uri=True)
            try:
                ok = check.execute("PRAGMA integrity_check").fetchone()
            finally:
                check.close()
        except sqlite3.Error as err:
            raise BackupError(f"la copie de la base SQLite est illisible : {err}") from err
        if not ok or ok[0] != "ok":
            raise BackupError("la copie de la base SQLite est endommagée (PRAGMA integrity_check)")
        engine.dispose()
        private_dir(path.parent)
        staged = path.with_name(path.name + ".restauration")
        shutil.copyfile(dump_file, staged)
        make_private(staged)
        for suffix in SQLITE_SIDE_FILES:  # a stale WAL beside the new file would be replayed into it
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(staged, path)
        return
    url, env = _pg_target(engine)
    script = work_dir / "restauration.sql"
    private_file(script)
    _run(
        [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(dump_file)],
        env,
        "pg_restore",
    )
    drops = work_dir / "vidage.sql"
    private_file(drops)
    if table_names(engine):  # replacing (--force): the schema goes with its tables, search configuration,
        # triggers and functions, in the same transaction as the restore that recreates them
        with engine.connect() as conn:
            schema = engine.dialect.identifier_preparer.quote(
                str(conn.scalar(text("SELECT current_schema()")))
            )
        drops.write_text(f"DROP SCHEMA IF EXISTS {schema} CASCADE;\nCREATE SCHEMA {schema};\n")
    engine.dispose()
    _run(
        [
            _pg_tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--file={drops}",
            f"--file={script}",
            f"--dbname={url}",
        ],
        env,
        "la restauration PostgreSQL (psql)",
    )


def clear_sqlite(engine: Engine) -> None:
    """Remove a SQLite database file and its side files (before restoring over it with --force)."""
    path = sqlite_path(engine)
    if path is None:
        return
    engine.dispose()
    for name in ("", *SQLITE_SIDE_FILES):
        Path(f"{path}{name}").unlink(missing_ok=True)


def relocate_scan_paths(engine: Engine, old_home: str, new_home: Path) -> int:
    """Point the scan originals' paths at the restored home; returns how many rows changed."""
    old = old_home.rstrip("/") + "/"
    new = str(new_home).rstrip("/") + "/"
    if old == new:
        return 0
    changed = 0
    try:
        with engine.begin() as conn:
            rows = conn.execute(select(ScanFile.id, ScanFile.stored_path)).all()
            for row_id, stored in rows:
                if stored.startswith(old):
                    conn.execute(
                        update(ScanFile)
                        .where(ScanFile.id == row_id)
                        .values(stored_path=new + stored[len(old) :])
                    )
                    changed += 1
    except (OperationalError, ProgrammingError) as err:
        raise StoreError(f"base de données inaccessible : {err.orig}") from err
    return changed
