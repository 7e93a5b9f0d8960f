"""The IMAP source against a real Dovecot: fetch, store, then move or flag; never \\Seen; clear errors."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.dovecot import Dovecot, dovecot, imap_folder  # noqa: F401  (fixtures)
from tests.mailfactory import mail
from triage.errors import MailboxAuthError, MailboxConnectionError, MailboxFolderError
from triage.pipeline import Pipeline
from triage.records import DossierOutcome, RawMessage
from triage.runtime import Runtime
from triage.sources.imap import ImapSource
from triage.sources.mailbox_url import parse_mailbox_url
from triage.store.mailbox_items import TOO_LARGE, ItemResult, MailboxLedger, too_large_items
from triage.store.models import Dossier, MailboxItem, Message

pytestmark = pytest.mark.dovecot


def requests(n: int, tag: str = "") -> list[bytes]:
    """n distinct requests from different (fictitious) people."""
    return [
        mail(
            f"Bonjour,\n\nMa demande d'aide numéro {i} {tag} est restée sans réponse depuis trois mois.\n\nMerci.",
            sender=f"Usager {i} <usager{i}.{tag or 'x'}@exemple.example>",
            subject=f"Demande {i} {tag}",
        )
        for i in range(n)
    ]


class CountingPipeline:
    """The real pipeline, counting how many times each source item reaches it."""

    def __init__(self, runtime: Runtime) -> None:
        self.inner = Pipeline(runtime)
        self.calls: list[str] = []

    def ingest_raw(self, raw: RawMessage) -> DossierOutcome:
        self.calls.append(raw.source_key)
        return self.inner.ingest_raw(raw)


@pytest.fixture
def make_source(home: Path, dovecot: Dovecot, imap_folder: str) -> Iterator:
    """Build (runtime, source) for the test's folder with mailbox settings overrides."""
    opened: list[tuple[Runtime, ImapSource]] = []

    def build(db_url: str = "", **mailbox: object) -> tuple[Runtime, ImapSource]:
        values = {"url": dovecot.url(imap_folder), "processed_folder": f"{imap_folder}.Traites", **mailbox}
        settings = make_settings(home, db_url, mailbox=values)
        rt = Runtime.open(settings)
        source = ImapSource(
            parse_mailbox_url(settings.mailbox.url), settings.mailbox, ssl_context=dovecot.ssl_context()
        )
        opened.append((rt, source))
        return rt, source

    yield build
    for rt, source in opened:
        source.close()
        rt.close()


def count(rt: Runtime, model: type) -> int:
    with rt.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_messages_are_stored_then_moved_to_the_processed_folder(
    make_source, dovecot: Dovecot, imap_folder: str
) -> None:
    rt, source = make_source()
    dovecot.append(requests(5), imap_folder)
    items: list[ItemResult] = []
    source.connect()
    assert source.run_pass(Pipeline(rt), MailboxLedger(rt.sessions), on_item=items.append) == 5
    assert [i.outcome for i in items] == ["dossiers_opened"] * 5 and all(i.done for i in items)
    assert all(i.reference and i.reference.startswith("MED-") for i in items)
    assert dovecot.count(imap_folder) == 0
    assert dovecot.count(f"{imap_folder}.Traites") == 5
    assert count(rt, Message) == 5 and count(rt, Dossier) == 5
    with rt.sessions() as session:
        rows = session.scalars(select(MailboxItem)).all()
    assert {r.outcome for r in rows} == {"dossiers_opened"} and all(r.moved_at is not None for r in rows)
    assert all(r.message_row_id is not None for r in rows)
    # a second pass finds nothing new
    assert source.run_pass(Pipeline(rt), MailboxLedger(rt.sessions)) == 0


def test_processed_folder_is_created_when_missing(make_source, dovecot: Dovecot, imap_folder: str) -> None:
    rt, source = make_source(processed_folder=f"{imap_folder}.Nouveau.Traites")
    dovecot.append(requests(1), imap_folder)
    source.connect()
    source.run_pass(Pipeline(rt), MailboxLedger(rt.sessions))
    assert dovecot.count(f"{imap_folder}.Nouveau.Traites") == 1


def test_flag_mode_sets_the_keyword_leaves_the_message_and_skips_it_next_time(
    make_source, dovecot: Dovecot, imap_folder: str
) -> None:
    rt, source = make_source(processed_action="flag")
    dovecot.append(requests(3), imap_folder)
    pipeline = CountingPipeline(rt)
    source.connect()
    source.run_pass(pipeline, MailboxLedger(rt.sessions))
    flags = dovecot.flags(imap_folder)
    assert len(flags) == 3 and all("$MediatureProcessed" in f for f in flags.values())
    dovecot.append(requests(1, "nouveau"), imap_folder)
    source.run_pass(pipeline, MailboxLedger(rt.sessions))
    assert len(pipeline.calls) == 4  # the flagged ones were not fetched again
    assert count(rt, Message) == 4


def test_seen_flag_is_never_set_and_never_required(make_source, dovecot: Dovecot, imap_folder: str) -> None:
    rt, source = make_source()
    dovecot.append(requests(2, "lu"), imap_folder, flags="\\Seen")  # already read by a colleague
    dovecot.append(requests(2, "nonlu"), imap_folder)
    source.connect()
    source.run_pass(Pipeline(rt), MailboxLedger(rt.sessions))
    moved = dovecot.flags(f"{imap_folder}.Traites")
    assert len(moved) == 4 and count(rt, Message) == 4
    assert sorted("\\Seen" in f for f in moved.values()) == [False, False, True, True]


