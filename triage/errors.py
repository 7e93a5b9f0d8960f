"""The error tree of Médiature. One root; each error carries the key of what it concerns.

    MediatureError
    ├── ConfigError            invalid or missing settings
    ├── StoreError             database unreachable, migration missing
    ├── SourceError            a mail or scan source failed
    │   ├── MailboxAuthError   wrong login or password
    │   ├── MailboxFolderError the configured folder does not exist
    │   └── MailboxConnectionError  network failure (retried with backoff)
    ├── ParseError             raw bytes that cannot become a message (-> quarantine)
    ├── OcrError               a scan that cannot be read (-> quarantine)
    ├── RulesError             a rules or taxonomy file is invalid (names file and line)
    ├── ModelError             a model file is missing, corrupt or incompatible (-> rules only)
    ├── DossierError           a dossier operation is not allowed (bad transition, missing field)
    ├── NotFoundError          no such dossier, message, attachment, letter or quarantined item
    ├── DeliveryError          an outgoing message could not be delivered (retried)
    ├── ReportError            a report, recommendation or export request is invalid
    ├── BackupError            a backup cannot be written, or an archive cannot be trusted or restored
    └── AuthError              web login or permission refused

The CLI (triage.cli) and the web app (triage.web.app: `error_status`) are the only places that turn
these into exit codes or HTTP statuses (NotFoundError 404, AuthError 403, any other refusal 409).
"""

from __future__ import annotations


class MediatureError(Exception):
    """Root of every error Médiature raises on purpose."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key

    def __str__(self) -> str:
        return f"{self.message} [{self.key}]" if self.key else self.message


class ConfigError(MediatureError):
    """Settings are invalid or missing."""


class StoreError(MediatureError):
    """The database cannot be used."""


class SourceError(MediatureError):
    """A mail or scan source failed."""


class MailboxAuthError(SourceError):
    """The mailbox refused the login."""


class MailboxFolderError(SourceError):
    """The configured mailbox folder does not exist."""


class MailboxConnectionError(SourceError):
    """The mailbox could not be reached; retried with backoff."""


class ParseError(MediatureError):
    """Raw bytes that cannot be turned into a message."""


class OcrError(MediatureError):
    """A scanned document that cannot be read."""


class RulesError(MediatureError):
    """A rules or taxonomy file is invalid."""


class ModelError(MediatureError):
    """A model file is missing, corrupt or incompatible."""


class DossierError(MediatureError):
    """A dossier operation is not allowed."""


class NotFoundError(MediatureError):
    """What was asked for does not exist (dossier reference, message, attachment, letter, item id)."""


class DeliveryError(MediatureError):
    """An outgoing message could not be delivered."""


class ReportError(MediatureError):
    """A report, recommendation or export request is invalid (unknown section, status, number)."""


class AuthError(MediatureError):
    """Login or permission refused."""


class BackupError(MediatureError):
    """A backup cannot be written, or an archive is corrupt, undecipherable or cannot be restored."""
