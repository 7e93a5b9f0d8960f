"""Typed records that the stages exchange (frozen dataclasses: never dicts, never ORM rows).

ingest (RawMessage with its Origin / ScanDocument) -> parse (ParsedMessage) -> extract (Extraction)
-> suggest (Suggestion) -> dossiers (DossierOutcome) -> store -> notify.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


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
class MailboxOrigin:
    """A message of a watched mailbox (IMAP folder or Maildir), remembered once in `mailbox_items`.

    For a Maildir, `uidvalidity` is 0 and `uid` a number derived from the file's unique name.
    """

    mailbox: str  # MailboxURL.key: which mailbox and folder (no password)
    uidvalidity: int
    uid: int
    size: int | None = None


@dataclass(frozen=True)
class QuarantineOrigin:
    """The bytes of a quarantined item, run through the stages again: the item is resolved with them."""

    item_id: int


# Where an item came from, as the pipeline records it in the item's own transaction. None: nothing to
# remember beyond the message itself (a file given to `mediature ingest`, an upload, a test).
Origin = MailboxOrigin | QuarantineOrigin


@dataclass(frozen=True)
class RawMessage:
    """Raw bytes of one message as a source delivered them."""

    source: str  # "imap", "maildir", "mbox", "eml", "scan"
    source_key: str  # stable key of the item in its source (folder/UIDVALIDITY/UID, file path...)
    data: bytes
    received_at: datetime | None = None
    origin: Origin | None = None  # recorded with the outcome, so that the source never offers it again


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
class ScanPage:
    """One page of a scanned letter as it was read: its text, how, and Tesseract's confidence."""

    number: int  # 1-based
    text: str
    method: str  # "text-layer" or "ocr"
    confidence: float | None  # mean word confidence 0-100 (None: text layer, no OCR)
    words: int


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
    page_texts: tuple[ScanPage, ...] = ()  # page by page (empty: only the whole text is known)


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


