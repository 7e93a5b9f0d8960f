"""Erasure that erases: after `privacy erase`, the person's address and name are in no byte of the SQLite
file or of the home folder (and in no row of PostgreSQL), while the other requesters keep everything."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from typer.testing import CliRunner

from tests.conftest import make_settings
from tests.privacy_world import JEANNE, PAUL, build
from triage import logs
from triage.privacy.erasure import erase
from triage.runtime import Runtime
from triage.store.audit import Actor
from triage.store.models import AuditEntry, Dossier, LabelledExample


def _needles(person) -> list[bytes]:  # type: ignore[no-untyped-def]
    return [person.email.encode(), person.name.encode(), person.street.encode()]


def _found_in_home(home: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(home)}: {n.decode()}" for n in needles if n in data]
    return found


def _world_with_examples(rt: Runtime) -> None:
    build(rt)
    with rt.sessions.begin() as s:
        first = s.scalar(select(Dossier).where(Dossier.requester_email == JEANNE.email))
        assert first is not None
        s.add(
            LabelledExample(
                dossier_id=first.id,
                text=f"Je suis {JEANNE.name}, {JEANNE.street}",
                domain="autonomie_personnes_agees",
                admissibility="recevable",
                reorientation="none",
            )
        )
        s.add(
            LabelledExample(
                dossier_id=None,
                text=f"Courrier de {JEANNE.name} recopié",
                domain="autonomie_personnes_agees",
                admissibility="recevable",
                reorientation="none",
            )
        )


def test_erasure_leaves_no_byte_of_the_person_in_the_sqlite_file_or_the_home(home: Path) -> None:
    rt = Runtime.open(make_settings(home))
    handler = logs.configure(file=home / "logs" / "worker.log")
    try:
        _world_with_examples(rt)
        assert _found_in_home(home, _needles(JEANNE)), "the world must hold Jeanne's data before erasure"
        report = erase(rt, JEANNE.email.upper(), Actor.terminal())
        assert len(report.references) == 2 and report.compacted
        with rt.sessions() as s:
            assert (
                s.scalar(select(func.count()).select_from(Dossier).where(Dossier.anonymised_at.is_not(None)))
                == 2
            )
            assert s.scalar(select(func.count()).select_from(LabelledExample)) == 0
            assert (
                s.scalar(
                    select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "privacy.erase")
                )
                == 1
            )
    finally:
        handler.close()
        rt.close()
    assert _found_in_home(home, _needles(JEANNE)) == []
    # the same search finds the person who was not erased: the check can fail
    assert _found_in_home(home, [PAUL.email.encode(), PAUL.name.encode()])
    # the full-text index's own pages, where words are lower-cased without accents, hold none of hers
    # either (FTS5 deletes by adding markers beside the old entries: the compaction merges them away)
    assert _index_words(home, [b"dupraz", b"tilleuls"]) == []
    assert _index_words(home, [b"girardon"]) == [b"girardon"]


def _index_words(home: Path, words: list[bytes]) -> list[bytes]:
    rt = Runtime.open(make_settings(home))
    try:
        with rt.engine.connect() as conn:
            pages = b"".join(conn.scalars(text("SELECT block FROM search_index_data")))
    finally:
        rt.close()
    return [w for w in words if w in pages]


@pytest.mark.postgres
def test_erasure_leaves_no_row_of_the_person_in_postgresql(home: Path, pg_url: str) -> None:
    rt = Runtime.open(make_settings(home, pg_url))
    try:
        _world_with_examples(rt)
        erase(rt, JEANNE.email, Actor.terminal())

        def rows_mentioning(value: str) -> dict[str, int]:
            hexed = value.encode().hex()
            found = {}
            with rt.engine.connect() as conn:
                for table in inspect(rt.engine).get_table_names():
                    n = conn.execute(
                        text(
                            f'SELECT count(*) FROM "{table}" t WHERE t::text ILIKE :plain '
                            f"OR t::text ILIKE :hexed"
                        ),
                        {"plain": f"%{value}%", "hexed": f"%{hexed}%"},
                    ).scalar_one()
                    if n:
                        found[table] = n
            return found

        for value in (JEANNE.email, JEANNE.name, JEANNE.street):
            assert rows_mentioning(value) == {}, value
        assert rows_mentioning(PAUL.name)
    finally:
        rt.close()
    assert _found_in_home(home, _needles(JEANNE)) == []


def test_erase_command_asks_for_confirmation(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.cli import STATE, _register, app

    monkeypatch.setenv("MEDIATURE_HOME", str(home))
    monkeypatch.setenv("MEDIATURE_SECRET_KEY", "test-secret")
    for key in ("MEDIATURE_DATABASE_URL", "MEDIATURE_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    rt = Runtime.open(make_settings(home))
    build(rt)
    rt.close()
    _register()
    try:
        out = CliRunner().invoke(app, ["privacy", "erase", "--email", JEANNE.email])
        assert out.exit_code == 1 and "--yes" in out.output
        STATE.runtime = None
        out = CliRunner().invoke(app, ["privacy", "erase", "--email", JEANNE.email, "--yes"])
        assert out.exit_code == 0, out.output
        assert "2 dossier(s) anonymisé(s)" in out.output
    finally:
        if STATE.runtime is not None:
            STATE.runtime.close()
        STATE.runtime = None
    assert _found_in_home(home, _needles(JEANNE)) == []
