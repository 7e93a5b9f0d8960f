"""The only module that chains the stages: parse -> thread or open -> suggest -> store -> notify.

One transaction per item, one DossierOutcome per item, never an exception for bad input: a message
that cannot be parsed, or any unexpected failure while storing it, is quarantined with its raw bytes
(in a fresh transaction) and reported. Only a database that cannot even take the quarantine row
raises StoreError, so that the source keeps the item and offers it again later.

An item's typed origin (`RawMessage.origin`: a mailbox's (mailbox, UIDVALIDITY, UID), a quarantined
item) is recorded by the pipeline through triage.store.origins inside the transaction that stores the
item, whatever became of it (opened, joined, duplicate, quarantined): stored and seen commit together,
so an item is processed exactly once. The source is only told the outcome, after the commit, and then
does its own follow-up (move or flag the message on the server, move the file).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from triage.clock import Clock
from triage.config import Settings
from triage.correspondence import answers, team
from triage.dossiers import registry as dossiers
from triage.dossiers.opening import (
    Arrival,
    KeptArrival,
    MailArrival,
    NotifierProtocol,
    OpeningRequest,
    ScanArrival,
    open_dossier,
)
from triage.dossiers.timeline import (
    EVENT_AUTO_REPLY,
    EVENT_BOUNCE,
    EVENT_FLAGGED,
    EVENT_MESSAGE,
    write_event,
)
from triage.errors import DossierError, MediatureError, ParseError, StoreError
from triage.logs import event as log_event
from triage.logs import failure as log_failure
from triage.parse.charsets import printable_name
from triage.parse.message import parse_message
from triage.parse.verdict import signature_failure
from triage.parse.webform import looks_like_form, parse_fields
from triage.records import (
    Channel,
    DossierOutcome,
    IngestOutcome,
    MessageKind,
    Origin,
    ParsedMessage,
    QuarantineOrigin,
    RawMessage,
    Requester,
    ScanDocument,
    Suggestion,
    WebForm,
)
from triage.runtime import Runtime
from triage.sources.scans import read_scan_file
from triage.store import messages as archive
from triage.store import origins, quarantine, scan_files
from triage.store.db import transaction
from triage.store.models import Dossier, Message
from triage.suggest.text import suggestion_text

_MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_DOSSIERS: Table = Dossier.__table__  # type: ignore[assignment]
# built once: SQLAlchemy compiles it once, and it runs on the connection without the ORM
_FIND_DUPLICATE = (
    select(_MESSAGES.c.id, _MESSAGES.c.dossier_id, _DOSSIERS.c.reference)
    .outerjoin(_DOSSIERS, _DOSSIERS.c.id == _MESSAGES.c.dossier_id)
    .where(_MESSAGES.c.dedupe_key == bindparam("key"))
)
_FIND_CONFLICT = select(_MESSAGES.c.id, _MESSAGES.c.dossier_id).where(
    _MESSAGES.c.dedupe_key == bindparam("key")
)
ROLE_SPAM = "spam"  # a message's role: probable spam, listed apart for the mediator (never answered)


class SuggesterProtocol(Protocol):
    """What the pipeline needs of triage.suggest.suggester.Suggester."""

    def suggest(self, text: str, *, sender: str = "", form: WebForm | None = None) -> Suggestion: ...


class Pipeline:
    """Ingests raw messages and scanned letters into dossiers."""

    def __init__(
        self,
        runtime: Runtime,
        suggester: SuggesterProtocol | None = None,
        notifier: NotifierProtocol | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.runtime = runtime
        self.clock = clock or runtime.clock
        self.settings: Settings = runtime.settings
        self.suggester = suggester
        self.notifier = notifier
        self.prefix = runtime.settings.service.reference_prefix

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Pipeline:
        """The pipeline with the shipped suggester and the acknowledgement notifier, when installed."""
        # imported here, not at the top: scikit-learn, spaCy's tables and WeasyPrint load only when a
        # pipeline is built, not for every command that imports this module
        from triage.notify.acknowledge import Notifier
        from triage.suggest.suggester import Suggester

        suggester: Any = None
        try:
            suggester = Suggester.from_settings(runtime.settings, clock=runtime.clock)
        except MediatureError as err:  # no usable rules or model: dossiers still open, unsuggested
            log_event("suggester_unavailable", level=logging.WARNING, error=type(err).__name__)
        return cls(runtime, suggester=suggester, notifier=Notifier.from_runtime(runtime))

    # ------------------------------------------------------------------ entry points

    def ingest_raw(self, raw: RawMessage) -> DossierOutcome:
        """Ingest one raw email and record its origin; always returns an outcome (StoreError only if
        the database is down)."""
        if printable_name(raw.source_key) != raw.source_key:  # a file name that is not UTF-8
            raw = replace(raw, source_key=printable_name(raw.source_key))
        limit = self.settings.mailbox.max_message_bytes
        if len(raw.data) > limit:
            # kept with its bytes like anything else not processed: `quarantine list` shows what the
            # counts call quarantined (the mailbox sources leave oversized mail on the server unread)
            log_event("mail_too_large", source=raw.source, size=len(raw.data))
            return self._quarantine(
                raw.source,
                raw.source_key,
                raw.data,
                f"message trop volumineux ({len(raw.data)} octets, limite {limit}) : gardé sans être lu ; "
                "relancer après avoir relevé mailbox.max_message_bytes",
                "TooLarge",
                raw.origin,
            )
        try:
            parsed = parse_message(raw.data, self.settings)
        except ParseError as err:
            return self._quarantine(
                raw.source, raw.source_key, raw.data, err.message, "ParseError", raw.origin
            )
        except Exception as err:  # a parser bug must not stop the run: keep the bytes, say why
            log_failure("parse_failure", err)
            return self._quarantine(
                raw.source,
                raw.source_key,
                raw.data,
                f"erreur inattendue à l'analyse ({type(err).__name__})",
                type(err).__name__,
                raw.origin,
            )
        try:
            with transaction(self.runtime.sessions) as session:
                outcome = self._mail(session, raw, parsed)
                origins.record(session, raw.origin, outcome, at=self.clock())
        except IntegrityError:
            return self._after_conflict(parsed.dedupe_key, raw.origin)
        except Exception as err:
            log_failure("store_failure", err)
            return self._quarantine(
                raw.source,
                raw.source_key,
                raw.data,
                f"erreur inattendue à l'enregistrement ({type(err).__name__})",
                type(err).__name__,
                raw.origin,
            )
        log_event(
            "mail_ingested",
            outcome=outcome.outcome,
            reference=outcome.reference,
            message_row_id=outcome.message_row_id,
        )
        return outcome

    def ingest_scan(self, doc: ScanDocument, original: bytes, origin: Origin | None = None) -> DossierOutcome:
        """Ingest one scanned letter already turned into text (triage.sources.scans.read_scan_file); the
        scan is remembered by its SHA-256 (triage.store.scan_files), and `origin` recorded with it."""
        try:
            with transaction(self.runtime.sessions) as session:
                outcome = self._scan(session, doc, original)
                origins.record(session, origin, outcome, at=self.clock())
        except IntegrityError:
            return self._after_conflict(doc.sha256, origin)
        except Exception as err:
            log_failure("scan_store_failure", err)
            return self._quarantine(
                "scan",
                doc.path,
                original,
                f"erreur inattendue à l'enregistrement du courrier ({type(err).__name__})",
                type(err).__name__,
                origin,
            )
        log_event(
            "scan_ingested",
            outcome=outcome.outcome,
            reference=outcome.reference,
            message_row_id=outcome.message_row_id,
        )
        return outcome

    def quarantine_bytes(
        self,
        source: str,
        source_key: str,
        data: bytes,
        reason: str,
        error_type: str = "",
    ) -> DossierOutcome:
        """Quarantine something a source could not even read (an unreadable scan, say)."""
        return self._quarantine(source, source_key, data, reason, error_type, None)

    def rescue(self, session: Session, message_row_id: int) -> DossierOutcome:
        """The mediator says a message that opened nothing (probable spam, automatic, unverified form)
        is a request: open its dossier with that very message and queue the acknowledgement, as if it
        had been recognised on arrival (the mediator's decision, inside the caller's transaction)."""
        try:
            row, data = archive.raw_bytes(session, message_row_id)
            parsed = parse_message(data, self.settings)
        except (LookupError, ParseError) as err:
            raise DossierError("message introuvable ou illisible") from err
        if row.dossier_id is not None or row.direction != "in" or row.source == "scan":
            raise DossierError("ce message est déjà dans un dossier ou n'est pas un courriel reçu")
        form = parsed.form
        if form is None and looks_like_form(parsed.text):
            form = parse_fields(parsed.text, subject=parsed.subject)
        # the mediator read it: a request now (an X-Loop still stops the automatic acknowledgement)
        parsed = replace(parsed, form=form, kind=MessageKind.REQUEST, set_aside="", probable_spam=False)
        return self._open(
            session,
            KeptArrival(parsed, row.id),
            dossiers.requester_from_message(parsed),
            channel=parsed.channel,
            received_at=row.received_at,
            subject=(form.subject if form and form.subject else parsed.subject),
            service=form.service if form else "",
            text=lambda: suggestion_text(parsed),
            sender=parsed.requester_address,
            form=form,
            details={"note": "ouvert par la médiatrice depuis le courrier mis de côté"},
        )

    def retry_quarantined(self, item_id: int) -> DossierOutcome:
        """Run the stages again on a quarantined item's bytes; the item is resolved when it goes through."""
        with transaction(self.runtime.sessions) as session:
            summary, data = quarantine.get_item(session, item_id)
        if summary.resolved_at is not None:
            return DossierOutcome(
                IngestOutcome.DUPLICATE, message_row_id=summary.resolved_message_id, detail="déjà résolu"
            )
        origin = QuarantineOrigin(item_id)  # resolved in the transaction that stores the message
        if summary.source != "scan":
            raw = RawMessage(source=summary.source, source_key=summary.source_key, data=data, origin=origin)
            return self.ingest_raw(raw)
        suffix = Path(summary.source_key).suffix or ".bin"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"quarantaine-{summary.id}{suffix}"
            path.write_bytes(data)
            try:
                doc = read_scan_file(path, self.settings)
            except Exception as err:  # OCR still failing: count the attempt, keep the item
                return self.quarantine_bytes(
                    "scan",
                    summary.source_key,
                    data,
                    f"lecture du courrier impossible : {err}",
                    type(err).__name__,
                )
        return self.ingest_scan(doc, data, origin)

    # ------------------------------------------------------------------ failures

    def _quarantine(
        self, source: str, source_key: str, data: bytes, reason: str, error_type: str, origin: Origin | None
    ) -> DossierOutcome:
        """Keep the bytes with the reason, and record the origin, in a fresh transaction."""
        try:
            with transaction(self.runtime.sessions) as session:
                outcome = quarantine.put(
                    session,
                    source=source,
                    source_key=source_key,
                    data=data,
                    reason=reason,
                    error_type=error_type,
                    at=self.clock(),
                )
                origins.record(session, origin, outcome, at=self.clock())
        except SQLAlchemyError as err:
            # the database itself is failing: the source must not acknowledge the item (it is retried)
            raise StoreError(
                "base de données indisponible : l'élément n'a pas pu être mis en quarantaine"
            ) from err
        log_event("item_quarantined", level=logging.WARNING, source=source, error=error_type)
        return outcome

    def _record_alone(self, outcome: DossierOutcome, origin: Origin | None) -> None:
        if origin is None:
            return
        try:
            with transaction(self.runtime.sessions) as session:
                origins.record(session, origin, outcome, at=self.clock())
        except IntegrityError:
            pass  # another worker recorded the same item first
        except SQLAlchemyError as err:
            raise StoreError("base de données indisponible") from err

    def _after_conflict(self, dedupe_key: str, origin: Origin | None) -> DossierOutcome:
        """A unique constraint failed: a concurrent worker stored the same item first."""
        with transaction(self.runtime.sessions) as session:
            row = archive.connection(session).execute(_FIND_CONFLICT, {"key": dedupe_key}).first()
        outcome = DossierOutcome(
            IngestOutcome.DUPLICATE,
            message_row_id=row[0] if row else None,
            dossier_id=row[1] if row else None,
            detail="déjà importé (par un traitement concurrent)",
        )
        self._record_alone(outcome, origin)
        return outcome

    # ------------------------------------------------------------------ mail

    def _received_at(self, raw: RawMessage, parsed: ParsedMessage | None) -> datetime:
        now = self.clock()
        for value in (raw.received_at, parsed.date if parsed else None):
            if value is not None:
                value = value if value.tzinfo else value.replace(tzinfo=UTC)
                if value <= now + timedelta(days=1):
                    return value
        return now

    def _duplicate(self, session: Session, dedupe_key: str) -> DossierOutcome | None:
        row = archive.connection(session).execute(_FIND_DUPLICATE, {"key": dedupe_key}).first()
        if row is None:
            return None
        return DossierOutcome(IngestOutcome.DUPLICATE, row[0], row[1], row[2], detail="déjà importé")

    def _mail(self, session: Session, raw: RawMessage, parsed: ParsedMessage) -> DossierOutcome:
        duplicate = self._duplicate(session, parsed.dedupe_key)
        if duplicate is not None:
            return duplicate
        received_at = self._received_at(raw, parsed)

        def store(role: str, dossier_id: int | None = None, flag_reason: str = "") -> int:
            return archive.store_mail(
                session,
                parsed,
                raw.data,
                source=raw.source,
                source_key=raw.source_key,
                received_at=received_at,
                role=role,
                dossier_id=dossier_id,
                flag_reason=flag_reason,
            )

        if parsed.kind is MessageKind.BOUNCE:
            return self._bounce(session, parsed, store)
        if parsed.set_aside:
            return self._set_aside(session, parsed, store)
        if parsed.kind in (MessageKind.AUTO_REPLY, MessageKind.LIST):
            return self._automatic(session, parsed, store)
        suspicion = dossiers.suspicious_sender(parsed, self.settings.parsing.own_addresses)
        if suspicion:
            return DossierOutcome(
                IngestOutcome.FLAGGED, store("flagged", flag_reason=suspicion), detail=suspicion
            )
        thread = dossiers.find_thread(session, self.runtime.secret, self.prefix, parsed)
        unsigned = (
            signature_failure(
                BytesHeaderParser().parsebytes(raw.data), parsed.from_address, self.settings.parsing
            )
            if thread.dossier is not None and thread.safe
            else ""
        )
        if unsigned:
            return self._set_aside(
                session,
                replace(
                    parsed,
                    set_aside=(
                        f"Réponse au dossier {thread.reference} mise de côté : {unsigned} (expéditeur non vérifié)."
                    ),
                ),
                store,
            )
        if thread.dossier is not None and thread.safe:
            return self._join(session, thread, thread.dossier, store, received_at)
        if thread.dossier is not None:
            reason = dossiers.flag_reason(thread, parsed.requester_address)
            row_id = store("flagged", flag_reason=reason)
            write_event(
                session,
                thread.dossier.id,
                EVENT_FLAGGED,
                "Message citant ce dossier mis de côté (expéditeur différent) : à vérifier",
                details={"message_row_id": row_id, "via": thread.via},
                at=self.clock(),
            )
            return DossierOutcome(
                IngestOutcome.FLAGGED, row_id, None, thread.dossier.reference, detail=reason
            )
        requester = dossiers.requester_from_message(parsed)
        opened_details: dict[str, Any] = {}
        if thread.forged:
            opened_details["note"] = "identifiant de message de la médiation falsifié ou altéré : ignoré"
        if thread.reference:
            opened_details["cited_reference"] = thread.reference
        return self._open(
            session,
            MailArrival(parsed, raw.data, raw.source, raw.source_key),
            requester,
            channel=parsed.channel,
            received_at=received_at,
            subject=(parsed.form.subject if parsed.form and parsed.form.subject else parsed.subject),
            service=parsed.form.service if parsed.form else "",
            text=lambda: suggestion_text(parsed),
            sender=parsed.requester_address,
            form=parsed.form,
            details=opened_details,
        )

    def _set_aside(
        self, session: Session, parsed: ParsedMessage, store: Callable[..., int]
    ) -> DossierOutcome:
        """Probable spam, a failed sender authentication, an untrusted form, an automatic message that
        reads like a request: kept for the mediator, nothing opened, nothing sent. When it cites a
        dossier, that dossier's history says so (it never joins it on its own)."""
        thread = dossiers.find_thread(session, self.runtime.secret, self.prefix, parsed)
        role = ROLE_SPAM if parsed.probable_spam and thread.dossier is None else "flagged"
        row_id = store(role, flag_reason=parsed.set_aside)
        if thread.dossier is not None:
            write_event(
                session,
                thread.dossier.id,
                EVENT_FLAGGED,
                "Message citant ce dossier mis de côté (expéditeur non vérifié ou courrier indésirable "
                "probable) : à vérifier",
                details={"message_row_id": row_id, "via": thread.via},
                at=self.clock(),
            )
        return DossierOutcome(
            IngestOutcome.FLAGGED,
            row_id,
            None,
            thread.dossier.reference if thread.dossier is not None else None,
            detail=parsed.set_aside,
        )

    def _join(
        self,
        session: Session,
        thread: dossiers.Thread,
        dossier: Dossier,
        store: Callable[..., int],
        received_at: datetime,
    ) -> DossierOutcome:
        """A reply joins its dossier: marked unread; a service's answer to a transmission stops the clock;
        the requester's reply ends a wait for it."""
        row_id = store("service_answer" if thread.service_answer else "reply", dossier.id)
        summary = (
            "Réponse du service sollicité"
            if thread.service_answer
            else "Nouveau message de l'usager"
            if thread.from_requester
            else "Nouveau message d'un correspondant"
        )
        write_event(
            session,
            dossier.id,
            EVENT_MESSAGE,
            summary,
            details={"message_row_id": row_id, "via": thread.via},
            at=received_at,
        )
        if answers.record_answer(dossier, service_answer=thread.service_answer, received_at=received_at):
            write_event(
                session,
                dossier.id,
                answers.EVENT_SERVICE_ANSWER,
                "Réponse du service reçue",
                public=True,
                details={"status": dossier.status},
                at=received_at,
            )
        ended = (
            thread.from_requester
            and not thread.service_answer
            and answers.end_wait_for_requester(session, self.settings, dossier, now=self.clock())
        )
        if ended:
            summary += " : fin de l'attente, reprise du délai"
        team.notify_assignee(session, self.settings, self.runtime.secret, dossier, summary, f"mail:{row_id}")
        return DossierOutcome(IngestOutcome.ATTACHED, row_id, dossier.id, dossier.reference)

    def _automatic(
        self, session: Session, parsed: ParsedMessage, store: Callable[..., int]
    ) -> DossierOutcome:
        """Auto-replies and list mail open nothing; an auto-reply joins its dossier only when safe."""
        if parsed.kind is MessageKind.AUTO_REPLY:
            thread = dossiers.find_thread(session, self.runtime.secret, self.prefix, parsed)
            if thread.dossier is not None and thread.safe:
                row_id = store(parsed.kind.value, thread.dossier.id)
                write_event(
                    session,
                    thread.dossier.id,
                    EVENT_AUTO_REPLY,
                    "Réponse automatique reçue (absence…)",
                    details={"message_row_id": row_id},
                    at=self.clock(),
                )
                return DossierOutcome(
                    IngestOutcome.NOT_REQUEST,
                    row_id,
                    thread.dossier.id,
                    thread.dossier.reference,
                    parsed.kind_reason,
                )
        return DossierOutcome(IngestOutcome.NOT_REQUEST, store(parsed.kind.value), detail=parsed.kind_reason)

    def _bounce(self, session: Session, parsed: ParsedMessage, store: Callable[..., int]) -> DossierOutcome:
        """A delivery report of one of our messages joins its dossier and flags the address."""
        bounce = parsed.bounce
        if bounce is None:
            return DossierOutcome(IngestOutcome.NOT_REQUEST, store("bounce"), detail=parsed.kind_reason)
        dossier, how = dossiers.bounce_dossier(session, self.runtime.secret, self.prefix, bounce)
        if dossier is None:
            return DossierOutcome(IngestOutcome.NOT_REQUEST, store("bounce"), detail=parsed.kind_reason)
        row_id = store("bounce", dossier.id)
        address = bounce.recipient or dossier.requester_email
        summary = "Message de la médiation non distribué" + (
            " (adresse invalide)" if bounce.permanent else " (retardé)"
        )
        write_event(
            session,
            dossier.id,
            EVENT_BOUNCE,
            summary,
            details={"message_row_id": row_id, "permanent": bounce.permanent, "via": how},
            at=self.clock(),
        )
        dossiers.record_bounce(
            session,
            address,
            bounce.permanent,
            note=f"non-distribution ({dossier.reference})",
            at=self.clock(),
        )
        return DossierOutcome(
            IngestOutcome.NOT_REQUEST, row_id, dossier.id, dossier.reference, parsed.kind_reason
        )

    # ------------------------------------------------------------------ scans

    def _scan(self, session: Session, doc: ScanDocument, original: bytes) -> DossierOutcome:
        duplicate = self._duplicate(session, doc.sha256)
        if duplicate is not None:
            return duplicate
        received_at = doc.scanned_at or self.clock()
        if received_at.tzinfo is None:
            received_at = received_at.replace(tzinfo=UTC)
        refs = dossiers.references_in_text(doc.text, self.prefix)
        cited = [d for d in (dossiers.resolve(session, r) for r in refs) if d is not None]
        if cited:
            dossier = cited[0]
            reason = (
                f"Courrier citant le dossier {dossier.reference} : "
                "l'expéditeur d'un courrier ne peut pas être "
                "vérifié, à rattacher après lecture."
            )
            row_id = archive.store_scan(
                session, doc, original, received_at=received_at, role="flagged", flag_reason=reason
            )
            write_event(
                session,
                dossier.id,
                EVENT_FLAGGED,
                "Courrier citant ce dossier mis de côté : à vérifier",
                details={"message_row_id": row_id},
                at=self.clock(),
            )
            outcome = DossierOutcome(IngestOutcome.FLAGGED, row_id, None, dossier.reference, detail=reason)
        else:
            outcome = self._open(
                session,
                ScanArrival(doc, original),
                Requester(),
                channel=Channel.LETTER,
                received_at=received_at,
                subject="",
                service="",
                text=lambda: doc.text,
                sender="",
                form=None,
                details={"pages": doc.pages, "method": doc.method},
            )
        scan_files.record(session, doc, outcome)
        return outcome

    # ------------------------------------------------------------------ opening

    def suggest(self, text: Callable[[], str], sender: str, form: WebForm | None = None) -> Suggestion | None:
        """The suggester's triage of `text`, or None (no suggester, or it failed: never lose a request)."""
        if self.suggester is None:
            return None  # nothing reads the text: do not build it (PDF text layers are slow)
        try:
            return self.suggester.suggest(text(), sender=sender, form=form)
        except Exception as err:  # a suggestion is a help, never a reason to lose a request
            log_event("suggestion_failed", level=logging.WARNING, error=type(err).__name__)
            return None

    def _open(
        self,
        session: Session,
        arrival: Arrival,
        requester: Requester,
        *,
        channel: Channel,
        received_at: datetime,
        subject: str,
        service: str,
        text: Callable[[], str],
        sender: str,
        form: WebForm | None,
        details: dict[str, Any],
    ) -> DossierOutcome:
        """Suggest, then open the dossier (triage.dossiers.opening) with its first message. The caller
        has checked for duplicates."""
        request = OpeningRequest(
            channel=channel,
            received_at=received_at,
            requester=requester,
            arrival=arrival,
            opened_at=self.clock(),
            subject=subject,
            service=service,
            suggestion=self.suggest(text, sender, form),
            details=details,
        )
        opened = open_dossier(session, request, prefix=self.prefix, notifier=self.notifier)
        return DossierOutcome(IngestOutcome.OPENED, opened.message_row_id, opened.id, opened.reference)


class SharedPipeline:
    """The pipeline a long-lived process shares between requests, owned by that process (the web app
    keeps one in its state): built on first use, since loading the suggester and the notifier takes
    seconds; `reload()` builds it again when the rules or the model changed."""

    def __init__(self, runtime: Runtime, pipeline: Pipeline | None = None) -> None:
        self.runtime = runtime
        self._pipeline = pipeline

    def get(self) -> Pipeline:
        """The pipeline, built now if it was not yet."""
        if self._pipeline is None:
            self._pipeline = Pipeline.from_runtime(self.runtime)
        return self._pipeline

    def reload(self) -> Pipeline:
        """Build the pipeline again (rules and model re-read)."""
        self._pipeline = Pipeline.from_runtime(self.runtime)
        return self._pipeline
