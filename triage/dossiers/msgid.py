"""Our outgoing Message-IDs carry an HMAC of the dossier reference, so a reply can be threaded safely.

Format: ``<med.{kind}.{reference}.{nonce}.{mac}@{domain}>`` where ``mac`` is the first 80 bits of
HMAC-SHA256(secret, "kind|reference|nonce"), base32 without padding (plenty against online guessing,
and short enough that ``In-Reply-To: <id>`` stays within one 78-character line, so no mail library
folds or encodes it). Anyone can copy one of our ids
into a References header, but nobody without the secret can make one up for another dossier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_KIND_RE = re.compile(r"^[a-z][a-z0-9-]{0,23}$")
_ID_RE = re.compile(
    r"^<?med\.(?P<kind>[a-z][a-z0-9-]{0,23})\.(?P<reference>[A-Za-z0-9-]{3,32})"
    r"\.(?P<nonce>[a-z2-7]{8,32})\.(?P<mac>[a-z2-7]{16})@(?P<domain>[^<>@\s]+)>?$"
)


def _mac(secret: bytes, kind: str, reference: str, nonce: str) -> str:
    digest = hmac.new(secret, f"{kind}|{reference}|{nonce}".encode(), hashlib.sha256).digest()[:10]
    return base64.b32encode(digest).decode().rstrip("=").lower()


def make_message_id(secret: bytes, reference: str, domain: str, kind: str = "ack") -> str:
    """A fresh Message-ID (with angle brackets) for a message about dossier `reference`."""
    if not _KIND_RE.match(kind):
        raise ValueError(f"invalid Message-ID kind: {kind!r}")
    if not re.fullmatch(r"[A-Za-z0-9-]{3,32}", reference):
        raise ValueError(f"invalid dossier reference: {reference!r}")
    domain = domain.strip().strip("<>").split("@")[-1] or "localhost"
    nonce = base64.b32encode(secrets.token_bytes(8)).decode().rstrip("=").lower()
    return f"<med.{kind}.{reference}.{nonce}.{_mac(secret, kind, reference, nonce)}@{domain}>"


def reference_from_message_id(secret: bytes, message_id: str | None) -> str | None:
    """The dossier reference carried by one of our Message-IDs, or None (foreign, forged or altered)."""
    if not message_id:
        return None
    match = _ID_RE.match(message_id.strip())
    if match is None:
        return None
    expected = _mac(secret, match["kind"], match["reference"], match["nonce"])
    if not hmac.compare_digest(expected, match["mac"]):
        return None
    return match["reference"]


def references_in_headers(secret: bytes, ids: list[str] | tuple[str, ...]) -> list[str]:
    """Verified dossier references found in a list of Message-IDs (In-Reply-To first), without repeats."""
    found: list[str] = []
    for mid in ids:
        ref = reference_from_message_id(secret, mid)
        if ref and ref not in found:
            found.append(ref)
    return found


def looks_like_ours(message_id: str | None) -> bool:
    """True when an id has our shape (whether or not its MAC verifies): used to report forgeries."""
    return bool(message_id and _ID_RE.match(message_id.strip()))


# Signed reply addresses (plus-addressing): ``mediation+{reference}.{mac}@domain``, the reference in
# lower case (some servers lower-case local parts) and a 65-bit MAC under its own label, so a
# Message-ID's MAC can never serve as a reply token or the other way round.
_PLUS_RE = re.compile(r"^[^@+\s]+\+(?P<reference>[a-z0-9-]{3,32})\.(?P<mac>[a-z2-7]{13})@[^@\s]+$")


def _reply_mac(secret: bytes, reference: str) -> str:
    digest = hmac.new(secret, f"reply|{reference.lower()}".encode(), hashlib.sha256).digest()[:8]
    return base64.b32encode(digest).decode().rstrip("=").lower()


def make_reply_address(secret: bytes, base_address: str, reference: str) -> str:
    """The signed reply address of dossier `reference` built on `base_address` (local+token@domain)."""
    local, _, domain = base_address.strip().partition("@")
    local = local.split("+", 1)[0]
    if not local or not domain or not re.fullmatch(r"[A-Za-z0-9-]{3,32}", reference):
        raise ValueError("adresse de base ou référence invalide pour le sous-adressage")
    return f"{local}+{reference.lower()}.{_reply_mac(secret, reference)}@{domain}"


def reference_from_reply_address(secret: bytes, address: str | None) -> str | None:
    """The dossier reference (upper case) of one of our signed reply addresses, or None."""
    match = _PLUS_RE.match((address or "").strip().lower())
    if match is None:
        return None
    if not hmac.compare_digest(_reply_mac(secret, match["reference"]), match["mac"]):
        return None
    return match["reference"].upper()
