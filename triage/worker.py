"""The continuous worker: the mediation mailbox, the scan drop folder and the outbox, in one loop.

Each duty runs when it is due: the mailbox on an IDLE notification or every `poll_seconds`, the drop
folder every `scans.settle_seconds` (at least one second), the outbox every OUTBOX_SECONDS. Between
duties the loop waits in slices of at most a second (in IDLE when the server offers it), so SIGTERM or
SIGINT is noticed quickly: the current item is finished (committed and moved), the IMAP session is
closed, and `run()` returns. A mailbox failure never stops the other duties: the mailbox is retried
with exponential backoff (capped, with jitter). Everything is logged as structured events
(triage.logs), never with personal data.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from triage import logs
from triage.config import Settings
from triage.errors import MailboxAuthError, MailboxFolderError, MediatureError, SourceError, StoreError
from triage.notify.sender import DeliveryReport, deliver_due
from triage.pipeline import Pipeline
from triage.privacy import retention as retention_policy
from triage.runtime import Runtime
from triage.sources.imap import ImapSource, Ingester
from triage.sources.mailbox_url import parse_mailbox_url
from triage.sources.maildir import MaildirSource
from triage.sources.scans import SettleWatcher, poll_drop_folder
from triage.store.mailbox_items import TOO_LARGE, ItemLocks, ItemResult, MailboxLedger

OUTBOX_SECONDS = 15.0
RETENTION_SECONDS = 24 * 3600.0  # the retention policy runs once a day (and when the worker starts)
SLICE_SECONDS = 1.0
BACKOFF_FIRST_SECONDS = 1.0
OUTCOMES = (
    "dossiers_opened",
    "attached_to_existing",
    "flagged",
    "not_requests",
    "quarantined",
    "duplicates",
    TOO_LARGE,
)

MailSource = ImapSource | MaildirSource


def open_source(settings: Settings, *, ssl_context: Any = None) -> MailSource | None:
    """The configured mailbox source (None when settings.mailbox.url is empty); ConfigError when invalid."""
    text = settings.mailbox.url
    if not text:
        return None
    url = parse_mailbox_url(text)
    if url.is_imap:
        return ImapSource(url, settings.mailbox, ssl_context=ssl_context)
    return MaildirSource(url, settings.mailbox)


@dataclass
class WorkerStatus:
    """What the worker has done since it started, and what it is doing now (for the progress display)."""

    counts: dict[str, int] = field(default_factory=lambda: {name: 0 for name in OUTCOMES})
    messages: int = 0
    scans: int = 0
    sent: int = 0
    errors: int = 0
    state: str = "démarrage"
    mailbox: str = ""
    last_reference: str = ""


def backoff_delay(failures: int, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: about 1, 2, 4, ... seconds, never more than `cap`."""
    delay = min(cap, BACKOFF_FIRST_SECONDS * 2 ** max(0, failures - 1))
    return rng.uniform(delay / 2, delay)


