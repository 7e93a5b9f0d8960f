"""Acknowledgements: composition, loop guards, exactly one per dossier, delivery over real SMTP, letters."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import make_dossier
from tests.smtp import SmtpServer
from triage.dossiers.tracking import hash_token
from triage.notify import guard
from triage.notify.acknowledge import Notifier
from triage.notify.compose import Outgoing, compose, safe_address
from triage.notify.sender import FolderTransport, deliver_due, parse_smtp_url
from triage.records import MessageKind
from triage.runtime import Runtime
from triage.store.models import AddressStatus, OutboxItem, PrintJob
from triage.store.outbox import (
    OutgoingMail,
    due_ids,
    letters_to_print,
    mark_exported,
    mark_sent,
    outbox_lines,
    print_lines,
)

REPO = Path(__file__).resolve().parent.parent


def _parsed(**overrides: object):  # type: ignore[no-untyped-def]
    from triage.records import ParsedMessage

    base: dict[str, object] = dict(
        message_id="<citizen-1@example.org>",
        subject="Demande",
        from_name="Sylvie Martin",
        from_address="sylvie.martin@example.org",
        reply_to=None,
        to=("mediation@isere.example",),
        date=None,
        in_reply_to=None,
        references=(),
        kind=MessageKind.REQUEST,
        kind_reason="",
        text="Bonjour",
        quoted="",
        signature="",
        html="",
        attachments=(),
        form=None,
        bounce=None,
        has_x_loop=False,
        content_hash="0" * 64,
        dedupe_key="1" * 64,
    )
    base.update(overrides)
    return ParsedMessage(**base)  # type: ignore[arg-type]


def _open_with_ack(rt: Runtime, reference: str, **kw: object) -> str:
    with rt.sessions.begin() as s:
        dossier, token = make_dossier(s, reference, **kw)  # type: ignore[arg-type]
        Notifier.from_runtime(rt).on_dossier_opened(
            s, dossier, token, _parsed(from_address=dossier.requester_email)
        )
    return token


def test_acknowledgement_is_written_in_the_dossier_transaction_with_all_mentions(runtime: Runtime) -> None:
    token = _open_with_ack(runtime, "MED-2026-00001")
    with runtime.sessions() as s:
        items = s.scalars(select(OutboxItem)).all()
    assert len(items) == 1 and items[0].status == "pending" and items[0].kind == "acknowledgement"
    msg = message_from_bytes(items[0].raw, policy=policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{runtime.settings.web.public_url}/suivi/{token}" in text
    for mention in (
        "MED-2026-00001",
        "2 novembre 2026",
        "04 76 00 38 38",
        "7, rue Fantin Latour",
        "mediation@isere.example",
        "ni acceptation ni refus",
        "L1112-24",
        "L213-6",
        "L213-2",
        "gratuite et confidentielle",
        "Délégué à la protection des données",
        "CNIL",
        "opposer",
        "Durée de conservation",
        "Base légale",
        "15 jours",
    ):
        assert mention in text, mention
    assert msg["Auto-Submitted"] == "auto-replied" and msg["Precedence"] == "bulk"
    assert msg["X-Auto-Response-Suppress"] == "All" and msg["X-Loop"]
    assert msg["In-Reply-To"] == "<citizen-1@example.org>" and "<citizen-1@example.org>" in msg["References"]
    assert msg.get_body(("html",)) is not None


def test_rollback_of_the_dossier_leaves_no_acknowledgement(sqlite_runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), sqlite_runtime.sessions.begin() as s:
        dossier, token = make_dossier(s, "MED-2026-00002")
        Notifier.from_runtime(sqlite_runtime).on_dossier_opened(s, dossier, token, None)
        raise RuntimeError("worker dies before commit")
    with sqlite_runtime.sessions() as s:
        assert s.scalar(select(func.count(OutboxItem.id))) == 0


def test_only_one_acknowledgement_per_dossier(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.sessions.begin() as s:
        dossier, token = make_dossier(s, "MED-2026-00003")
        notifier = Notifier.from_runtime(sqlite_runtime)
        notifier.on_dossier_opened(s, dossier, token, None)
        notifier.on_dossier_opened(s, dossier, token, None)
    with sqlite_runtime.sessions() as s:
        assert s.scalar(select(func.count(OutboxItem.id))) == 1


@pytest.mark.parametrize(
    ("source", "address", "reason"),
    [
        (_parsed(kind=MessageKind.AUTO_REPLY), "a@example.org", "réponse automatique"),
        (_parsed(kind=MessageKind.BOUNCE), "a@example.org", "non-distribution"),
        (_parsed(kind=MessageKind.LIST), "a@example.org", "liste"),
        (_parsed(has_x_loop=True), "a@example.org", "X-Loop"),
        (None, "MAILER-DAEMON@example.org", "automatique"),
        (None, "postmaster@example.org", "automatique"),
        (None, "no-reply@example.org", "automatique"),
        (None, "ne-pas-repondre@isere.example", "automatique"),
        (None, "do-not-reply@example.org", "automatique"),
        (None, "mediation@isere.example", "médiation elle-même"),
    ],
)
def test_no_automatic_message_to_robots_loops_or_ourselves(
    sqlite_runtime: Runtime, source: object, address: str, reason: str
) -> None:
    with sqlite_runtime.sessions() as s:
        refusal = guard.refusal(s, sqlite_runtime.settings, address, source)  # type: ignore[arg-type]
    assert refusal is not None and reason in refusal


def test_ordinary_people_named_like_robots_still_get_mail(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.sessions() as s:
        assert guard.refusal(s, sqlite_runtime.settings, "noemie.replyet@example.org", _parsed()) is None


def test_hard_bounced_address_gets_no_automatic_mail(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.sessions.begin() as s:
        s.add(
            AddressStatus(
                address="gone@example.org",
                hard_bounced_at=datetime.now(UTC) - timedelta(days=2),
                bounce_count=1,
            )
        )
    with sqlite_runtime.sessions() as s:
        assert "rejet" in (guard.refusal(s, sqlite_runtime.settings, "gone@example.org", None) or "")


def test_daily_limit_per_address(sqlite_runtime: Runtime) -> None:
    for n in range(4):
        _open_with_ack(sqlite_runtime, f"MED-2026-0001{n}", email="same@example.org")
    with sqlite_runtime.sessions() as s:
        statuses = [i.status for i in s.scalars(select(OutboxItem).order_by(OutboxItem.id))]
        reasons = [i.last_error for i in s.scalars(select(OutboxItem).order_by(OutboxItem.id))]
    assert statuses == ["pending", "pending", "pending", "suppressed"]
    assert "limite de 3" in reasons[-1]


def test_header_injection_through_a_name_is_impossible(sqlite_runtime: Runtime) -> None:
    out = Outgoing(
        to_address="victim@example.org",
        to_name="Eve\r\nBcc: everyone@example.org",
        subject="x\r\nBcc: y@z",
        text="t",
        html=None,
        message_id="<m@isere.example>",
    )
    raw = compose(sqlite_runtime.settings, out)
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Bcc"] is None and b"\r\nBcc:" not in raw
    with pytest.raises(ValueError):
        safe_address("x", "victim@example.org\r\nBcc: a@b.c")


def test_smtp_url_forms() -> None:
    t = parse_smtp_url("smtp+starttls://m%40isere.example:p%3Ass@mail.example:587")
    assert (t.mode, t.host, t.port, t.username, t.password) == (
        "starttls",
        "mail.example",
        587,
        "m@isere.example",
        "p:ss",
    )
    assert parse_smtp_url("smtp+ssl://u:p@h").port == 465


def test_acknowledgement_is_delivered_over_real_smtp_once(runtime: Runtime) -> None:
    _open_with_ack(runtime, "MED-2026-00020")
    with SmtpServer() as server:
        runtime.settings.smtp.url = server.url
        first = deliver_due(runtime)
        second = deliver_due(runtime, force=True)
    assert (first.sent, second.sent) == (1, 0)
    assert len(server.inbox.messages) == 1 and server.inbox.recipients[0] == ["sylvie.martin@example.org"]
    with runtime.sessions() as s:
        item = s.scalars(select(OutboxItem)).one()
    assert item.status == "sent" and item.sent_at is not None
    assert server.inbox.parsed()[0]["Message-ID"] == item.message_id


def test_smtp_down_then_up_delivers_exactly_once(sqlite_runtime: Runtime) -> None:
    _open_with_ack(sqlite_runtime, "MED-2026-00021")
    with SmtpServer() as server:
        sqlite_runtime.settings.smtp.url = server.url
        server.inbox.refuse = True
        failed = deliver_due(sqlite_runtime)
        with sqlite_runtime.sessions() as s:
            item = s.scalars(select(OutboxItem)).one()
        assert failed.retried == 1 and item.status == "pending" and item.next_attempt_at > datetime.now(UTC)
        assert deliver_due(sqlite_runtime).sent == 0  # backing off
        server.inbox.refuse = False
        later = datetime.now(UTC) + timedelta(hours=1)
        assert deliver_due(sqlite_runtime, now=later).sent == 1
        assert deliver_due(sqlite_runtime, now=later + timedelta(hours=1)).sent == 0
    assert len(server.inbox.messages) == 1


def test_unreachable_smtp_gives_up_after_the_configured_attempts(sqlite_runtime: Runtime) -> None:
    _open_with_ack(sqlite_runtime, "MED-2026-00022")
    sqlite_runtime.settings.smtp.url = "smtp://127.0.0.1:9"  # nothing listens on the discard port
    sqlite_runtime.settings.smtp.max_attempts = 3
    now = datetime.now(UTC)
    for n in range(3):
        deliver_due(sqlite_runtime, now=now + timedelta(days=n + 1))
    with sqlite_runtime.sessions() as s:
        item = s.scalars(select(OutboxItem)).one()
    assert item.status == "failed" and item.attempts == 3 and "SMTP" in item.last_error


KILL_SCRIPT = """
import os, signal, sys
from tests.conftest import make_settings
from tests.factories import make_dossier
from triage.notify.acknowledge import Notifier
from triage.runtime import Runtime
from pathlib import Path
rt = Runtime.open(make_settings(Path(sys.argv[1]), sys.argv[2]))
with rt.sessions.begin() as s:
    dossier, token = make_dossier(s, "MED-2026-00030")
    Notifier.from_runtime(rt).on_dossier_opened(s, dossier, token, None)
