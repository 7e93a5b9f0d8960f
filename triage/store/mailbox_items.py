"""What the worker remembers about each mailbox item: the `mailbox_items` table, keyed by
(mailbox, UIDVALIDITY, UID).

The row is written by the pipeline (`add`, through triage.store.origins) inside the transaction that
stores the message, so "stored" and "seen" commit together: a worker killed before the commit finds
nothing and fetches again; a worker killed after it finds the row and only finishes the move. The
unique key makes a second worker that raced on the same item fail its transaction instead of storing
the message twice. The sources read it through a `MailboxLedger` and note there, after the commit,
what they did on the server.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from triage.clock import system_clock
from triage.records import DossierOutcome, MailboxOrigin
from triage.store.db import transaction
from triage.store.models import MailboxItem

TOO_LARGE = "too_large"


@dataclass(frozen=True)
class KnownItem:
    """A mailbox item already recorded."""

    uid: int
    outcome: str
    moved: bool
    message_row_id: int | None


@dataclass(frozen=True)
class ItemResult:
    """What happened to one mailbox item during a pass (no personal data: safe to log)."""

    uid: int
    outcome: str  # an IngestOutcome value, "too_large" or "vanished"
    message_row_id: int | None = None
    reference: str | None = None
    size: int | None = None
    duration_ms: float = 0.0
    done: bool = False  # moved, flagged or left as configured


def add(session: Session, origin: MailboxOrigin, outcome: DossierOutcome) -> None:
    """Record a mailbox item with its outcome in the caller's transaction (the one storing the message)."""
    session.add(
        MailboxItem(
            mailbox=origin.mailbox,
            uidvalidity=origin.uidvalidity,
            uid=origin.uid,
            outcome=outcome.outcome.value,
            message_row_id=outcome.message_row_id,
            size=origin.size,
        )
    )
    # flush now: a concurrent worker's row makes this fail here, inside the transaction, which the
    # pipeline then rolls back (nothing stored twice)
    session.flush()


def _same_item(origin: MailboxOrigin) -> tuple[Any, ...]:
    return (
        MailboxItem.mailbox == origin.mailbox,
        MailboxItem.uidvalidity == origin.uidvalidity,
        MailboxItem.uid == origin.uid,
    )


