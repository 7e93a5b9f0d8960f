"""Turn bytes of unknown or lying charset into text; tuned for a French mailbox, robust for any other.

Real mail lies: windows-1252 declared as iso-8859-1 (curly apostrophes and the euro sign become C1
control characters), UTF-8 declared as latin-1, 8-bit text with no charset at all, charsets Python
does not know (``unicode-1-1-utf-7``, ``x-unknown``). charset-normalizer guesses the rest; on short
French text its unrestricted guess is often a Central-European code page, so windows-1252 is tried
first when the result reads as French.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

# Charsets that mail clients declare for a close superset they actually used.
_SUPERSETS = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-15": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "tis-620": "cp874",
}
_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "utf7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
    "ansi_x3.4-1968": "ascii",
    "windows-874": "cp874",
    "cp-850": "cp850",
    "utf8": "utf-8",
    "x-mac-roman": "mac_roman",
}
_WESTERN = {"iso-8859-1", "latin-1", "latin1", "iso-8859-15", "us-ascii", "ascii", "cp1252", "windows-1252"}
# Letters and punctuation of French text once decoded; anything else means "not windows-1252 French".
_FRENCH_NON_ASCII = set("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ’‘“”«»–—…€°²³·•\u00a0\u202f")
_C1 = re.compile(r"[\x80-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_charset(name: str | None) -> str:
    """A codec name Python knows, or "" when the declared one is unknown or meaningless."""
    if not name:
        return ""
    name = name.strip().strip('"').lower()
    name = _ALIASES.get(name, name)
    if not name:
        return ""
    if not name.isprintable():  # « \x00iso-8859-1 » : not a charset name (codecs.lookup would raise)
        return ""
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return ""


def _reads_as_french(text: str) -> bool:
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return True
    return sum(c in _FRENCH_NON_ASCII for c in non_ascii) / len(non_ascii) >= 0.9


def _guess(data: bytes) -> tuple[str, str]:
    """Decode bytes with no usable charset: UTF-8, French windows-1252, then charset-normalizer."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and _reads_as_french(text):
        return text, "cp1252"
    best = from_bytes(data).best()
    if best is not None:
        return str(best), best.encoding
    return data.decode("cp1252", errors="replace"), "cp1252"


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """(text, repair note or None): decode `data` honouring `declared` unless it is missing or lies."""
    if not data:
        return "", None
    codec = normalise_charset(declared)
    label = (declared or "").strip().strip('"').lower()
    if data.isascii() and not codec.startswith(("utf-7", "iso2022")):
        return data.decode("ascii"), None
    if not codec:
        text, used = _guess(data)
        note = f"jeu de caractères {'inconnu « ' + label + ' »' if label else 'absent'}, {used} utilisé"
        return text, note
    if label in _WESTERN or codec in {"iso8859-1", "iso8859-15", "ascii", "cp1252"}:
        # UTF-8 sent as latin-1 is the commonest lie: valid multi-byte UTF-8 is never accidental.
        try:
            return data.decode("utf-8"), f"{label} déclaré, utf-8 utilisé"
        except UnicodeDecodeError:
            pass
        if codec == "ascii":
            text, used = _guess(data)
            return text, f"{label} déclaré, {used} utilisé"
        if codec != "cp1252" and re.search(rb"[\x80-\x9f]", data):
            text = data.decode("cp1252", errors="replace")
            return text, f"{label} déclaré, windows-1252 utilisé"
    try:
        return data.decode(codec), None
    except UnicodeDecodeError:
        pass
    superset = _SUPERSETS.get(label) or _SUPERSETS.get(codec)
    if superset:
        try:
            return data.decode(superset), f"{label} déclaré, {superset} utilisé"
        except UnicodeDecodeError:
            pass
    text, used = _guess(data)
    return text, f"{label} déclaré mais invalide, {used} utilisé"


def clean_text(text: str) -> str:
    """Text safe for every store: surrogates repaired, NUL and control characters dropped, LF newlines."""
    if _SURROGATES.search(text):
        raw = text.encode("utf-8", "surrogateescape") if _is_escaped(text) else None
        text = decode_bytes(raw, None)[0] if raw is not None else _SURROGATES.sub("\ufffd", text)
        text = _SURROGATES.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def printable_name(text: str) -> str:
    """A file name or path as text that any store and terminal take: bytes that are not UTF-8 (kept by
    the OS as surrogate escapes) are written « \\xe9 », so the same file gets the same key every run."""
    if not _SURROGATES.search(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
        return _SURROGATES.sub("\ufffd", text)


def safe_filename(name: str, limit: int = 200) -> str:
    """An attachment's name safe to store and show: no folders, no control characters and no invisible
    format characters (bidi overrides and isolates U+202A–202E, U+2066–2069, marks U+200E/U+200F/U+061C,
    zero-width characters): « facture\u202efdp.exe » must not show as « factureexe.pdf »."""
    name = clean_text(name).replace("/", "_").replace("\\", "_").replace("\n", " ")
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cf", "Cc", "Co", "Cs"))
    return name.strip()[:limit]


def _is_escaped(text: str) -> bool:
    """True when every surrogate is a surrogateescape'd byte (U+DC80..U+DCFF)."""
    return all("\udc80" <= c <= "\udcff" for c in _SURROGATES.findall(text))


_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,40})\?([QqBb])\?(.*?)\?=", re.DOTALL)
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")


def _decode_word(charset: str, encoding: str, payload: str) -> str:
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
    if encoding.upper() == "B":
        compact = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        compact = compact[: len(compact) - len(compact) % 4] if len(compact) % 4 == 1 else compact
        try:
            data = base64.b64decode(compact + "=" * (-len(compact) % 4))
        except (binascii.Error, ValueError):
            return payload
    else:
        text = re.sub(r"\s+", "", payload).replace("_", " ")
        data = re.sub(
            rb"=([0-9A-Fa-f]{2})",
            lambda m: bytes([int(m.group(1), 16)]),
            text.encode("utf-8", "surrogateescape"),
        )
    return decode_bytes(data, charset)[0]


def decode_header_value(value: object) -> str:
    """A header value as text: RFC 2047 encoded words decoded leniently (folded, unknown or lying
    charsets), raw 8-bit bytes repaired, folding removed."""
    if value is None:
        return ""
    text = str(value)
    if not text:
        return ""
    if _SURROGATES.search(text) and _is_escaped(text):
        # raw 8-bit header: the stdlib kept the bytes as surrogates
        text = decode_bytes(text.encode("ascii", "surrogateescape"), None)[0]
    text = re.sub(r"\r?\n[ \t]*", " ", text)
    if "=?" in text:
        text = _BETWEEN_WORDS.sub(r"\1\2", text)
        text = _ENCODED_WORD.sub(lambda m: _decode_word(m.group(1), m.group(2), m.group(3)), text)
    text = re.sub(r"[ \t]+", " ", text)
    return clean_text(text).strip()


def has_c1_controls(text: str) -> bool:
    """True when text still holds C1 control characters (a sign of a wrong single-byte decode)."""
    return bool(_C1.search(text))


def message_header(msg: object, name: str) -> str:
    """The first `name` header of a stdlib message, decoded from its raw value (never a Header object)."""
    wanted = name.lower()
    raw_items = getattr(msg, "raw_items", None)
    if raw_items is None:
        return ""
    for key, value in raw_items():
        if key.lower() == wanted:
            return decode_header_value(value)
    return ""