os.kill(os.getpid(), signal.SIGKILL)  # dies after the commit, before any delivery
"""


def test_kill_between_commit_and_send_still_yields_exactly_one_message(runtime: Runtime, home: Path) -> None:
    url = runtime.settings.database_url
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(home), url], cwd=REPO, capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()
    with SmtpServer() as server:
        runtime.settings.smtp.url = server.url
        deliver_due(runtime)
        deliver_due(runtime, force=True)
    assert len(server.inbox.messages) == 1


def test_local_outbox_folder_gets_one_eml_per_message(sqlite_runtime: Runtime, home: Path) -> None:
    _open_with_ack(sqlite_runtime, "MED-2026-00040")
    assert deliver_due(sqlite_runtime).sent == 1
    files = list((home / "outbox").glob("*.eml"))
    assert len(files) == 1 and b"MED-2026-00040" in files[0].read_bytes()
    with sqlite_runtime.sessions() as s:
        row = s.scalars(select(OutboxItem)).one()
        item = OutgoingMail(row.id, row.kind, row.to_address, row.raw, row.created_at, row.attempts)
    FolderTransport(home / "outbox").send(item)  # a replay after a crash writes nothing new
    assert len(list((home / "outbox").glob("*.eml"))) == 1


@pytest.mark.slow
def test_letter_without_email_goes_to_the_print_queue_with_the_tracking_code(
    sqlite_runtime: Runtime, tmp_path: Path
) -> None:
    with sqlite_runtime.sessions.begin() as s:
        dossier, token = make_dossier(s, "MED-2026-00050", channel="courrier", email="")
        Notifier.from_runtime(sqlite_runtime).on_dossier_opened(s, dossier, token, None)
        key = dossier.tracking_key
    with sqlite_runtime.sessions() as s:
        jobs = s.scalars(select(PrintJob)).all()
        assert s.scalar(select(func.count(OutboxItem.id))) == 0
    assert len(jobs) == 1 and jobs[0].pdf.startswith(b"%PDF")
    pdf = tmp_path / "ar.pdf"
    pdf.write_bytes(jobs[0].pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "MED-2026-00050" in text and key in text and "12 rue des Alpes" in text and "L1112-24" in text


@pytest.mark.slow
def test_letter_giving_an_email_gets_both_letter_and_email(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.sessions.begin() as s:
        dossier, token = make_dossier(s, "MED-2026-00051", channel="courrier")
        Notifier.from_runtime(sqlite_runtime).on_dossier_opened(s, dossier, token, None)
    with sqlite_runtime.sessions() as s:
        assert s.scalar(select(func.count(PrintJob.id))) == 1
        assert s.scalar(select(func.count(OutboxItem.id))) == 1
    assert hash_token(token)


@pytest.mark.slow
def test_phone_request_with_email_gets_an_email_only_and_without_email_a_letter(
    sqlite_runtime: Runtime,
) -> None:
    with sqlite_runtime.sessions.begin() as s:
        with_mail, t1 = make_dossier(s, "MED-2026-00052", channel="telephone")
        without, t2 = make_dossier(s, "MED-2026-00053", channel="permanence", email="")
        notifier = Notifier.from_runtime(sqlite_runtime)
        notifier.on_dossier_opened(s, with_mail, t1, None)
        notifier.on_dossier_opened(s, without, t2, None)
        ids = (with_mail.id, without.id)
    with sqlite_runtime.sessions() as s:
        assert [i.dossier_id for i in s.scalars(select(OutboxItem))] == [ids[0]]
        assert [j.dossier_id for j in s.scalars(select(PrintJob))] == [ids[1]]


def test_invalid_address_is_recorded_not_raised(sqlite_runtime: Runtime) -> None:
    from triage.store.models import Event

    with sqlite_runtime.sessions.begin() as s:
        dossier, token = make_dossier(s, "MED-2026-00054", email="two@a.example, three@b.example")
        Notifier.from_runtime(sqlite_runtime).on_dossier_opened(s, dossier, token, None)
    with sqlite_runtime.sessions() as s:
        assert s.scalar(select(func.count(OutboxItem.id))) == 0
        summaries = [e.summary for e in s.scalars(select(Event).where(Event.kind == "acknowledgement"))]
    assert any("adresse invalide" in x for x in summaries)


def test_the_terminal_lists_the_outbox_without_what_was_sent_unless_asked(runtime: Runtime) -> None:
    _open_with_ack(runtime, "MED-2026-00060")
    _open_with_ack(runtime, "MED-2026-00061", email="autre.personne@example.org")
    assert [(line.reference, line.status) for line in outbox_lines(runtime.sessions, with_sent=False)] == [
        ("MED-2026-00060", "pending"),
        ("MED-2026-00061", "pending"),
    ]
    [first, _] = due_ids(runtime.sessions, datetime.now(UTC), force=True, limit=10)
    mark_sent(runtime.sessions, first, datetime.now(UTC))
    assert [line.reference for line in outbox_lines(runtime.sessions, with_sent=False)] == ["MED-2026-00061"]
    every = outbox_lines(runtime.sessions, with_sent=True)
    assert [(line.reference, line.status) for line in every] == [
        ("MED-2026-00060", "sent"),
        ("MED-2026-00061", "pending"),
    ]
    assert every[0].sent_at is not None and every[1].sent_at is None


def test_exported_letters_leave_the_print_queue_unless_exported_again(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        dossier, token = make_dossier(s, "MED-2026-00070", channel="courrier", email="")
        Notifier.from_runtime(runtime).on_dossier_opened(s, dossier, token, None)
    [letter] = letters_to_print(runtime.sessions, again=False)
    assert letter.reference == "MED-2026-00070" and letter.pdf.startswith(b"%PDF")
    assert [(p.reference, p.status) for p in print_lines(runtime.sessions)] == [("MED-2026-00070", "pending")]
    mark_exported(runtime.sessions, [letter.id], datetime.now(UTC))
    assert letters_to_print(runtime.sessions, again=False) == []
    assert [p.status for p in print_lines(runtime.sessions)] == ["exported"]
    assert [again.id for again in letters_to_print(runtime.sessions, again=True)] == [letter.id]
