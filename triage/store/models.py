"""SQLAlchemy 2 models: the whole schema (migrations in triage/store/migrations are generated from it).

Dates are stored as timezone-aware UTC. Personal data lives only in dossiers, messages, raw blobs and
attachments; the report and logs never read free text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from triage.clock import system_clock


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that always comes back timezone-aware in UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations are stable across databases."""

    from sqlalchemy import MetaData

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# --------------------------------------------------------------------------- dossiers


class ReferenceCounter(Base):
    """Last sequence number used per year for dossier references (MED-2026-00042)."""

    __tablename__ = "reference_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Dossier(Base):
    """One mediation request and everything that follows from it."""

    __tablename__ = "dossiers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    # tracking: the link token is stored only as its SHA-256; the short code is reference + check key
    tracking_token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    tracking_key: Mapped[str] = mapped_column(String(16), nullable=False)
    # wrong tracking codes typed for this dossier; past web.tracking_code_max_failures, code lookups of
    # this dossier are suspended until tracking_locked_until (the link keeps working)
    tracking_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    tracking_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # records.Channel
    referred_by: Mapped[str] = mapped_column(String(32), nullable=False, default="usager")
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="recue", index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    triage_status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # requester
    requester_civility: Mapped[str] = mapped_column(String(32), default="")
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    requester_email: Mapped[str] = mapped_column(String(320), default="", index=True)
    requester_phone: Mapped[str] = mapped_column(String(64), default="")
    requester_address: Mapped[str] = mapped_column(Text, default="")
    requester_postcode: Mapped[str] = mapped_column(String(10), default="", index=True)
    requester_commune: Mapped[str] = mapped_column(String(120), default="")
    requester_territory: Mapped[str] = mapped_column(String(120), default="", index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    service_concerned: Mapped[str] = mapped_column(String(200), default="")
    direction: Mapped[str] = mapped_column(String(120), default="", index=True)
    # labels confirmed by the mediator (suggestions live in `suggestions`)
    domain: Mapped[str | None] = mapped_column(String(64), index=True)
    sub_chapter: Mapped[str | None] = mapped_column(String(64))
    admissibility: Mapped[str | None] = mapped_column(String(32))
    reorientation: Mapped[str | None] = mapped_column(String(64), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    service_deadline: Mapped[date | None] = mapped_column(Date)  # art. 15: 15 days
    service_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # stops the art. 15 clock
    # the team's work: who handles it, new mail not yet read, the day to look at it again
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    unread: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    reminder_on: Mapped[date | None] = mapped_column(Date, index=True)
    # retention (triage.privacy.retention): anonymised dossiers keep only the report's columns
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    retention_extended_until: Mapped[date | None] = mapped_column(Date)
    retention_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=system_clock, onupdate=system_clock
    )

    events: Mapped[list[Event]] = relationship(back_populates="dossier", order_by="Event.at")
    messages: Mapped[list[Message]] = relationship(
        back_populates="dossier", foreign_keys="Message.dossier_id"
    )


class Event(Base):
    """The timeline of a dossier. `public` events are shown on the citizen's tracking page."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    kind: Mapped[str] = mapped_column(String(48), nullable=False)
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    summary: Mapped[str] = mapped_column(Text, default="")  # French, no personal data when public
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(64), default="systeme")

    dossier: Mapped[Dossier] = relationship(back_populates="events")


# --------------------------------------------------------------------------- ingestion


class RawBlob(Base):
    """Raw bytes (messages, attachments, scans), content-addressed."""

    __tablename__ = "raw_blobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class Message(Base):
    """An incoming or outgoing message, email or scanned letter, attached to a dossier or not."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8), nullable=False, default="in")  # in / out
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # records.MessageKind
    kind_reason: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[str] = mapped_column(String(24), nullable=False, default="request")
    # role: request (opened the dossier), reply (joined it), flagged (kept for review), auto_reply,
    # bounce, list, not_request (mediator decision), acknowledgement / letter (outgoing)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    source_key: Mapped[str] = mapped_column(Text, default="")
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    from_name: Mapped[str] = mapped_column(String(320), default="")
    from_address: Mapped[str] = mapped_column(String(320), default="", index=True)
    reply_to: Mapped[str | None] = mapped_column(String(320))
    to_addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=system_clock, index=True
    )
    body_text: Mapped[str] = mapped_column(Text, default="")
    quoted_text: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(Text, default="")
    html_sanitised: Mapped[str] = mapped_column(Text, default="")
    form_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    defects: Mapped[list[str]] = mapped_column(JSON, default=list)
    flag_reason: Mapped[str] = mapped_column(Text, default="")
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # scanned letters
    scan_pages: Mapped[int | None] = mapped_column(Integer)
    scan_method: Mapped[str | None] = mapped_column(String(16))
    ocr_confidence: Mapped[float | None] = mapped_column(Float)
    raw_blob_id: Mapped[int | None] = mapped_column(ForeignKey("raw_blobs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)

    dossier: Mapped[Dossier | None] = relationship(back_populates="messages", foreign_keys=[dossier_id])
    attachments: Mapped[list[StoredAttachment]] = relationship(back_populates="message")


class StoredAttachment(Base):
    """An attachment of a message (or the original file of a scan)."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(500), default="")
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    declared_type: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    too_large: Mapped[bool] = mapped_column(Boolean, default=False)
    blob_id: Mapped[int | None] = mapped_column(ForeignKey("raw_blobs.id"))

    message: Mapped[Message] = relationship(back_populates="attachments")


class ScanPageRow(Base):
    """One page of a scanned letter: what OCR read, with its confidence, and the transcription a person
    corrected (the OCR text is kept). The message's body_text is the letter as currently known."""

    __tablename__ = "scan_pages"
    __table_args__ = (UniqueConstraint("message_id", "number", name="uq_scan_pages_message_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)  # 1-based
    method: Mapped[str] = mapped_column(String(16), nullable=False)  # "ocr" or "text-layer"
    confidence: Mapped[float | None] = mapped_column(Float)  # Tesseract's mean word confidence, 0-100
    words: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ocr_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    corrected_text: Mapped[str | None] = mapped_column(Text)  # None: never corrected
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class MailboxItem(Base):
    """Every IMAP message seen, keyed by (mailbox, UIDVALIDITY, UID): the guard against processing twice."""

    __tablename__ = "mailbox_items"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mailbox_items_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(500), nullable=False)  # user@host/folder, no password
    uidvalidity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    uid: Mapped[int] = mapped_column(BigInteger, nullable=False)
    outcome: Mapped[str] = mapped_column(String(32), nullable=False)  # IngestOutcome or "too_large"
    message_row_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    size: Mapped[int | None] = mapped_column(BigInteger)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # after commit: moved or flagged


class ScanFile(Base):
    """Every scan file taken in, keyed by the SHA-256 of its bytes."""

    __tablename__ = "scan_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    filename: Mapped[str] = mapped_column(String(500), nullable=False)
    stored_path: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(String(32), nullable=False)
    message_row_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)


class QuarantineItem(Base):
    """Something that could not be processed: raw bytes and the reason, never dropped."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    source_key: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    raw_blob_id: Mapped[int] = mapped_column(ForeignKey("raw_blobs.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    error_type: Mapped[str] = mapped_column(String(64), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))


class AddressStatus(Base):
    """What we know about an email address: hard bounces stop automatic mail."""

    __tablename__ = "address_status"
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    hard_bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounce_count: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")


# --------------------------------------------------------------------------- triage


class SuggestionRow(Base):
    """A triage suggestion stored on a dossier, with the model version and reasons."""

    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), nullable=False, index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    model_version: Mapped[str] = mapped_column(String(120), nullable=False)
    domain: Mapped[str] = mapped_column(String(64), nullable=False)
    domain_confidence: Mapped[float] = mapped_column(Float, nullable=False)
    admissibility: Mapped[str] = mapped_column(String(32), nullable=False)
    admissibility_confidence: Mapped[float] = mapped_column(Float, nullable=False)
    reorientation: Mapped[str] = mapped_column(String(64), nullable=False)
    reorientation_confidence: Mapped[float] = mapped_column(Float, nullable=False)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # per label: list of French strings
    highlights: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # per label: words to highlight
    extracted: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # per label: True when « à vérifier » under the thresholds of the model that suggested it (None: older rows)
    to_check: Mapped[dict[str, bool] | None] = mapped_column(JSON, nullable=True)


class LabelledExample(Base):
    """A request text with labels confirmed or corrected by the mediator; `mediature train` uses them."""

    __tablename__ = "labelled_examples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    domain: Mapped[str] = mapped_column(String(64), nullable=False)
    admissibility: Mapped[str] = mapped_column(String(32), nullable=False)
    reorientation: Mapped[str] = mapped_column(String(64), nullable=False)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)


# --------------------------------------------------------------------------- notifications


class OutboxItem(Base):
    """An outgoing email, written in the same transaction as what caused it; a sender delivers it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48), nullable=False)  # acknowledgement, letter_*, digest
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    automatic: Mapped[bool] = mapped_column(Boolean, default=True)
    to_address: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(998), nullable=False, index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # the complete RFC 5322 message
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    # pending / sent / failed / suppressed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Contact(Base):
    """The directory: a service of the Département or an outside body (TAXONOMY.md), with its contact details."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="service")  # service / externe
    code: Mapped[str | None] = mapped_column(String(64), unique=True)  # reorientation code of an outside body
    direction: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(320), default="", index=True)
    phone: Mapped[str] = mapped_column(String(64), default="")
    postal_address: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=system_clock, onupdate=system_clock
    )
    # « la » Maison départementale…, « le » conciliateur…, "" none (France Travail); NULL: guessed from the name
    article: Mapped[str | None] = mapped_column(String(3))


class ReplyTemplate(Base):
    """A reply template (« modèle de réponse ») written by the mediator, with {placeholders}."""

    __tablename__ = "reply_templates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=system_clock, onupdate=system_clock
    )


class Draft(Base):
    """A free message being written on a dossier, kept until it is sent or discarded."""

    __tablename__ = "drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delivery: Mapped[str] = mapped_column(String(16), nullable=False, default="courriel")
    to_address: Mapped[str] = mapped_column(String(320), default="")
    to_name: Mapped[str] = mapped_column(String(200), default="")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    mention: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=system_clock, onupdate=system_clock
    )


class PrintJob(Base):
    """A letter to print and post (for people without email)."""

    __tablename__ = "print_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --------------------------------------------------------------------------- people and audit


class User(Base):
    """A person who logs in: mediator, mail service or administrator."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    role: Mapped[str] = mapped_column(String(16), nullable=False)  # mediateur / courrier / admin
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A server-side login session; the cookie holds a random id, the table holds its hash."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AuditEntry(Base):
    """Every read of a dossier and every change: who, when, what."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Note(Base):
    """A private note of the mediator on a dossier."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    text: Mapped[str] = mapped_column(Text, nullable=False)


# --------------------------------------------------------------------------- observatory


class Recommendation(Base):
    """A recommendation (préconisation) of the mediator, followed from year to year."""

    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="proposee")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=system_clock)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=system_clock, onupdate=system_clock
    )

    progress: Mapped[list[RecommendationProgress]] = relationship(
        back_populates="recommendation", order_by="RecommendationProgress.on"
    )


class RecommendationProgress(Base):
    """A dated progress note on a recommendation."""

    __tablename__ = "recommendation_progress"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations.id"), nullable=False, index=True
    )
    on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, nullable=False)

    recommendation: Mapped[Recommendation] = relationship(back_populates="progress")


class ReportComment(Base):
    """The mediator's own text for a section of the annual report, kept from year to year."""

    __tablename__ = "report_comments"
    __table_args__ = (UniqueConstraint("year", "section", name="uq_report_comments_year_section"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    section: Mapped[str] = mapped_column(String(64), nullable=False)
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=system_clock, onupdate=system_clock
    )


Index("ix_messages_dossier_received", Message.dossier_id, Message.received_at)
Index("ix_outbox_due", OutboxItem.status, OutboxItem.next_attempt_at)
