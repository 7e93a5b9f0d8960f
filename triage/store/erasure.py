"""The erasure's queries (RGPD art. 17): the person's dossiers and names, what else names them, the wipe.

`triage/privacy/erasure.py` runs an erasure and reports it; the rows it finds and clears are here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, String, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from triage.errors import DossierError
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
from triage.store.personal import Purge, affected, delete_messages

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


def erase_loose(session: Session, email: str, names: set[str], purge: Purge, rejected: Path) -> list[Path]:
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
            # the full-text index merged into one segment: the erased words leave its pages, not only its
            # results (its deletions are otherwise markers beside the old entries until FTS5 merges them)
            conn.execute("INSERT INTO search_index(search_index) VALUES ('optimize')")
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
