"""The body and attachments of a MIME message: text parts chosen, decoded and repaired; HTML made safe.

HTML becomes readable text with inscriptis (tables and lists keep their layout) and is kept only
after nh3 has removed scripts, styles, event handlers and the sources of remote images (they would
tell the sender when the mediator opens the message). Attachment types are sniffed from the bytes
with libmagic; the declared type is kept beside it, never trusted.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
from dataclasses import dataclass, field
from email.message import Message

import magic
import nh3
from inscriptis import get_text
from inscriptis.model.config import ParserConfig

from triage.parse.charsets import clean_text, decode_bytes, decode_header_value, safe_filename
from triage.records import Attachment

_MAGIC_LOCK = threading.Lock()  # a libmagic handle is not safe to share between threads
_MAGIC = magic.Magic(mime=True)
_INSCRIPTIS = ParserConfig(display_links=False, display_images=False)
_SAFE_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


@dataclass
class Body:
    """What the walk of a message found."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Plain text when there is some, else the HTML rendered as text."""
        plain = "\n\n".join(p.strip("\n") for p in self.plain if p.strip())
        if plain:
            return plain
        return "\n\n".join(html_to_text(h) for h in self.html if h.strip()).strip("\n")

    @property
    def safe_html(self) -> str:
        """The HTML parts, sanitised, or ""."""
        return "\n".join(sanitise_html(h) for h in self.html if h.strip())


def sniff(data: bytes) -> str:
    """The MIME type of bytes according to libmagic."""
    if not data:
        return "application/x-empty"
    with _MAGIC_LOCK:
        try:
            return _MAGIC.from_buffer(data[:65536]) or "application/octet-stream"
        except magic.MagicException:
            return "application/octet-stream"


_URL_ATTRIBUTES = {
    "href",
    "src",
    "srcset",
    "background",
    "cite",
    "poster",
    "action",
    "formaction",
    "longdesc",
    "lowsrc",
    "dynsrc",
    "usemap",
    "xlink:href",
}
_INLINE_IMAGE = re.compile(r"^(?:cid:|data:image/(?:png|jpeg|gif|webp);)")
_LINK = re.compile(r"^(?:https?:|mailto:|tel:|#)")


def _keep_safe_urls(element: str, attribute: str, value: str) -> str | None:
    """Images only inline (cid:, data:image/…): a remote one tells the sender the message was read.
    Links only absolute with a safe scheme: a relative, protocol-relative or backslashed URL
    (« /\\evil.example/x.png », « //evil », « \\\\evil ») would resolve to another site."""
    if attribute not in _URL_ATTRIBUTES:
        return value
    # what a browser ignores in a URL (spaces, tabs, newlines, control characters) must not hide a host
    url = re.sub(r"[\x00-\x20\x7f]+", "", value).lower()
    if element == "img" or attribute != "href":
        return value if _INLINE_IMAGE.match(url) else None
    return value if _LINK.match(url) and not url.startswith(("http:\\", "https:\\")) else None


