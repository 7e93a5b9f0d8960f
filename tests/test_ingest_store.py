"""Storing an ingested message without the ORM's unit of work: the same rows, in few statements, on
SQLite and PostgreSQL (where opening a dossier and keeping new bytes are single statements)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Self

from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy import event, func, select, update
from sqlalchemy.dialects.postgresql import psycopg as pg_dialect

from tests.mailfactory import mail, raw
from triage.dossiers.opening import OpeningRequest, _open_statement_postgresql, open_dossier
from triage.parse.message import parse_message
from triage.pipeline import Pipeline
from triage.records import Channel, IngestOutcome, RawMessage, Requester
from triage.runtime import Runtime
from triage.store.db import transaction
from triage.store.messages import _row_with_new_blob_statement
from triage.store.models import Dossier, Event, Message, RawBlob, ReferenceCounter, StoredAttachment

WHEN = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def _request(channel: Channel, requester: Requester) -> OpeningRequest:
    return OpeningRequest(
        channel=channel,
        received_at=WHEN,
        requester=requester,
        arrival=None,
        opened_at=WHEN,
        subject="Demande",
    )


def _raw(data: bytes, key: str = "test") -> RawMessage:
    return RawMessage(source="eml", source_key=key, data=data)


def _open(rt: Runtime) -> str:
    with transaction(rt.sessions) as session:
        opened = open_dossier(session, _request(Channel.EMAIL, Requester()), prefix="MED")
        return opened.reference


class StatementCounter:
    """Counts the SQL statements an engine runs while active."""

    def __init__(self, rt: Runtime) -> None:
        self.engine = rt.engine
        self.statements: list[str] = []

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.statements.append(" ".join(statement.split()[:3]))

    def __enter__(self) -> Self:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def test_references_past_99999_keep_counting_with_more_digits(runtime: Runtime) -> None:
    assert _open(runtime) == "MED-2026-00001"
    with transaction(runtime.sessions) as session:
        session.execute(
            update(ReferenceCounter).where(ReferenceCounter.year == 2026).values(last_value=99998)
        )
    assert [_open(runtime) for _ in range(3)] == ["MED-2026-99999", "MED-2026-100000", "MED-2026-100001"]


def test_opened_dossier_is_readable_without_a_query_and_its_changes_are_saved(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        opened = open_dossier(
            session,
            _request(
                Channel.LETTER,
                Requester(name="Jeanne Martin", email="Jeanne@Exemple.example", postcode="38000"),
            ),
            prefix="MED",
        )
        dossier = opened.attach(session)
        with StatementCounter(runtime) as counter:
            seen = {c.key: getattr(dossier, c.key) for c in Dossier.__table__.columns}
        assert counter.statements == []  # every column was set: nothing left to load
        assert (seen["status"], seen["referred_by"], seen["triage_status"]) == ("recue", "usager", "pending")
        assert (seen["channel"], seen["requester_email"], seen["outcome"]) == (
            "courrier",
            "jeanne@exemple.example",
            None,
        )
        assert dossier in session and not session.new  # persistent, not to be inserted again
        dossier.referred_by = "elu"
        session.flush()
        assert session.scalar(select(Dossier.referred_by).where(Dossier.id == dossier.id)) == "elu"
        events = session.scalars(select(Event).where(Event.dossier_id == dossier.id)).all()
        assert [(e.kind, e.public, e.at, e.details) for e in events] == [
            ("demande_recue", True, WHEN, {"status": "recue", "channel": "courrier"})
        ]


def test_a_new_request_is_stored_in_a_handful_of_statements(runtime: Runtime) -> None:
    pipeline = Pipeline(runtime)
    pipeline.ingest_raw(_raw(mail()))  # warm: the first opening creates the year's counter row
    with StatementCounter(runtime) as counter:
        outcome = pipeline.ingest_raw(_raw(mail(attachments=[("a.pdf", "application/pdf", b"%PDF-1.4 x")])))
    assert outcome.outcome is IngestOutcome.OPENED
    if runtime.engine.dialect.name == "postgresql":
        # duplicate check; counter + dossier + event; raw bytes + message; attachment bytes + row
        assert len(counter.statements) == 4, counter.statements
    else:
        # BEGIN IMMEDIATE; duplicate check; counter; dossier; event; raw bytes; message; attachment
        # bytes; attachment row
        assert len(counter.statements) == 9, counter.statements
    assert not any(s.startswith("UPDATE") for s in counter.statements)


def test_bytes_already_stored_are_shared_by_the_next_message(runtime: Runtime) -> None:
    pdf = b"%PDF-1.4 la meme notification\n%%EOF\n"
    pipeline = Pipeline(runtime)
    first = pipeline.ingest_raw(_raw(mail(attachments=[("notification.pdf", "application/pdf", pdf)])))
    second = pipeline.ingest_raw(_raw(mail(attachments=[("copie.pdf", "application/pdf", pdf)])))
    assert first.outcome is second.outcome is IngestOutcome.OPENED
    with runtime.sessions() as s:
        rows = s.scalars(select(StoredAttachment).order_by(StoredAttachment.id)).all()
        assert [a.filename for a in rows] == ["notification.pdf", "copie.pdf"]
        assert rows[0].blob_id == rows[1].blob_id
        assert s.get(RawBlob, rows[0].blob_id).data == pdf  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(RawBlob)) == 3  # two messages, one PDF


def test_a_message_whose_bytes_were_stored_before_points_at_them(runtime: Runtime) -> None:
    data = mail()
    with transaction(runtime.sessions) as session:  # the same bytes kept earlier (a quarantine, say)
        from triage.store.messages import store_blob

        blob_id = store_blob(session, data)
    outcome = Pipeline(runtime).ingest_raw(_raw(data))
    with runtime.sessions() as s:
        row = s.get(Message, outcome.message_row_id)
        assert row is not None and row.raw_blob_id == blob_id
        assert s.scalar(select(func.count()).select_from(RawBlob)) == 1


def test_message_row_keeps_everything_the_parse_found(runtime: Runtime) -> None:
    data = mail(
        "Bonjour,\n\nMa demande est bloquée.\n\n-- \nJeanne",
        html="<p>Ma demande est <b>bloquée</b>.</p><script>x()</script>",
        references="<a@x.example> <b@x.example>",
        attachments=[("grand.bin", "application/octet-stream", b"\x00" * 10)],
    )
    outcome = Pipeline(runtime).ingest_raw(_raw(data, "boite/1"))
    parsed = parse_message(data, runtime.settings)
    with runtime.sessions() as s:
        row = s.get(Message, outcome.message_row_id)
        assert row is not None
        assert (row.role, row.kind, row.channel, row.direction) == ("request", "request", "email", "in")
        assert (row.source, row.source_key, row.dedupe_key) == ("eml", "boite/1", parsed.dedupe_key)
        assert (row.subject, row.from_address, row.to_addresses) == (
            parsed.subject,
            parsed.from_address,
            list(parsed.to),
        )
        assert row.references == ["<a@x.example>", "<b@x.example>"]
        assert (row.body_text, row.signature, row.html_sanitised) == (
            parsed.text,
            parsed.signature,
            parsed.html,
        )
        assert (row.needs_review, row.flag_reason, row.form_fields) == (False, "", None)
        assert row.sent_at == parsed.date and row.created_at is not None
        (att,) = s.scalars(select(StoredAttachment).where(StoredAttachment.message_id == row.id)).all()
        assert (att.filename, att.size, att.too_large) == ("grand.bin", 10, False)


def test_multipart_without_its_boundary_is_quarantined_with_a_reason(sqlite_runtime: Runtime) -> None:
    # cut just after the headers: mail-parser's full parse used to crash here (AttributeError)
    data = raw(
        "From: Jeanne <jeanne@exemple.example>\nTo: mediation@isere.example\nSubject: Demande\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="----=_Part_1"',
        b"",
    )
    outcome = Pipeline(sqlite_runtime).ingest_raw(_raw(data))
    assert outcome.outcome is IngestOutcome.QUARANTINED
    assert "frontière déclarée" in outcome.detail


def test_hot_path_statements_stay_within_psycopg_query_cache() -> None:
    # psycopg converts a query's text once and caches it only up to 50 parameters and 4 KiB; past that
    # it parses the text again at every execution (a quarter of a millisecond per dossier opened)
    statements = {
        "opening": _open_statement_postgresql(),
        "message": _row_with_new_blob_statement(Message.__table__, "raw_blob_id"),
        "attachment": _row_with_new_blob_statement(StoredAttachment.__table__, "blob_id"),
    }
    for name, statement in statements.items():
        compiled = statement.compile(dialect=pg_dialect.dialect())
        assert len(compiled.params) <= MAX_CACHED_STATEMENT_PARAMS, (name, len(compiled.params))
        assert len(str(compiled).encode()) <= MAX_CACHED_STATEMENT_LENGTH, name