class Worker:
    """Runs the duties until stopped; `run(once=True)` does a single pass of each and returns."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        pipeline: Ingester | None = None,
        source: MailSource | None = None,
        ssl_context: Any = None,
        on_progress: Callable[[WorkerStatus], None] | None = None,
        scans: bool = True,
        outbox: bool = True,
        retention: bool = True,
    ) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self._pipeline = pipeline
        self.source = source if source is not None else open_source(runtime.settings, ssl_context=ssl_context)
        self.on_progress = on_progress or (lambda _s: None)
        self.status = WorkerStatus(mailbox=self.source.url.log_label if self.source else "")
        self._stop = threading.Event()
        self._rng = random.Random()
        self._failures = 0
        self._mailbox_at = 0.0
        self._mailbox_woken = False
        self._scans_at = 0.0
        self._outbox_at = 0.0
        self._poll_drop_folder: Callable[..., int] | None = poll_drop_folder if scans else None
        self._deliver_due: Callable[[Runtime], DeliveryReport] | None = deliver_due if outbox else None
        self._retention: Callable[..., Any] | None = retention_policy.run if retention else None
        self._retention_at = 0.0
        self._locks = ItemLocks(runtime.engine)
        self._ledger = MailboxLedger(runtime.sessions)
        self._watcher = SettleWatcher()  # remembers the drop folder's files from one poll to the next

    @property
    def pipeline(self) -> Ingester:
        """The pipeline, built on first use (the shipped suggester and notifier)."""
        if self._pipeline is None:
            self._pipeline = Pipeline.from_runtime(self.runtime)
        return self._pipeline

    def request_stop(self, *_args: Any) -> None:
        """Ask the loop to stop after the current item."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self._stop.is_set()

    # ------------------------------------------------------------------ the loop

    def run(self, *, once: bool = False) -> WorkerStatus:
        """Run until stopped (or one pass with once=True); returns the final counts.

        A wrong password or a missing folder at start-up raises at once (a configuration mistake). Other
        mailbox failures are retried with backoff; with once=True the first one is raised at the end,
        after the scan folder and the outbox have had their pass.
        """
        restore = self._install_signals()
        started = time.monotonic()
        logs.event(
            "worker_started",
            mailbox=self.status.mailbox or None,
            scans=self._poll_drop_folder is not None,
            outbox=self._deliver_due is not None,
            once=once,
        )
        first_error: MediatureError | None = None
        try:
            first_error = self._connect(once=once)
            while True:
                now = time.monotonic()
                if (
                    self.source is not None
                    and first_error is None
                    and (self._mailbox_woken or now >= self._mailbox_at)
                ):
                    error = self._mailbox_pass()
                    if once:
                        first_error = error
                if (
                    self._poll_drop_folder is not None
                    and (once or now >= self._scans_at)
                    and not self.stopping
                ):
                    self._scans_pass()
                if self._deliver_due is not None and (once or now >= self._outbox_at) and not self.stopping:
                    self._outbox_pass()
                if (
                    self._retention is not None
                    and not once
                    and now >= self._retention_at
                    and not self.stopping
                ):
                    self._retention_pass()
                if once or self.stopping:
                    break
                self._wait()
                if self.stopping:
                    break
        finally:
            if self.source is not None:
                self.source.close()
            self._locks.close()
            restore()
            self.status.state = "arrêté"
            self.on_progress(self.status)
            logs.event(
                "worker_stopped",
                messages=self.status.messages,
                scans=self.status.scans,
                sent=self.status.sent,
                errors=self.status.errors,
                duration_s=round(time.monotonic() - started, 1),
                **self.status.counts,
            )
        if first_error is not None:
            raise first_error
        return self.status

    def _install_signals(self) -> Callable[[], None]:
        """SIGTERM and SIGINT ask for a stop (a second one stops at once); returns the undo function."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def handler(signum: int, _frame: Any) -> None:
            if self.stopping:  # a second signal: stop now (the open transaction rolls back)
                raise KeyboardInterrupt
            logs.event("worker_stop_requested", signal=signal.Signals(signum).name)
            self.status.state = "arrêt en cours (fin de l'élément en cours)"
            self.request_stop()

        for sig in previous:
            signal.signal(sig, handler)

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore

    def _connect(self, *, once: bool) -> MediatureError | None:
        if self.source is None:
            return None
        try:
            self.source.connect()
            self._failures = 0
        except (MailboxAuthError, MailboxFolderError):
            raise  # configuration mistakes: say so at once instead of retrying for ever
        except SourceError as err:
            if once:
                return err
            self._mailbox_failed(err)
        return None

    def _mailbox_pass(self) -> MediatureError | None:
        assert self.source is not None
        self._mailbox_woken = False
        self.status.state = "relève de la boîte"
        self.on_progress(self.status)
        started = time.perf_counter()
        try:
            handled = self.source.run_pass(
                self.pipeline,
                self._ledger,
                should_stop=lambda: self.stopping,
                on_item=self._on_item,
                locks=self._locks,
            )
        except (SourceError, StoreError, SQLAlchemyError) as err:
            wrapped = (
                err
                if isinstance(err, MediatureError)
                else StoreError(f"base de données indisponible : {type(err).__name__}")
            )
            self._locks.close()
            self._mailbox_failed(wrapped)
            return wrapped
        self._failures = 0
        self._mailbox_at = time.monotonic() + self.settings.mailbox.poll_seconds
        logs.event(
            "mailbox_pass",
            mailbox=self.status.mailbox,
            handled=handled,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        self.status.state = (
            "en attente (IDLE)" if getattr(self.source, "supports_idle", False) else "en attente"
        )
        self.on_progress(self.status)
        return None

    def _mailbox_failed(self, err: MediatureError) -> None:
        assert self.source is not None
        self._failures += 1
        self.status.errors += 1
        delay = backoff_delay(self._failures, self.settings.mailbox.backoff_max_seconds, self._rng)
        self._mailbox_at = time.monotonic() + delay
        self.source.close()
        logs.event(
            "mailbox_error",
            level=40,
            mailbox=self.status.mailbox,
            error=type(err).__name__,
            failures=self._failures,
            retry_in_s=round(delay, 1),
        )
        self.status.state = f"boîte injoignable ({err.message}) — nouvel essai dans {delay:.0f} s"
        self.on_progress(self.status)

    def _on_item(self, item: ItemResult) -> None:
        if item.outcome in self.status.counts:
            self.status.counts[item.outcome] += 1
        if item.outcome == TOO_LARGE:
            logs.event(
                "mail_too_large",
                level=30,
                mailbox=self.status.mailbox,
                uid=item.uid,
                size=item.size,
                limit=self.settings.mailbox.max_message_bytes,
            )
        elif item.outcome in ("vanished", "already_recorded"):
            logs.event("mail_skipped", mailbox=self.status.mailbox, uid=item.uid, reason=item.outcome)
        else:
            self.status.messages += 1
            logs.event(
                "mailbox_item",
                mailbox=self.status.mailbox,
                uid=item.uid,
                outcome=item.outcome,
                message_row_id=item.message_row_id,
                reference=item.reference,
                moved=item.done,
                duration_ms=item.duration_ms,
            )
        if item.reference:
            self.status.last_reference = item.reference
        self.on_progress(self.status)

    def _scans_pass(self) -> None:
        assert self._poll_drop_folder is not None
        self._scans_at = time.monotonic() + max(1.0, self.settings.scans.settle_seconds)
        started = time.perf_counter()
        try:
            count = self._poll_drop_folder(self.runtime, self.pipeline, watcher=self._watcher)
        except Exception as err:  # noqa: BLE001  (a failing scan duty must not stop the mailbox: logged, retried)
            self.status.errors += 1
            logs.event("scans_error", level=40, error=type(err).__name__)
            return
        self.status.scans += count
        if count:
            logs.event(
                "scans_pass", count=count, duration_ms=round((time.perf_counter() - started) * 1000, 1)
            )
            self.on_progress(self.status)

    def _outbox_pass(self) -> None:
        assert self._deliver_due is not None
        self._outbox_at = time.monotonic() + OUTBOX_SECONDS
        try:
            result = self._deliver_due(self.runtime)
        except Exception as err:  # noqa: BLE001  (a failing sender must not stop the mailbox: logged, retried)
            self.status.errors += 1
            logs.event("outbox_error", level=40, error=type(err).__name__)
            return
        sent, retried, failed = result.sent, result.retried, result.failed
        self.status.sent += sent
        if sent or retried or failed:
            logs.event("outbox_pass", sent=sent, retried=retried, failed=failed)
            self.on_progress(self.status)

    def _retention_pass(self) -> None:
        """Apply the retention policy (daily; `mediature retention run` does the same on demand)."""
        assert self._retention is not None
        self._retention_at = time.monotonic() + RETENTION_SECONDS
        try:
            self._retention(self.runtime)
        except Exception as err:  # noqa: BLE001  (a failing purge must not stop the mailbox: logged, retried tomorrow)
            self.status.errors += 1
            logs.event("retention_error", level=40, error=type(err).__name__)

    def _wait(self) -> None:
        """Wait until the next duty is due, at most one slice (in IDLE when possible)."""
        now = time.monotonic()
        due = [
            self._scans_at if self._poll_drop_folder else None,
            self._outbox_at if self._deliver_due else None,
            self._mailbox_at if self.source is not None else None,
        ]
        nearest = min((d for d in due if d is not None), default=now + SLICE_SECONDS)
        timeout = max(0.05, min(SLICE_SECONDS, nearest - now))
        source = self.source
        if source is not None and source.connected and source.supports_idle and self._failures == 0:
            try:
                self._mailbox_woken = source.wait(timeout)
            except SourceError as err:
                self._mailbox_failed(err)
            return
        self._stop.wait(timeout)
