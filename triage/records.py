"""Typed records that the stages exchange (frozen dataclasses: never dicts, never ORM rows).

ingest (RawMessage / ScanDocument) -> parse (ParsedMessage) -> extract (Extraction)
-> suggest (Suggestion) -> dossiers (DossierOutcome) -> store -> notify.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class Channel(str, enum.Enum):
    """How a request reached the mediator."""

    EMAIL = "email"
    FORM = "formulaire"
    LETTER = "courrier"
    PHONE = "telephone"
    VISIT = "permanence"


class MessageKind(str, enum.Enum):
    """What an incoming item is, before threading decides where it goes."""

    REQUEST = "request"  # a person writing to us (new request or reply)
    AUTO_REPLY = "auto_reply"  # out-of-office and other automatic answers (RFC 3834)
    BOUNCE = "bounce"  # delivery status notifications, postmaster messages
    LIST = "list"  # mailing-list and bulk mail


class IngestOutcome(str, enum.Enum):
    """What happened to one ingested item; the counts of `mediature ingest --json` are these."""

    OPENED = "dossiers_opened"
    ATTACHED = "attached_to_existing"
    NOT_REQUEST = "not_requests"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicates"
    FLAGGED = "flagged"  # a reply we could not safely attach: kept for the mediator


@dataclass(frozen=True)
class RawMessage:
    """Raw bytes of one message as a source delivered them."""

    source: str  # "imap", "maildir", "mbox", "eml", "scan"
    source_key: str  # stable key of the item in its source (folder/UIDVALIDITY/UID, file path...)
    data: bytes
    received_at: datetime | None = None


@dataclass(frozen=True)
class Attachment:
    """One attachment, with its type sniffed from the bytes (never trusted from the headers)."""

    filename: str
    content_type: str  # sniffed
    declared_type: str
    size: int
    sha256: str
    data: bytes | None  # None when over the size limit
    too_large: bool = False


@dataclass(frozen=True)
class WebForm:
    """Fields of a web-form email (the Département's online form)."""

    civility: str = ""
    last_name: str = ""
    first_name: str = ""
    address: str = ""
    postcode: str = ""
    commune: str = ""
    phone: str = ""
    email: str = ""
    service: str = ""
    prior_steps: str = ""
    subject: str = ""
    message: str = ""
    form_number: str = ""


@dataclass(frozen=True)
class Bounce:
    """What a delivery report tells about one of our messages."""

    original_message_id: str | None
    recipient: str | None
    permanent: bool
    original_subject: str = ""  # subject of our returned message (carries the dossier reference)


@dataclass(frozen=True)
class ParsedMessage:
    """A message reduced to what Médiature needs; built by triage.parse.message from raw bytes."""

    message_id: str | None
    subject: str
    from_name: str
    from_address: str
    reply_to: str | None
    to: tuple[str, ...]
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    kind: MessageKind
    kind_reason: str  # why it is an auto-reply / bounce / list (French, shown to the mediator)
    text: str  # the new text, quotes and signature removed
    quoted: str
    signature: str
    html: str  # sanitised HTML ("" when the message had none)
    attachments: tuple[Attachment, ...]
    form: WebForm | None
    bounce: Bounce | None
    has_x_loop: bool
    content_hash: str  # sha256 of the raw bytes
    dedupe_key: str  # sha256 over Message-ID and content hash
    defects: tuple[str, ...] = ()
    # why nothing may be done with it automatically (French, for the mediator): probable spam, failed
    # sender authentication, a form from an unknown sender, an automatic message that reads like a request
    set_aside: str = ""
    probable_spam: bool = False  # the receiving server's verdict or a failed SPF/DMARC

    @property
    def channel(self) -> Channel:
        """email, or formulaire for web-form mails."""
        return Channel.FORM if self.form is not None else Channel.EMAIL

    @property
    def requester_address(self) -> str:
        """The citizen's address: the Reply-To of a web-form mail, else the sender."""
        if self.form is not None:
            return (self.reply_to or self.form.email or "").lower()
        return self.from_address.lower()


@dataclass(frozen=True)
class ScanDocument:
    """A scanned letter turned into text."""

    path: str  # where the original is kept
    filename: str
    sha256: str
    content_type: str
    pages: int
    text: str
    method: str  # "text-layer" or "ocr"
    mean_confidence: float | None  # Tesseract's mean word confidence, 0-100
    rotated_degrees: int = 0
    scanned_at: datetime | None = None


@dataclass(frozen=True)
class Requester:
    """The person a dossier is about, as far as we know it."""

    name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    commune: str = ""
    territory: str = ""
    civility: str = ""


@dataclass(frozen=True)
class LabelSuggestion:
    """One suggested label with its confidence and the reasons, in French."""

    code: str
    confidence: float
    to_check: bool
    reasons: tuple[str, ...] = ()
    highlights: tuple[str, ...] = ()  # words in the text that triggered it


@dataclass(frozen=True)
class Fact:
    """One fact of the règlement (art. 11 and 12) found in a request, with the words that show it."""

    code: str  # prior_step, prior_refused, prior_unanswered, delay_running, first_contact, court_pending, ...
    sentence: str  # French, for the mediator
    quote: str  # the evidence span as the person wrote it
    when: date | None = None


@dataclass(frozen=True)
class AdmissibilityFacts:
    """What decides admissibility under the règlement: prior step, court, kind of dispute, age."""

    prior_step: bool  # a step with the service concerned was made (recourse, letters, calls)
    prior_outcome: str  # "refus", "sans_reponse", "insatisfaisante" or "" (not said)
    prior_date: date | None  # when the step was made, when the letter says it
    months_elapsed: float | None  # since the step (or how long the silence lasts)
    court: str  # "en_cours", "jugee", "envisagee" or ""
    facts: tuple[Fact, ...] = ()

    def codes(self) -> set[str]:
        """The codes of the facts found."""
        return {f.code for f in self.facts}

    def sentences(self) -> list[str]:
        """One French sentence per fact, with its quoted evidence."""
        return [f"{f.sentence} : « {f.quote} »" if f.quote else f.sentence for f in self.facts]


@dataclass(frozen=True)
class Body:
    """An organisation a request names or implies (gazetteer), with the words that show it."""

    code: str  # a reorientation code of the taxonomy, or "departement"
    name: str  # French name shown to the mediator
    quote: str
    responsible: bool  # the words say this body decided or is at fault (not merely mentioned)


@dataclass(frozen=True)
class Suggestion:
    """The three suggested labels for one request."""

    domain: LabelSuggestion
    admissibility: LabelSuggestion
    reorientation: LabelSuggestion
    model_version: str  # "rules-only" when no usable model
    reasons: tuple[str, ...] = ()
    extracted: dict[str, object] = field(default_factory=dict)
    facts: AdmissibilityFacts | None = None
    bodies: tuple[Body, ...] = ()


@dataclass(frozen=True)
class DossierOutcome:
    """Where one ingested item ended up."""

    outcome: IngestOutcome
    message_row_id: int | None = None
    dossier_id: int | None = None
    reference: str | None = None
    detail: str = ""