def sanitise_html(html: str) -> str:
    """HTML without scripts, styles, event handlers, dangerous links or remote images."""
    return nh3.clean(
        html,
        url_schemes=_SAFE_SCHEMES,
        attribute_filter=_keep_safe_urls,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def html_to_text(html: str) -> str:
    """Readable text of an HTML document (layout-aware), trailing spaces removed."""
    try:
        text = get_text(html, _INSCRIPTIS)
    except Exception:  # inscriptis chokes on some broken markup: fall back to the sanitiser's text
        text = nh3.clean(html, tags=set())
    lines = [line.rstrip() for line in clean_text(text).split("\n")]
    out: list[str] = []
    for line in lines:  # collapse runs of blank lines left by layout tables
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _message_bytes(msg: Message) -> bytes:
    try:
        return msg.as_bytes()
    except Exception:  # unencodable headers in an attached message: keep what can be kept
        return str(msg).encode("utf-8", "surrogateescape")


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return (
        disposition == "attachment"
        or bool(part.get_param("filename", header="content-disposition"))
        or bool(part.get_param("name"))
    )


class Walker:
    """Walks a message once, collecting text, HTML and attachments."""

    def __init__(self, max_attachment_bytes: int, decoded: dict[int, bytes] | None = None) -> None:
        self.max_attachment_bytes = max_attachment_bytes
        self.body = Body()
        self._count = 0
        self._decoded = decoded or {}  # payloads already decoded, by id() of their part

    def _payload(self, part: Message) -> bytes:
        data = self._decoded.get(id(part))
        return data if data is not None else _payload_bytes(part)

    def walk(self, msg: Message) -> Body:
        """Collect everything from a parsed message."""
        self._visit(msg, top=True)
        return self.body

    def _visit(self, part: Message, top: bool = False) -> None:
        ctype = part.get_content_type()
        if ctype.startswith("message/"):
            # attached messages and delivery reports are attachments, never the body
            self._attach(part, default_ext=".txt" if ctype == "message/delivery-status" else ".eml")
            return
        if part.is_multipart():
            if ctype == "multipart/alternative":
                self._alternative(part)
                return
            for child in part.get_payload() or []:
                if isinstance(child, Message):
                    self._visit(child)
            return
        if ctype in {"text/plain", "text/html"} and not _is_attachment(part):
            self._text(part)
            return
        if top and ctype.startswith("text/"):
            self._text(part)  # a single-part text/enriched or unknown text type: read it anyway
            return
        self._attach(part)

    def _alternative(self, part: Message) -> None:
        children = [c for c in part.get_payload() or [] if isinstance(c, Message)]
        plain = [c for c in children if c.get_content_type() == "text/plain" and not _is_attachment(c)]
        html = [c for c in children if c.get_content_type() == "text/html" and not _is_attachment(c)]
        nested = [c for c in children if c.is_multipart()]
        for child in plain[-1:] + html[-1:]:
            self._text(child)
        if not plain and not html:
            for child in nested[-1:]:
                self._visit(child)
        elif nested:
            # multipart/related inside alternative: its HTML is the rich version; keep its images
            for child in nested:
                sub = Walker(self.max_attachment_bytes, self._decoded)
                sub._count = self._count
                got = sub.walk(child)
                self._count = sub._count
                if not plain:
                    self.body.plain.extend(got.plain)
                if not html:
                    self.body.html.extend(got.html)
                self.body.attachments.extend(got.attachments)
                self.body.notes.extend(got.notes)

    def _text(self, part: Message) -> None:
        data = self._payload(part)
        text, note = decode_bytes(data, part.get_content_charset())
        if note:
            self.body.notes.append(note)
        text = clean_text(text)
        if part.get_content_type() == "text/html":
            self.body.html.append(text)
        else:
            if str(part.get_param("format", "")).lower() == "flowed":
                text = _unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
            self.body.plain.append(text)

    def _attach(self, part: Message, default_ext: str = "") -> None:
        self._count += 1
        ctype = part.get_content_type()
        inner = part.get_payload() if ctype.startswith("message/") else None
        if isinstance(inner, list):
            data = b"\n".join(_message_bytes(m) for m in inner if isinstance(m, Message))
        else:
            data = self._payload(part)
        try:
            raw_name = part.get_filename()
        except Exception:
            raw_name = None
        filename = safe_filename(decode_header_value(raw_name)) if raw_name else ""
        sniffed = sniff(data)
        if not filename:
            ext = (
                default_ext
                or mimetypes.guess_extension(sniffed)
                or mimetypes.guess_extension(ctype)
                or ".bin"
            )
            filename = f"piece-jointe-{self._count}{ext}"
        too_large = len(data) > self.max_attachment_bytes
        self.body.attachments.append(
            Attachment(
                filename=filename,
                content_type=sniffed,
                declared_type=ctype,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=None if too_large else data,
                too_large=too_large,
            )
        )


def _unflow(text: str, delsp: bool) -> str:
    """Join RFC 3676 format=flowed soft line breaks (lines ending with a space)."""
    out: list[str] = []
    buffer = ""
    for line in text.split("\n"):
        if line == "-- ":
            if buffer:
                out.append(buffer)
                buffer = ""
            out.append(line)
            continue
        line = line.removeprefix(" ")  # space-stuffing
        if line.endswith(" ") and not line.startswith(">"):
            buffer += line[:-1] if delsp else line
        else:
            out.append(buffer + line)
            buffer = ""
    if buffer:
        out.append(buffer)
    return "\n".join(out)


def pdf_text_layer(data: bytes, max_pages: int = 20) -> str:
    """The text layer of a PDF attachment ("" when it has none or cannot be opened); no OCR here."""
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
    except Exception:  # damaged or encrypted PDF: the attachment is still kept, just not read
        return ""
    try:
        pages = []
        for index in range(min(len(pdf), max_pages)):
            page = pdf[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return clean_text("\n\n".join(pages)).strip()
    except Exception:
        return ""
    finally:
        pdf.close()
