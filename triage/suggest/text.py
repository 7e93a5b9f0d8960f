"""What the suggester reads from a message: subject and new text, and more when the message itself
says little (a forward, « voir PJ »)."""

from __future__ import annotations

from triage.parse.body import pdf_text_layer
from triage.records import ParsedMessage

_FORWARD_PREFIXES = ("tr:", "fw:", "fwd:", "wg:", "transfert", "[fwd")


def suggestion_text(parsed: ParsedMessage) -> str:
    """What the suggester reads: subject and new text, plus the quoted part of a forward or a short
    note, plus the text layer of attached PDFs when the message itself says little (« voir PJ »)."""
    parts = [parsed.subject, parsed.text]
    forward = parsed.subject.strip().lower().startswith(_FORWARD_PREFIXES)
    if parsed.quoted and (forward or len(parsed.text) < 400):
        parts.append(parsed.quoted)
    if len(parsed.text) < 400:
        for att in parsed.attachments:
            if att.content_type == "application/pdf" and att.data is not None:
                parts.append(pdf_text_layer(att.data))
    return "\n\n".join(p for p in parts if p.strip())