def _texts(value: object) -> tuple[str, ...]:
    """A stored list of strings (a lone string, None or anything else read leniently)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if v not in (None, ""))
    return (str(value),)


def _day(value: object) -> date | None:
    """A stored ISO date (or date-time) as a date; None when absent or unreadable."""
    if isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _number(value: object) -> float | None:
    try:
        return float(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class References:
    """File numbers a request cites: CAF beneficiary, MDPH file, our own dossier references."""

    caf: tuple[str, ...] = ()
    mdph: tuple[str, ...] = ()
    med: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        """Every number cited, whatever its kind."""
        return (*self.caf, *self.mdph, *self.med)

    def to_json(self) -> dict[str, list[str]]:
        """As stored with the suggestion."""
        return {"caf": list(self.caf), "mdph": list(self.mdph), "med": list(self.med)}

    @classmethod
    def from_json(cls, data: object) -> References:
        """From stored JSON (missing kinds are empty)."""
        if not isinstance(data, Mapping):
            return cls()
        return cls(_texts(data.get("caf")), _texts(data.get("mdph")), _texts(data.get("med")))


@dataclass(frozen=True)
class PriorRecourse:
    """The prior step with the service concerned that a letter tells (recourse, letters, calls)."""

    found: bool = False
    kinds: tuple[str, ...] = ()  # French: « RAPO », « recours gracieux », « contacts avec le service »
    sent_on: date | None = None
    answered: bool | None = None  # None: the letter does not say
    outcome: str = ""  # French: « refus », « sans réponse », or ""
    months_elapsed: float | None = None
    evidence: tuple[str, ...] = ()  # the sentences that show it, as written

    def to_json(self) -> dict[str, object]:
        """As stored with the suggestion."""
        return {
            "found": self.found,
            "kinds": list(self.kinds),
            "sent_on": self.sent_on.isoformat() if self.sent_on else None,
            "answered": self.answered,
            "outcome": self.outcome or None,
            "months_elapsed": self.months_elapsed,
            "evidence": list(self.evidence),
        }

    @classmethod
    def from_json(cls, data: object) -> PriorRecourse | None:
        """From stored JSON (or `classifiers.cues.prior_recourse`); None when there is none."""
        if not isinstance(data, Mapping):
            return None
        answered = data.get("answered")
        return cls(
            found=bool(data.get("found")),
            kinds=_texts(data.get("kinds")),
            sent_on=_day(data.get("sent_on")),
            answered=answered if isinstance(answered, bool) else None,
            outcome=str(data.get("outcome") or ""),
            months_elapsed=_number(data.get("months_elapsed")),
            evidence=_texts(data.get("evidence")),
        )


@dataclass(frozen=True)
class Extraction:
    """What `triage.suggest.extract` finds in a request: who writes, from where, which numbers and dates."""

    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    territory: str = ""
    address: str = ""
    references: References = References()
    dates: tuple[date, ...] = ()
    prior_recourse: PriorRecourse | None = None

    def to_json(self) -> dict[str, Any]:
        """As stored with the suggestion and printed by `mediature suggest` (keys of docs/tri-suggere.md)."""
        return {
            "names": list(self.names),
            "emails": list(self.emails),
            "phones": list(self.phones),
            "postcodes": list(self.postcodes),
            "communes": list(self.communes),
            "territory": self.territory,
            "address": self.address,
            "references": self.references.to_json(),
            "dates": [d.isoformat() for d in self.dates],
            "prior_recourse": self.prior_recourse.to_json() if self.prior_recourse else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Extraction:
        """From what a suggestion row stores; older rows (missing keys, date-times, lone strings) read too."""
        if not data:
            return cls()
        return cls(
            names=_texts(data.get("names")),
            emails=_texts(data.get("emails")),
            phones=_texts(data.get("phones")),
            postcodes=_texts(data.get("postcodes")),
            communes=_texts(data.get("communes")),
            territory=str(data.get("territory") or ""),
            address=" ".join(_texts(data.get("address"))[:1]),
            references=References.from_json(data.get("references")),
            dates=tuple(d for d in (_day(v) for v in _texts(data.get("dates"))) if d is not None),
            prior_recourse=PriorRecourse.from_json(data.get("prior_recourse")),
        )


@dataclass(frozen=True)
class Fact:
    """One fact of the règlement (art. 11 and 12) found in a request, with the words that show it."""

    code: str  # prior_step, prior_refused, prior_unanswered, delay_running, first_contact, court_pending, ...
    sentence: str  # French, for the mediator
    quote: str  # the evidence span as the person wrote it
    when: date | None = None

    def to_json(self) -> dict[str, object]:
        """As stored with the suggestion."""
        when = self.when.isoformat() if self.when else None
        return {"code": self.code, "sentence": self.sentence, "quote": self.quote, "when": when}


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

    def to_json(self) -> dict[str, object]:
        """As stored with the suggestion."""
        return {
            "prior_step": self.prior_step,
            "prior_outcome": self.prior_outcome,
            "prior_date": self.prior_date.isoformat() if self.prior_date else None,
            "months_elapsed": self.months_elapsed,
            "court": self.court,
            "facts": [f.to_json() for f in self.facts],
        }


@dataclass(frozen=True)
class Body:
    """An organisation a request names or implies (gazetteer), with the words that show it."""

    code: str  # a reorientation code of the taxonomy, or "departement"
    name: str  # French name shown to the mediator
    quote: str
    responsible: bool  # the words say this body decided or is at fault (not merely mentioned)

    def to_json(self) -> dict[str, object]:
        """As stored with the suggestion."""
        return {"code": self.code, "name": self.name, "quote": self.quote, "responsible": self.responsible}


@dataclass(frozen=True)
class Suggestion:
    """The three suggested labels for one request."""

    domain: LabelSuggestion
    admissibility: LabelSuggestion
    reorientation: LabelSuggestion
    model_version: str  # "rules-only" when no usable model
    reasons: tuple[str, ...] = ()
    extracted: Extraction = Extraction()
    facts: AdmissibilityFacts | None = None
    bodies: tuple[Body, ...] = ()

    def extracted_json(self) -> dict[str, Any]:
        """The `extracted` object stored with the suggestion and printed by `mediature suggest`: the
        extraction, the règlement's facts and the bodies in cause."""
        out = self.extracted.to_json()
        if self.facts is not None:
            out["admissibility_facts"] = self.facts.to_json()
        out["bodies"] = [b.to_json() for b in self.bodies]
        return out


@dataclass(frozen=True)
class DossierOutcome:
    """Where one ingested item ended up."""

    outcome: IngestOutcome
    message_row_id: int | None = None
    dossier_id: int | None = None
    reference: str | None = None
    detail: str = ""
