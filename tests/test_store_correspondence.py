"""The correspondence's rows read through the store on SQLite and PostgreSQL: an outside body's own directory
entry (active only, on a session or a Core connection), and the dossier's files that can be sent on."""

from __future__ import annotations

from sqlalchemy import update

from tests.privacy_world import build
from triage.runtime import Runtime
from triage.store.contacts import body_entry, contact_with_code, write_contact
from triage.store.dossier_data import dossier_line
from triage.store.models import Contact, StoredAttachment
from triage.store.writing import blob_bytes, sendable_attachments


def test_an_outside_body_entry_is_read_while_active_on_a_session_or_a_connection(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        write_contact(
            s, Contact(kind="externe", code="caf", name="CAF de l'Isère", phone="3230", article="la")
        )
    with runtime.sessions() as s:
        entry = body_entry(s, "caf")
        assert entry is not None and (entry.name, entry.phone, entry.article) == (
            "CAF de l'Isère",
            "3230",
            "la",
        )
        assert body_entry(s, "msa") is None
    with runtime.engine.connect() as conn:
        assert body_entry(conn, "caf") == entry
    with runtime.sessions.begin() as s:
        found = contact_with_code(s, "caf")
        assert found is not None
        found.active = False
    with runtime.sessions() as s:
        assert body_entry(s, "caf") is None


def test_only_stored_files_not_too_large_can_be_sent_on(runtime: Runtime) -> None:
    world = build(runtime)
    with runtime.sessions() as s:
        line = dossier_line(s, world.jeanne_refs[0])
        assert line is not None
        [pdf] = sendable_attachments(s, line.id)
        assert pdf.filename == "refus-apa.pdf" and blob_bytes(s, pdf.blob_id).startswith(b"%PDF-1.4")
    with runtime.sessions.begin() as s:
        s.execute(update(StoredAttachment).values(too_large=True))
    with runtime.sessions() as s:
        assert sendable_attachments(s, line.id) == []
