"""A process that dies after the pipeline committed an item but before the source's follow-up (the
move of the message, the removal of the dropped file) leaves nothing to do twice: the next pass finds
the item's origin recorded with it, finishes the follow-up and never hands the item to the pipeline
again. On SQLite and on PostgreSQL, with the real pipeline, a real Maildir and a real drop folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import SAMPLES
from tests.mailfactory import mail
from triage.notify.acknowledge import Notifier
from triage.pipeline import Pipeline
from triage.records import DossierOutcome, RawMessage, ScanDocument
from triage.runtime import Runtime
from triage.sources.mailbox_url import parse_mailbox_url
from triage.sources.maildir import MaildirSource
from triage.sources.scans import poll_drop_folder
from triage.store.mailbox_items import MailboxLedger
from triage.store.models import Dossier, MailboxItem, Message, OutboxItem, ScanFile

TEXT_PDF = SAMPLES / "scans" / "scan-07-avocat-oblige-alimentaire-texte.pdf"


class Killed(BaseException):
    """The process dying (SIGKILL, power cut): nothing after this point runs."""


class DiesAfterCommit:
    """The real pipeline; the process dies right after the first item's transaction has committed."""

    def __init__(self, inner: Pipeline) -> None:
        self.inner = inner

    def ingest_raw(self, raw: RawMessage) -> DossierOutcome:
        """Ingest (committed), then die before the source hears back."""
        self.inner.ingest_raw(raw)
        raise Killed

    def ingest_scan(self, doc: ScanDocument, original: bytes) -> DossierOutcome:
        """Ingest (committed), then die before the drop folder hears back."""
        self.inner.ingest_scan(doc, original)
        raise Killed

    def quarantine_bytes(
        self, source: str, source_key: str, data: bytes, reason: str, error_type: str = ""
    ) -> DossierOutcome:
        """Not reached by these tests."""
        raise AssertionError("nothing is unreadable here")


class Counting:
    """The real pipeline, counting which items reach it."""

    def __init__(self, inner: Pipeline) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def ingest_raw(self, raw: RawMessage) -> DossierOutcome:
        """Count, then ingest."""
        self.calls.append(raw.source_key.rsplit(";", 1)[-1])
        return self.inner.ingest_raw(raw)

    def ingest_scan(self, doc: ScanDocument, original: bytes) -> DossierOutcome:
        """Count, then ingest."""
        self.calls.append(doc.filename)
        return self.inner.ingest_scan(doc, original)

    def quarantine_bytes(
        self, source: str, source_key: str, data: bytes, reason: str, error_type: str = ""
    ) -> DossierOutcome:
        """Count, then quarantine."""
        self.calls.append(source_key)
        return self.inner.quarantine_bytes(source, source_key, data, reason, error_type)


def acknowledging(rt: Runtime) -> Pipeline:
    """The pipeline with the real notifier (acknowledgements are queued in the item's transaction)."""
    return Pipeline(rt, notifier=Notifier.from_runtime(rt))


def count(rt: Runtime, model: type) -> int:
    with rt.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_maildir_item_committed_before_a_crash_is_moved_but_never_processed_again(
    runtime: Runtime, tmp_path: Path
) -> None:
    box = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    for i in range(2):
        (box / "new" / f"170000000{i}.M{i}P1.hote").write_bytes(
            mail(
                f"Bonjour,\n\nma demande n° {i} est restée sans réponse.\n\nMerci.",
                sender=f"Usager {i} <crash{i}@exemple.example>",
                subject=f"Demande {i}",
            )
        )
    url = parse_mailbox_url(f"maildir://{box}")
    ledger = MailboxLedger(runtime.sessions)
    source = MaildirSource(url, runtime.settings.mailbox)
    with pytest.raises(Killed):
        source.run_pass(DiesAfterCommit(acknowledging(runtime)), ledger)
    # the first message is stored, acknowledged and seen, but still in the Maildir: no move happened
    assert (count(runtime, Message), count(runtime, OutboxItem), count(runtime, MailboxItem)) == (1, 1, 1)
    assert len(list((box / "new").iterdir())) == 2

    restarted = Counting(acknowledging(runtime))
    MaildirSource(url, runtime.settings.mailbox).run_pass(restarted, ledger)
    assert restarted.calls == ["1700000001.M1P1.hote"]  # only the one never committed
    assert list((box / "new").iterdir()) == [] and len(list((box / ".Traites" / "cur").iterdir())) == 2
    assert (count(runtime, Message), count(runtime, Dossier), count(runtime, OutboxItem)) == (2, 2, 2)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).where(MailboxItem.moved_at.is_(None))) == 0


def test_scan_committed_before_a_crash_is_removed_from_the_folder_without_a_second_reading(
    runtime: Runtime,
) -> None:
    runtime.settings.scans.settle_seconds = 0
    folder = runtime.settings.scan_drop_folder
    folder.mkdir(parents=True, exist_ok=True)
    dropped = folder / "lettre.pdf"
    shutil.copyfile(TEXT_PDF, dropped)
    with pytest.raises(Killed):
        poll_drop_folder(runtime, DiesAfterCommit(Pipeline(runtime)))
    assert dropped.exists() and count(runtime, ScanFile) == 1 and count(runtime, Dossier) == 1

    restarted = Counting(Pipeline(runtime))
    assert poll_drop_folder(runtime, restarted) == 1
    assert restarted.calls == []  # recognised by its SHA-256 before any reading
    assert not dropped.exists()
    assert (count(runtime, Message), count(runtime, Dossier), count(runtime, ScanFile)) == (1, 1, 1)
