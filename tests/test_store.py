"""The schema: migrations match the models and run on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from triage.runtime import Runtime
from triage.store.models import Base
from triage.store.search import is_search_object


def test_migrations_create_every_table_of_the_models(runtime: Runtime) -> None:
    tables = set(inspect(runtime.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_models_and_migrations_do_not_drift(runtime: Runtime) -> None:
    with runtime.engine.connect() as conn:
        # the search index (FTS5 table, GIN expression indexes) is created by its migration, not the models
        context = MigrationContext.configure(
            conn, opts={"include_name": lambda name, *_: not is_search_object(name)}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], "regenerate: python scripts/regen_initial_migration.py"


def test_upgrade_is_idempotent(runtime: Runtime) -> None:
    from triage.store.db import migrate

    migrate(runtime.engine)
    migrate(runtime.engine)
    assert "dossiers" in inspect(runtime.engine).get_table_names()
