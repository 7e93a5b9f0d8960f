"""Erasure (RGPD art. 17): one person's dossiers are anonymised as retention does, and every other trace
of their address and name goes: loose mail, quarantined bytes, outgoing copies, bounce records, training
examples, audit details, files on disk; then the database's free space is wiped (SQLite VACUUM and WAL
truncation with secure_delete on; PostgreSQL VACUUM FULL of the tables touched).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, String, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from triage import logs
from triage.errors import DossierError
from triage.privacy.retention import delete_files, files_to_delete
from triage.runtime import Runtime
from triage.sources.scans import rejected_dir
from triage.store.audit import Actor, record
from triage.store.models import (
    AddressStatus,
    AuditEntry,
    Dossier,
    LabelledExample,
    Message,
    OutboxItem,
    QuarantineItem,
    RawBlob,
)
from triage.store.personal import Purge, affected, anonymise_dossiers, delete_messages, delete_orphan_blobs

# tables whose rows an erasure rewrites or deletes (PostgreSQL: VACUUM FULL rewrites their files)
TOUCHED_TABLES = (
    "dossiers",
    "messages",
    "attachments",
    "raw_blobs",
    "events",
    "suggestions",
    "labelled_examples",
    "outbox",
    "print_jobs",
    "quarantine",
    "address_status",
    "notes",
    "audit_log",
    "scan_files",
)

EPOCH = date(1970, 1, 1)  # "as of" for files_to_delete: only the files the purge released, nothing by age


@dataclass
class ErasureReport:
    """What an erasure did."""

    references: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    compacted: bool = False
    mentioned_in: list[str] = field(default_factory=list)  # other people's dossiers naming the person


def normalise_email(address: str) -> str:
    """The address as stored (lower case, no spaces); DossierError when it is not one."""
    email = address.strip().lower()
    if "@" not in email or " " in email or len(email) > 320:
        raise DossierError("adresse électronique invalide")
    return email


def person_dossier_ids(session: Session, email: str) -> list[int]:
    """Dossiers of the person writing from `email` (requester, or sender of one of their messages)."""
    own = select(Dossier.id).where(func.lower(Dossier.requester_email) == email)
    written = select(Message.dossier_id).where(
        func.lower(Message.from_address) == email, Message.dossier_id.is_not(None)
    )
    ids = {int(i) for i in session.scalars(own)} | {int(i) for i in session.scalars(written) if i is not None}
    if ids:
        ids |= {int(i) for i in session.scalars(select(Dossier.id).where(Dossier.merged_into_id.in_(ids)))}
    return sorted(ids)


def person_names(session: Session, email: str, dossier_ids: list[int]) -> set[str]:
    """The names the person gave (as requester, or in the From of their mail); at least two words long."""
    names = set(session.scalars(select(Dossier.requester_name).where(Dossier.id.in_(dossier_ids))))
    names |= set(session.scalars(select(Message.from_name).where(func.lower(Message.from_address) == email)))
    return {n.strip() for n in names if n and len(n.split()) >= 2}


def _mentions(data: bytes, needles: list[bytes]) -> bool:
    lower = data.lower()
    return any(n in lower for n in needles)


def _needles(email: str, names: set[str]) -> list[bytes]:
    return [email.encode()] + [n.lower().encode() for n in names]


def _erase_loose(session: Session, email: str, names: set[str], purge: Purge, rejected: Path) -> list[Path]:
    """Mail attached to no dossier, quarantined bytes, outgoing copies and examples naming the person."""
    needles = _needles(email, names)
    texts = [email, *names]
    loose = select(
        Message.id, Message.raw_blob_id, Message.from_address, Message.from_name, Message.body_text
    ).where(Message.dossier_id.is_(None))
    doomed = []
    for mid, blob_id, address, name, body in session.execute(loose):
        raw = session.scalar(select(RawBlob.data).where(RawBlob.id == blob_id)) if blob_id else b""
        text = f"{address}\n{name}\n{body}".lower()
        if any(t.lower() in text for t in texts) or _mentions(bytes(raw or b""), needles):
            doomed.append(int(mid))
    delete_messages(session, doomed, purge)
    files: list[Path] = []
    for qid, sha, blob_id in session.execute(
        select(QuarantineItem.id, QuarantineItem.sha256, QuarantineItem.raw_blob_id)
    ):
        raw = session.scalar(select(RawBlob.data).where(RawBlob.id == blob_id)) or b""
        if _mentions(bytes(raw), needles):
            session.execute(delete(QuarantineItem).where(QuarantineItem.id == qid))
            purge.add("quarantine", 1)
            if rejected.is_dir():
                files += [p for p in rejected.iterdir() if p.name.startswith(sha[:16] + "-")]
    outbox = session.execute(
        select(OutboxItem.id, OutboxItem.created_at, OutboxItem.kind).where(
            func.lower(OutboxItem.to_address) == email
        )
    ).all()
    if outbox:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_([r[0] for r in outbox]))
            .values(to_address="", subject="", raw=b"")
        )
        purge.outbox_ids += [(int(i), c, k) for i, c, k in outbox]
        purge.add("outbox", len(outbox))
    session.execute(delete(AddressStatus).where(func.lower(AddressStatus.address) == email))
    for needle in texts:
        purge.add(
            "labelled_examples",
            affected(
                session,
                delete(LabelledExample).where(func.lower(LabelledExample.text).contains(needle.lower())),
            ),
        )
        session.execute(
            update(AuditEntry)
            .where(cast(AuditEntry.details, String).contains(needle))
            .values(details={"efface": True})
        )
    return files


def compact(engine: Engine) -> bool:
    """Wipe the database's free space so erased bytes cannot be read back; False when SQLite was busy."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError:
            return False  # locked by a long writer: the erasure is committed, the free space wiped next time
        finally:
            raw.close()
        return not (busy and busy[0])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in TOUCHED_TABLES:
            conn.exec_driver_sql(f'VACUUM FULL "{table}"')  # names from the constant above, never input
    return True


