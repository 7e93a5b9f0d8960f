"""Build outgoing RFC 5322 messages. Header injection is impossible: names are cleaned and the
email package's SMTP policy refuses any header value with CR or LF."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from triage.clock import system_clock
from triage.config import Settings

# Our Message-IDs are ~75 characters: folding them at 78 breaks threading in some mail clients, so
# header lines may run to RFC 5322's hard limit instead (bodies are encoded line by line anyway).
POLICY = SMTP.clone(max_line_length=998)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_header_text(value: str) -> str:
    """Collapse control characters (CR, LF, tabs...) to a space: a name can never add a header."""
    return _CONTROL.sub(" ", value or "").strip()


def safe_address(name: str, address: str) -> str:
    """A `Name <addr>` header value; refuses addresses that are not one plain mailbox."""
    address = (address or "").strip()
    if _CONTROL.search(address) or address.count("@") != 1 or any(c in address for c in '<>,;" '):
        raise ValueError("adresse de destination invalide")
    local, domain = address.split("@")
    return str(Address(display_name=clean_header_text(name)[:120], username=local, domain=domain))


@dataclass(frozen=True)
class OutgoingFile:
    """A file attached to an outgoing message."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """What to send: the caller has rendered the parts already."""

    to_address: str
    to_name: str
    subject: str
    text: str
    html: str | None
    message_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    automatic: bool = True
    reply_to: str | None = None  # a signed plus-address (else the service's address)
    attachments: tuple[OutgoingFile, ...] = ()


def compose(settings: Settings, out: Outgoing, *, now: datetime | None = None) -> bytes:
    """The complete message as bytes (CRLF line endings), ready for SMTP or a .eml file."""
    msg = EmailMessage(policy=POLICY)
    smtp = settings.smtp
    msg["From"] = formataddr((clean_header_text(smtp.from_name), smtp.from_address))
    msg["To"] = safe_address(out.to_name, out.to_address)
    msg["Reply-To"] = out.reply_to or settings.service.email
    msg["Subject"] = clean_header_text(out.subject)
    msg["Date"] = format_datetime(now or system_clock())
    msg["Message-ID"] = out.message_id
    if out.in_reply_to:
        msg["In-Reply-To"] = clean_header_text(out.in_reply_to)
    refs = [clean_header_text(r) for r in out.references if r]
    if out.in_reply_to and out.in_reply_to not in refs:
        refs.append(clean_header_text(out.in_reply_to))
    if refs:
        msg["References"] = " ".join(refs[-10:])
    if out.automatic:
        # RFC 3834 and the usual helpdesk loop guards: other robots must not answer us
        msg["Auto-Submitted"] = "auto-replied"
        msg["Precedence"] = "bulk"
        msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Loop"] = clean_header_text(smtp.loop_token)
    msg["Content-Language"] = "fr"
    msg.set_content(out.text, subtype="plain", charset="utf-8")
    if out.html:
        msg.add_alternative(out.html, subtype="html", charset="utf-8")
    for f in out.attachments:
        maintype, _, subtype = (f.content_type or "application/octet-stream").partition("/")
        msg.add_attachment(
            f.data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=clean_header_text(f.filename)[:200] or "piece-jointe",
        )
    return msg.as_bytes()
