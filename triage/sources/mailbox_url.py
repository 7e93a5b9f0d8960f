"""The mediation mailbox named as a URL (MEDIATURE_MAILBOX_URL / settings.mailbox.url).

Accepted forms, the same other mail tools use:

    imap+ssl://user:password@host:993/INBOX         TLS from the first byte (port 993 by default)
    imap+starttls://user:password@host:143/Folder   plain connection upgraded with STARTTLS
    imap://user:password@127.0.0.1:1143/INBOX       no encryption: loopback only (tests, local relay)
    maildir:///var/mail/mediation                   a Maildir on this machine

User and password are percent-decoded (``mediation%40isere.fr``, ``p%40ss%2Fword``). The folder is the
rest of the path and may contain ``/`` or ``.`` (``INBOX/Mediation``, ``INBOX.Mediation``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from triage.errors import ConfigError

Scheme = Literal["imap+ssl", "imap+starttls", "imap", "maildir"]
DEFAULT_PORTS: dict[str, int] = {"imap+ssl": 993, "imap+starttls": 143, "imap": 143}
FORMS = (
    "imap+ssl://identifiant:motdepasse@hote:993/INBOX, imap+starttls://identifiant:motdepasse@hote:143/INBOX, "
    "imap://… (boucle locale uniquement) ou maildir:///chemin/vers/Maildir"
)
ENCODING_HINT = "encodez en pourcent les caractères spéciaux de l'identifiant et du mot de passe (@ → %40, / → %2F, : → %3A, # → %23, ? → %3F, % → %25)"


@dataclass(frozen=True)
class MailboxURL:
    """A parsed mailbox URL; the password never appears in repr() or redacted()."""

    scheme: Scheme
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    path: Path | None = None  # maildir only

    @property
    def is_imap(self) -> bool:
        """True for the three IMAP forms."""
        return self.scheme != "maildir"

    @property
    def key(self) -> str:
        """Stable identity of the mailbox in `mailbox_items` (no password, no port, no scheme)."""
        if self.path is not None:
            return f"maildir:{self.path}"
        return f"{self.username}@{self.host.lower()}/{self.folder}"

    @property
    def log_label(self) -> str:
        """What structured logs may show: no user name (often an address), no password."""
        if self.path is not None:
            return f"maildir:{self.path}"
        return f"{self.scheme}://{self.host}:{self.port}/{self.folder}"

    def redacted(self) -> str:
        """The URL for messages and logs read by the administrator: the password is left out."""
        if self.path is not None:
            return f"maildir://{self.path}"
        return f"{self.scheme}://{self.username}@{self._host_port()}/{self.folder}"

    def _host_port(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return self.redacted()


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_mailbox_url(url: str) -> MailboxURL:
    """Parse and validate a mailbox URL; ConfigError (in French, without the password) when invalid."""
    text = url.strip()
    if not text:
        raise ConfigError(f"adresse de la boîte aux lettres vide ; formes acceptées : {FORMS}")
    scheme, sep, _ = text.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("imap+ssl", "imap+starttls", "imap", "maildir"):
        hint = " (pour IMAP sur TLS, écrivez imap+ssl://)" if scheme in ("imaps", "imap+tls") else ""
        raise ConfigError(
            f"schéma de boîte aux lettres non pris en charge « {scheme} »{hint} ; formes acceptées : {FORMS}"
        )
    if scheme == "maildir":
        return _parse_maildir(text)
    return _parse_imap(text, scheme)  # type: ignore[arg-type]


def _parse_maildir(text: str) -> MailboxURL:
    parts = urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        raise ConfigError(
            f"maildir : chemin attendu après « maildir:// » (trois barres pour un chemin absolu : "
            f"maildir:///var/mail/mediation), reçu l'hôte « {parts.netloc} »"
        )
    if parts.query or parts.fragment:
        raise ConfigError(
            "maildir : « ? » et « # » ne sont pas admis dans le chemin (encodez-les en pourcent)"
        )
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise ConfigError("maildir : le chemin doit être absolu (maildir:///chemin/vers/Maildir)")
    return MailboxURL(scheme="maildir", path=Path(path), folder="")


def _parse_imap(text: str, scheme: Scheme) -> MailboxURL:
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname or ""
    except ValueError as err:
        # urlsplit reports a bad port; the most common cause is an unencoded ':' or '/' in the password
        raise ConfigError(f"adresse IMAP illisible (port invalide ?) ; {ENCODING_HINT}") from err
    if parts.query or parts.fragment:
        raise ConfigError(f"adresse IMAP : « ? » ou « # » inattendu ; {ENCODING_HINT}")
    if not host:
        raise ConfigError(f"adresse IMAP : hôte manquant ; formes acceptées : {FORMS}")
    if parts.username is None or parts.username == "":
        raise ConfigError(
            f"adresse IMAP : identifiant manquant (imap+ssl://identifiant:motdepasse@{host}/INBOX)"
        )
    if parts.password is None or parts.password == "":
        raise ConfigError(
            f"adresse IMAP : mot de passe manquant pour l'identifiant sur {host} ; {ENCODING_HINT}"
        )
    if port is None:
        port = DEFAULT_PORTS[scheme]
    if scheme == "imap+starttls" and port == 993:
        raise ConfigError(
            "le port 993 est celui d'IMAP sur TLS : utilisez imap+ssl://… ou le port 143 avec STARTTLS"
        )
    if scheme == "imap" and not _is_loopback(host):
        raise ConfigError(
            f"imap:// (sans chiffrement) n'est accepté que sur la boucle locale ; pour {host}, utilisez "
            "imap+ssl:// ou imap+starttls://"
        )
    folder = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
    return MailboxURL(
        scheme=scheme,
        host=host,
        port=port,
        username=unquote(parts.username),
        password=unquote(parts.password),
        folder=folder or "INBOX",
    )
