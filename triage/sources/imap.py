"""The mediation mailbox over IMAP (imap-tools): fetch by UID, store, then move or flag.

One pass:
1. SELECT the folder and read its UIDVALIDITY; the items already recorded for (mailbox, UIDVALIDITY)
   are skipped, and those committed but not yet moved (a worker killed between commit and move) are
   moved now, without being processed again.
2. For each new UID, in batches: RFC822.SIZE first (over the limit: left on the server, recorded as
   "too_large" and reported); then BODY.PEEK[] (never sets \\Seen; \\Seen is never read either,
   since people read the same mailbox) and `Pipeline.ingest_raw(raw)`, where `raw.origin` is the
   item's (mailbox, UIDVALIDITY, UID): the pipeline records it in the message's own transaction.
3. Told the outcome, only after that commit: MOVE to the processed folder (created if missing) or set
   the keyword, then note it done in the ledger.

The source writes no SQL: it reads what is recorded, and notes what it did on the server, through a
`MailboxLedger` (triage.store.mailbox_items).

When UIDVALIDITY changes every message looks new: the pipeline's dedupe (Message-ID + content hash)
recognises the ones already stored, so nothing is lost and nothing is stored twice.
IDLE is used when the server offers it; otherwise the worker polls. Network errors become
MailboxConnectionError (the worker reconnects with backoff); a refused login MailboxAuthError; a
missing folder MailboxFolderError.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxLoginError, MailboxStarttlsError
from imap_tools.utils import encode_folder

from triage import logs
from triage.config import MailboxSettings
from triage.errors import (
    MailboxAuthError,
    MailboxConnectionError,
    MailboxFolderError,
    SourceError,
    StoreError,
)
from triage.records import DossierOutcome, IngestOutcome, MailboxOrigin, RawMessage
from triage.sources.mailbox_url import MailboxURL
from triage.store import mailbox_items as state
from triage.store.mailbox_items import ItemResult, MailboxLedger

_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
NETWORK_ERRORS = (OSError, EOFError, imaplib.IMAP4.abort)


class Ingester(Protocol):
    """What the sources need from triage.pipeline.Pipeline."""

    def ingest_raw(self, raw: RawMessage) -> DossierOutcome:
        """Store one raw message and record its origin, in one transaction; the outcome once committed."""
        ...


def _reason(err: BaseException) -> str:
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"certificat TLS du serveur refusé ({err.verify_message})"
    if isinstance(err, socket.timeout):
        return "délai d'attente dépassé"
    if isinstance(err, ConnectionRefusedError):
        return "connexion refusée"
    if isinstance(err, socket.gaierror):
        return "nom d'hôte inconnu"
    return f"{type(err).__name__}: {err}"


class ImapSource:
    """The mediation mailbox over IMAP; one connection, reopened by `connect()` after a failure."""

    kind = "imap"

    def __init__(
        self, url: MailboxURL, settings: MailboxSettings, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        if not url.is_imap:
            raise ValueError("ImapSource needs an imap URL")
        self.url = url
        self.settings = settings
        self.ssl_context = ssl_context
        self.key = url.key
        self._box: Any = None
        self._caps: frozenset[str] = frozenset()
        self._idle_since: float | None = None
        self._uidvalidity_seen: int | None = None

    # ------------------------------------------------------------------ connection

    @property
    def connected(self) -> bool:
        """True while a logged-in session is open."""
        return self._box is not None

    @property
    def supports_idle(self) -> bool:
        """The server offers IDLE (RFC 2177)."""
        return "IDLE" in self._caps

    def connect(self) -> None:
        """Open, log in, check the folders; raise MailboxAuthError, MailboxFolderError or MailboxConnectionError."""
        self.close()
        url, timeout = self.url, self.settings.timeout_seconds
        where = f"{url.host}:{url.port}"
        box: Any
        try:
            if url.scheme == "imap+ssl":
                box = MailBox(
                    url.host,
                    url.port,
                    timeout=timeout,
                    ssl_context=self.ssl_context or ssl.create_default_context(),
                )
            elif url.scheme == "imap+starttls":
                box = MailBoxStartTls(
                    url.host,
                    url.port,
                    timeout=timeout,
                    ssl_context=self.ssl_context or ssl.create_default_context(),
                )
            else:
                box = MailBoxUnencrypted(url.host, url.port, timeout=timeout)
        except MailboxStarttlsError as err:
            raise MailboxConnectionError(
                f"le serveur IMAP {where} refuse STARTTLS", key=url.log_label
            ) from err
        except (*NETWORK_ERRORS, imaplib.IMAP4.error) as err:
            raise MailboxConnectionError(
                f"impossible de joindre le serveur IMAP {where} : {_reason(err)}", key=url.log_label
            ) from err
        try:
            box.login(url.username, url.password, initial_folder=None)
        except MailboxLoginError as err:
            _quietly(box.logout)
            raise MailboxAuthError(
                f"le serveur IMAP {where} a refusé l'identifiant « {url.username} » ou son mot de passe",
                key=url.log_label,
            ) from err
        except (*NETWORK_ERRORS, imaplib.IMAP4.error) as err:
            raise MailboxConnectionError(
                f"connexion au serveur IMAP {where} perdue pendant l'authentification : {_reason(err)}",
                key=url.log_label,
            ) from err
        self._box = box
        with self._guard("capability"):
            # imaplib keeps the pre-login capabilities; MOVE, UIDPLUS and IDLE are often announced only now
            typ, data = box.client.capability()
            self._caps = (
                frozenset(data[-1].decode().upper().split())
                if typ == "OK" and data and data[-1]
                else frozenset()
            )
            box.client.capabilities = tuple(self._caps)
            self._check_folders()
        logs.event(
            "mailbox_connected", mailbox=url.log_label, idle=self.supports_idle, move="MOVE" in self._caps
        )

    def _folder_exists(self, folder: str) -> bool:
        if folder.upper() == "INBOX":
            return True  # always there, and its name is case-insensitive (RFC 3501)
        return any(f.name == folder for f in self._box.folder.list("", folder))

    def _check_folders(self) -> None:
        folder = self.url.folder
        if not self._folder_exists(folder):
            names = sorted(f.name for f in self._box.folder.list("", "*"))
            shown = ", ".join(names[:20]) + (" …" if len(names) > 20 else "")
            self.close()
            raise MailboxFolderError(
                f"le dossier « {folder} » n'existe pas sur {self.url.host} ; dossiers disponibles : {shown or '(aucun)'}",
                key=self.url.log_label,
            )
        if self.settings.processed_action == "move":
            target = self.settings.processed_folder
            if target == folder:
                self.close()
                raise MailboxFolderError(
                    f"le dossier des messages traités (« {target} ») ne peut pas être le dossier relevé",
                    key=self.url.log_label,
                )
            if not self._folder_exists(target):
                self._box.folder.create(target)
                logs.event("mailbox_folder_created", mailbox=self.url.log_label)

    def close(self) -> None:
        """Leave IDLE and log out (errors ignored: the connection may already be gone)."""
        box, self._box = self._box, None
        idling, self._idle_since = self._idle_since is not None, None
        if box is None:
            return
        if idling:
            _quietly(box.idle.stop)  # a server in IDLE ignores everything but DONE, LOGOUT included
        _quietly(box.logout)
        _quietly(box.client.shutdown)

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """Turn imaplib / imap-tools / socket errors into SourceError; drop the connection on network errors."""
        try:
            yield
        except NETWORK_ERRORS as err:
            self._box, box = None, self._box
            if box is not None:
                _quietly(box.client.shutdown)
            self._idle_since = None
            raise MailboxConnectionError(
                f"connexion au serveur IMAP {self.url.host} perdue ({what}) : {_reason(err)}",
                key=self.url.log_label,
            ) from err
        except (imaplib.IMAP4.error, ImapToolsError) as err:
            raise SourceError(
                f"le serveur IMAP {self.url.host} a refusé {what} : {err}", key=self.url.log_label
            ) from err

    def _require(self) -> Any:
        if self._box is None:
            self.connect()
        return self._box

    # ------------------------------------------------------------------ waiting

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds in IDLE; True when the server announced new mail (or IDLE was renewed)."""
        if self._box is None or not self.supports_idle:
            time.sleep(timeout)
            return False
        with self._guard("IDLE"):
            if self._idle_since is None:
                self._box.idle.start()
                self._idle_since = time.monotonic()
            started = time.monotonic()
            lines = self._box.idle.poll(timeout=timeout)
            if any(line.startswith(b"* BYE") for line in lines):
                raise EOFError("BYE")
            if any(line.endswith((b"EXISTS", b"RECENT")) for line in lines):
                self._leave_idle()
                return True
            woke_early = not lines and time.monotonic() - started < timeout * 0.5
            # a wake-up without a line is how a closed socket shows itself: leaving IDLE tells which
            if woke_early or time.monotonic() - self._idle_since >= self.settings.idle_seconds:
                self._leave_idle()
                return True
        return False

    def _leave_idle(self) -> None:
        if self._idle_since is not None and self._box is not None:
            self._idle_since = None
            self._box.idle.stop()

    # ------------------------------------------------------------------ one pass

    def run_pass(
        self,
        pipeline: Ingester,
        ledger: MailboxLedger,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        on_item: Callable[[ItemResult], None] = lambda _r: None,
        locks: state.ItemLocks | None = None,
    ) -> int:
        """Process every new message of the folder; returns how many items were handled."""
        locks = locks or state.NoLocks()
        self._require()
        with self._guard("SELECT"):
            self._leave_idle()
            uidvalidity = self._select()
        self._note_uidvalidity(ledger, uidvalidity)
        with self._guard("SEARCH"):
            uids = self._search()
        if not uids:
            return 0
        known = ledger.known(self.key, uidvalidity, min(uids))
        handled = self._finish_pending(ledger, uidvalidity, uids, known)
        new = [uid for uid in uids if uid not in known]
        batch = self.settings.batch_size
        for start in range(0, len(new), batch):
            chunk = new[start : start + batch]
            with self._guard("FETCH RFC822.SIZE"):
                sizes = self._sizes(chunk)
            for uid in chunk:
                if should_stop():
                    return handled
                if uid not in sizes:
                    continue  # gone since SEARCH: moved by another worker or deleted by a person
                if not locks.acquire(self.key, uidvalidity, uid):
                    continue  # another worker is on it
                try:
                    origin = MailboxOrigin(self.key, uidvalidity, uid, sizes[uid])
                    if ledger.is_recorded(origin):
                        continue  # another worker finished it since our SEARCH
                    on_item(self._one(pipeline, ledger, origin))
                    handled += 1
                finally:
                    locks.release(self.key, uidvalidity, uid)
        return handled

    def _select(self) -> int:
        client = self._box.client
        typ, data = client.select(encode_folder(self.url.folder))
        if typ != "OK":
            raise MailboxFolderError(
                f"le dossier « {self.url.folder} » ne peut pas être ouvert sur {self.url.host} : {data!r}",
                key=self.url.log_label,
            )
        _typ, values = client.response("UIDVALIDITY")
        if values and values[-1]:
            return int(values[-1])
        status = self._box.folder.status(self.url.folder, ["UIDVALIDITY"])
        return int(status["UIDVALIDITY"])

    def _note_uidvalidity(self, ledger: MailboxLedger, uidvalidity: int) -> None:
        if self._uidvalidity_seen == uidvalidity:
            return
        seen = ledger.uidvalidities(self.key)
        if seen and uidvalidity not in seen:
            # the server renumbered the folder: every message is fetched again and deduplicated by content
            logs.event(
                "mailbox_uidvalidity_changed",
                level=30,
                mailbox=self.url.log_label,
                uidvalidity=uidvalidity,
                previous=max(seen),
            )
        self._uidvalidity_seen = uidvalidity

    def _search(self) -> list[int]:
        criteria = "ALL"
        if self.settings.processed_action == "flag":
            criteria = f"UNKEYWORD {self.settings.processed_flag}"
        typ, data = self._box.client.uid("SEARCH", criteria)
        if typ != "OK":
            raise SourceError(f"recherche refusée par le serveur IMAP : {data!r}", key=self.url.log_label)
        return sorted(int(x) for x in data[0].split()) if data and data[0] else []

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        typ, data = self._box.client.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
        if typ != "OK":
            raise SourceError(f"lecture des tailles refusée : {data!r}", key=self.url.log_label)
        sizes: dict[int, int] = {}
        for item in data or []:
            text = item[0] if isinstance(item, tuple) else item
            if not isinstance(text, bytes):
                continue
            uid, size = _UID.search(text), _SIZE.search(text)
            if uid and size:  # unsolicited FETCH responses (flag changes by others) carry no size
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def _fetch(self, uid: int) -> tuple[bytes, datetime | None] | None:
        typ, data = self._box.client.uid("FETCH", str(uid), "(UID INTERNALDATE BODY.PEEK[])")
        if typ != "OK":
            raise SourceError(f"lecture du message refusée : {data!r}", key=self.url.log_label)
        items = list(data or [])
        for i, item in enumerate(items):
            if not isinstance(item, tuple) or b"BODY[]" not in item[0]:
                continue
            trailer = items[i + 1] if i + 1 < len(items) and isinstance(items[i + 1], bytes) else b""
            meta = item[0] + b" " + trailer
            found = _UID.search(meta)
            if found and int(found.group(1)) != uid:
                continue
            when = _INTERNALDATE.search(meta)
            received = None
            if when:
                try:
                    received = datetime.strptime(when.group(1).decode(), "%d-%b-%Y %H:%M:%S %z")
                except ValueError:
                    received = _parse_date(when.group(1).decode())
            return bytes(item[1]), received
        return None

    def _one(self, pipeline: Ingester, ledger: MailboxLedger, origin: MailboxOrigin) -> ItemResult:
        started = time.perf_counter()
        uid, size = origin.uid, origin.size
        if size is not None and size > self.settings.max_message_bytes:
            fresh = ledger.left_on_server(origin)
            return ItemResult(uid, state.TOO_LARGE if fresh else "already_recorded", size=size)
        with self._guard("FETCH BODY.PEEK[]"):
            fetched = self._fetch(uid)
        if fetched is None:
            return ItemResult(uid, "vanished")
        data, received = fetched
        raw = RawMessage(
            source="imap",
            source_key=f"{self.key};{origin.uidvalidity};{uid}",
            data=data,
            received_at=received,
            origin=origin,
        )
        try:
            outcome = pipeline.ingest_raw(raw)
        except StoreError:
            # another worker committed this item (same UID or same message) first and ours rolled back;
            # otherwise the database is failing: the item stays on the server for the next pass
            if not ledger.is_recorded(origin):
                raise
            outcome = DossierOutcome(IngestOutcome.DUPLICATE, detail="concurrent")
        # committed, with its origin: only now is the message moved or flagged on the server
        done = self._after_commit([uid])
        ledger.done(self.key, origin.uidvalidity, done)
        return ItemResult(
            uid,
            outcome.outcome.value,
            message_row_id=outcome.message_row_id,
            reference=outcome.reference,
            size=size,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            done=bool(done),
        )

    def _finish_pending(
        self,
        ledger: MailboxLedger,
        uidvalidity: int,
        uids: list[int],
        known: dict[int, state.KnownItem],
    ) -> int:
        if self.settings.processed_action == "none":
            return 0
        pending = [
            u for u in uids if u in known and not known[u].moved and known[u].outcome != state.TOO_LARGE
        ]
        if not pending:
            return 0
        done = self._after_commit(pending)
        ledger.done(self.key, uidvalidity, done)
        logs.event("mailbox_moves_resumed", mailbox=self.url.log_label, count=len(done))
        return len(done)

    def _after_commit(self, uids: list[int]) -> list[int]:
        """Move or flag committed items; returns the UIDs now done (those already gone count as done)."""
        action = self.settings.processed_action
        if action == "none" or not uids:
            return []
        uid_set = ",".join(map(str, uids))
        client = self._box.client
        with self._guard("MOVE" if action == "move" else "STORE"):
            if action == "flag":
                # imap-tools' flag() also EXPUNGEs, which would purge other people's deleted messages
                typ, data = client.uid("STORE", uid_set, "+FLAGS.SILENT", f"({self.settings.processed_flag})")
            elif "MOVE" in self._caps:
                typ, data = client.uid("MOVE", uid_set, encode_folder(self.settings.processed_folder))
            else:
                typ, data = self._copy_delete(uid_set)
            if typ != "OK":
                # refused because another worker moved them meanwhile is fine; anything else is not
                typ2, found = client.uid("SEARCH", f"UID {uid_set}")
                still_there = typ2 == "OK" and found and found[0] and found[0].split()
                if still_there:
                    logs.event("mailbox_move_failed", level=30, mailbox=self.url.log_label, uids=uids)
                    raise SourceError(
                        f"déplacement refusé par le serveur IMAP : {data!r}", key=self.url.log_label
                    )
        return uids

    def _copy_delete(self, uid_set: str) -> tuple[str, Any]:
        client = self._box.client
        typ, data = client.uid("COPY", uid_set, encode_folder(self.settings.processed_folder))
        if typ != "OK":
            return typ, data
        typ, data = client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
        if typ != "OK":
            return typ, data
        if "UIDPLUS" in self._caps:
            return client.uid("EXPUNGE", uid_set)  # only ours, not what others marked deleted
        return client.expunge()


def _parse_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _quietly(call: Callable[[], Any]) -> None:
    with contextlib.suppress(Exception):  # closing a connection that may already be broken: nothing to report
        call()
