"""A Maildir watched by the worker (maildir:///path): new/ and cur/, moved to a sub-maildir after commit.

Maildir has no UIDs: an item's key is a 63-bit number derived from the file's unique name (the part
before ``:2,``), which does not change when a mail reader moves the file from new/ to cur/ or adds
flags. UIDVALIDITY is 0. Each message goes to `Pipeline.ingest_raw` with that (mailbox, 0, key) as
its origin, which the pipeline records in the message's own transaction. Told the outcome, after the
commit, the source renames the file into the Maildir++ sub-folder named after
settings.mailbox.processed_folder (``INBOX.Traites`` -> ``.Traites``) and notes it done in the ledger.
Maildir has no portable keywords: with processed_action = "flag" the file stays and only the
`mailbox_items` row remembers it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from triage import logs
from triage.config import MailboxSettings
from triage.errors import MailboxFolderError, StoreError
from triage.records import DossierOutcome, IngestOutcome, MailboxOrigin, RawMessage
from triage.sources.imap import Ingester
from triage.sources.mailbox_url import MailboxURL
from triage.store import mailbox_items as state
from triage.store.mailbox_items import ItemResult, MailboxLedger

UIDVALIDITY = 0


def unique_name(filename: str) -> str:
    """The part of a Maildir file name that never changes (flags come after ':2,')."""
    return filename.split(":", 1)[0]


def item_uid(filename: str) -> int:
    """A stable 63-bit key for a Maildir file (fits a signed BIGINT)."""
    return int.from_bytes(hashlib.sha256(unique_name(filename).encode()).digest()[:8], "big") >> 1


def subfolder_name(processed_folder: str) -> str:
    """Maildir++ directory of a folder name: INBOX.Traites -> .Traites, Traites -> .Traites."""
    name = processed_folder
    for prefix in ("INBOX.", "INBOX/"):
        name = name.removeprefix(prefix)
    return "." + name.replace("/", ".")


class MaildirSource:
    """A Maildir on this machine, processed like the IMAP folder (same bookkeeping, same guarantees)."""

    kind = "maildir"
    supports_idle = False

    def __init__(self, url: MailboxURL, settings: MailboxSettings) -> None:
        if url.path is None:
            raise ValueError("MaildirSource needs a maildir URL")
        self.url = url
        self.root = url.path
        self.settings = settings
        self.key = url.key
        self.done_dir = self.root / subfolder_name(settings.processed_folder)
        self.connected = False

    def connect(self) -> None:
        """Check the Maildir exists; create the processed sub-maildir when moving."""
        if not (self.root / "cur").is_dir() or not (self.root / "new").is_dir():
            raise MailboxFolderError(
                f"{self.root} n'est pas un Maildir (sous-dossiers cur/ et new/ attendus)",
                key=self.url.log_label,
            )
        if self.settings.processed_action == "move":
            for sub in ("cur", "new", "tmp"):
                (self.done_dir / sub).mkdir(parents=True, exist_ok=True)
            (self.done_dir / "maildirfolder").touch()
        self.connected = True

    def close(self) -> None:
        """Nothing to release."""
        self.connected = False

    def wait(self, timeout: float) -> bool:
        """No push for Maildir: sleep."""
        time.sleep(timeout)
        return False

    def _files(self) -> list[Path]:
        files: list[Path] = []
        for sub in ("new", "cur"):
            try:
                files += [
                    p for p in (self.root / sub).iterdir() if not p.name.startswith(".") and p.is_file()
                ]
            except FileNotFoundError:
                continue
        return sorted(files, key=lambda p: p.name)

    def run_pass(
        self,
        pipeline: Ingester,
        ledger: MailboxLedger,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        on_item: Callable[[ItemResult], None] = lambda _r: None,
        locks: state.ItemLocks | None = None,
    ) -> int:
        """Process every message file not processed yet; returns how many items were handled."""
        locks = locks or state.NoLocks()
        if not self.connected:
            self.connect()
        files = self._files()
        known = ledger.known(self.key, UIDVALIDITY)
        handled = 0
        for path in files:
            if should_stop():
                break
            uid = item_uid(path.name)
            item = known.get(uid)
            if item is not None:
                if not item.moved and item.outcome != state.TOO_LARGE and self._after_commit(path):
                    ledger.done(self.key, UIDVALIDITY, [uid])
                    handled += 1
                continue
            if not locks.acquire(self.key, UIDVALIDITY, uid):
                continue  # another worker is on it
            try:
                if ledger.is_recorded(MailboxOrigin(self.key, UIDVALIDITY, uid)):
                    continue
                on_item(self._one(pipeline, ledger, path, uid))
                handled += 1
            finally:
                locks.release(self.key, UIDVALIDITY, uid)
        return handled

    def _one(self, pipeline: Ingester, ledger: MailboxLedger, path: Path, uid: int) -> ItemResult:
        started = time.perf_counter()
        try:
            stat = path.stat()
            if stat.st_size > self.settings.max_message_bytes:
                fresh = ledger.left_on_server(MailboxOrigin(self.key, UIDVALIDITY, uid, stat.st_size))
                return ItemResult(uid, state.TOO_LARGE if fresh else "already_recorded", size=stat.st_size)
            data = path.read_bytes()
        except FileNotFoundError:
            return ItemResult(uid, "vanished")  # a mail reader moved it from new/ to cur/: next pass
        origin = MailboxOrigin(self.key, UIDVALIDITY, uid, len(data))
        raw = RawMessage(
            source="maildir",
            source_key=f"{self.key};{unique_name(path.name)}",
            data=data,
            received_at=datetime.fromtimestamp(stat.st_mtime, UTC),
            origin=origin,
        )
        try:
            outcome = pipeline.ingest_raw(raw)
        except StoreError:
            if not ledger.is_recorded(origin):
                raise
            outcome = DossierOutcome(IngestOutcome.DUPLICATE, detail="concurrent")
        # committed, with its origin: only now does the file leave the Maildir
        done = self._after_commit(path)
        if done:
            ledger.done(self.key, UIDVALIDITY, [uid])
        return ItemResult(
            uid,
            outcome.outcome.value,
            outcome.message_row_id,
            outcome.reference,
            len(data),
            round((time.perf_counter() - started) * 1000, 1),
            done,
        )

    def _after_commit(self, path: Path) -> bool:
        if self.settings.processed_action != "move":
            return False
        info = path.name.split(":", 1)[1] if ":" in path.name else "2,"
        target = self.done_dir / "cur" / f"{unique_name(path.name)}:{info}"
        try:
            os.rename(path, target)
        except FileNotFoundError:
            # moved meanwhile (new/ -> cur/ by a mail reader, or by another worker): look for it in cur/
            for candidate in (self.root / "cur").glob(unique_name(path.name) + ":*"):
                os.rename(candidate, target)
                return True
            logs.event("maildir_item_gone", mailbox=self.url.log_label)
            return True
        return True
