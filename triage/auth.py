"""Accounts, roles, passwords (argon2) and server-side login sessions for the mediation workspace.

The session cookie holds a random id; the `web_sessions` table keeps only its SHA-256, with the
session's CSRF token. Roles follow least privilege:

- ``mediateur``: everything (dossiers, triage, letters, scans, print queue, administration);
- ``courrier`` (mail service): scan upload, ingestion status, print queue, manual opening of a
  request at a permanence; never the contents of dossiers;
- ``admin``: users, rules reload, quarantine, audit log; never the contents of dossiers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.errors import AuthError
from triage.store.models import User, WebSession

ROLES: dict[str, str] = {
    "mediateur": "Médiatrice ou médiateur",
    "courrier": "Service courrier",
    "admin": "Administration",
}

# What each role may do. Pages and actions ask for one capability, never for a role.
CAPABILITIES: dict[str, frozenset[str]] = {
    "mediateur": frozenset({
        "dossiers.read", "dossiers.write", "dossiers.create", "scans.upload", "ingestion.view",
        "print.view", "users.manage", "rules.reload", "quarantine.view", "audit.view",
    }),
    "courrier": frozenset({"scans.upload", "ingestion.view", "print.view", "dossiers.create"}),
    "admin": frozenset({"users.manage", "rules.reload", "quarantine.view", "audit.view", "ingestion.view"}),
}

MIN_PASSWORD_LENGTH = 12
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified against when the username is unknown, so both cases take the same time
_DUMMY_HASH = _HASHER.hash("mediature-dummy-password")


def can(role: str, capability: str) -> bool:
    """Whether `role` grants `capability`."""
    return capability in CAPABILITIES.get(role, frozenset())


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, after checking the password policy."""
    check_password_policy(password)
    return _HASHER.hash(password)


def check_password_policy(password: str) -> None:
    """Refuse passwords that are too short (length is what matters most; no composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères")


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash` (False for a malformed hash)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# --------------------------------------------------------------------------- users


def normalise_username(username: str) -> str:
    """Usernames are compared lower-case, without surrounding spaces."""
    return (username or "").strip().lower()


def create_user(
    session: Session, username: str, password: str, role: str, *, display_name: str = "", email: str = ""
) -> User:
    """Add an account; raise AuthError for an unknown role, a taken name or a weak password."""
    name = normalise_username(username)
    if role not in ROLES:
        raise AuthError(f"rôle inconnu : {role} (rôles : {', '.join(ROLES)})")
    if not name or len(name) > 120 or any(c.isspace() for c in name):
        raise AuthError("identifiant invalide (sans espace, 120 caractères au plus)")
    if session.scalar(select(User).where(User.username == name)) is not None:
        raise AuthError(f"l'identifiant {name} existe déjà")
    user = User(username=name, role=role, password_hash=hash_password(password),
                display_name=display_name.strip(), email=email.strip().lower())
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    """The account named `username`, or AuthError."""
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise AuthError(f"compte inconnu : {normalise_username(username)}")
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Change a password, unlock the account and end its sessions."""
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    end_user_sessions(session, user.id)


def set_disabled(session: Session, user: User, disabled: bool) -> None:
    """Disable (and log out) or re-enable an account."""
    user.disabled = disabled
    if disabled:
        end_user_sessions(session, user.id)


def authenticate(session: Session, settings: Settings, username: str, password: str,
                 now: datetime | None = None) -> User:
    """The user if the password is right and the account usable; AuthError otherwise.

    Failures are counted; after `web.login_max_failures` in a row the account is locked for
    `web.login_lockout_minutes`, during which even the right password is refused. The message
    never tells which of the name or the password was wrong.
    """
    now = _now(now)
    refused = AuthError("identifiant ou mot de passe incorrect, ou compte temporairement bloqué")
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise refused
    if user.locked_until is not None and user.locked_until > now:
        verify_password(_DUMMY_HASH, password)
        raise refused
    if not verify_password(user.password_hash, password) or user.disabled:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= settings.web.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.web.login_lockout_minutes)
            user.failed_logins = 0
        raise refused
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


# --------------------------------------------------------------------------- sessions


def _hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoggedIn:
    """A valid session: who, with which role, and the CSRF token its forms must carry."""

    user_id: int
    username: str
    display_name: str
    role: str
    csrf_token: str
    id_hash: str

    def can(self, capability: str) -> bool:
        """Whether this person's role grants `capability`."""
        return can(self.role, capability)


def start_session(session: Session, settings: Settings, user: User, now: datetime | None = None) -> str:
    """Create a session for `user`; return the cookie value (only its hash is stored)."""
    now = _now(now)
    session_id = secrets.token_urlsafe(32)
    session.add(WebSession(
        id_hash=_hash_id(session_id), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
        created_at=now, expires_at=now + timedelta(minutes=settings.web.session_idle_minutes),
    ))
    # old expired sessions go away whenever someone logs in
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    return session_id


def load_session(session: Session, settings: Settings, session_id: str | None,
                 now: datetime | None = None) -> LoggedIn | None:
    """The session behind a cookie value, extended by the idle timeout; None when invalid or expired."""
    if not session_id or len(session_id) > 128:
        return None
    now = _now(now)
    row = session.get(WebSession, _hash_id(session_id))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    hard_limit = row.created_at + timedelta(hours=settings.web.session_max_hours)
    if user is None or user.disabled or row.expires_at <= now or hard_limit <= now:
        session.delete(row)
        return None
    row.expires_at = min(hard_limit, now + timedelta(minutes=settings.web.session_idle_minutes))
    return LoggedIn(user_id=user.id, username=user.username, display_name=user.display_name or user.username,
                    role=user.role, csrf_token=row.csrf_token, id_hash=row.id_hash)


def end_session(session: Session, session_id: str | None) -> None:
    """Log out: forget the session."""
    if session_id:
        session.execute(delete(WebSession).where(WebSession.id_hash == _hash_id(session_id)))


def end_user_sessions(session: Session, user_id: int) -> None:
    """Log a user out everywhere (password change, account disabled)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def csrf_ok(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a submitted CSRF token with the session's."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


def login_form_token(secret: bytes, nonce: str) -> str:
    """CSRF token of the login form, bound to a pre-login cookie nonce (double submit, signed)."""
    return hmac.new(secret, f"login|{nonce}".encode(), hashlib.sha256).hexdigest()
