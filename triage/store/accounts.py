"""Accounts as the administrator lists them (the login rules themselves are in triage/auth.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.store.models import User


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


def accounts(sessions: sessionmaker[Session]) -> list[Account]:
    """Every account, by username."""
    with sessions() as session:
        return [
            Account(
                u.id,
                u.username,
                u.display_name,
                u.email,
                u.role,
                u.disabled,
                u.failed_logins,
                u.last_login_at,
            )
            for u in session.scalars(select(User).order_by(User.username))
        ]
