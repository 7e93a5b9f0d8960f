"""Dossiers read as typed records by the terminal, scripts and the dossier document, on SQLite and PostgreSQL:
merged dossiers left out, filters by status, assignee and unread, assignees by login name, messages in order."""

from __future__ import annotations

from sqlalchemy import select, update

from tests.privacy_world import build
from triage.runtime import Runtime
from triage.store.accounts import add_account
from triage.store.dossier_data import count_dossiers, dossier_line, dossier_lines, mailed, printed, received
from triage.store.models import Dossier


def test_lists_leave_out_merged_dossiers_and_filter_by_status_assignee_and_unread(runtime: Runtime) -> None:
    world = build(runtime)
    first, second = world.jeanne_refs
    (paul,) = world.paul_refs
    with runtime.sessions.begin() as s:
        camille = add_account(
            s, username="camille", role="mediatrice", password_hash="x", display_name="Camille", email=""
        )
        ids = {d.reference: d.id for d in s.scalars(select(Dossier))}
        s.execute(update(Dossier).values(unread=False))
        s.execute(update(Dossier).where(Dossier.id == ids[second]).values(merged_into_id=ids[first]))
        s.execute(update(Dossier).where(Dossier.id == ids[paul]).values(assignee_id=camille.id, unread=True))
        s.execute(update(Dossier).where(Dossier.id == ids[first]).values(status="en_examen"))
    with runtime.sessions() as s:
        assert {d.reference for d in dossier_lines(s, status=None, limit=10)} == {first, paul}
        assert count_dossiers(s, None) == 2 and count_dossiers(s, "en_examen") == 1
        assert [d.reference for d in dossier_lines(s, status="en_examen", limit=10)] == [first]
        assert [
            (d.reference, d.assignee) for d in dossier_lines(s, status=None, limit=10, assignee="camille")
        ] == [(paul, "camille")]
        assert [d.reference for d in dossier_lines(s, status=None, limit=10, assignee="-")] == [first]
        assert [d.reference for d in dossier_lines(s, status=None, limit=10, unread=True)] == [paul]
        assert len(dossier_lines(s, status=None, limit=1)) == 1
        assert dossier_line(s, "MED-1999-99999") is None


def test_a_dossier_reads_its_messages_in_order_with_attachments_and_what_was_mailed(runtime: Runtime) -> None:
    world = build(runtime)
    with runtime.sessions() as s:
        line = dossier_line(s, world.jeanne_refs[0])
        assert line is not None and line.requester_name and line.assignee is None
        messages = received(s, line.id)
        assert [m.received_at for m in messages] == sorted(m.received_at for m in messages)
        assert "refus-apa.pdf" in messages[0].attachments and messages[0].direction == "in"
        sent = mailed(s, line.id)
        assert [o.kind for o in sent] == ["acknowledgement"] and sent[0].to_address
        assert b"accus" in sent[0].raw.lower()
        assert printed(s, line.id) == []
