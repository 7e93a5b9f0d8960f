"""Raw bytes -> ParsedMessage. Anything that cannot honestly be read raises ParseError (-> quarantine).

The stdlib builds the MIME tree (guarded against hostile nesting); mail-parser's own readers decode
addresses without letting an encoded word smuggle in a second address, and read dates (only those:
its full parse also decodes every part, which the walk below does anyway, and cost a third of the
parsing time); triage.parse.body picks and repairs the text; triage.parse.automatic and triage.parse.webform
say what the message is; triage.parse.quotes separates the new text from quoted history and signature.
"""

from __future__ import annotations

import contextlib
import email
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parseaddr
from typing import Any

import mailparser
from mailparser.exceptions import MailParserError

try:  # mail-parser >= 4.8: the address and date readers its parse uses, callable on their own
    from mailparser.dates import parse_mail_date
    from mailparser.utils import get_addresses
except ImportError:  # pragma: no cover - other versions: run mail-parser's whole parse instead
    parse_mail_date = get_addresses = None

from triage import logs
from triage.config import ParsingSettings, Settings
from triage.errors import ParseError
from triage.parse.automatic import classify, has_x_loop
from triage.parse.body import Walker
from triage.parse.charsets import clean_text, decode_header_value, message_header
from triage.parse.quotes import split_reply
from triage.parse.verdict import screen_automatic, screen_form
from triage.parse.webform import parse_fields
from triage.records import MessageKind, ParsedMessage, WebForm

# mail-parser logs attachment file names at debug level and chatters about part types it does not
# render: neither belongs in our logs (no personal data; defects are recorded on the message).
logs.quiet("mailparser")

_MID = re.compile(r"<[^<>\s]{1,900}>")
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:")
_KNOWN_HEADERS = ("from", "to", "subject", "date", "message-id", "received", "return-path", "mime-version")
_MAX_REFERENCES = 50
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bBqQ]\?[^?\s]*\?=")
_ANGLE_ADDR = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+)\s*>\s*(?:\([^()]*\)\s*)?$")
_TOO_DEEP = "Message nesting too deep to parse (possible malicious multipart structure)"


def normalise_message_id(value: str | None) -> str:
    """A Message-ID without angle brackets or whitespace ("" when absent)."""
    if not value:
        return ""
    return re.sub(r"\s+", "", value).strip("<>")


def dedupe_key(message_id: str | None, content_hash: str) -> str:
    """sha256(normalised Message-ID + newline + sha256 of the raw bytes), as the contracts say."""
    return hashlib.sha256(f"{normalise_message_id(message_id)}\n{content_hash}".encode()).hexdigest()


def _defects(msg: Message) -> list[str]:
    names: list[str] = []
    for part in msg.walk():
        for defect in part.defects:
            name = type(defect).__name__
            if name not in names:
                names.append(name)
    return names


def _repair_headers(raw: bytes) -> bytes | None:
    """Headers broken by a folded line without indentation, or junk before the first header: fixed."""
    head, sep, rest = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    if re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\xff]", head):
        return None  # binary junk among the headers: not a message we can vouch for
    lines = head.split(b"\n")
    if any(len(line) > 998 for line in lines):
        return None  # beyond RFC 5322's hard line limit: corrupted, not merely sloppy
    start = 0
    if lines and lines[0].startswith(b"From "):
        start = 1  # mbox envelope line
    while start < min(len(lines), 4) and not _HEADER_LINE.match(lines[start]):
        start += 1
    fixed: list[bytes] = []
    for line in lines[start:]:
        if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t") or not fixed:
            fixed.append(line)
        else:
            fixed.append(b" " + line)  # an unindented continuation of the previous header
    if not fixed or not _HEADER_LINE.match(fixed[0]):
        return None
    return b"\n".join(fixed) + (sep or b"\n\n") + rest


@dataclass(frozen=True)
class _Headers:
    """The stdlib message and what mail-parser reads from its headers (the names its MailParser uses)."""

    message: Message
    from_: list[tuple[str, str]]
    reply_to: list[tuple[str, str]]
    to: list[tuple[str, str]]
    date: datetime | None


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """mail-parser's reading of the first `name` header: (display name, address) pairs with an address."""
    assert get_addresses is not None
    for key, value in msg.items():
        if key.lower() == name:
            return [
                ("" if display == address else display, address)
                for display, address in get_addresses(value, defects=[], decode_names=True)
                if address
            ]
    return []


def _date_header(msg: Message) -> Any:
    assert parse_mail_date is not None
    for key, value in msg.raw_items():
        if key.lower() == "date":
            return parse_mail_date(value).value
    return None


class _TooManyParts(Exception):
    """Raised by the part factory as soon as a message has more parts than allowed."""


