"""Engine and sessions for SQLite (embedded default) and PostgreSQL (production); migrations on demand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from triage.errors import StoreError
from triage.files import private_file

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x4D454449  # "MEDI": PostgreSQL advisory lock taken while migrating

# The caller's unit of work, as code outside the store names it: a function that writes in a transaction
# opened elsewhere (an acknowledgement commits with the dossier it acknowledges) takes one and hands it
# back to the store's functions; it never builds a query with it.
Transaction = Session
# The same for a Core connection opened by the caller (the public tracking pages read on their own).
CoreConnection = Connection


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine with the pragmas Médiature relies on (SQLite: WAL, foreign keys, busy timeout)."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            # created 0600 before SQLite opens it: its -wal and -shm files take the database's mode
            private_file(Path(path))
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # isolation_level None lets SQLAlchemy's BEGIN below take the write lock at once
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            # deleted and overwritten content is zeroed in the file (erasure, retention: triage.privacy)
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # BEGIN IMMEDIATE: writers serialise at the start of a transaction instead of failing
            # with "database is locked" when two of them upgrade from read to write.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (records are built from them)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Any:
    """An Alembic Config pointing at the packaged migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision (idempotent)."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # two processes starting together on a fresh database (two workers, worker + web) must
                # not both create the schema: the second waits here, then finds it up to date
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as err:
        raise StoreError(f"base de données inaccessible : {err.orig}") from err


def check_schema(engine: Engine) -> None:
    """Raise StoreError with a clear message when the database has not been migrated."""
    try:
        tables = set(inspect(engine).get_table_names())
    except OperationalError as err:
        raise StoreError(f"base de données inaccessible : {err.orig}") from err
    if "dossiers" not in tables:
        raise StoreError("la base n'est pas initialisée : lancez `mediature db upgrade`")


def answers(engine: Engine) -> bool:
    """Whether the database answers a trivial query now (for the health endpoint)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception:  # health must answer whatever the database does
        return False
    return True
