"""Separate the new text of a message from the earlier messages it quotes and from its signature.

We evaluated `mail-parser-reply` (1.36, French supported): it treats « Cordialement », « Bonne
journée » and « Salutations » as the start of a signature, so the citizen's name and phone number
that follow them are cut from the text, and it leaves « -----Message d'origine----- » in the body.
For a mediation mailbox the closing lines carry who is writing, so this small module keeps them:
only an RFC 3676 delimiter (``-- ``) or a mobile footer (« Envoyé de mon iPhone ») starts a signature.

Quote headers recognised (French and English clients): « Le ... a écrit : » (possibly wrapped over
three lines), « On ... wrote: », Outlook header blocks (« De : ... Envoyé : ... À : ... Objet : »),
« -----Message d'origine----- » and its variants, and blocks of ``>`` lines. Inline answers between
``>`` lines stay in the new text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEPARATOR = re.compile(
    r"^\s*[-_=]{2,}\s*(message d'origine|mail d'origine|message original|original message|"
    r"message transféré|message transfere|forwarded message|e-mail d'origine|courriel d'origine|"
    r"début du message réexpédié|begin forwarded message)\s*:?\s*[-_=]*\s*$",
    re.IGNORECASE,
)
_BARE_FORWARD = re.compile(r"^\s*(début du message réexpédié|begin forwarded message)\s*:\s*$", re.IGNORECASE)
_WROTE = re.compile(
    r"^\s*(?:>\s*)?(?:le\s.{3,250}?\sa\s+[ée]crit|on\s.{3,250}?\swrote|.{3,200}?\sa\s+[ée]crit\s+le\s.{3,80}?)"
    r"\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_HEADER_FIELD = re.compile(
    r"^\s*\*?(de|from|envoyé|envoye|sent|date|à|a|to|cc|objet|subject)\s*\*?\s*:\s*\S", re.IGNORECASE
)
_FROM_FIELD = re.compile(r"^\s*\*?(de|from)\s*\*?\s*:\s*\S", re.IGNORECASE)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_SIG_DELIMITER = re.compile(r"^-- ?$")
_MOBILE_FOOTER = re.compile(
    r"^\s*(envoyé|envoye|sent|expédié|expedie)\s+(de|depuis|à partir de|a partir de|from|avec|with|via)\s+"
    r"\S.{1,60}$"
    r"|^\s*(télécharger|telecharger|obtenir|get)\s+outlook\s+(pour|for)\s+(ios|android)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Split:
    """The parts of a message body."""

    text: str
    quoted: str
    signature: str


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _header_block_at(lines: list[str], i: int) -> bool:
    """An Outlook-style header block starts at line i: a From line followed by other header fields."""
    if not _FROM_FIELD.match(lines[i]):
        return False
    fields = 1
    for line in lines[i + 1 : i + 6]:
        if not line.strip():
            continue
        if _HEADER_FIELD.match(line):
            fields += 1
        else:
            break
    return fields >= 3 or (fields >= 2 and i > 0 and _UNDERSCORES.match(lines[i - 1]) is not None)


def _wrote_at(lines: list[str], i: int) -> int:
    """Number of lines (1 to 3) of a « Le ... a écrit : » header starting at line i, or 0."""
    if not lines[i].strip():
        return 0
    for span in (1, 2, 3):
        chunk = " ".join(line.strip() for line in lines[i : i + span])
        if len(chunk) > 400:
            return 0
        # _WROTE ends with « : » and optional white space: test that first, it is far cheaper
        if chunk.rstrip().endswith(":") and _WROTE.match(chunk) and re.search(r"\d|@", chunk):
            # clients always put a date or an address in the line; « Le service a écrit : » has neither
            return span
        if chunk.endswith(":"):
            return 0
    return 0


def _quote_start(lines: list[str]) -> tuple[int, int]:
    """(index of the first line of quoted history, length of its header line(s)); (-1, 0) if none."""
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line) or _BARE_FORWARD.match(line):
            return i, 1
        if _UNDERSCORES.match(line) and i + 1 < len(lines) and _header_block_at(lines, i + 1):
            return i, 1
        if _header_block_at(lines, i):
            return i, 0
        span = _wrote_at(lines, i)
        if span:
            return i, span
    return -1, 0


def _trim(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """Cut a signature: from the last RFC 3676 delimiter, or a mobile footer among the last lines."""
    for i in range(len(lines) - 1, -1, -1):
        if _SIG_DELIMITER.match(lines[i]):
            return lines[:i], lines[i:]
    non_blank = [i for i, line in enumerate(lines) if line.strip()]
    for i in non_blank[-3:]:
        if _MOBILE_FOOTER.match(lines[i]):
            return lines[:i], lines[i:]
    return lines, []


def split_reply(body: str) -> Split:
    """Split a plain-text body into the new text, the quoted history and the signature."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start, span = _quote_start(lines)
    quoted: list[str] = []
    if start >= 0:
        head, tail = lines[:start], lines[start:]
        after_header = tail[span:]
        inline = [line for line in after_header if line.strip() and not _is_quoted(line)]
        quoted_lines = [line for line in after_header if _is_quoted(line)]
        if span and quoted_lines and inline and _inline_answers(after_header):
            # « Le ... a écrit : » followed by answers written between the quoted lines
            new = head + [line for line in after_header if not _is_quoted(line)]
            quoted = tail[:span] + quoted_lines
        else:
            new, quoted = head, tail
    else:
        new = [line for line in lines if not _is_quoted(line)]
        quoted = [line for line in lines if _is_quoted(line)]
        if quoted and not any(line.strip() for line in new):
            # only quoted lines (a bare forward): nothing new was written, keep it as the text
            new, quoted = lines, []
    new, signature = _split_signature(new)
    text = _trim(new)
    if not text and quoted:
        # a forward with no comment: what was forwarded is what the person sends us
        return Split(text=_trim(quoted), quoted="", signature=_trim(signature))
    return Split(text=text, quoted=_trim(quoted), signature=_trim(signature))


def _inline_answers(lines: list[str]) -> bool:
    """True when non-quoted text sits between two quoted lines (answers written inline)."""
    seen_quote = False
    pending = False
    for line in lines:
        if _is_quoted(line):
            if pending:
                return True
            seen_quote = True
        elif line.strip() and seen_quote and not _SIG_DELIMITER.match(line):
            pending = True
    return False
