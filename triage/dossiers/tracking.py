"""Citizen tracking: unguessable link tokens, short codes read out on the phone, the public view of a dossier.

The view deliberately carries no message content, no health or family detail and no full name:
only the reference, initials, dates and the steps of the process.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from triage.articles import after
from triage.clock import system_clock
from triage.dossiers.statuses import OUTCOMES, STATUSES, status_label
from triage.store.models import Contact as ContactRow
from triage.store.models import Dossier, Event

KEY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
KEY_LENGTH = 8  # 32^8 = 2^40 keys; with the per-dossier failure limit, guessing one is out of reach
LEGACY_KEY_LENGTH = 4  # dossiers opened before keys had 8 characters keep their 4-character key
_REF_RE = re.compile(
    r"^\s*([A-Z]{2,10}-\d{4}-\d{3,6})(?:-?([A-Z0-9]{4}(?:-?[A-Z0-9]{4})?))?\s*$", re.IGNORECASE
)


def new_token() -> str:
    """A tracking-link token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """What the database keeps of a token (SHA-256 hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_check_key() -> str:
    """The check key that follows the reference in the short code (40 bits, failures limited per dossier)."""
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def short_code(reference: str, key: str) -> str:
    """The code a person can read out: MED-2026-00042-K7PXM3QR."""
    return f"{reference}-{key}"


def _usable_token(token: str | None) -> bool:
    """Whether a token is worth a database lookup (empty or oversized ones never are)."""
    return bool(token) and len(token or "") <= 128


def _key_matches(expected: str | None, typed: str) -> bool:
    """Constant-time check of a typed key; an unknown reference costs the same comparison."""
    ok = hmac.compare_digest((expected or "X" * KEY_LENGTH).encode(), typed.encode())
    return expected is not None and ok


def find_by_token(session: Session, token: str) -> Dossier | None:
    """The dossier of a tracking link, or None."""
    if not _usable_token(token):
        return None
    return session.scalar(select(Dossier).where(Dossier.tracking_token_hash == hash_token(token)))


def normalise_code(reference: str, key: str = "") -> tuple[str, str] | None:
    """Split what a person typed (reference and key together or apart) into (REFERENCE, KEY)."""
    ref = re.sub(r"[\s-]+", "-", (reference or "").strip().upper())  # "MED 2026 00042 K7PX M3QR" too
    key = (key or "").strip().upper().replace(" ", "").replace("-", "")
    match = _REF_RE.match(ref)
    if not match:
        return None
    ref, embedded = match.group(1), match.group(2) or ""
    key = key or embedded.replace("-", "")
    if len(key) not in (KEY_LENGTH, LEGACY_KEY_LENGTH):
        return None
    # people confuse O/0 and I/1 when reading a code aloud: the alphabet has neither 0/O nor 1/I
    key = key.replace("0", "O").replace("1", "I")
    return ref, key


def find_by_code(session: Session, reference: str, key: str = "") -> Dossier | None:
    """The dossier matching a reference and its check key, or None (constant-time key comparison)."""
    parsed = normalise_code(reference, key)
    if parsed is None:
        return None
    ref, typed_key = parsed
    dossier = session.scalar(select(Dossier).where(Dossier.reference == ref))
    return dossier if _key_matches(dossier.tracking_key if dossier else None, typed_key) else None


@dataclass(frozen=True)
class Step:
    """One dated step of the public timeline."""

    label: str
    at: datetime
    detail: str = ""


@dataclass(frozen=True)
class Contact:
    """An organisation the citizen is sent to, or the mediation service itself."""

    name: str
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    email: str = ""
    website: str = ""
    note: str = ""
    article: str | None = None  # recorded in the directory; None: guessed from the name (triage.articles)

    def after(self, preposition: str) -> str:
        """« vers la Préfecture de l'Isère », « au conciliateur de justice »."""
        return after(preposition, self.name, self.article)


@dataclass(frozen=True)
class TrackingView:
    """Everything the tracking page shows, and nothing more."""

    reference: str
    initials: str
    received_at: datetime
    status_code: str
    status_label: str
    explanation: str
    next_step: str
    outcome: str
    steps: tuple[Step, ...]
    reoriented_to: Contact | None


def initials(name: str) -> str:
    """'Sylvie MARTIN' -> 'S. M.' (at most three initials)."""
    parts = [p for p in re.split(r"[\s\-]+", name or "") if p and p[0].isalpha()]
    return " ".join(f"{p[0].upper()}." for p in parts[:3])


_VIEW_COLUMNS = (
    Dossier.id,
    Dossier.reference,
    Dossier.status,
    Dossier.outcome,
    Dossier.reorientation,
    Dossier.received_at,
    Dossier.requester_name,
    Dossier.tracking_key,
    Dossier.tracking_locked_until,
    Dossier.service_concerned,
)
# Built once: constructing statements costs more than running them on this hot path.
_BY_TOKEN = select(*_VIEW_COLUMNS).where(Dossier.tracking_token_hash == bindparam("token_hash"))
_BY_REFERENCE = select(*_VIEW_COLUMNS).where(Dossier.reference == bindparam("reference"))
_SERVICE_ARTICLE = (
    select(ContactRow.article)
    .where(ContactRow.name == bindparam("name"), ContactRow.kind == "service")
    .limit(1)
)
_PUBLIC_EVENTS = (
    select(Event.at, Event.summary, Event.details)
    .where(Event.dossier_id == bindparam("dossier_id"), Event.public.is_(True))
    .order_by(Event.at, Event.id)
)


