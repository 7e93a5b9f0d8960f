"""The continuous worker: IDLE, reconnection, Maildir, clean stop, and logs without personal data."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Self

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO, SAMPLES, make_settings
from tests.dovecot import Dovecot, dovecot, imap_folder, running_dovecot  # noqa: F401  (fixtures)
from tests.mailfactory import mail
from triage.pipeline import Pipeline
from triage.runtime import Runtime
from triage.sources.imap import ImapSource
from triage.sources.mailbox_url import parse_mailbox_url
from triage.store.models import MailboxItem, Message
from triage.worker import Worker, backoff_delay

MEDIATURE = str(Path(sys.executable).with_name("mediature"))


def requests(n: int, tag: str) -> list[bytes]:
    """n distinct requests."""
    return [
        mail(
            f"Bonjour,\n\nma demande {i} ({tag}) attend une réponse.\n",
            subject=f"Demande {i} {tag}",
            sender=f"Usager {i} <u{i}.{tag}@exemple.example>",
        )
        for i in range(n)
    ]


def count(rt: Runtime, model: type) -> int:
    with rt.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until condition() holds; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - start


class EventLog(logging.Handler):
    """Collects the structured events of the worker running in this process."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, dict]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append((record.getMessage(), getattr(record, "mediature_fields", {})))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


@pytest.fixture
def event_log() -> Iterator[EventLog]:
    handler = EventLog()
    logger = logging.getLogger("mediature.events")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


class ThreadedWorker:
    """A Worker running in a thread, on a real Dovecot and a real database."""

    def __init__(self, rt: Runtime, server: Dovecot, folder: str) -> None:
        source = ImapSource(
            parse_mailbox_url(rt.settings.mailbox.url),
            rt.settings.mailbox,
            ssl_context=server.ssl_context() if server.tls else None,
        )
        self.worker = Worker(rt, pipeline=Pipeline(rt), source=source, scans=False, outbox=False)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as err:  # noqa: BLE001  (re-raised by __exit__ in the test's thread)
            self.error = err

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.worker.request_stop()
        self.thread.join(20)
        assert not self.thread.is_alive(), "worker did not stop"
        if self.error is not None and exc[0] is None:
            raise self.error


@pytest.mark.dovecot
def test_idle_wakes_the_worker_as_soon_as_a_message_arrives(
    home: Path, dovecot: Dovecot, imap_folder: str, event_log: EventLog
) -> None:
    settings = make_settings(
        home,
        mailbox={
            "url": dovecot.url(imap_folder),
            "processed_folder": f"{imap_folder}.Traites",
            "poll_seconds": 300.0,
        },
    )
    rt = Runtime.open(settings)
    try:
        with ThreadedWorker(rt, dovecot, imap_folder):
            wait_for(lambda: "mailbox_pass" in event_log.names(), 20, "the first pass")
            time.sleep(0.5)
            dovecot.append(requests(1, "idle"), imap_folder)
            took = wait_for(lambda: count(rt, Message) == 1, 10, "the message to be stored")
            wait_for(lambda: dovecot.count(imap_folder) == 0, 5, "the move")
        assert took < 5, "IDLE should wake the worker long before poll_seconds"
        connected = [f for name, f in event_log.events if name == "mailbox_connected"]
        assert connected and connected[0]["idle"] is True
    finally:
        rt.close()


@pytest.mark.dovecot
@pytest.mark.slow
def test_worker_reconnects_after_the_server_restarts(home: Path, event_log: EventLog) -> None:
    with running_dovecot() as server:
        settings = make_settings(
            home,
            mailbox={
                "url": server.url("INBOX"),
                "processed_folder": "Traites",
                "poll_seconds": 1.0,
                "backoff_max_seconds": 1.0,
                "timeout_seconds": 5.0,
            },
        )
        rt = Runtime.open(settings)
        try:
            with ThreadedWorker(rt, server, "INBOX"):
                server.append(requests(1, "avant"))
                wait_for(lambda: count(rt, Message) == 1, 20, "the first message")
                server.stop()
                wait_for(lambda: "mailbox_error" in event_log.names(), 15, "the worker to notice")
                server.start()
                server.append(requests(2, "apres"))
                wait_for(lambda: count(rt, Message) == 3, 30, "the messages after the restart")
                wait_for(lambda: server.count("INBOX") == 0, 10, "the moves")
            assert event_log.names().count("mailbox_connected") >= 2
        finally:
            rt.close()


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, 60.0, rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        nominal = min(60.0, 2 ** (n - 1))
        assert nominal / 2 <= delay <= nominal
    assert max(delays) <= 60.0
    assert (
        len({round(backoff_delay(5, 60.0, rng), 6) for _ in range(20)}) > 1
    )  # jitter: workers do not stampede


