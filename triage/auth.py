"""Accounts, roles, passwords (argon2) and server-side login sessions for the mediation workspace.

The session cookie holds a random id; the `web_sessions` table keeps only its SHA-256, with the
session's CSRF token. Roles follow least privilege:

- ``mediateur``: everything (dossiers, triage, letters, scans, print queue, administration);
- ``courrier`` (mail service): scan upload, ingestion status, print queue, manual opening of a
  request at a permanence; never the contents of dossiers;
- ``admin``: users, rules reload, quarantine, audit log; never the contents of dossiers.

Account changes that would open dossiers to someone (creating or promoting an account whose role reads
dossiers, resetting its password) need a role that already reads them, or the terminal on the server
(`mediature users …`): an administrator cannot give themselves a way into the dossiers.

Logins: no account is ever locked. Failures are throttled per (account, client address) and per
address by the web layer; the account's consecutive failures (any address) slow every further attempt
down progressively (`login_delay`), so a distributed guess gets slower without locking the owner out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from triage.clock import system_clock
from triage.config import Settings
from triage.errors import AuthError
from triage.store import accounts as store
from triage.store.accounts import Account, StoredSession
from triage.store.db import Transaction
from triage.store.models import User

ROLES: dict[str, str] = {
    "mediateur": "Médiatrice ou médiateur",
    "courrier": "Service courrier",
    "admin": "Administration",
}

# What each role may do. Pages and actions ask for one capability, never for a role.
CAPABILITIES: dict[str, frozenset[str]] = {
    "mediateur": frozenset(
        {
            "dossiers.read",
            "dossiers.write",
            "dossiers.create",
            "scans.upload",
            "scans.verify",
            "ingestion.view",
            "print.view",
            "users.manage",
            "rules.reload",
            "quarantine.view",
            "audit.view",
        }
    ),
    # the mail service holds the paper: it may check a letter's transcription against the scan
    "courrier": frozenset(
        {"scans.upload", "scans.verify", "ingestion.view", "print.view", "dossiers.create"}
    ),
    "admin": frozenset({"users.manage", "rules.reload", "quarantine.view", "audit.view", "ingestion.view"}),
}

MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn: 3 = "safely unguessable" against online and throttled offline guessing
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified against when the username is unknown, so both cases take the same time
_DUMMY_HASH = _HASHER.hash("mediature-dummy-password")
# words an attacker would try first here, on top of zxcvbn's own lists of common passwords and words
_LOCAL_WORDS = (
    "mediature",
    "mediation",
    "mediatrice",
    "mediateur",
    "departement",
    "isere",
    "grenoble",
    "courrier",
    "admin",
    "administration",
    "motdepasse",
    "azerty",
)
# zxcvbn's warnings, in French (anything else gets the general advice)
_WARNINGS_FR = {
    "Straight rows of keys are easy to guess.": "une rangée de touches du clavier se devine facilement",
    "Short keyboard patterns are easy to guess.": "un motif de clavier se devine facilement",
    'Repeats like "aaa" are easy to guess.': "une répétition comme « aaa » se devine facilement",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "une répétition comme « abcabcabc » ne vaut guère mieux que « abc »",
    "Sequences like abc or 6543 are easy to guess.": "une suite comme « abc » ou « 6543 » se devine facilement",
    "Recent years are easy to guess.": "une année récente se devine facilement",
    "Dates are often easy to guess.": "une date se devine souvent facilement",
    "This is a top-10 common password.": "c'est l'un des 10 mots de passe les plus courants",
    "This is a top-100 common password.": "c'est l'un des 100 mots de passe les plus courants",
    "This is a very common password.": "c'est un mot de passe très courant",
    "This is similar to a commonly used password.": "il ressemble à un mot de passe très courant",
    "A word by itself is easy to guess.": "un mot seul se devine facilement",
    "Names and surnames by themselves are easy to guess.": "un nom ou un prénom seul se devine facilement",
    "Common names and surnames are easy to guess.": "les noms et prénoms courants se devinent facilement",
}
PASSWORD_ADVICE = "choisissez plutôt une phrase de quatre ou cinq mots sans lien entre eux"


def can(role: str, capability: str) -> bool:
    """Whether `role` grants `capability`."""
    return capability in CAPABILITIES.get(role, frozenset())


def reads_dossiers(role: str) -> bool:
    """Whether an account of `role` can read the content of dossiers."""
    return can(role, "dossiers.read")


def check_grant(actor_role: str | None, role: str) -> None:
    """Refuse to let `actor_role` create, promote or reset an account of `role` that reads dossiers when
    the actor cannot read them itself. None is the terminal on the server, which may do anything."""
    if actor_role is None or not reads_dossiers(role) or reads_dossiers(actor_role):
        return
    raise AuthError(
        "seule une médiatrice ou un médiateur, ou la commande « mediature users » sur le serveur, "
        "peut créer un compte qui lit les dossiers, lui donner ce rôle ou changer son mot de passe"
    )


def grantable_roles(actor_role: str | None) -> dict[str, str]:
    """The roles `actor_role` may give or manage (all of them for a mediator or the terminal)."""
    allowed: dict[str, str] = {}
    for code, name in ROLES.items():
        try:
            check_grant(actor_role, code)
        except AuthError:
            continue
        allowed[code] = name
    return allowed


def hash_password(password: str, user_inputs: tuple[str, ...] = ()) -> str:
    """An argon2id hash of `password`, after checking the password policy."""
    check_password_policy(password, user_inputs)
    return _HASHER.hash(password)


def check_password_policy(password: str, user_inputs: tuple[str, ...] = ()) -> None:
    """Refuse passwords that are too short or easy to guess (zxcvbn: common passwords, words, names,
    keyboard patterns, repeats, dates, and `user_inputs` such as the account's name). No composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères")
    words = [w for w in (*_LOCAL_WORDS, *user_inputs) if w]
    result = zxcvbn(password[:100], user_inputs=words)  # zxcvbn slows down on very long inputs
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = _WARNINGS_FR.get(result["feedback"].get("warning") or "", "")
        reason = f" ({warning})" if warning else ""
        raise AuthError(f"ce mot de passe est trop facile à deviner{reason} : {PASSWORD_ADVICE}")


def login_delay(failures: int, free_failures: int, max_delay: float) -> float:
    """Seconds to wait before checking a password after `failures` consecutive failures on the account:
    none for the first `free_failures`, then 1, 2, 4… up to `max_delay` (a slowdown, never a lock)."""
    if failures < free_failures:
        return 0.0
    return float(min(max_delay, 2 ** min(failures - free_failures, 16)))


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash` (False for a malformed hash)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _now(now: datetime | None) -> datetime:
    return now or system_clock()


# --------------------------------------------------------------------------- users


def normalise_username(username: str) -> str:
    """Usernames are compared lower-case, without surrounding spaces."""
    return (username or "").strip().lower()


def create_user(
    session: Transaction, username: str, password: str, role: str, *, display_name: str = "", email: str = ""
) -> Account:
    """Add an account; raise AuthError for an unknown role, a taken name or a weak password."""
    name = normalise_username(username)
    if role not in ROLES:
        raise AuthError(f"rôle inconnu : {role} (rôles : {', '.join(ROLES)})")
    if not name or len(name) > 120 or any(c.isspace() for c in name):
        raise AuthError("identifiant invalide (sans espace, 120 caractères au plus)")
    if store.find_account(session, name) is not None:
        raise AuthError(f"l'identifiant {name} existe déjà")
    return store.add_account(
        session,
        username=name,
        role=role,
        password_hash=hash_password(password, (name, display_name)),
        display_name=display_name.strip(),
        email=email.strip().lower(),
    )


def get_user(session: Transaction, username: str) -> Account:
    """The account named `username`, or AuthError."""
    user = store.find_account(session, normalise_username(username))
    if user is None:
        raise AuthError(f"compte inconnu : {normalise_username(username)}")
    return user


def set_password(session: Transaction, user: Account | User, password: str) -> None:
    """Change a password, clear the failure count and end the account's sessions."""
    store.set_password_hash(
        session, user.id, hash_password(password, (user.username, user.display_name or ""))
    )
    store.end_user_sessions(session, user.id)


def set_role(session: Transaction, user: Account | User, role: str) -> None:
    """Give `user` another role (its sessions end: the next login carries the new rights).

    Callers check who may do it (`check_grant`); the terminal on the server may do anything."""
    if role not in ROLES:
        raise AuthError(f"rôle inconnu : {role} (rôles : {', '.join(ROLES)})")
    store.set_role(session, user.id, role)
    store.end_user_sessions(session, user.id)


def set_disabled(session: Transaction, user: Account | User, disabled: bool) -> None:
    """Disable (and log out) or re-enable an account."""
    store.set_disabled(session, user.id, disabled)
    if disabled:
        store.end_user_sessions(session, user.id)


def authenticate(session: Transaction, username: str, password: str, now: datetime | None = None) -> Account:
    """The user if the password is right and the account usable; AuthError otherwise.

    Consecutive failures are counted on the account (they set the slowdown of `login_delay`) and reset by
    a success; the account is never locked. The message never tells which of the name or the password
    was wrong.
    """
    now = _now(now)
    refused = AuthError("identifiant ou mot de passe incorrect")
    user = store.find_account(session, normalise_username(username))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise refused
    stored_hash = store.password_hash(session, user.id)
    if not verify_password(stored_hash, password) or user.disabled:
        store.count_failed_login(session, user.id)
        raise refused
    rehashed = _HASHER.hash(password) if _HASHER.check_needs_rehash(stored_hash) else None
    store.record_login(session, user.id, now, rehashed)
    return store.find_account(session, user.username) or user


def recent_failures(session: Transaction, username: str) -> int:
    """Consecutive failed logins of an account (0 for an unknown name: same slowdown, nothing to learn)."""
    return store.failed_logins(session, normalise_username(username))


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


def start_session(
    session: Transaction, settings: Settings, user: Account, now: datetime | None = None
) -> str:
    """Create a session for `user`; return the cookie value (only its hash is stored)."""
    now = _now(now)
    session_id = secrets.token_urlsafe(32)
    stored = StoredSession(
        id_hash=_hash_id(session_id),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.web.session_idle_minutes),
    )
    # old expired sessions go away whenever someone logs in
    store.add_web_session(session, stored, drop_expired_before=now)
    return session_id


def load_session(
    session: Transaction, settings: Settings, session_id: str | None, now: datetime | None = None
) -> LoggedIn | None:
    """The session behind a cookie value, extended by the idle timeout; None when invalid or expired."""
    if not session_id or len(session_id) > 128:
        return None
    now = _now(now)
    found = store.web_session(session, _hash_id(session_id))
    if found is None:
        return None
    row, user = found
    hard_limit = row.created_at + timedelta(hours=settings.web.session_max_hours)
    if user is None or user.disabled or row.expires_at <= now or hard_limit <= now:
        store.end_web_session(session, row.id_hash)
        return None
    store.extend_web_session(
        session, row.id_hash, min(hard_limit, now + timedelta(minutes=settings.web.session_idle_minutes))
    )
    return LoggedIn(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        role=user.role,
        csrf_token=row.csrf_token,
        id_hash=row.id_hash,
    )


def end_session(session: Transaction, session_id: str | None) -> None:
    """Log out: forget the session."""
    if session_id:
        store.end_web_session(session, _hash_id(session_id))


def end_user_sessions(session: Transaction, user_id: int) -> None:
    """Log a user out everywhere (password change, account disabled)."""
    store.end_user_sessions(session, user_id)


def csrf_ok(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a submitted CSRF token with the session's."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


def login_form_token(secret: bytes, nonce: str) -> str:
    """CSRF token of the login form, bound to a pre-login cookie nonce (double submit, signed)."""
    return hmac.new(secret, f"login|{nonce}".encode(), hashlib.sha256).hexdigest()