def load_view(
    conn: Connection,
    *,
    token: str,
    contact_for: Callable[[str], Contact | None] | None = None,
) -> TrackingView | None:
    """The public view behind a link token; None when nothing matches.

    Two small Core queries on one connection: the tracking page is the hot path of the public site.
    """
    if not _usable_token(token):
        return None
    row = conn.execute(_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    return _view(conn, row, contact_for) if row is not None else None


@dataclass(frozen=True)
class CodePolicy:
    """How many wrong codes a dossier tolerates before code lookups of it are suspended, and for how long."""

    max_failures: int
    lockout: timedelta


@dataclass(frozen=True)
class CodeAnswer:
    """The outcome of a reference + code lookup: the view, or nothing; `suspended` when the dossier's code
    lookups are on hold after too many wrong codes (even the right code waits: no oracle)."""

    view: TrackingView | None
    suspended: bool = False


_COUNT_FAILURE = (
    update(Dossier)
    .where(Dossier.id == bindparam("dossier_id"))
    .values(tracking_failures=Dossier.tracking_failures + 1)
    .returning(Dossier.tracking_failures)
)


def load_view_by_code(
    conn: Connection,
    reference: str,
    key: str,
    policy: CodePolicy,
    *,
    contact_for: Callable[[str], Contact | None] | None = None,
    now: datetime | None = None,
) -> CodeAnswer:
    """The public view for a reference + check key, counting wrong keys per dossier (`conn` in a
    transaction: a wrong key is written down). An unknown reference costs the same comparison."""
    parsed = normalise_code(reference, key)
    if parsed is None:
        return CodeAnswer(None)
    ref, typed_key = parsed
    now = now or system_clock()
    row = conn.execute(_BY_REFERENCE, {"reference": ref}).first()
    matches = _key_matches(row.tracking_key if row is not None else None, typed_key)
    if row is None:
        return CodeAnswer(None)
    if row.tracking_locked_until is not None and row.tracking_locked_until > now:
        return CodeAnswer(None, suspended=True)
    if matches:
        conn.execute(
            update(Dossier)
            .where(Dossier.id == row.id, Dossier.tracking_failures != 0)
            .values(tracking_failures=0)
        )
        return CodeAnswer(_view(conn, row, contact_for))
    failures = conn.execute(_COUNT_FAILURE, {"dossier_id": row.id}).scalar_one()
    if failures >= policy.max_failures:
        conn.execute(
            update(Dossier)
            .where(Dossier.id == row.id)
            .values(tracking_failures=0, tracking_locked_until=now + policy.lockout)
        )
        return CodeAnswer(None, suspended=True)
    return CodeAnswer(None)


def _view(conn: Connection, row: Any, contact_for: Callable[[str], Contact | None] | None) -> TrackingView:
    events = conn.execute(_PUBLIC_EVENTS, {"dossier_id": row.id}).all()
    code = row.reorientation if row.reorientation not in (None, "", "none") else None
    contact = contact_for(code) if (code and contact_for) else None
    service = None
    if row.status == "transmise_service" and (name := (row.service_concerned or "").strip()):
        article = conn.execute(_SERVICE_ARTICLE, {"name": name}).scalar()
        service = Contact(name=name, article=article)
    return build_view(row, events, contact, service)


def _last_detail(events: Any, key: str) -> str:
    """The latest public event's value for `key` (the target of a merge, the reason of a dismissal)."""
    values = [str((e.details or {}).get(key) or "") for e in events]
    return next((v for v in reversed(values) if v), "")


def build_view(
    row: Any, events: Any, contact: Contact | None, service: Contact | None = None
) -> TrackingView:
    """Assemble the view from a dossier row and its public events (`contact`: the body a reoriented request
    is sent to; `service`: the Département's service a request is passed to)."""
    steps = [
        Step(label=e.summary or status_label(str((e.details or {}).get("status", ""))), at=e.at)
        for e in events
    ]
    if not steps:
        steps = [Step(label=STATUSES["recue"].label, at=row.received_at)]
    status = STATUSES.get(row.status, STATUSES["recue"])
    label, explanation = status.label, status.explanation
    if row.status == "reorientee" and contact is not None:
        label = f"Réorientée {contact.after('vers')}"
    if row.status == "transmise_service" and service is not None:
        label = f"Transmise {service.after('à')}"
    if row.status == "rattachee" and (target := _last_detail(events, "merged_into")):
        label = f"Rattachée au dossier {target}"
    if row.status == "classee_sans_suite" and (reason := _last_detail(events, "reason")):
        explanation = f"{explanation} Motif : {reason.rstrip('.')}."
    return TrackingView(
        reference=row.reference,
        initials=initials(row.requester_name),
        received_at=row.received_at,
        status_code=status.code,
        status_label=label,
        explanation=explanation,
        next_step=status.next_step,
        outcome=OUTCOMES.get(row.outcome or "", ""),
        steps=tuple(steps),
        reoriented_to=contact,
    )
