"""Accounts and server-side login sessions in the database (the rules, hashing and roles are in triage/auth.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from triage.store.models import User, WebSession


@dataclass(frozen=True)
class Account:
    """One account, without its password hash."""

    id: int
    username: str
    display_name: str
    email: str
    role: str
    disabled: bool
    failed_logins: int
    last_login_at: datetime | None


def _account(u: User) -> Account:
    return Account(
        u.id, u.username, u.display_name, u.email, u.role, u.disabled, u.failed_logins, u.last_login_at
    )


def accounts(sessions: sessionmaker[Session]) -> list[Account]:
    """Every account, by username."""
    with sessions() as session:
        return [_account(u) for u in session.scalars(select(User).order_by(User.username))]


# The functions below write in the caller's transaction (`store.db.Transaction`).


def find_account(session: Session, username: str) -> Account | None:
    """The account of this (already normalised) username."""
    user = session.scalar(select(User).where(User.username == username))
    return None if user is None else _account(user)


def account_of(session: Session, user_id: int) -> Account | None:
    """The account of this id, if any."""
    user = session.get(User, user_id)
    return _account(user) if user is not None else None


def mediator_accounts(session: Session) -> list[Account]:
    """Active mediator accounts (mediators and delegates), by display name then login."""
    rows = session.scalars(
        select(User)
        .where(User.role == "mediateur", User.disabled.is_(False))
        .order_by(User.display_name, User.username)
    )
    return [_account(u) for u in rows]


def password_hash(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    assert user is not None
    return user.password_hash


def add_account(
    session: Session, *, username: str, role: str, password_hash: str, display_name: str, email: str
) -> Account:
    user = User(
        username=username, role=role, password_hash=password_hash, display_name=display_name, email=email
    )
    session.add(user)
    session.flush()
    return _account(user)


def _set(session: Session, user_id: int, **values: object) -> None:
    session.execute(update(User).where(User.id == user_id).values(**values))


def set_password_hash(session: Session, user_id: int, new_hash: str) -> None:
    """A new password: its hash, and no failure counted any more."""
    _set(session, user_id, password_hash=new_hash, failed_logins=0, locked_until=None)


def set_role(session: Session, user_id: int, role: str) -> None:
    _set(session, user_id, role=role)


def set_disabled(session: Session, user_id: int, disabled: bool) -> None:
    _set(session, user_id, disabled=disabled)


def count_failed_login(session: Session, user_id: int) -> None:
    _set(session, user_id, failed_logins=func.coalesce(User.failed_logins, 0) + 1)


def record_login(session: Session, user_id: int, at: datetime, new_hash: str | None) -> None:
    """A successful login: failures forgotten, the time kept (and the password rehashed when asked)."""
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": at}
    if new_hash is not None:
        values["password_hash"] = new_hash
    _set(session, user_id, **values)


def failed_logins(session: Session, username: str) -> int:
    """Consecutive failed logins of this (normalised) username; 0 when there is no such account."""
    return int(session.scalar(select(User.failed_logins).where(User.username == username)) or 0)


@dataclass(frozen=True)
class StoredSession:
    """A login session as stored (the cookie's hash, never the cookie)."""

    id_hash: str
    user_id: int
    csrf_token: str
    created_at: datetime
    expires_at: datetime


def add_web_session(session: Session, stored: StoredSession, *, drop_expired_before: datetime) -> None:
    """Keep a new login session; the sessions expired before `drop_expired_before` go away."""
    session.add(
        WebSession(
            id_hash=stored.id_hash,
            user_id=stored.user_id,
            csrf_token=stored.csrf_token,
            created_at=stored.created_at,
            expires_at=stored.expires_at,
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < drop_expired_before))


def web_session(session: Session, id_hash: str) -> tuple[StoredSession, Account | None] | None:
    """The stored session of this hash with its account (None when the account is gone)."""
    row = session.get(WebSession, id_hash)
    if row is None:
        return None
    user = session.get(User, row.user_id)
    stored = StoredSession(row.id_hash, row.user_id, row.csrf_token, row.created_at, row.expires_at)
    return stored, None if user is None else _account(user)


def extend_web_session(session: Session, id_hash: str, expires_at: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.id_hash == id_hash).values(expires_at=expires_at))


def end_web_session(session: Session, id_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == id_hash))


def end_user_sessions(session: Session, user_id: int) -> None:
    """Every login session of this account ends."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
