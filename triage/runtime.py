"""The Runtime: settings, database engine and sessions of one process, opened once and passed in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from triage.clock import Clock, system_clock
from triage.config import Settings, load_settings
from triage.files import private_dir
from triage.store.db import make_engine, migrate, session_factory


@dataclass
class Runtime:
    """What a command or the web app needs: settings and database. What a process keeps between calls
    (the web app's pipeline, the worker's ledger and settle watcher) belongs to that process, not here."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = system_clock  # what "now" is for the whole process (a test passes a fixed one)

    @classmethod
    def open(cls, settings: Settings, *, upgrade: bool = True) -> Runtime:
        """Connect to the configured database and bring its schema up to date."""
        private_dir(settings.paths.home)
        engine = make_engine(settings.database_url, echo=settings.database.echo)
        if upgrade:
            migrate(engine)
        return cls(settings=settings, engine=engine, sessions=session_factory(engine))

    @classmethod
    def from_config(cls, config_file: Path | str | None = None, *, upgrade: bool = True) -> Runtime:
        """Load settings (file, then environment) and open."""
        return cls.open(load_settings(config_file), upgrade=upgrade)

    @cached_property
    def secret(self) -> bytes:
        """The installation secret (HMAC of outgoing Message-IDs, CSRF)."""
        return self.settings.secret()

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()
