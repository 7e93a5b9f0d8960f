"""Delivering the outbox: over SMTP (SSL or STARTTLS) or, in the embedded default, as .eml files.

Each item is claimed with a lease before sending, so two workers never send the same row, and a
worker killed mid-send leaves a row that another run picks up when the lease ends. The only window
for a second copy is a kill after the SMTP server accepted the data and before the row is marked
sent (milliseconds); that copy carries the same Message-ID, which mail systems deduplicate.
"""

from __future__ import annotations

import logging
import os
import random
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from triage import logs
from triage.config import Settings
from triage.errors import ConfigError, DeliveryError
from triage.files import open_private, private_dir
from triage.runtime import Runtime
from triage.store.outbox import OutgoingMail, claim, due_ids, mark_failed_attempt, mark_sent


class Transport(Protocol):
    """Something that delivers one complete message."""

    def send(self, item: OutgoingMail) -> None:
        """Deliver, or raise DeliveryError."""


@dataclass(frozen=True)
class SmtpTarget:
    """A parsed MEDIATURE_SMTP_URL."""

    mode: str  # ssl, starttls, plain
    host: str
    port: int
    username: str
    password: str


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp+ssl://user:pw@host:465, smtp+starttls://user:pw@host:587, smtp://host:25 (percent-encoded)."""
    parts = urlsplit(url)
    modes = {
        "smtp+ssl": ("ssl", 465),
        "smtps": ("ssl", 465),
        "smtp+starttls": ("starttls", 587),
        "smtp": ("plain", 25),
    }
    if parts.scheme not in modes or not parts.hostname:
        raise ConfigError("smtp.url doit être de la forme smtp+ssl://, smtp+starttls:// ou smtp://hote:port")
    mode, default_port = modes[parts.scheme]
    return SmtpTarget(
        mode=mode,
        host=parts.hostname,
        port=parts.port or default_port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class SmtpTransport:
    """One SMTP connection per delivery run."""

    def __init__(self, target: SmtpTarget, from_address: str, timeout: float) -> None:
        self.target = target
        self.from_address = from_address
        self.timeout = timeout

    def send(self, item: OutgoingMail) -> None:
        t = self.target
        try:
            if t.mode == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    t.host, t.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
            with client:
                if t.mode == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if t.username:
                    client.login(t.username, t.password)
                client.sendmail(self.from_address, [item.to_address], item.raw)
        except (smtplib.SMTPException, OSError) as err:
            raise DeliveryError(f"envoi SMTP impossible : {type(err).__name__}", key=str(item.id)) from err


class FolderTransport:
    """The embedded default: each message becomes a .eml file in the local outbox folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, item_id: int, kind: str, created_at: datetime) -> Path:
        stamp = created_at.strftime("%Y%m%d-%H%M%S")
        return self.folder / f"{stamp}-{kind}-{item_id:06d}.eml"

    def send(self, item: OutgoingMail) -> None:
        private_dir(self.folder)
        final = self.path_for(item.id, item.kind, item.created_at)
        if final.exists():  # already written by a run killed before it marked the row
            return
        tmp = final.with_suffix(".tmp")
        with open_private(tmp) as fh:  # names and tracking links: 0600
            fh.write(item.raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)


def transport_from_settings(settings: Settings) -> Transport:
    """SMTP when smtp.url is set, else the local outbox folder under the home."""
    if settings.smtp.url:
        return SmtpTransport(
            parse_smtp_url(settings.smtp.url), settings.smtp.from_address, settings.smtp.timeout_seconds
        )
    return FolderTransport(settings.paths.home / "outbox")


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Exponential backoff with jitter, capped."""
    base = settings.smtp.backoff_base_seconds * (2 ** max(attempts - 1, 0))
    delay = min(base, settings.smtp.backoff_max_seconds)
    return timedelta(seconds=delay * random.uniform(0.8, 1.0))


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def deliver_due(
    runtime: Runtime,
    transport: Transport | None = None,
    *,
    force: bool = False,
    limit: int = 200,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send what is due (everything pending with force=True); one claim, send and record per item."""
    settings = runtime.settings
    transport = transport or transport_from_settings(settings)
    now = now or runtime.clock()
    lease = timedelta(seconds=settings.smtp.timeout_seconds * 2 + 30)
    report = DeliveryReport()
    for item_id in due_ids(runtime.sessions, now, force=force, limit=limit):
        item = claim(runtime.sessions, item_id, now, lease, force=force)
        if item is None:
            continue  # another worker has it
        try:
            transport.send(item)
        except DeliveryError as err:
            outcome = mark_failed_attempt(
                runtime.sessions,
                item,
                str(err),
                max_attempts=settings.smtp.max_attempts,
                retry_at=lambda attempts: runtime.clock() + backoff(settings, attempts),
            )
            if outcome.status == "failed":
                report.failed += 1
            else:
                report.retried += 1
            logs.event(
                "outbox_retry",
                level=logging.WARNING,
                outbox_id=item.id,
                attempts=outcome.attempts,
                status=outcome.status,
            )
        else:
            mark_sent(runtime.sessions, item.id, runtime.clock())
            report.sent += 1
            logs.event("outbox_sent", outbox_id=item.id, kind=item.kind)
    return report