def _part_factory(limit: int) -> Callable[..., Message]:
    """A stdlib message class that counts the parts the parser builds and stops it past `limit`
    (50,000 parts would take seconds and hundreds of megabytes before any check afterwards)."""
    built = 0

    def factory(*args: Any, **kwargs: Any) -> Message:
        nonlocal built
        built += 1
        if built > limit + 1:  # the feed parser builds one probe instance first
            raise _TooManyParts(limit)
        return Message(*args, **kwargs)

    return factory


def _depth(msg: Message) -> int:
    """How deeply the MIME tree nests (iterative: a hostile tree cannot exhaust the stack here)."""
    deepest, stack = 0, [(msg, 1)]
    while stack:
        part, level = stack.pop()
        deepest = max(deepest, level)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, level + 1) for child in payload if isinstance(child, Message))
    return deepest


def _read(raw: bytes, max_parts: int = 500) -> _Headers:
    """Parse bytes into a stdlib message and read its address and date headers as mail-parser does."""
    if get_addresses is None or parse_mail_date is None:  # pragma: no cover - see the imports
        parser = mailparser.parse_from_bytes(raw)
        return _Headers(parser.message, parser.from_, parser.reply_to, parser.to, parser.date)
    try:
        msg = email.message_from_bytes(raw, _class=_part_factory(max_parts))
    except RecursionError as err:
        raise MailParserError(_TOO_DEEP) from err
    return _Headers(
        msg, _addresses(msg, "from"), _addresses(msg, "reply-to"), _addresses(msg, "to"), _date_header(msg)
    )


def _load(raw: bytes, parsing: ParsingSettings) -> tuple[_Headers, list[str]]:
    notes: list[str] = []
    try:
        parser = _read(raw, parsing.max_mime_parts)
    except _TooManyParts as err:
        raise ParseError(
            f"plus de {parsing.max_mime_parts} parties MIME (limite parsing.max_mime_parts) : message non lu, "
            "gardé tel quel"
        ) from err
    except MailParserError as err:
        raise ParseError(f"structure MIME illisible ({err})") from err
    except RecursionError as err:
        raise ParseError("structure MIME trop imbriquée") from err
    msg = parser.message
    if msg is None:
        raise ParseError("aucun contenu de message")
    if "MissingHeaderBodySeparatorDefect" in _defects(msg) or not any(msg.get(h) for h in _KNOWN_HEADERS):
        repaired = _repair_headers(raw)
        if repaired is not None and repaired != raw:
            try:
                candidate: _Headers | None = _read(repaired, parsing.max_mime_parts)
            except (MailParserError, RecursionError, _TooManyParts):
                candidate = None
            if candidate is not None and candidate.message is not None and candidate.message.get("From"):
                parser, msg = candidate, candidate.message
                notes.append("en-têtes réparés (ligne repliée sans indentation ou ligne parasite)")
    if not any(msg.get(h) for h in _KNOWN_HEADERS):
        raise ParseError("aucun en-tête de courriel reconnu : ce fichier n'est pas un message électronique")
    if "MissingHeaderBodySeparatorDefect" in _defects(msg) and not msg.get("From"):
        raise ParseError(
            "en-têtes corrompus : le bloc d'en-têtes est interrompu par des lignes illisibles et "
            "l'expéditeur n'a pas pu être lu"
        )
    return parser, notes


def _cut_short(data: bytes) -> bool:
    """True when a file of a known format visibly stops before its end marker."""
    if data.startswith(b"%PDF-"):
        return b"%%EOF" not in data[-2048:]
    if data.startswith(b"\xff\xd8"):
        return b"\xff\xd9" not in data[-64:]
    if data.startswith(b"\x89PNG"):
        return b"IEND" not in data[-64:]
    if data.startswith(b"PK\x03\x04"):
        return b"PK\x05\x06" not in data[-65560:]
    return False


def _check_structure(msg: Message) -> dict[int, bytes]:
    """Refuse what cannot be read honestly: a multipart whose boundary is nowhere in the body, or an
    attachment cut short (truncated base64, or a file stopping before its end marker when the message
    was never closed). Returns the payloads it decoded, by id() of their part, for the walk to reuse."""
    defects = _defects(msg)
    if "StartBoundaryNotFoundDefect" in defects:
        raise ParseError(
            "structure MIME illisible : la frontière déclarée dans Content-Type "
            "n'apparaît jamais dans le corps"
        )
    never_closed = "CloseBoundaryNotFoundDefect" in defects
    decoded: dict[int, bytes] = {}
    leaves = [p for p in msg.walk() if not p.is_multipart()]
    for index, part in enumerate(leaves):
        if str(part.get("Content-Transfer-Encoding", "")).strip().lower() != "base64":
            continue
        if part.get_content_maintype() == "text":
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        if not isinstance(data, bytes):
            continue
        decoded[id(part)] = data
        b64_defects = {type(d).__name__ for d in part.defects} & {
            "InvalidBase64LengthDefect",
            "InvalidBase64PaddingDefect",
            "InvalidBase64CharactersDefect",
        }
        suspicious = bool(b64_defects) or (never_closed and index == len(leaves) - 1)
        if "InvalidBase64LengthDefect" in b64_defects or (suspicious and _cut_short(data)):
            name = "la dernière pièce" if index == len(leaves) - 1 else f"la pièce n° {index + 1}"
            raise ParseError(
                f"message tronqué : {name} ({part.get_content_type()}, base64) est incomplète"
                + (" et la structure MIME n'est jamais refermée" if never_closed else "")
            )
    return decoded


