"""Is a message written by a person, or an auto-reply, a delivery report or list mail?

Follows RFC 3834 (Auto-Submitted), RFC 3464 (delivery status notifications), RFC 2369/2919 (list
headers) and what mature helpdesks (Zammad, OTRS, Request Tracker) learnt from real mailboxes:
X-Autoreply, X-Autorespond, X-Auto-Response-Suppress, Precedence, out-of-office subjects, null
Return-Path, MAILER-DAEMON and postmaster senders. Reasons are French: the mediator reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import getaddresses

from triage.parse.charsets import decode_header_value, message_header
from triage.records import Bounce, MessageKind

_DAEMON_SENDER = re.compile(
    r"^(mailer-daemon|postmaster|mail-daemon|maildaemon|mailerdaemon)@", re.IGNORECASE
)
# robot addresses: never a person to answer (also used by triage.notify.guard)
ROBOT_SENDER = re.compile(
    r"(^|[._+-])(mailer-daemon|postmaster|no-?reply|ne-?pas-?repondre|ne_pas_repondre|do-?not-?reply|"
    r"donotreply|noreply|bounces?|listserv|majordomo|auto-?reply|notification)s?([._+-]|@)",
    re.IGNORECASE,
)
_DAEMON_HINT = re.compile(r"daemon|postmaster", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered mail|delivery status notification|delivery failure|delivery has failed|"
    r"mail delivery failed|returned mail|failure notice|non remis|non distribu|"
    r"échec de (la )?(remise|distribution)|"
    r"echec de (la )?(remise|distribution)|notification d.état de (la )?remise|message non délivré|"
    r"impossible de remettre|delivery notification|delayed mail|warning: could not send)",
    re.IGNORECASE,
)
_OUT_OF_OFFICE = re.compile(
    r"^\s*(?:(?:re|tr|fwd?|aw)\s*:\s*)*(?:"
    r"réponse automatique|reponse automatique|r[ée]ponse auto\b|message automatique|"
    r"absence du bureau|absent(?:e)? du bureau|absent(?:e)? jusqu|message d.absence|notification d.absence|"
    r"je suis absent|je serai absent|actuellement absent|en congés? jusqu|"
    r"automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|automatische antwort|"
    r"out of (?:the )?office|away from (?:the )?office|on vacation|vacation reply|abwesenheit"
    r")",
    re.IGNORECASE,
)
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "list-help", "list-archive")
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_MID_IN_TEXT = re.compile(r"^\s*message-id\s*:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_RECIPIENT_IN_TEXT = re.compile(
    r"(?:final-recipient|original-recipient)\s*:\s*(?:rfc822\s*;)?\s*<?([^\s<>;]+@[^\s<>;]+)>?"
    r"|^\s*<([^\s<>]+@[^\s<>]+)>\s*:?",
    re.IGNORECASE | re.MULTILINE,
)
_TEMPORARY_WORDS = re.compile(
    r"(delayed|will retry|will be retried|temporar|still trying|retarde|retardé|différé|nouvel essai)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Classification:
    """The kind of a message, why, and for a delivery report what it says."""

    kind: MessageKind
    reason: str = ""
    bounce: Bounce | None = None
    generated: bool = False  # sent by a program (Auto-Submitted: auto-generated…), not a reply to us


def _header(msg: Message, name: str) -> str:
    return message_header(msg, name)


def has_x_loop(msg: Message) -> bool:
    """True when the message carries an X-Loop header (ours or another robot's)."""
    return msg.get("X-Loop") is not None


def _return_path_empty(msg: Message) -> bool:
    values = msg.get_all("Return-Path") or []
    return any(str(v).strip() in {"<>", ""} for v in values)


def _daemon_sender(msg: Message) -> str:
    """The sender's address when it is a mail system's (MAILER-DAEMON, postmaster...), else ""."""
    values = [str(v) for v in (msg.get_all("From") or [])]
    # the address's local part is one atom of the raw header, so it cannot match without these
    # letters in a row (same case folding as _DAEMON_SENDER); skips address parsing for most mail
    if not _DAEMON_HINT.search(" ".join(values)):
        return ""
    found = getaddresses(values)
    sender = found[0][1] if found else ""
    return sender if _DAEMON_SENDER.match(sender) else ""


def classify(msg: Message, *, body_text: str = "") -> Classification:
    """Decide the kind of a parsed message; delivery reports come with what they say."""
    ctype = msg.get_content_type()
    report_type = str(msg.get_param("report-type", "") or "").lower()
    subject = _header(msg, "Subject")
    sender = _daemon_sender(msg)
    if ctype == "multipart/report" and report_type == "disposition-notification":
        return Classification(
            MessageKind.AUTO_REPLY, "accusé de lecture (multipart/report, disposition-notification)"
        )
    if ctype == "multipart/report" and report_type in {"delivery-status", ""}:
        return _bounce(msg, "rapport de non-distribution (multipart/report)", body_text)
    if sender:
        return _bounce(msg, f"expéditeur automatique de messagerie ({sender.split('@')[0]})", body_text)
    auto = _auto_reply_reason(msg, subject)
    if _return_path_empty(msg):
        if auto is None or _BOUNCE_SUBJECT.search(subject):
            return _bounce(msg, "Return-Path vide (rapport de distribution)", body_text)
        return Classification(MessageKind.AUTO_REPLY, auto + " ; Return-Path vide")
    list_reason = _list_reason(msg)
    if auto is not None:
        return Classification(
            MessageKind.AUTO_REPLY, auto, generated=list_reason is None and _generated(msg, subject)
        )
    if list_reason is not None:
        return Classification(MessageKind.LIST, list_reason)
    return Classification(MessageKind.REQUEST)


def _auto_reply_reason(msg: Message, subject: str) -> str | None:
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"message automatique (Auto-Submitted: {auto_submitted[:40]})"
    for name in (
        "X-Autoreply",
        "X-Autorespond",
        "X-Autoresponder",
        "X-Auto-Response-Suppress",
        "X-Autogenerated",
    ):
        if msg.get(name) is not None:
            return f"réponse automatique (en-tête {name})"
    precedence = _header(msg, "Precedence").lower()
    if precedence == "auto_reply":
        return "réponse automatique (Precedence: auto_reply)"
    if msg.get("X-MS-Exchange-Generated-Message-Source") or msg.get("X-MS-Exchange-Inbox-Rules-Loop"):
        return "réponse automatique (règle Exchange)"
    if _OUT_OF_OFFICE.search(subject):
        return "message d'absence (objet)"
    return None


def _generated(msg: Message, subject: str) -> bool:
    """Sent by a program on its own (a form engine, a notification), not an answer to a message:
    Auto-Submitted other than « auto-replied », no auto-reply header, no out-of-office subject."""
    value = _header(msg, "Auto-Submitted").lower().split(";")[0].strip()
    if value in ("", "no", "auto-replied") or _OUT_OF_OFFICE.search(subject):
        return False
    return not any(msg.get(n) is not None for n in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"))


def _list_reason(msg: Message) -> str | None:
    for name in _LIST_HEADERS:
        if msg.get(name) is not None:
            return f"liste de diffusion ou envoi groupé (en-tête {name.title()})"
    precedence = _header(msg, "Precedence").lower()
    if precedence in {"bulk", "list", "junk"}:
        return f"envoi groupé (Precedence: {precedence})"
    return None


def _bounce(msg: Message, reason: str, body_text: str) -> Classification:
    original, recipient, permanent, original_subject = None, None, None, ""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            recipient, permanent = _delivery_status(part)
        elif ctype in {"message/rfc822", "message/global"} and original is None:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                original = _clean_mid(payload[0].get("Message-ID"))
                original_subject = _header(payload[0], "Subject")
        elif ctype in {"text/rfc822-headers", "text/rfc822-header"} and original is None:
            original, original_subject = _headers_from_text(part)
    text = body_text or ""
    if original is None:
        match = _MID_IN_TEXT.search(text)
        original = match.group(1) if match else None
    if recipient is None:
        match = _RECIPIENT_IN_TEXT.search(text)
        recipient = (match.group(1) or match.group(2)) if match else None
    if permanent is None:
        permanent = _permanence_from_text(_header(msg, "Subject") + "\n" + text)
    if recipient:
        recipient = recipient.strip().strip("<>").lower()
    kind_word = "définitif" if permanent else "temporaire"
    return Classification(
        MessageKind.BOUNCE,
        f"{reason} ; échec {kind_word}",
        Bounce(
            original_message_id=original,
            recipient=recipient or None,
            permanent=permanent,
            original_subject=original_subject or _subject_in_text(text),
        ),
    )


def _delivery_status(part: Message) -> tuple[str | None, bool | None]:
    """(failed recipient, permanent) from a message/delivery-status part (RFC 3464)."""
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        text = blocks if isinstance(blocks, str) else ""
        blocks = [HeaderParser().parsestr(chunk) for chunk in re.split(r"\n\s*\n", text) if chunk.strip()]
    recipient: str | None = None
    permanent: bool | None = None
    for block in blocks:
        if not isinstance(block, Message):
            continue
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip()
        final = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
        if not (action or status or final):
            continue
        address = final.split(";", 1)[-1].strip().strip("<>") or None
        this_permanent: bool | None = None
        if action == "failed" or status.startswith("5"):
            this_permanent = True
        elif action in {"delayed", "relayed", "delivered", "expanded"} or status.startswith("4"):
            this_permanent = False
        if recipient is None or (this_permanent and not permanent):
            recipient, permanent = address, this_permanent
    return recipient, permanent


def _headers_from_text(part: Message) -> tuple[str | None, str]:
    """(Message-ID, Subject) of the returned message from a text/rfc822-headers part."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        headers = BytesHeaderParser().parsebytes(payload)
        return _clean_mid(headers.get("Message-ID")), _header(headers, "Subject")
    return None, ""


def _clean_mid(value: object) -> str | None:
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value))
    match = re.search(r"<[^<>]+>", text)
    return match.group(0) if match else (f"<{text}>" if text else None)


def _subject_in_text(text: str) -> str:
    match = re.search(r"^\s*subject\s*:\s*(.+)$", text, re.IGNORECASE | re.MULTILINE)
    return decode_header_value(match.group(1)) if match else ""


def _permanence_from_text(text: str) -> bool:
    codes = _STATUS.findall(text)
    if "5" in codes:
        return True
    # a failure report that says nothing of retrying is a definitive failure
    return not ("4" in codes or _TEMPORARY_WORDS.search(text))
