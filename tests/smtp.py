"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives; can refuse on demand."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the server received; `refuse` makes it answer 451 (temporary failure)."""

    messages: list[bytes] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 try again later"
        with self.lock:
            self.messages.append(bytes(envelope.original_content or envelope.content))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def parsed(self) -> list[EmailMessage]:
        with self.lock:
            return [message_from_bytes(m, policy=policy.default) for m in self.messages]  # type: ignore[misc]


class SmtpServer:
    """Start/stop an aiosmtpd controller on 127.0.0.1."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
