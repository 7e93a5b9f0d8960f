"""Nothing lost, nothing twice: the worker (tests/worker_child.py: the Worker loop, IMAP source,
pipeline and notifier of `mediature worker`, without the slow-loading suggester) killed with SIGKILL
at random moments, many times, over a real Dovecot mailbox, on SQLite and on PostgreSQL; and two
workers sharing one mailbox and one PostgreSQL database.

The end state is compared with an uninterrupted reference run of the same messages through the same
pipeline: the same number of stored messages, dossiers, quarantined items and acknowledgements, each
mailbox item recorded once, every message moved out of the folder exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO, SAMPLES, make_settings
from tests.dovecot import Dovecot, dovecot, imap_folder  # noqa: F401  (fixtures)
from tests.mailfactory import mail
from tests.worker_child import build_pipeline
from triage.records import RawMessage
from triage.runtime import Runtime
from triage.store.models import Dossier, MailboxItem, Message, OutboxItem, QuarantineItem

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]
CHILD = [sys.executable, "-m", "tests.worker_child"]
TOTAL = 60


def corpus() -> list[bytes]:
    """The sample mailbox (every odd case included), topped up with plain requests to TOTAL messages."""
    raws = [p.read_bytes() for p in sorted((SAMPLES / "mailbox").glob("*.eml"))]
    extra = TOTAL - len(raws)
    raws += [
        mail(
            f"Bonjour,\n\nje relance ma demande n° {i} restée sans suite.\n\nCordialement.",
            sender=f"Usager {i} <relance{i}@exemple.example>",
            subject=f"Relance {i}",
        )
        for i in range(max(extra, 0))
    ]
    return raws[:TOTAL]


def counts(rt: Runtime) -> dict[str, int]:
    """What ended up in the database."""
    with rt.sessions() as s:

        def n(q: Any) -> int:
            return int(s.scalar(q) or 0)

        return {
            "messages": n(select(func.count()).select_from(Message)),
            "distinct_contents": n(select(func.count(func.distinct(Message.content_hash)))),
            "dossiers": n(select(func.count()).select_from(Dossier)),
            "quarantined": n(select(func.count()).select_from(QuarantineItem)),
            "outbox": n(select(func.count()).select_from(OutboxItem)),
        }


def reference_counts(home: Path, raws: list[bytes]) -> dict[str, int]:
    """The same messages through the same pipeline, once each, in the same order, without any kill."""
    rt = Runtime.open(make_settings(home))
    try:
        pipeline = build_pipeline(rt)
        for i, raw in enumerate(raws, start=1):
            pipeline.ingest_raw(RawMessage(source="imap", source_key=f"ref;{i}", data=raw))
        return counts(rt)
    finally:
        rt.close()


def worker_env(home: Path, url: str, folder: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATURE_")}
    env.update(
        {
            "MEDIATURE_HOME": str(home),
            "MEDIATURE_MAILBOX_URL": url,
            "MEDIATURE_SECRET_KEY": "test-secret-key-not-for-production",
            "MEDIATURE_MAILBOX__PROCESSED_FOLDER": f"{folder}.Traites",
            "MEDIATURE_MAILBOX__BATCH_SIZE": "7",  # several batches per run: kills land between them too
            "MEDIATURE_MAILBOX__POLL_SECONDS": "0.5",
        }
    )
    if database_url:
        env["MEDIATURE_DATABASE_URL"] = database_url
    return env


def events(log_file: Path, name: str) -> list[dict]:
    if not log_file.exists():
        return []
    found = []
    for line in log_file.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the last line of a killed process may be cut
        if record.get("event") == name:
            found.append(record)
    return found


def start_worker(env: dict[str, str], log_file: Path, *extra: str) -> subprocess.Popen[bytes]:
    with open(log_file.with_suffix(".stderr"), "ab") as err:  # the child keeps its own descriptor
        return subprocess.Popen(
            [*CHILD, str(log_file), *extra], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err
        )


def kill_at_random_moments(
    env: dict[str, str], log_file: Path, server: Dovecot, folder: str, kills: int, rng: random.Random
) -> int:
    """Start the worker and SIGKILL it mid-batch, again and again; returns how many kills happened."""
    done = 0
    while done < kills and server.count(folder):
        # counting "mail_ingested" (logged by the pipeline right after the commit, before the move) puts
        # half of the kills near the commit-to-move window; "mailbox_item" (after the move) the others
        watched = rng.choice(["mail_ingested", "mailbox_item"])
        before = len(events(log_file, watched))
        proc = start_worker(env, log_file, "--pause-after-commit", "0.04")
        try:
            deadline = time.monotonic() + 60
            if rng.random() < 0.2:
                # sometimes during start-up: connection, login, SELECT, first fetch
                started = len(events(log_file, "worker_started"))
                while len(events(log_file, "worker_started")) == started and proc.poll() is None:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.0, 0.3))
            else:
                target = before + rng.randint(1, 4)
                while len(events(log_file, watched)) < target and proc.poll() is None:
                    if time.monotonic() > deadline or not server.count(folder):
                        break
                    time.sleep(0.002)
                if rng.random() < 0.5:
                    time.sleep(rng.uniform(0.0, 0.03))  # a little later: inside that item or the next
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                done += 1
            proc.wait(10)
    return done


def check_end_state(rt: Runtime, server: Dovecot, folder: str, reference: dict[str, int]) -> None:
    assert server.count(folder) == 0, "every message is moved out of the folder"
    assert server.count(f"{folder}.Traites") == TOTAL, "each message moved exactly once"
    assert counts(rt) == reference
    with rt.sessions() as s:
        items = s.execute(select(MailboxItem.uid, MailboxItem.outcome)).all()
    assert len(items) == TOTAL and len({uid for uid, _ in items}) == TOTAL
    assert counts(rt)["messages"] == counts(rt)["distinct_contents"]


def run_kill_test(tmp_path: Path, server: Dovecot, folder: str, database_url: str, seed: int) -> None:
    raws = corpus()
    reference = reference_counts(tmp_path / "reference", raws)
    server.append(raws, folder)
    home = tmp_path / "home"
    env = worker_env(home, server.url(folder), folder, database_url)
    log_file = home / "logs" / "worker.jsonl"
    log_file.parent.mkdir(parents=True)
    rng = random.Random(seed)
    kills = kill_at_random_moments(env, log_file, server, folder, kills=16, rng=rng)
    final = subprocess.run(
        [*CHILD, str(log_file), "--once"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert final.returncode == 0, final.stderr[-3000:]
    assert kills >= 12, f"only {kills} kills: the worker finished too fast for the test to mean anything"
    rt = Runtime.open(make_settings(home, database_url))
    try:
        check_end_state(rt, server, folder, reference)
    finally:
        rt.close()
    resumed = sum(e.get("count", 0) for e in events(log_file, "mailbox_moves_resumed"))
    print(f"{kills} kills; {resumed} committed-but-unmoved items finished after a restart")


def test_killing_the_worker_at_random_loses_nothing_and_duplicates_nothing_on_sqlite(
    tmp_path: Path,
    dovecot: Dovecot,
    imap_folder: str,
) -> None:
    run_kill_test(tmp_path, dovecot, imap_folder, "", seed=20260)


@pytest.mark.postgres
def test_killing_the_worker_at_random_loses_nothing_and_duplicates_nothing_on_postgresql(
    tmp_path: Path,
    dovecot: Dovecot,
    imap_folder: str,
    pg_url: str,
) -> None:
    run_kill_test(tmp_path, dovecot, imap_folder, pg_url, seed=20261)


@pytest.mark.postgres
def test_two_workers_on_one_mailbox_and_one_postgresql_never_take_the_same_message(
    tmp_path: Path,
    dovecot: Dovecot,
    imap_folder: str,
    pg_url: str,
) -> None:
    raws = corpus()
    reference = reference_counts(tmp_path / "reference", raws)
    dovecot.append(raws, imap_folder)
    logs = [tmp_path / f"w{i}" / "logs" / "worker.jsonl" for i in (1, 2)]
    procs = []
    for log_file in logs:
        log_file.parent.mkdir(parents=True)
        env = worker_env(log_file.parent.parent, dovecot.url(imap_folder), imap_folder, pg_url)
        procs.append(start_worker(env, log_file))
    try:
        deadline = time.monotonic() + 150
        while dovecot.count(imap_folder) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # one more poll each, on an empty folder
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            assert proc.wait(30) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    per_worker = [[e["uid"] for e in events(log_file, "mailbox_item")] for log_file in logs]
    taken = per_worker[0] + per_worker[1]
    assert sorted(taken) == sorted(set(taken)), "a message was taken by both workers"
    assert len(taken) == TOTAL
    concurrent = [
        e for log_file in logs for e in events(log_file, "mail_ingested") if e.get("outcome") == "duplicates"
    ]
    rt = Runtime.open(make_settings(tmp_path / "check", pg_url))
    try:
        check_end_state(rt, dovecot, imap_folder, reference)
    finally:
        rt.close()
    print(
        f"split between the workers: {len(per_worker[0])} + {len(per_worker[1])}; duplicates seen: {len(concurrent)}"
    )
