"""Every message of the real-world corpus (106 oddities from a helpdesk project, tests/data/real-world-mail) is ingested or
quarantined with a reason; none crashes; no bounce or automatic message opens a dossier."""

from __future__ import annotations

import email
from email.message import Message as StdMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.test_pipeline import RecordingNotifier
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.store.models import QuarantineItem

CORPUS = Path(__file__).resolve().parent / "data" / "real-world-mail"  # origin, licence: README.md there
FILES = sorted(CORPUS.glob("*.box"))
# delivery reports of the corpus, checked by hand (file names and contents)
KNOWN_BOUNCES = {
    "mail018.box",
    "mail033-undelivered-mail-returned-to-sender.box",
    "mail052.box",
    "mail053.box",
    "mail055.box",
    "mail063.box",
    "mail078.box",
    "mail092.box",
}


def _automatic_by_headers(msg: StdMessage) -> bool:
    """An independent reading of the RFC 3834 / RFC 3464 / RFC 2369 signs of automatic mail."""

    def h(name: str) -> str:
        return str(msg.get(name, "")).strip().lower()

    sender = h("from")
    return (
        (h("auto-submitted") not in ("", "no"))
        or any(msg.get(n) is not None for n in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"))
        or h("precedence") in {"bulk", "list", "junk", "auto_reply"}
        or any(msg.get(n) is not None for n in ("List-Id", "List-Unsubscribe", "List-Post"))
        or msg.get_content_type() == "multipart/report"
        or "mailer-daemon" in sender
        or "postmaster@" in sender
        or h("return-path") == "<>"
    )


def _spam_by_headers(msg: StdMessage) -> bool:
    """An independent reading of SpamAssassin's verdict headers (the receiving server's)."""
    return any(
        str(v).strip().lower().startswith("yes")
        for name in ("X-Spam-Flag", "X-Spam-Status")
        for v in msg.get_all(name) or []
    )


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 106, f"corpus missing or changed under {CORPUS}"


@pytest.mark.slow
def test_every_corpus_message_is_ingested_or_quarantined_with_a_reason(runtime: Runtime) -> None:
    notifier = RecordingNotifier()
    pipeline = Pipeline(runtime, notifier=notifier)
    outcomes = {}
    for path in FILES:
        data = path.read_bytes()
        outcome = pipeline.ingest_raw(RawMessage(source="eml", source_key=str(path), data=data))
        outcomes[path.name] = outcome
        assert outcome.outcome is not IngestOutcome.DUPLICATE or outcome.message_row_id is not None
        if outcome.outcome is IngestOutcome.QUARANTINED:
            assert outcome.detail, path.name
        headers = email.message_from_bytes(data)
        automatic = _automatic_by_headers(headers) or path.name in KNOWN_BOUNCES
        if automatic:
            assert outcome.outcome is not IngestOutcome.OPENED, (
                f"{path.name} is automatic but opened a dossier"
            )
        if _spam_by_headers(headers):  # backscatter: the receiving server said spam
            assert outcome.outcome in (IngestOutcome.FLAGGED, IngestOutcome.QUARANTINED), path.name
    opened = {n for n, o in outcomes.items() if o.outcome is IngestOutcome.OPENED}
    assert not opened & KNOWN_BOUNCES
    # acknowledgements are only ever asked for dossiers that were opened
    assert len(notifier.calls) == len(opened)
    with runtime.sessions() as session:
        items = session.scalars(select(QuarantineItem)).all()
    assert {Path(i.source_key).name for i in items} == {
        n for n, o in outcomes.items() if o.outcome is IngestOutcome.QUARANTINED
    }
    assert all(i.reason and i.error_type for i in items)
    # most of the corpus is readable: quarantine is for the truly broken, not a dustbin
    assert len(items) <= 5


def test_corpus_bounces_name_the_failed_recipient() -> None:
    from triage.config import Settings
    from triage.parse.message import parse_message

    for name in sorted(KNOWN_BOUNCES - {"mail052.box"}):  # 052 is a bare notice without any detail
        parsed = parse_message((CORPUS / name).read_bytes(), Settings())
        assert parsed.bounce is not None and parsed.bounce.recipient, name


@pytest.mark.slow
def test_shipped_pipeline_acknowledges_only_opened_dossiers(sqlite_runtime: Runtime) -> None:
    from triage.store.models import Dossier, OutboxItem

    pipeline = Pipeline.from_runtime(sqlite_runtime)
    outcomes = [pipeline.ingest_raw(RawMessage("eml", str(p), p.read_bytes())) for p in FILES]
    quarantined = [o.detail for o in outcomes if o.outcome is IngestOutcome.QUARANTINED]
    assert all("inattendue" not in d for d in quarantined), quarantined
    with sqlite_runtime.sessions() as session:
        acknowledged = set(session.scalars(select(OutboxItem.dossier_id)).all())
        opened = set(session.scalars(select(Dossier.id)).all())
    assert acknowledged <= opened
    assert acknowledged, "the notifier queued nothing at all"
