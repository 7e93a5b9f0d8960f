"""Retention enforced: dossiers past their term are anonymised (statistics intact), the rest expires,
extensions are audited, the worker applies the policy, the acknowledgement states the configured term."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from tests.conftest import make_settings
from tests.privacy_world import JEANNE, PAUL, at, build
from triage.demo.history import generate_history
from triage.errors import DossierError
from triage.privacy.retention import extend_by_reference, run, upcoming
from triage.report.figures import compute
from triage.report.territories import read_territories
from triage.runtime import Runtime
from triage.store.audit import Actor
from triage.store.models import (
    AuditEntry,
    Dossier,
    Message,
    OutboxItem,
    QuarantineItem,
    RawBlob,
    StoredAttachment,
    SuggestionRow,
    WebSession,
)
from triage.store.report_queries import report_counts
from triage.worker import Worker


def _dossier(rt: Runtime, reference: str) -> Dossier:
    with rt.sessions() as s:
        d = s.scalar(select(Dossier).where(Dossier.reference == reference))
        assert d is not None
        return d


def _blob_contains(rt: Runtime, needle: bytes) -> bool:
    with rt.sessions() as s:
        return any(needle in bytes(data) for data in s.scalars(select(RawBlob.data)))


def test_closed_dossier_past_its_term_loses_names_texts_bytes_and_files(runtime: Runtime) -> None:
    world = build(runtime, closed_at=at(2020, 1, 10))
    old, recent = world.jeanne_refs
    outbox = runtime.settings.paths.home / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 3
    assert _blob_contains(runtime, b"Attestation de refus APA")

    report = run(runtime, as_of=date(2025, 1, 10))

    assert report.references == [old] and report.counts["dossiers"] == 1
    d = _dossier(runtime, old)
    assert d.anonymised_at is not None
    assert (
        d.requester_name,
        d.requester_email,
        d.requester_phone,
        d.requester_address,
        d.requester_postcode,
        d.subject,
    ) == ("", "", "", "", "", "")
    # what the report reads stays
    assert (d.status, d.outcome, d.domain, d.requester_territory, d.channel, d.year) == (
        "cloturee",
        "resolution_complete",
        "autonomie_personnes_agees",
        "Voironnais-Chartreuse",
        "email",
        2026,
    )
    with runtime.sessions() as s:
        msgs = s.scalars(select(Message).where(Message.dossier_id == d.id)).all()
        assert msgs and all(
            m.body_text == "" and m.from_address == "" and m.raw_blob_id is None for m in msgs
        )
        assert not s.scalar(
            select(func.count())
            .select_from(StoredAttachment)
            .where(StoredAttachment.message_id.in_([m.id for m in msgs]))
        )
        assert all(
            r.extracted == {}
            for r in s.scalars(select(SuggestionRow).where(SuggestionRow.dossier_id == d.id))
        )
        ack = s.scalar(select(OutboxItem).where(OutboxItem.dossier_id == d.id))
        assert ack is not None and ack.raw == b"" and ack.to_address == ""
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "retention.anonymised", AuditEntry.dossier_id == d.id)
            )
            == 1
        )
    assert not _blob_contains(runtime, b"Attestation de refus APA")
    assert len(list(outbox.glob("*.eml"))) == 2
    # the other dossiers are untouched
    assert _dossier(runtime, recent).requester_email == JEANNE.email
    assert _dossier(runtime, world.paul_refs[0]).requester_name == PAUL.name
    assert _blob_contains(runtime, PAUL.name.encode())


def test_dry_run_reports_the_same_counts_and_changes_nothing(sqlite_runtime: Runtime) -> None:
    world = build(sqlite_runtime, closed_at=at(2020, 1, 10))
    dry = run(sqlite_runtime, as_of=date(2025, 1, 10), dry_run=True)
    assert dry.references == [world.jeanne_refs[0]]
    assert _dossier(sqlite_runtime, world.jeanne_refs[0]).requester_email == JEANNE.email
    assert len(list((sqlite_runtime.settings.paths.home / "outbox").glob("*.eml"))) == 3
    real = run(sqlite_runtime, as_of=date(2025, 1, 10))
    assert real.counts == dry.counts


def test_nothing_is_anonymised_the_day_before_the_term(sqlite_runtime: Runtime) -> None:
    build(sqlite_runtime, closed_at=at(2020, 1, 10))
    assert run(sqlite_runtime, as_of=date(2025, 1, 9)).references == []


def test_the_purge_runs_on_the_paris_day_of_the_runtime_clock(sqlite_runtime: Runtime) -> None:
    old = build(sqlite_runtime, closed_at=at(2020, 1, 10)).jeanne_refs[0]
    eve = datetime(2025, 1, 9, 22, 30, tzinfo=UTC)  # 23:30 in Paris: still the day before the term
    assert run(replace(sqlite_runtime, clock=lambda: eve)).references == []
    term = datetime(2025, 1, 9, 23, 30, tzinfo=UTC)  # 00:30 in Paris on 10 January: the term
    report = run(replace(sqlite_runtime, clock=lambda: term))
    assert report.as_of == date(2025, 1, 10) and report.references == [old]
    d = _dossier(sqlite_runtime, old)
    assert d.anonymised_at == term and d.requester_email == ""
    with sqlite_runtime.sessions() as s:
        stamps = s.scalars(select(AuditEntry.at).where(AuditEntry.action == "retention.anonymised")).all()
    assert stamps == [term]


def test_extension_keeps_a_dossier_past_its_term_and_is_audited(sqlite_runtime: Runtime) -> None:
    world = build(sqlite_runtime, closed_at=at(2020, 1, 10))
    ref = world.jeanne_refs[0]
    with pytest.raises(DossierError):
        extend_by_reference(sqlite_runtime, ref, date(2030, 1, 1), "parce que", Actor.terminal())
    extend_by_reference(sqlite_runtime, ref, date(2030, 1, 1), "contentieux", Actor.terminal())
    assert run(sqlite_runtime, as_of=date(2025, 1, 10)).references == []
    assert _dossier(sqlite_runtime, ref).requester_email == JEANNE.email
    with sqlite_runtime.sessions() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "retention.extend"))
        assert entry is not None and entry.details == {"until": "2030-01-01", "reason": "contentieux"}
    assert run(sqlite_runtime, as_of=date(2030, 1, 1)).references == [ref]


def test_upcoming_lists_what_is_due_within_the_notice_period(sqlite_runtime: Runtime) -> None:
    world = build(sqlite_runtime, closed_at=at(2020, 1, 10))
    policy = sqlite_runtime.settings.retention
    with sqlite_runtime.sessions() as s:
        assert upcoming(s, policy, date(2024, 12, 1)) == []
        soon = upcoming(s, policy, date(2024, 12, 20))
    assert [(u.reference, u.term) for u in soon] == [(world.jeanne_refs[0], date(2025, 1, 10))]


def test_every_past_report_computes_the_same_figures_after_anonymisation(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    generate_history(
        rt, first_year=2022, until=datetime(2026, 11, 30, tzinfo=UTC), scale=0.5, with_texts=False
    )
    territories = read_territories(None)

    def figures() -> dict[int, object]:
        computed = {y: compute(report_counts(rt.sessions, y), y, territories) for y in range(2022, 2027)}
        return {y: (f.headline, f.tables) for y, f in computed.items()}

    before = figures()
    report = run(rt, as_of=date(2029, 6, 1))  # dossiers closed before June 2024 are past their term
    assert report.counts["dossiers"] > 50
    with rt.sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(Dossier).where(Dossier.anonymised_at.is_not(None)))
            == report.counts["dossiers"]
        )
    assert figures() == before


def test_mail_that_is_not_a_request_quarantine_copies_logs_audit_and_sessions_expire(
    sqlite_runtime: Runtime,
) -> None:
    rt = sqlite_runtime
    build(rt)
    home = rt.settings.paths.home
    old_log = home / "logs" / "worker.log.1"
    old_log.parent.mkdir(parents=True, exist_ok=True)
    old_log.write_text("{}\n")
    stamp = (datetime.now(UTC) - timedelta(days=400)).timestamp()
    os.utime(old_log, (stamp, stamp))
    fresh_log = home / "logs" / "worker.log"
    fresh_log.write_text("{}\n")
    recent = (datetime.now(UTC) + timedelta(days=190)).timestamp()  # ten days before the day considered
    os.utime(fresh_log, (recent, recent))
    with rt.sessions.begin() as s:
        # the set-aside message was reviewed (not a request): it may expire now
        s.execute(update(Message).where(Message.role == "flagged").values(needs_review=False))
        s.add(AuditEntry(at=at(2024, 1, 1), actor="mediatrice", action="dossier.read"))
        s.add(WebSession(id_hash="x" * 64, user_id=_user(s), csrf_token="c", expires_at=at(2026, 1, 1)))
    as_of = (datetime.now(UTC) + timedelta(days=200)).date()
    report = run(rt, as_of=as_of)
    assert report.counts["messages_deleted"] == 1  # the automatic reply
    assert report.counts["quarantine"] == 1
    assert report.counts["outbox"] == 3 and report.counts["web_sessions"] == 1
    assert report.counts["audit"] == 1
    assert not old_log.exists() and fresh_log.exists()
    assert list((home / "outbox").glob("*.eml")) == []
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(QuarantineItem)) == 0
        assert s.scalar(select(func.count()).select_from(Message).where(Message.dossier_id.is_(None))) == 0
        # open dossiers keep everything
        assert (
            s.scalar(select(func.count()).select_from(Dossier).where(Dossier.anonymised_at.is_not(None))) == 0
        )
    assert not _blob_contains(rt, b"voisine@exemple.example")
    assert _blob_contains(rt, JEANNE.email.encode())


def _user(session) -> int:  # type: ignore[no-untyped-def]
    from triage.store.models import User

    user = User(username="mediatrice", role="mediateur", password_hash="x")
    session.add(user)
    session.flush()
    return user.id


def test_acknowledgement_states_the_configured_retention(home: Path) -> None:
    settings = make_settings(home)
    settings.retention.closed_dossier_years = 3
    rt = Runtime.open(settings)
    try:
        build(rt)
        with rt.sessions() as s:
            raw = s.scalars(select(OutboxItem.raw)).first()
        assert raw is not None
        text = raw.decode("utf-8", "replace").replace("=\n", "")
        assert "3 ans apr" in text and "5 ans apr" not in text
    finally:
        rt.close()


def test_worker_applies_the_policy_when_it_starts(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    world = build(rt, closed_at=at(2015, 1, 10))
    worker = Worker(rt, scans=False, outbox=False)
    thread = threading.Thread(target=worker.run)
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _dossier(rt, world.jeanne_refs[0]).anonymised_at is None:
        time.sleep(0.1)
    worker.request_stop()
    thread.join(10)
    assert _dossier(rt, world.jeanne_refs[0]).anonymised_at is not None


def test_retention_cli_dry_run_then_run(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.cli import STATE, _register, app

    monkeypatch.setenv("MEDIATURE_HOME", str(home))
    monkeypatch.setenv("MEDIATURE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("COLUMNS", "200")
    for key in ("MEDIATURE_DATABASE_URL", "MEDIATURE_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    rt = Runtime.open(make_settings(home))
    world = build(rt, closed_at=at(2020, 1, 10))
    rt.close()
    _register()
    runner = CliRunner()
    try:
        out = runner.invoke(app, ["retention", "list", "--as-of", "2024-12-20"])
        assert out.exit_code == 0, out.output
        assert world.jeanne_refs[0] in out.output and "10/01/2025" in out.output
        STATE.runtime = None
        out = runner.invoke(app, ["retention", "run", "--dry-run", "--as-of", "2025-01-10"])
        assert out.exit_code == 0, out.output
        assert "Simulation" in out.output and "dossiers anonymisés : 1" in out.output
        STATE.runtime.close() if STATE.runtime else None
        STATE.runtime = None
        out = runner.invoke(app, ["retention", "run", "--as-of", "2025-01-10"])
        assert out.exit_code == 0 and world.jeanne_refs[0] in out.output
    finally:
        if STATE.runtime is not None:
            STATE.runtime.close()
        STATE.runtime = None