class MailboxLedger:
    """What a mailbox source asks of the store, with typed records: which items are already recorded
    and, after its follow-up on the server, that an item is done. Each call is its own short transaction;
    the item itself is recorded by the pipeline, in the transaction that stores the message."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def known(self, mailbox: str, uidvalidity: int, min_uid: int = 0) -> dict[int, KnownItem]:
        """Items of this mailbox and UIDVALIDITY recorded with a UID >= min_uid."""
        with self.sessions() as session:
            rows = session.execute(
                select(
                    MailboxItem.uid, MailboxItem.outcome, MailboxItem.moved_at, MailboxItem.message_row_id
                ).where(
                    MailboxItem.mailbox == mailbox,
                    MailboxItem.uidvalidity == uidvalidity,
                    MailboxItem.uid >= min_uid,
                )
            )
            return {
                int(r.uid): KnownItem(int(r.uid), r.outcome, r.moved_at is not None, r.message_row_id)
                for r in rows
            }

    def uidvalidities(self, mailbox: str) -> set[int]:
        """Every UIDVALIDITY recorded for this mailbox."""
        with self.sessions() as session:
            rows = session.execute(
                select(MailboxItem.uidvalidity).where(MailboxItem.mailbox == mailbox).distinct()
            )
            return {int(v) for v in rows.scalars()}

    def is_recorded(self, origin: MailboxOrigin) -> bool:
        """True when the item is in `mailbox_items` (processed by us or by another worker)."""
        with self.sessions() as session:
            return session.execute(select(MailboxItem.id).where(*_same_item(origin))).first() is not None

    def left_on_server(self, origin: MailboxOrigin) -> bool:
        """Note a message over the size limit, never fetched; True when this call recorded it."""
        if self.is_recorded(origin):
            return False
        try:
            with transaction(self.sessions) as session:
                session.add(
                    MailboxItem(
                        mailbox=origin.mailbox,
                        uidvalidity=origin.uidvalidity,
                        uid=origin.uid,
                        outcome=TOO_LARGE,
                        size=origin.size,
                    )
                )
            return True
        except IntegrityError:
            return False  # another worker recorded it between our check and our insert

    def done(self, mailbox: str, uidvalidity: int, uids: Iterable[int]) -> None:
        """Note that these items were moved or flagged on the server (after their commit)."""
        uid_list = sorted(set(uids))
        if not uid_list:
            return
        with transaction(self.sessions) as session:
            session.execute(
                update(MailboxItem)
                .where(
                    MailboxItem.mailbox == mailbox,
                    MailboxItem.uidvalidity == uidvalidity,
                    MailboxItem.uid.in_(uid_list),
                    MailboxItem.moved_at.is_(None),
                )
                .values(moved_at=system_clock())
            )


class ItemLocks:
    """PostgreSQL advisory locks, one per item, so that workers sharing a mailbox never take the same item.

    The unique key of `mailbox_items` already guarantees that nothing is stored twice; the lock spares
    the loser of a race the fetch, the parse and the rolled-back transaction. A lock belongs to a
    connection of its own: when a worker dies, PostgreSQL drops its locks with it. On SQLite (one
    embedded worker) the locks are a no-op.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.enabled = engine.dialect.name == "postgresql"
        self._conn: Any = None

    @staticmethod
    def _key(mailbox: str, uidvalidity: int, uid: int) -> int:
        digest = hashlib.sha256(f"{mailbox};{uidvalidity};{uid}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def acquire(self, mailbox: str, uidvalidity: int, uid: int) -> bool:
        """Take the item's lock without waiting; False when another worker holds it."""
        if not self.enabled:
            return True
        try:
            return bool(
                self._connection()
                .execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key(mailbox, uidvalidity, uid)})
                .scalar()
            )
        except SQLAlchemyError:
            self.close()
            raise

    def release(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        """Give the item's lock back."""
        if not self.enabled or self._conn is None:
            return
        try:
            self._conn.execute(
                text("SELECT pg_advisory_unlock(:k)"), {"k": self._key(mailbox, uidvalidity, uid)}
            )
        except SQLAlchemyError:
            self.close()  # the connection is gone, and its locks with it
            raise

    def close(self) -> None:
        """Release every lock by closing the connection."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()


class NoLocks(ItemLocks):
    """No locking (tests, single worker)."""

    def __init__(self) -> None:
        self.enabled = False
        self._conn = None


@dataclass(frozen=True)
class TooLargeItem:
    """A message left on the server because it is over the size limit."""

    mailbox: str
    uidvalidity: int
    uid: int
    size: int | None
    seen_at: datetime


def too_large_items(session: Session, mailbox: str | None = None) -> list[TooLargeItem]:
    """Messages left on the server for being too large (newest first): the mediator handles them by hand."""
    query = select(MailboxItem).where(MailboxItem.outcome == TOO_LARGE)
    if mailbox is not None:
        query = query.where(MailboxItem.mailbox == mailbox)
    rows = session.execute(query.order_by(MailboxItem.processed_at.desc())).scalars()
    return [TooLargeItem(r.mailbox, int(r.uidvalidity), int(r.uid), r.size, r.processed_at) for r in rows]


@dataclass(frozen=True)
class ItemCount:
    """How many items of a mailbox ended one way, and how many of them were moved or flagged."""

    mailbox: str
    outcome: str
    count: int
    moved: int


def item_counts(session: Session) -> list[ItemCount]:
    """The counts of `mediature mailbox status`, by mailbox and outcome."""
    rows = session.execute(
        select(MailboxItem.mailbox, MailboxItem.outcome, func.count(), func.count(MailboxItem.moved_at))
        .group_by(MailboxItem.mailbox, MailboxItem.outcome)
        .order_by(MailboxItem.mailbox, MailboxItem.outcome)
    ).all()
    return [ItemCount(mailbox, outcome, int(count), int(moved)) for mailbox, outcome, count, moved in rows]