def erase(runtime: Runtime, address: str, actor: Actor) -> ErasureReport:
    """Erase everything about the person writing from `address` (see the module docstring)."""
    email = normalise_email(address)
    report = ErasureReport()
    purge = Purge()
    now = datetime.now(UTC)
    with runtime.sessions.begin() as session:
        ids = person_dossier_ids(session, email)
        names = person_names(session, email, ids)
        report.references = sorted(session.scalars(select(Dossier.reference).where(Dossier.id.in_(ids))))
        purge.merge(anonymise_dossiers(session, ids, now))
        purge.files += _erase_loose(session, email, names, purge, rejected_dir(runtime.settings))
        purge.add("blobs", delete_orphan_blobs(session))
        for dossier_id in ids:
            record(session, actor, "privacy.erased", dossier_id=dossier_id, now=now)
        record(session, actor, "privacy.erase", now=now, details=dict(purge.counts))
        report.mentioned_in = mentions_elsewhere(session, email, names)
        files = files_to_delete(runtime.settings, runtime.settings.retention, EPOCH, purge)
    purge.add("files", delete_files(files))
    report.counts = dict(purge.counts)
    report.compacted = compact(runtime.engine)
    logs.event("privacy_erase", compacted=report.compacted, **purge.counts)
    return report


def dossier_email(session: Session, dossier_id: int) -> str:
    """The requester's address of a dossier (DossierError when it has none)."""
    email = session.scalar(select(Dossier.requester_email).where(Dossier.id == dossier_id))
    if not email:
        raise DossierError("ce dossier n'a pas d'adresse électronique : effacement par adresse impossible")
    return str(email)


def mentions_elsewhere(session: Session, email: str, names: set[str]) -> list[str]:
    """References of other people's dossiers whose messages still mention the person (to check by hand)."""
    conds = [Message.body_text.contains(t) for t in [email, *names]]
    stmt = (
        select(Dossier.reference)
        .join(Message, Message.dossier_id == Dossier.id)
        .where(or_(*conds))
        .distinct()
    )
    return sorted(session.scalars(stmt))