def _maildir(root: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def test_maildir_worker_takes_new_and_cur_and_moves_them_after_commit(home: Path, tmp_path: Path) -> None:
    box = _maildir(tmp_path / "Maildir")
    raws = requests(3, "maildir")
    (box / "new" / "1700000000.M1P1.hote").write_bytes(raws[0])
    (box / "new" / "1700000001.M2P1.hote").write_bytes(raws[1])
    (box / "cur" / "1700000002.M3P1.hote:2,S").write_bytes(raws[2])  # already read in a mail client
    rt = Runtime.open(make_settings(home, mailbox={"url": f"maildir://{box}"}))
    try:
        status = Worker(rt, pipeline=Pipeline(rt), scans=False, outbox=False).run(once=True)
        assert status.counts["dossiers_opened"] == 3
        assert not list((box / "new").iterdir()) and not list((box / "cur").iterdir())
        moved = sorted(p.name for p in (box / ".Traites" / "cur").iterdir())
        assert moved == ["1700000000.M1P1.hote:2,", "1700000001.M2P1.hote:2,", "1700000002.M3P1.hote:2,S"]
        assert count(rt, Message) == 3
        again = Worker(rt, pipeline=Pipeline(rt), scans=False, outbox=False).run(once=True)
        assert again.messages == 0
    finally:
        rt.close()


def test_maildir_items_committed_but_not_moved_are_moved_without_reprocessing(
    home: Path, tmp_path: Path
) -> None:
    box = _maildir(tmp_path / "Maildir")
    for i, raw in enumerate(requests(2, "reprise")):
        (box / "new" / f"17000000{i}.M{i}P1.hote").write_bytes(raw)
    rt = Runtime.open(make_settings(home, mailbox={"url": f"maildir://{box}", "processed_action": "none"}))
    try:
        Worker(rt, pipeline=Pipeline(rt), scans=False, outbox=False).run(once=True)
        assert len(list((box / "new").iterdir())) == 2
        rt.settings.mailbox.processed_action = "move"
        status = Worker(rt, pipeline=Pipeline(rt), scans=False, outbox=False).run(once=True)
        assert status.messages == 0  # nothing processed again
        assert len(list((box / ".Traites" / "cur").iterdir())) == 2
        assert count(rt, Message) == 2 and count(rt, MailboxItem) == 2
    finally:
        rt.close()


def test_mailbox_commands_check_the_box_and_list_oversized_messages_left_in_place(
    home: Path, tmp_path: Path
) -> None:
    box = _maildir(tmp_path / "Maildir")
    (box / "new" / "1700000000.M1P1.hote").write_bytes(mail("x" * 50_000, subject="Très gros"))
    (box / "new" / "1700000001.M2P1.hote").write_bytes(requests(1, "petit")[0])
    rt = Runtime.open(make_settings(home, mailbox={"url": f"maildir://{box}", "max_message_bytes": 20_000}))
    try:
        status = Worker(rt, pipeline=Pipeline(rt), scans=False, outbox=False).run(once=True)
    finally:
        rt.close()
    assert status.counts["too_large"] == 1 and status.counts["dossiers_opened"] == 1
    assert [p.name for p in (box / "new").iterdir()] == ["1700000000.M1P1.hote"]  # left where it was
    env = _env(home, f"maildir://{box}")
    env["MEDIATURE_MAILBOX__MAX_MESSAGE_BYTES"] = "20000"
    env["COLUMNS"] = "200"  # rich would wrap the table titles at 80 columns
    shown = subprocess.run(
        [MEDIATURE, "mailbox", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "trop volumineux" in shown.stdout and "à traiter à la main" in shown.stdout
    checked = subprocess.run(
        [MEDIATURE, "mailbox", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert checked.returncode == 0 and "Boîte joignable" in checked.stdout


@pytest.mark.dovecot
def test_mailbox_check_reports_a_wrong_password_in_french_without_the_password(
    home: Path, dovecot: Dovecot, imap_folder: str
) -> None:
    env = _env(home, dovecot.url(imap_folder, password="Faux-Secret-42"))
    checked = subprocess.run(
        [MEDIATURE, "mailbox", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert checked.returncode == 1
    assert "a refusé l'identifiant" in checked.stderr
    assert "Faux-Secret-42" not in checked.stderr + checked.stdout


def _env(home: Path, mailbox_url: str, database_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATURE_")}
    env.update(
        {
            "MEDIATURE_HOME": str(home),
            "MEDIATURE_MAILBOX_URL": mailbox_url,
            "MEDIATURE_SECRET_KEY": "test-secret-key-not-for-production",
            "MEDIATURE_MAILBOX__PROCESSED_FOLDER": "Traites",
            "MEDIATURE_SCANS__SETTLE_SECONDS": "0.2",
        }
    )
    if database_url:
        env["MEDIATURE_DATABASE_URL"] = database_url
    return env


def _personal_strings(paths: list[Path]) -> set[str]:
    """Names, addresses and subjects of the sample messages: none may reach the logs."""
    found: set[str] = set()
    for path in paths:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
        for header in ("From", "To", "Reply-To", "Cc", "Subject"):
            for value in msg.get_all(header) or []:
                try:
                    text = str(email.header.make_header(email.header.decode_header(str(value))))
                except (UnicodeDecodeError, LookupError, email.errors.HeaderParseError):
                    continue
                if header == "Subject":
                    found.add(text.strip())
                    continue
                for name, address in email.utils.getaddresses([text]):
                    found.update(x.strip() for x in (name, address))
    return {s for s in found if len(s) >= 5}


@pytest.mark.dovecot
def test_worker_once_ingests_the_sample_mailbox_and_logs_no_personal_data(
    home: Path, dovecot: Dovecot, imap_folder: str
) -> None:
    samples = sorted((SAMPLES / "mailbox").glob("*.eml"))
    if len(samples) < 40:
        pytest.fail("the sample mailbox data/samples/mailbox is missing")
    dovecot.append([p.read_bytes() for p in samples], imap_folder)
    env = _env(home, dovecot.url(imap_folder))
    env["MEDIATURE_MAILBOX__PROCESSED_FOLDER"] = f"{imap_folder}.Traites"
    done = subprocess.run(
        [MEDIATURE, "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Relève terminée" in done.stdout
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    items = [line for line in lines if line["event"] == "mailbox_item"]
    assert len(items) == len(samples)
    assert all(isinstance(i["duration_ms"], float) and isinstance(i["uid"], int) for i in items)
    assert any(i["reference"] and i["reference"].startswith("MED-") for i in items)
    assert dovecot.count(imap_folder) == 0
    log_text = done.stderr
    assert "@" not in log_text  # no address of anyone, not even the service's
    leaked = sorted(s for s in _personal_strings(samples) if s in log_text)
    assert leaked == []


@pytest.mark.dovecot
def test_sigterm_finishes_the_current_item_and_exits_cleanly(
    home: Path, dovecot: Dovecot, imap_folder: str
) -> None:
    dovecot.append(requests(30, "sigterm"), imap_folder)
    env = _env(home, dovecot.url(imap_folder))
    env["MEDIATURE_MAILBOX__PROCESSED_FOLDER"] = f"{imap_folder}.Traites"
    log_file = home / "worker.log"
    proc = subprocess.Popen(
        [MEDIATURE, "worker", "--log-file", str(log_file)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: log_file.exists() and '"mailbox_item"' in log_file.read_text(), 180, "the first item"
        )
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    events = [json.loads(line)["event"] for line in log_file.read_text().splitlines()]
    assert events[-1] == "worker_stopped" and "worker_stop_requested" in events
    items = events.count("mailbox_item")
    # every item reported was committed and moved; nothing half-done is left for the next run
    rt = Runtime.open(make_settings(home))
    try:
        with rt.sessions() as session:
            assert session.scalar(select(func.count()).select_from(MailboxItem)) == items
            assert session.scalar(select(func.count()).where(MailboxItem.moved_at.is_(None))) == 0
    finally:
        rt.close()
    assert dovecot.count(imap_folder) == 30 - items


def test_worker_takes_a_scanned_letter_dropped_in_the_folder(home: Path) -> None:
    import shutil

    settings = make_settings(home, scans={"settle_seconds": 0.2})
    rt = Runtime.open(settings)
    worker = Worker(rt, pipeline=Pipeline(rt), outbox=False)
    assert worker.source is None  # no mailbox configured: the other duties still run
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        drop = settings.scan_drop_folder
        drop.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLES / "scans" / "scan-07-avocat-oblige-alimentaire-texte.pdf", drop / "courrier.pdf")
        wait_for(lambda: worker.status.scans == 1, 60, "the scan to be taken")
        with rt.sessions() as session:
            assert session.scalar(select(func.count()).where(Message.channel == "courrier")) == 1
        assert not (drop / "courrier.pdf").exists()
    finally:
        worker.request_stop()
        thread.join(20)
        rt.close()
    assert not thread.is_alive()
