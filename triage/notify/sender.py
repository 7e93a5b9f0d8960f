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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import or_, select, update

from triage import logs
from triage.config import Settings
from triage.errors import ConfigError, DeliveryError
from triage.files import open_private, private_dir
from triage.runtime import Runtime
from triage.store.models import OutboxItem


class Transport(Protocol):
    """Something that delivers one complete message."""

    def send(self, item: OutboxItem) -> None:
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

    def send(self, item: OutboxItem) -> None:
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

    def path_for(self, item: OutboxItem) -> Path:
        stamp = item.created_at.strftime("%Y%m%d-%H%M%S")
        return self.folder / f"{stamp}-{item.kind}-{item.id:06d}.eml"

    def send(self, item: OutboxItem) -> None:
        private_dir(self.folder)
        final = self.path_for(item)
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


def _claim(runtime: Runtime, item_id: int, now: datetime, force: bool) -> bool:
    lease = timedelta(seconds=runtime.settings.smtp.timeout_seconds * 2 + 30)
    due = OutboxItem.next_attempt_at <= now
    cond = or_(OutboxItem.status == "pending", (OutboxItem.status == "sending") & due)
    if not force:
        cond = cond & due
    with runtime.sessions.begin() as session:
        result = session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id, cond)
            .values(status="sending", next_attempt_at=now + lease, attempts=OutboxItem.attempts + 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


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
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    with runtime.sessions() as session:
        query = select(OutboxItem.id).where(OutboxItem.status.in_(("pending", "sending")))
        if not force:
            query = query.where(OutboxItem.next_attempt_at <= now)
        ids = list(session.scalars(query.order_by(OutboxItem.id).limit(limit)))
    for item_id in ids:
        if not _claim(runtime, item_id, now, force):
            continue  # another worker has it
        with runtime.sessions() as session:
            item = session.get(OutboxItem, item_id)
            assert item is not None
            try:
                transport.send(item)
            except DeliveryError as err:
                item.last_error = str(err)
                if item.attempts >= settings.smtp.max_attempts:
                    item.status = "failed"
                    report.failed += 1
                else:
                    item.status = "pending"
                    item.next_attempt_at = datetime.now(UTC) + backoff(settings, item.attempts)
                    report.retried += 1
                logs.event(
                    "outbox_retry",
                    level=logging.WARNING,
                    outbox_id=item.id,
                    attempts=item.attempts,
                    status=item.status,
                )
            else:
                item.status = "sent"
                item.sent_at = datetime.now(UTC)
                item.last_error = ""
                report.sent += 1
                logs.event("outbox_sent", outbox_id=item.id, kind=item.kind)
            session.commit()
    return report