def _decode_unread_text_parts(msg: Message) -> None:
    """Decode the base64 text parts a parse does not otherwise read (the unused half of an alternative,
    the text of an attached message), for the defects decoding records on them: mail-parser's full
    parse decoded every body part, and the defect list stored with a message stays what it was."""
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if str(part.get("Content-Transfer-Encoding", "")).strip().lower() != "base64":
            continue
        subtype = part.get_content_subtype()
        attachment = (
            bool(part.get_filename())
            or (bool(part.get("Content-ID")) and subtype not in ("html", "plain"))
            or subtype == "rtf"
            or (part.get_content_disposition() or "").lower() == "attachment"
        )
        if not attachment:
            with contextlib.suppress(Exception):  # only the defects matter here, not the bytes
                part.get_payload(decode=True)


def _first_address(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    for name, address in pairs:
        if address and "@" in address:
            return name, address
    return ("", "")


def message_raw(msg: Message, name: str) -> str:
    """The raw text of the first `name` header ("" when absent)."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _address_outside_encoded_words(msg: Message, address: str) -> str:
    """The sender's address as the raw From header gives it outside its encoded words: an encoded word
    is one atom of the display name, so whatever it decodes to can never become the address
    (« =?utf-8?q?Jean_<x>?= <real@…> » is real@…; an address found only inside one is none)."""
    raw = " ".join(message_raw(msg, "From").split())
    if "=?" not in raw:
        return address
    outside = _ENCODED_WORD.sub(" ", raw)
    match = _ANGLE_ADDR.search(outside)
    if match:
        return match.group(1)
    if address and address.lower() in outside.lower():
        return address
    bare = parseaddr(outside)[1]
    return bare if "@" in bare else ""


def _from(parser: _Headers, msg: Message) -> tuple[str, str]:
    name, address = _first_address(parser.from_ or [])
    if not address:
        name, address = parseaddr(message_header(msg, "From"))
        if "@" not in address:
            address = ""
    address = _address_outside_encoded_words(msg, address)
    if "\\udc" in name or "=?" in name or not name.isprintable() or "=?" in message_raw(msg, "From"):
        # undeclared 8-bit or malformed encoded-word display name: decode the raw header ourselves
        decoded = message_header(msg, "From")
        name = decoded.rsplit("<", 1)[0] if "<" in decoded else parseaddr(decoded)[0]
    # an undeclared 8-bit byte in the address (kept by the parser as a surrogate) cannot be stored as is
    return clean_text(name).strip().strip('"').strip(), clean_text(address).strip().strip("<>")


def _date(parser: _Headers) -> datetime | None:
    value = parser.date
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ids(value: object) -> list[str]:
    return _MID.findall(re.sub(r"\s+", "", str(value))) if value else []


def parse_message(raw: bytes, settings: Settings | ParsingSettings) -> ParsedMessage:
    """Parse raw RFC 5322 bytes; raise ParseError with a French reason when they cannot be read."""
    parsing = settings.parsing if isinstance(settings, Settings) else settings
    if not raw or not raw.strip():
        raise ParseError("message vide")
    try:
        return _parse(raw, parsing)
    except RecursionError as err:  # hostile nesting caught by any of the walks below
        raise ParseError("structure MIME trop imbriquée") from err


def _parse(raw: bytes, parsing: ParsingSettings) -> ParsedMessage:
    content_hash = hashlib.sha256(raw).hexdigest()
    parser, notes = _load(raw, parsing)
    msg = parser.message
    depth = _depth(msg)
    if depth > parsing.max_mime_depth:
        raise ParseError(
            f"parties MIME imbriquées sur {depth} niveaux (limite parsing.max_mime_depth = "
            f"{parsing.max_mime_depth}) : message non lu, gardé tel quel"
        )
    decoded = _check_structure(msg)
    try:
        # the walk reuses the attachments _check_structure decoded (base64 decoded once, not twice)
        body = Walker(parsing.max_attachment_bytes, decoded).walk(msg)
    except RecursionError as err:
        raise ParseError("structure MIME trop imbriquée") from err
    notes.extend(body.notes)
    subject = message_header(msg, "Subject")
    message_ids = _ids(msg.get("Message-ID"))
    message_id = message_ids[0] if message_ids else None
    # some clients RFC 2047-encode long id headers: decode before looking for <ids>
    in_reply_to_ids = _ids(message_header(msg, "In-Reply-To"))
    references = tuple(
        _ids(" ".join(decode_header_value(v) for k, v in msg.raw_items() if k.lower() == "references"))[
            -_MAX_REFERENCES:
        ]
    )
    from_name, from_address = _from(parser, msg)
    reply_to = clean_text(_first_address(parser.reply_to or [])[1]) or None
    to = tuple(clean_text(a) for _, a in (parser.to or []) if a)
    if not to:
        to = tuple(
            clean_text(a) for _, a in getaddresses([str(v) for v in msg.get_all("To") or []]) if "@" in a
        )
    text = body.text
    form = None
    raw_form_id = msg.get("X-Form-Id")
    form_id = str(raw_form_id) if raw_form_id else None
    screening = screen_form(msg, parsing, sender=from_address, subject=subject, form_id=form_id, text=text)
    classification = None
    if screening.form:
        form = parse_fields(text, subject=subject, form_id=form_id)
    if form is None:
        classification = classify(msg, body_text=text)
        if not screening.set_aside and classification.kind is not MessageKind.BOUNCE:
            automatic = screen_automatic(
                classification, parsing, sender=from_address, reply_to=reply_to, text=text
            )
            if automatic.form:  # the trusted form robot's message, whatever its subject says
                form = parse_fields(text, subject=subject, form_id=form_id) or WebForm(message=text.strip())
            elif automatic.set_aside:
                screening = automatic
    if form is not None or classification is None:
        kind, kind_reason, bounce = MessageKind.REQUEST, "", None
        new_text, quoted, signature = text.strip("\n"), "", ""
    else:
        kind, kind_reason, bounce = classification.kind, classification.reason, classification.bounce
        split = split_reply(text)
        new_text, quoted, signature = split.text, split.quoted, split.signature
    _decode_unread_text_parts(msg)
    defects = _defects(msg) + notes
    return ParsedMessage(
        message_id=message_id,
        subject=subject,
        from_name=from_name,
        from_address=from_address,
        reply_to=reply_to,
        to=to,
        date=_date(parser),
        in_reply_to=in_reply_to_ids[0] if in_reply_to_ids else None,
        references=references,
        kind=kind,
        kind_reason=kind_reason,
        text=new_text,
        quoted=quoted,
        signature=signature,
        html=body.safe_html,
        attachments=tuple(body.attachments),
        form=form,
        bounce=bounce,
        has_x_loop=has_x_loop(msg),
        content_hash=content_hash,
        dedupe_key=dedupe_key(message_id, content_hash),
        defects=tuple(defects),
        set_aside=screening.set_aside,
        probable_spam=screening.probable_spam,
    )


def to_json_dict(parsed: ParsedMessage) -> dict[str, object]:
    """A JSON-ready view of a parse (attachment bytes replaced by their hash): golden files, debugging."""
    return {
        "message_id": parsed.message_id,
        "subject": parsed.subject,
        "from_name": parsed.from_name,
        "from_address": parsed.from_address,
        "reply_to": parsed.reply_to,
        "requester_address": parsed.requester_address,
        "to": list(parsed.to),
        "date": parsed.date.isoformat() if parsed.date else None,
        "in_reply_to": parsed.in_reply_to,
        "references": list(parsed.references),
        "kind": parsed.kind.value,
        "kind_reason": parsed.kind_reason,
        "channel": parsed.channel.value,
        "text": parsed.text,
        "quoted": parsed.quoted,
        "signature": parsed.signature,
        "html": parsed.html,
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "declared_type": a.declared_type,
                "size": a.size,
                "sha256": a.sha256,
                "too_large": a.too_large,
            }
            for a in parsed.attachments
        ],
        "form": None
        if parsed.form is None
        else {k: getattr(parsed.form, k) for k in parsed.form.__dataclass_fields__},
        "bounce": None
        if parsed.bounce is None
        else {
            "original_message_id": parsed.bounce.original_message_id,
            "recipient": parsed.bounce.recipient,
            "permanent": parsed.bounce.permanent,
            "original_subject": parsed.bounce.original_subject,
        },
        "has_x_loop": parsed.has_x_loop,
        "content_hash": parsed.content_hash,
        "dedupe_key": parsed.dedupe_key,
        "defects": list(parsed.defects),
    }