def test_oversized_message_stays_on_the_server_and_is_reported(
    make_source, dovecot: Dovecot, imap_folder: str
) -> None:
    rt, source = make_source(max_message_bytes=20_000)
    big = mail(
        "Voir la pièce jointe.",
        subject="Gros envoi",
        attachments=[("scan.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * 40_000)],
    )
    dovecot.append([big] + requests(1), imap_folder)
    items: list[ItemResult] = []
    pipeline = CountingPipeline(rt)
    source.connect()
    source.run_pass(pipeline, MailboxLedger(rt.sessions), on_item=items.append)
    assert sorted(i.outcome for i in items) == ["dossiers_opened", TOO_LARGE]
    assert dovecot.count(imap_folder) == 1  # the big one, left where it was
    assert len(pipeline.calls) == 1  # never fetched
    with rt.sessions() as session:
        large = too_large_items(session)
    assert len(large) == 1 and large[0].size and large[0].size > 20_000
    items.clear()
    source.run_pass(pipeline, MailboxLedger(rt.sessions), on_item=items.append)
    assert items == []  # reported once, not at every pass


def test_wrong_password_gives_mailbox_auth_error(make_source, dovecot: Dovecot, imap_folder: str) -> None:
    _rt, source = make_source(url=dovecot.url(imap_folder, password="mauvais"))
    with pytest.raises(MailboxAuthError, match="refusé l'identifiant") as err:
        source.connect()
    assert "mauvais" not in str(err.value)


def test_missing_folder_gives_mailbox_folder_error_listing_the_folders(make_source, dovecot: Dovecot) -> None:
    _rt, source = make_source(url=dovecot.url("Inexistant"))
    with pytest.raises(MailboxFolderError, match="« Inexistant » n'existe pas.*INBOX"):
        source.connect()


def test_unreachable_server_gives_mailbox_connection_error(make_source) -> None:
    from tests.dovecot import free_port

    _rt, source = make_source(url=f"imap://u:p@127.0.0.1:{free_port()}/INBOX")
    with pytest.raises(MailboxConnectionError, match="connexion refusée"):
        source.connect()


@pytest.mark.parametrize("scheme", ["imap+ssl", "imap+starttls"])
def test_tls_and_starttls_connections(make_source, dovecot: Dovecot, imap_folder: str, scheme: str) -> None:
    rt, source = make_source(url=dovecot.url(imap_folder, scheme=scheme).replace("127.0.0.1", "localhost"))
    dovecot.append(requests(1, scheme), imap_folder)
    source.connect()
    assert source.run_pass(Pipeline(rt), MailboxLedger(rt.sessions)) == 1


def test_untrusted_certificate_is_refused_with_a_clear_error(
    make_source, dovecot: Dovecot, imap_folder: str
) -> None:
    _rt, source = make_source(url=dovecot.url(imap_folder, scheme="imap+ssl"))
    source.ssl_context = ssl.create_default_context()  # the system's authorities only
    with pytest.raises(MailboxConnectionError, match="certificat TLS du serveur refusé"):
        source.connect()


def test_committed_but_unmoved_messages_are_moved_without_reprocessing(
    make_source, dovecot: Dovecot, imap_folder: str
) -> None:
    # processed_action = none leaves exactly the state of a worker killed between commit and move
    rt, source = make_source(processed_action="none")
    dovecot.append(requests(3), imap_folder)
    source.connect()
    source.run_pass(Pipeline(rt), MailboxLedger(rt.sessions))
    source.close()
    assert dovecot.count(imap_folder) == 3
    rt2, again = make_source(processed_action="move")
    pipeline = CountingPipeline(rt2)
    again.connect()
    again.run_pass(pipeline, MailboxLedger(rt2.sessions))
    assert pipeline.calls == []
    assert dovecot.count(imap_folder) == 0 and dovecot.count(f"{imap_folder}.Traites") == 3
    assert count(rt2, Message) == 3


def test_uidvalidity_change_refetches_everything_and_stores_nothing_twice(
    make_source, dovecot: Dovecot, imap_folder: str
) -> None:
    rt, source = make_source(processed_action="none")
    dovecot.append(requests(3), imap_folder)
    source.connect()
    source.run_pass(Pipeline(rt), MailboxLedger(rt.sessions))
    source.close()
    dovecot.set_uidvalidity(dovecot.uidvalidity(imap_folder) + 1000, imap_folder)
    dovecot.append(requests(1, "apres"), imap_folder)
    rt2, again = make_source(processed_action="move")
    items: list[ItemResult] = []
    again.connect()
    again.run_pass(Pipeline(rt2), MailboxLedger(rt2.sessions), on_item=items.append)
    assert sorted(i.outcome for i in items) == ["dossiers_opened", "duplicates", "duplicates", "duplicates"]
    assert count(rt2, Message) == 4 and count(rt2, Dossier) == 4
    assert dovecot.count(imap_folder) == 0 and dovecot.count(f"{imap_folder}.Traites") == 4


def test_server_without_move_falls_back_to_copy_and_expunges_only_its_own(
    make_source, dovecot: Dovecot, imap_folder: str
) -> None:
    rt, source = make_source()
    dovecot.append(requests(2), imap_folder)
    source.connect()
    source._caps = source._caps - {"MOVE"}  # a server without RFC 6851
    source.run_pass(Pipeline(rt), MailboxLedger(rt.sessions))
    assert dovecot.count(imap_folder) == 0 and dovecot.count(f"{imap_folder}.Traites") == 2
