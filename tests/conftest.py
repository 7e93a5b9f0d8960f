"""Shared fixtures: settings on a temporary home, a migrated database on SQLite and on PostgreSQL.

PostgreSQL tests use the server at 127.0.0.1:5432 (trust auth) given by MEDIATURE_TEST_PG_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/postgres); each test gets its own fresh
database, dropped afterwards. When the server is unreachable they are skipped locally and fail in
CI (CI=true), so a missing service can never make CI silently green.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from triage.config import Settings, load_settings
from triage.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"
PG_ADMIN_URL = os.environ.get(
    "MEDIATURE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL)
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


PG_AVAILABLE = _pg_available()


def require_postgres() -> None:
    """Skip (locally) or fail (in CI) when PostgreSQL is not there."""
    if not PG_AVAILABLE:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL unreachable")


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped on exit."""
    require_postgres()
    name = f"mediature_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database (dropped after the test)."""
    with fresh_pg_database() as url:
        yield url


def make_settings(home: Path, database_url: str = "", **sections: dict[str, object]) -> Settings:
    """Settings on a temporary home, ignoring the developer's environment, with the repo's rules/models."""
    env = {"MEDIATURE_HOME": str(home), "MEDIATURE_SECRET_KEY": "test-secret-key-not-for-production"}
    if database_url:
        env["MEDIATURE_DATABASE_URL"] = database_url
    settings = load_settings(None, environ=env)
    settings.triage.rules_dir = REPO / "rules"
    settings.triage.model_dir = REPO / "models"
    settings.triage.corpus_dir = SAMPLES / "corpus"
    settings.smtp.backoff_base_seconds = 0.05
    for section, values in sections.items():
        for key, value in values.items():
            setattr(getattr(settings, section), key, value)
    return settings


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A temporary MEDIATURE_HOME."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def settings(home: Path) -> Settings:
    """Settings on the temporary home and SQLite."""
    return make_settings(home)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, home: Path) -> Iterator[str]:
    """A database URL: SQLite under the temporary home, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{home / 'mediature.sqlite3'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def runtime(home: Path, db_url: str) -> Iterator[Runtime]:
    """A migrated runtime, once on SQLite and once on PostgreSQL."""
    rt = Runtime.open(make_settings(home, db_url))
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def sqlite_runtime(settings: Settings) -> Iterator[Runtime]:
    """A migrated runtime on SQLite only (fast tests)."""
    rt = Runtime.open(settings)
    try:
        yield rt
    finally:
        rt.close()


# The browser fixtures are registered here, once: a session-scoped Playwright started from two test
# modules would be two instances, and the second refuses to start inside the first one's event loop.
from tests.browser import browser, page  # noqa: E402,F401


@pytest.fixture(autouse=True)
def _fresh_cli_state() -> Iterator[None]:
    """Each test starts with no runtime cached by an earlier CLI invocation (a command-line process opens one
    runtime for its one command; a test session invokes many, against different homes)."""
    from triage.cli import STATE

    STATE.runtime, STATE.config = None, None
    yield
    if STATE.runtime is not None:
        STATE.runtime.close()
    STATE.runtime, STATE.config = None, None
