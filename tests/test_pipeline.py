"""The pipeline on a real database: samples end up where their README says, replies thread safely,
nothing is lost (quarantine, retry) and nothing is stored twice (even by two workers at once)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import SAMPLES, make_settings
from tests.mailfactory import dsn, mail
from triage.dossiers.msgid import make_message_id
from triage.errors import StoreError
from triage.pipeline import Pipeline
from triage.records import (
    DossierOutcome,
    Extraction,
    IngestOutcome,
    LabelSuggestion,
    MailboxOrigin,
    RawMessage,
    ScanDocument,
    Suggestion,
    WebForm,
)
from triage.runtime import Runtime
from triage.sources.scans import read_scan_file
from triage.store import quarantine
from triage.store.db import make_engine, session_factory
from triage.store.models import (
    AddressStatus,
    Dossier,
    Event,
    MailboxItem,
    Message,
    QuarantineItem,
    RawBlob,
    ScanFile,
    StoredAttachment,
    SuggestionRow,
)

MAILBOX = SAMPLES / "mailbox"
ACTIONS = {
    "open": IngestOutcome.OPENED,
    "attach": IngestOutcome.ATTACHED,
    "flag": IngestOutcome.FLAGGED,
    "auto-reply": IngestOutcome.NOT_REQUEST,
    "bounce": IngestOutcome.NOT_REQUEST,
    "list": IngestOutcome.NOT_REQUEST,
    "quarantine": IngestOutcome.QUARANTINED,
    "duplicate": IngestOutcome.DUPLICATE,
}


def _raw(data: bytes, key: str = "test", origin: MailboxOrigin | None = None) -> RawMessage:
    return RawMessage(source="eml", source_key=key, data=data, origin=origin)


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


class RecordingNotifier:
    """Stands in for the acknowledgement notifier: records calls and writes an event in the transaction."""

    def __init__(self, fail_times: int = 0) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.fail_times = fail_times

    def on_dossier_opened(self, session: Session, dossier: Dossier, token: str, source: Any) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("SMTP template broken")
        self.calls.append((dossier.reference, token, source))
        session.add(Event(dossier_id=dossier.id, kind="accuse_test", summary="AR en file"))


class FixedSuggester:
    """A suggester returning a fixed suggestion (the shipped one is tested in its own issue)."""

    def __init__(
        self,
        extracted: Extraction | None = None,
        delay: float = 0.0,
        started: threading.Event | None = None,
    ) -> None:
        self.extracted = extracted or Extraction()
        self.delay = delay
        self.started = started
        self.seen: list[tuple[str, str, WebForm | None]] = []

    def suggest(self, text: str, *, sender: str = "", form: WebForm | None = None) -> Suggestion:
        self.seen.append((text, sender, form))
        if self.started is not None:
            self.started.set()
        time.sleep(self.delay)
        label = LabelSuggestion
        return Suggestion(
            domain=label("insertion_rsa", 0.91, False, ("mot « RSA »",), ("RSA",)),
            admissibility=label("recevable", 0.55, True, ("recours sans réponse",)),
            reorientation=label("none", 0.8, False),
            model_version="test-1",
            reasons=("règle rsa",),
            extracted=self.extracted,
        )


# --------------------------------------------------------------------------- the sample mailbox


def test_sample_mailbox_lands_where_its_readme_says(runtime: Runtime) -> None:
    expected = json.loads((MAILBOX / "expected.json").read_text(encoding="utf-8"))
    pipeline = Pipeline(runtime, notifier=RecordingNotifier())
    got: dict[str, DossierOutcome] = {}
    for row in expected:
        path = MAILBOX / row["file"]
        got[row["file"]] = outcome = pipeline.ingest_raw(_raw(path.read_bytes(), str(path)))
        assert outcome.outcome is ACTIONS[row["action"]], (row["file"], outcome)
        if row["action"] in ("open", "attach", "bounce", "duplicate"):
            assert outcome.reference == row["dossier"], (row["file"], outcome)
    with runtime.sessions() as s:
        assert _count(s, Dossier) == sum(r["action"] == "open" for r in expected)
        # 006: the citizen's reply joined MED-2026-00001 with its PDF
        reply = s.get(Message, got["006-reponse-accuse-MED-2026-00001-pdf.eml"].message_row_id)
        assert reply is not None and reply.role == "reply" and reply.dossier is not None
        assert reply.dossier.reference == "MED-2026-00001"
        assert [(a.filename, a.content_type) for a in reply.attachments] == [
            ("Refus CMI MDA 19-06-2026.pdf", "application/pdf")
        ]
        # 003: the bounce flags the mistyped address of MED-2026-00002
        status = s.get(AddressStatus, "christianne.vial@wanadoo.example")
        assert status is not None and status.hard_bounced_at is not None
        # 013, 018, 044: automatic answers kept beside their dossier, never as citizen messages
        for name in (
            "013-absence-auto-submitted-re-MED-2026-00010.eml",
            "018-reponse-automatique-outlook.eml",
        ):
            auto = s.get(Message, got[name].message_row_id)
            assert auto is not None and auto.role == "auto_reply"
        # 019 and 042: kept for review, attached to nothing
        for name in ("019-reference-MED-2026-00003-autre-expediteur.eml", "042-from-usurpe-encoded-word.eml"):
            flagged = s.get(Message, got[name].message_row_id)
            assert flagged is not None and flagged.needs_review and flagged.dossier_id is None
            assert flagged.flag_reason
        assert (
            "MED-2026-00003"
            in s.get(
                Message, got["019-reference-MED-2026-00003-autre-expediteur.eml"].message_row_id
            ).flag_reason
        )  # type: ignore[union-attr]
        # 030, 037, 040, 046, 051: raw bytes kept with a reason
        items = s.scalars(select(QuarantineItem)).all()
        assert len(items) == 5 and all(i.reason for i in items)
        for item in items:
            assert s.get(RawBlob, item.raw_blob_id).data == Path(item.source_key).read_bytes()  # type: ignore
        # 041: the duplicate is stored once; quarantined files are not messages
        assert (
            got["041-doublon-exact-de-020.eml"].message_row_id
            == got["020-voisinage-haie-hors-champ-gmail.eml"].message_row_id
        )
        assert _count(s, Message) == len(expected) - 5 - 1


# --------------------------------------------------------------------------- threading


def _opened(pipeline: Pipeline, **kw: Any) -> DossierOutcome:
    outcome = pipeline.ingest_raw(_raw(mail(**kw)))
    assert outcome.outcome is IngestOutcome.OPENED
    return outcome


def test_reply_to_our_message_from_the_known_address_joins_the_dossier(runtime: Runtime) -> None:
    pipeline = Pipeline(runtime)
    first = _opened(pipeline)
    ours = make_message_id(runtime.secret, first.reference or "", "isere.example", "ack")
    reply = pipeline.ingest_raw(
        _raw(mail("Merci, voici la pièce.", subject="Re: votre accusé", in_reply_to=ours, references=ours))
    )
    assert (reply.outcome, reply.reference) == (IngestOutcome.ATTACHED, first.reference)
    with runtime.sessions() as s:
        assert s.get(Message, reply.message_row_id).dossier_id == first.dossier_id  # type: ignore[union-attr]


def test_reply_from_another_address_is_flagged_not_attached(runtime: Runtime) -> None:
    pipeline = Pipeline(runtime)
    first = _opened(pipeline)
    ours = make_message_id(runtime.secret, first.reference or "", "isere.example", "ack")
    other = pipeline.ingest_raw(
        _raw(mail("C'est son frère.", sender="frere@exemple.example", in_reply_to=ours))
    )
    assert other.outcome is IngestOutcome.FLAGGED and other.reference == first.reference
    with runtime.sessions() as s:
        row = s.get(Message, other.message_row_id)
        assert row is not None and row.dossier_id is None and row.needs_review and row.role == "flagged"
        assert first.reference in row.flag_reason and "frere@exemple.example" in row.flag_reason
        kinds = s.scalars(select(Event.kind).where(Event.dossier_id == first.dossier_id)).all()
        assert "message_signale" in kinds


def test_reference_in_the_subject_from_another_address_is_flagged(sqlite_runtime: Runtime) -> None:
    pipeline = Pipeline(sqlite_runtime)
    first = _opened(pipeline)
    other = pipeline.ingest_raw(_raw(mail(subject=f"Dossier {first.reference}", sender="x@autre.example")))
    assert other.outcome is IngestOutcome.FLAGGED


def test_forged_message_id_is_ignored(runtime: Runtime) -> None:
    pipeline = Pipeline(runtime)
    first = _opened(pipeline)
    real = make_message_id(runtime.secret, first.reference or "", "isere.example", "ack")
    victim = _opened(pipeline, sender="victime@exemple.example")
    forged = real.replace(first.reference or "", victim.reference or "")
    outcome = pipeline.ingest_raw(_raw(mail("Je prends la main sur ce dossier.", in_reply_to=forged)))
    assert outcome.outcome is IngestOutcome.OPENED and outcome.reference not in (
        first.reference,
        victim.reference,
    )
    with runtime.sessions() as s:
        details = s.scalars(select(Event.details).where(Event.dossier_id == outcome.dossier_id)).first()
        assert details is not None and "falsifié" in details["note"]


def test_bounce_of_our_message_joins_its_dossier_and_stops_the_address(runtime: Runtime) -> None:
    pipeline = Pipeline(runtime)
    first = _opened(pipeline)
    ours = make_message_id(runtime.secret, first.reference or "", "isere.example", "ack")
    bounce = pipeline.ingest_raw(_raw(dsn(ours, "jeanne.martin@exemple.example")))
    assert (bounce.outcome, bounce.reference) == (IngestOutcome.NOT_REQUEST, first.reference)
    stranger = pipeline.ingest_raw(_raw(dsn("<unknown@elsewhere.example>", "someone@exemple.example")))
    assert stranger.outcome is IngestOutcome.NOT_REQUEST and stranger.dossier_id is None
    with runtime.sessions() as s:
        assert s.get(AddressStatus, "jeanne.martin@exemple.example").hard_bounced_at is not None  # type: ignore
        assert s.get(AddressStatus, "someone@exemple.example") is None
        assert s.get(Message, bounce.message_row_id).role == "bounce"  # type: ignore[union-attr]


def test_automatic_and_list_mail_open_nothing_and_are_never_notified(sqlite_runtime: Runtime) -> None:
    notifier = RecordingNotifier()
    pipeline = Pipeline(sqlite_runtime, notifier=notifier)
    for headers in ({"Auto-Submitted": "auto-replied"}, {"List-Id": "<l.example>"}, {"Precedence": "bulk"}):
        assert pipeline.ingest_raw(_raw(mail(headers=headers))).outcome is IngestOutcome.NOT_REQUEST
    with sqlite_runtime.sessions() as s:
        assert _count(s, Dossier) == 0
    assert notifier.calls == []


# --------------------------------------------------------------------------- nothing twice


def test_same_message_twice_is_stored_once(runtime: Runtime) -> None:
    pipeline = Pipeline(runtime, notifier=RecordingNotifier())
    data = mail()
    first = pipeline.ingest_raw(_raw(data, "a"))
    again = pipeline.ingest_raw(_raw(data, "b"))
    assert again.outcome is IngestOutcome.DUPLICATE
    assert (again.message_row_id, again.reference) == (first.message_row_id, first.reference)
    with runtime.sessions() as s:
        assert (_count(s, Message), _count(s, Dossier)) == (1, 1)


@pytest.mark.slow
def test_two_workers_ingesting_the_same_message_at_once_store_it_once(runtime: Runtime) -> None:
    started = threading.Event()
    data = mail()
    # the first worker holds its transaction open (slow suggester) while the second one arrives
    slow = Pipeline(runtime, suggester=FixedSuggester(delay=0.8, started=started))
    fast = Pipeline(runtime, suggester=FixedSuggester())
    outcomes: list[DossierOutcome] = []

    def run(pipeline: Pipeline) -> None:
        outcomes.append(pipeline.ingest_raw(_raw(data)))

    first = threading.Thread(target=run, args=(slow,))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=run, args=(fast,))
    second.start()
    first.join(30)
    second.join(30)
    assert sorted(o.outcome.value for o in outcomes) == ["dossiers_opened", "duplicates"]
    with runtime.sessions() as s:
        assert (_count(s, Message), _count(s, Dossier), _count(s, SuggestionRow)) == (1, 1, 1)


def test_origin_is_recorded_with_the_outcome_whatever_becomes_of_the_item(runtime: Runtime) -> None:
    pipeline = Pipeline(runtime)

    def uid(n: int) -> MailboxOrigin:
        return MailboxOrigin("u@h/INBOX", 7, n, 1234)

    data = mail()
    opened = pipeline.ingest_raw(_raw(data, origin=uid(1)))
    duplicate = pipeline.ingest_raw(_raw(data, origin=uid(2)))
    junk = pipeline.ingest_raw(_raw(b"\x00\x01 not mail", origin=uid(3)))
    raced = pipeline.ingest_raw(_raw(data, origin=uid(2)))  # a second worker met UID 2 as well
    assert [o.outcome.value for o in (opened, duplicate, junk, raced)] == [
        "dossiers_opened",
        "duplicates",
        "quarantined",
        "duplicates",
    ]
    with runtime.sessions() as s:
        rows = s.execute(
            select(MailboxItem.uid, MailboxItem.outcome, MailboxItem.message_row_id, MailboxItem.size)
            .where(MailboxItem.mailbox == "u@h/INBOX", MailboxItem.uidvalidity == 7)
            .order_by(MailboxItem.uid)
        ).all()
    assert [tuple(r) for r in rows] == [
        (1, "dossiers_opened", opened.message_row_id, 1234),
        (2, "duplicates", opened.message_row_id, 1234),
        (3, "quarantined", None, 1234),
    ]


def test_a_failed_store_rolls_the_origin_back_with_the_message_then_records_it_quarantined(
    runtime: Runtime,
) -> None:
    # the notifier fails inside the message's transaction: neither the dossier nor the "seen" row may
    # stay from it; the item is then quarantined, and seen, in one fresh transaction
    pipeline = Pipeline(runtime, notifier=RecordingNotifier(fail_times=1))
    outcome = pipeline.ingest_raw(_raw(mail(), origin=MailboxOrigin("u@h/INBOX", 7, 1)))
    assert outcome.outcome is IngestOutcome.QUARANTINED
    with runtime.sessions() as s:
        assert (_count(s, Dossier), _count(s, Message), _count(s, QuarantineItem)) == (0, 0, 1)
        assert s.execute(select(MailboxItem.uid, MailboxItem.outcome)).all() == [(1, "quarantined")]


# --------------------------------------------------------------------------- nothing lost


def test_unparseable_message_is_quarantined_with_its_bytes_and_counted_again(runtime: Runtime) -> None:
    pipeline = Pipeline(runtime)
    junk = b"\x00\xff" * 300
    first = pipeline.ingest_raw(_raw(junk, "/boite/junk.eml"))
    again = pipeline.ingest_raw(_raw(junk, "/boite/junk.eml"))
    assert first.outcome is again.outcome is IngestOutcome.QUARANTINED
    assert "aucun en-tête" in first.detail
    with runtime.sessions() as s:
        (item,) = quarantine.list_items(s)
        assert item.attempts == 2 and item.source_key == "/boite/junk.eml"
        assert quarantine.get_item(s, item.id)[1] == junk


def test_failure_while_storing_is_quarantined_and_retry_resolves_it(runtime: Runtime) -> None:
    notifier = RecordingNotifier(fail_times=1)
    pipeline = Pipeline(runtime, notifier=notifier)
    outcome = pipeline.ingest_raw(_raw(mail(), "m1"))
    assert outcome.outcome is IngestOutcome.QUARANTINED and "RuntimeError" in outcome.detail
    with runtime.sessions() as s:
        assert _count(s, Dossier) == 0  # rolled back with the failure
        (item,) = quarantine.list_items(s)
    retried = pipeline.retry_quarantined(item.id)
    assert retried.outcome is IngestOutcome.OPENED and len(notifier.calls) == 1
    with runtime.sessions() as s:
        assert quarantine.list_items(s) == []
        (resolved,) = quarantine.list_items(s, include_resolved=True)
        assert resolved.resolved_message_id == retried.message_row_id
    assert pipeline.retry_quarantined(item.id).outcome is IngestOutcome.DUPLICATE


def test_oversized_message_is_quarantined_unread_with_its_bytes(home: Path, db_url: str) -> None:
    rt = Runtime.open(make_settings(home, db_url, mailbox={"max_message_bytes": 2000}))
    try:
        origin = MailboxOrigin("u@h/INBOX", 7, 1, 5400)
        outcome = Pipeline(rt).ingest_raw(_raw(mail("x" * 5000), origin=origin))
        assert outcome.outcome is IngestOutcome.QUARANTINED and "trop volumineux" in outcome.detail
        with rt.sessions() as s:
            assert s.execute(select(MailboxItem.uid, MailboxItem.outcome)).all() == [(1, "quarantined")]
            # what the counts call quarantined is in `quarantine list` (issue 12, finding 12)
            assert (_count(s, Message), _count(s, QuarantineItem)) == (0, 1)
            (item,) = quarantine.list_items(s)
            assert "trop volumineux" in item.reason and item.size > 5000
    finally:
        rt.close()


def test_unreachable_database_raises_instead_of_pretending(home: Path) -> None:
    settings = make_settings(home, "postgresql+psycopg://postgres@127.0.0.1:1/absent")
    engine = make_engine(settings.database_url)
    rt = Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
    with pytest.raises(StoreError):
        Pipeline(rt).ingest_raw(_raw(mail()))
    engine.dispose()


# --------------------------------------------------------------------------- suggestions and notifications


def test_new_dossier_gets_a_suggestion_and_missing_requester_fields(runtime: Runtime) -> None:
    suggester = FixedSuggester(
        Extraction(
            phones=("06 39 98 33 90",),
            postcodes=("38130",),
            communes=("Échirolles",),
            names=("Samira Benali",),
            dates=(date(2026, 10, 1),),
        )
    )
    notifier = RecordingNotifier()
    outcome = Pipeline(runtime, suggester=suggester, notifier=notifier).ingest_raw(
        _raw(mail("Mon RSA est suspendu.", sender="samira@exemple.example", subject="RSA"))
    )
    assert suggester.seen[0][0].startswith("RSA\n\nMon RSA est suspendu.")
    with runtime.sessions() as s:
        dossier = s.get(Dossier, outcome.dossier_id)
        assert dossier is not None
        assert (dossier.requester_name, dossier.requester_phone) == ("Samira Benali", "06 39 98 33 90")
        assert dossier.requester_territory == "Agglomération grenobloise"
        (row,) = s.scalars(select(SuggestionRow)).all()
        assert (row.domain, row.model_version, row.admissibility_confidence) == (
            "insertion_rsa",
            "test-1",
            0.55,
        )
        assert row.reasons["domain"] == ["mot « RSA »"] and row.reasons["general"] == ["règle rsa"]
        assert row.extracted["dates"] == ["2026-10-01"]
        assert Extraction.from_json(row.extracted) == suggester.extracted
        assert "accuse_test" in s.scalars(select(Event.kind).where(Event.dossier_id == dossier.id)).all()
    ((reference, token, source),) = notifier.calls
    assert reference == outcome.reference and len(token) >= 32 and source.subject == "RSA"


def test_a_failing_suggester_never_loses_the_request(sqlite_runtime: Runtime) -> None:
    class Broken:
        def suggest(self, text: str, *, sender: str = "", form: WebForm | None = None) -> Suggestion:
            raise ValueError("model file corrupt")

    outcome = Pipeline(sqlite_runtime, suggester=Broken()).ingest_raw(_raw(mail()))
    assert outcome.outcome is IngestOutcome.OPENED


def _scan(text: str, sha: str = "a" * 64) -> ScanDocument:
    return ScanDocument(
        path="/scans/originaux/lettre.pdf",
        filename="lettre.pdf",
        sha256=sha,
        content_type="application/pdf",
        pages=2,
        text=text,
        method="ocr",
        mean_confidence=88.0,
        scanned_at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
    )


def test_scanned_letter_opens_a_courrier_dossier_once(runtime: Runtime) -> None:
    notifier = RecordingNotifier()
    pipeline = Pipeline(
        runtime,
        suggester=FixedSuggester(Extraction(names=("Gisèle Arnaud",), postcodes=("38170",))),
        notifier=notifier,
    )
    outcome = pipeline.ingest_scan(_scan("Madame, je conteste la dette FSL."), b"%PDF-1.4 original")
    assert outcome.outcome is IngestOutcome.OPENED
    assert (
        pipeline.ingest_scan(_scan("Madame, je conteste la dette FSL."), b"%PDF-1.4 original").outcome
        is IngestOutcome.DUPLICATE
    )
    with runtime.sessions() as s:
        dossier = s.get(Dossier, outcome.dossier_id)
        assert (
            dossier is not None
            and dossier.channel == "courrier"
            and dossier.requester_name == "Gisèle Arnaud"
        )
        assert dossier.received_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
        message = s.get(Message, outcome.message_row_id)
        assert message is not None and (message.scan_pages, message.scan_method) == (2, "ocr")
        (att,) = s.scalars(select(StoredAttachment)).all()
        assert att.filename == "lettre.pdf"
        assert _count(s, ScanFile) == 1
    assert isinstance(notifier.calls[0][2], ScanDocument)


def test_quarantined_scan_retried_opens_its_dossier_resolves_the_item_and_is_remembered(
    runtime: Runtime,
) -> None:
    # the scan is read, but storing it fails (the notifier): quarantined with the file's bytes; the
    # retry reads the bytes again and, in one transaction, opens the dossier, remembers the SHA-256
    # and resolves the quarantined item
    pipeline = Pipeline(runtime, notifier=RecordingNotifier(fail_times=1))
    original = SAMPLES / "scans" / "scan-07-avocat-oblige-alimentaire-texte.pdf"
    doc = read_scan_file(original, runtime.settings)
    failed = pipeline.ingest_scan(doc, original.read_bytes())
    assert failed.outcome is IngestOutcome.QUARANTINED
    with runtime.sessions() as s:
        (item,) = quarantine.list_items(s)
        assert (item.source, _count(s, ScanFile), _count(s, Dossier)) == ("scan", 0, 0)
    retried = pipeline.retry_quarantined(item.id)
    assert retried.outcome is IngestOutcome.OPENED
    with runtime.sessions() as s:
        (resolved,) = quarantine.list_items(s, include_resolved=True)
        assert resolved.resolved_message_id == retried.message_row_id
        assert s.scalars(select(ScanFile.message_row_id)).all() == [retried.message_row_id]
        assert _count(s, Dossier) == 1


def test_scanned_letter_citing_an_existing_dossier_is_flagged(sqlite_runtime: Runtime) -> None:
    pipeline = Pipeline(sqlite_runtime)
    first = _opened(pipeline)
    outcome = pipeline.ingest_scan(
        _scan(f"Réf. {first.reference} : voici mon complément.", "b" * 64), b"%PDF"
    )
    assert outcome.outcome is IngestOutcome.FLAGGED and outcome.reference == first.reference
