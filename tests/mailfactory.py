"""Builds raw messages for the ingestion tests (bytes exactly as a mail client would send them)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

_counter = itertools.count(1)


def mail(
    body: str = "Bonjour,\n\nJe vous écris au sujet de ma demande d'APA refusée.\n\n"
    "Cordialement,\nJeanne Martin",
    *,
    sender: str = "Jeanne Martin <jeanne.martin@exemple.example>",
    subject: str = "Demande de médiation",
    to: str = "mediation@isere.example",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    date: datetime | None = None,
) -> bytes:
    """A well-formed message; every call gets a fresh Message-ID unless one is given."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 10, 5, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(idstring=f"t{next(_counter)}", domain="exemple.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, ctype, data in attachments or []:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def raw(headers: str, body: bytes) -> bytes:
    """A message from literal header lines and body bytes (for the broken cases no library writes)."""
    return headers.strip("\n").replace("\n", "\r\n").encode("ascii") + b"\r\n\r\n" + body


def dsn(
    original_message_id: str,
    recipient: str,
    *,
    status: str = "5.1.1",
    action: str = "failed",
    original_subject: str = "Votre demande de médiation",
) -> bytes:
    """A Postfix-style delivery status notification for one of our messages."""
    boundary = "DSN-BOUNDARY-42"
    return raw(
        f"""From: MAILER-DAEMON@mx.exemple.example (Mail Delivery System)
To: mediation@isere.example
Subject: Undelivered Mail Returned to Sender
Date: Tue, 6 Oct 2026 10:00:00 +0200
Message-ID: <dsn.{next(_counter)}@mx.exemple.example>
Return-Path: <>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}\"""",
        f"""--{boundary}
Content-Type: text/plain; charset=us-ascii

This is the mail system. Your message could not be delivered.

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.exemple.example

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 {status} User unknown

--{boundary}
Content-Type: message/rfc822

From: mediation@isere.example
To: {recipient}
Subject: {original_subject}
Message-ID: {original_message_id}

Madame, Monsieur, nous accusons réception de votre demande.

--{boundary}--
""".replace("\n", "\r\n").encode("utf-8"),
    )
