"""What the receiving mail server said about a message: its spam verdict and its SPF/DKIM/DMARC checks.

Only verdicts against the message are read from spam headers (a sender can add « X-Spam-Flag: NO »
but gains nothing by adding « YES »). Authentication-Results (RFC 8601) are read, as Postfix and
Dovecot filters do, only from the headers our own receiving server adds: those whose authserv-id is
in ``parsing.trusted_authserv_ids``; with none configured, the topmost one (a receiving server
prepends its own) may still report a failure, but never vouch for a sender.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

import authres

from triage.config import ParsingSettings
from triage.parse.automatic import ROBOT_SENDER, Classification
from triage.parse.webform import claims_form, looks_like_form, trusted_sender

_SPAMD_TRUE = re.compile(r"^\s*(?:default\s*:\s*)?true\b", re.IGNORECASE)
_FAILED = {"fail", "permerror"}


@dataclass(frozen=True)
class Authentication:
    """The receiving server's checks for one message (empty when it reported none we trust)."""

    reported: bool = False  # a trusted Authentication-Results header was there
    passed: tuple[str, ...] = ()  # "spf", "dkim", "dmarc" that passed for the sender's domain
    failed: tuple[str, ...] = ()  # "spf", "dmarc" that failed


def spam_verdict(msg: Message, settings: ParsingSettings) -> str:
    """The receiving server's spam verdict as a French reason ("" when it did not say spam)."""
    wanted = {name.lower() for name in settings.spam_verdict_headers}
    for name in ("X-Spam-Flag", "X-Spam-Status", "X-Rspamd-Action", "X-Spamd-Result"):
        if name.lower() not in wanted:
            continue
        for raw in msg.get_all(name) or []:
            value = " ".join(str(raw).split())
            lowered = value.lower()
            spam = (
                (name == "X-Spam-Flag" and lowered.startswith("yes"))
                or (name == "X-Spam-Status" and lowered.startswith("yes"))
                or (
                    name == "X-Rspamd-Action" and lowered in {a.lower() for a in settings.rspamd_spam_actions}
                )
                or (name == "X-Spamd-Result" and bool(_SPAMD_TRUE.match(value)))
            )
            if spam:
                return f"le serveur de réception l'a classé comme indésirable ({name}: {value[:60]})"
    return ""


def _domain(value: str) -> str:
    return value.strip().strip("<>").rsplit("@", 1)[-1].strip().lower()


def _headers(msg: Message, settings: ParsingSettings) -> list[authres.AuthenticationResultsHeader]:
    trusted = {a.strip().lower() for a in settings.trusted_authserv_ids if a.strip()}
    parsed = []
    for index, raw in enumerate(msg.get_all("Authentication-Results") or []):
        if not trusted and index > 0:
            break  # no configured id: only the topmost header can be the receiving server's
        try:
            header = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {raw}")
        except (authres.AuthResError, ValueError, TypeError, IndexError):
            continue  # unreadable: says nothing either way
        if trusted and str(header.authserv_id or "").lower() not in trusted:
            continue
        parsed.append(header)
    return parsed


def authentication(msg: Message, sender: str, settings: ParsingSettings) -> Authentication:
    """What trusted Authentication-Results say about `sender` (passes only with a trusted authserv-id)."""
    headers = _headers(msg, settings)
    passed: list[str] = []
    failed: list[str] = []
    domain = _domain(sender)
    for header in headers:
        for result in header.results:
            method = str(result.method or "").lower()
            outcome = str(result.result or "").lower()
            props = {f"{p.type}.{p.name}".lower(): str(p.value or "") for p in result.properties}
            if outcome in _FAILED and method in {"spf", "dmarc"} and method not in failed:
                failed.append(method)
            if outcome != "pass" or not settings.trusted_authserv_ids:
                continue
            about = {
                "spf": props.get("smtp.mailfrom", "") or props.get("smtp.helo", ""),
                "dkim": props.get("header.d", "") or props.get("header.i", ""),
                "dmarc": props.get("header.from", ""),
            }.get(method)
            if about is not None and domain and _domain(about) == domain and method not in passed:
                passed.append(method)
    return Authentication(bool(headers) and bool(settings.trusted_authserv_ids), tuple(passed), tuple(failed))


def signature_failure(msg: Message, sender: str, settings: ParsingSettings) -> str:
    """A French reason when a trusted header reports a failed DKIM signature of the sender's own domain
    ("" otherwise; only with trusted authserv-ids). Used for replies that would join a dossier."""
    if not settings.trusted_authserv_ids:
        return ""
    domain = _domain(sender)
    for header in _headers(msg, settings):
        for result in header.results:
            if str(result.method or "").lower() != "dkim" or str(result.result or "").lower() not in _FAILED:
                continue
            props = {f"{p.type}.{p.name}".lower(): str(p.value or "") for p in result.properties}
            signer = props.get("header.d", "") or props.get("header.i", "")
            if domain and _domain(signer) == domain:
                return f"la signature DKIM du domaine {domain} a échoué"
    return ""


def authentication_failure(auth: Authentication) -> str:
    """A French reason when SPF or DMARC failed ("" otherwise)."""
    if not auth.failed:
        return ""
    return "l'authentification de l'expéditeur a échoué (" + ", ".join(m.upper() for m in auth.failed) + ")"


@dataclass(frozen=True)
class Screening:
    """Whether a message may be read as the form robot's, and why it must be set aside if it must."""

    form: bool = False  # read it as a web form (trusted sender)
    set_aside: str = ""
    probable_spam: bool = False


def screen_form(
    msg: Message, settings: ParsingSettings, *, sender: str, subject: str, form_id: str | None, text: str
) -> Screening:
    """Before classification: spam verdicts, then whether a form-looking message may be trusted."""
    auth = authentication(msg, sender, settings)
    spam = spam_verdict(msg, settings) or authentication_failure(auth)
    if spam:
        return Screening(set_aside=f"Courrier indésirable probable : {spam}.", probable_spam=True)
    claimed = claims_form(settings, subject=subject, form_id=form_id)
    if not trusted_sender(settings, sender):
        if claimed:
            return Screening(
                set_aside=(
                    f"Se présente comme le formulaire web mais vient de {sender or 'une adresse inconnue'}, qui "
                    "n'est pas une adresse du formulaire configurée : usurpation possible, rien n'a été ouvert "
                    "ni envoyé."
                )
            )
        return Screening()
    if not (claimed or looks_like_form(text)):
        return Screening()
    if auth.reported and not auth.passed:
        return Screening(
            set_aside=(
                "Formulaire web dont l'expéditeur n'est pas confirmé par le serveur de réception (ni SPF, ni "
                "DKIM, ni DMARC réussi) : usurpation possible, rien n'a été ouvert ni envoyé."
            )
        )
    return Screening(form=True)


def screen_automatic(
    classification: Classification, settings: ParsingSettings, *, sender: str, reply_to: str | None, text: str
) -> Screening:
    """After classification: a program's message that reads like a request is never silently dropped."""
    if not classification.generated:
        return Screening()
    answer = (reply_to or "").lower()
    personal = bool(answer) and answer != sender.lower() and not ROBOT_SENDER.search(answer)
    shaped = looks_like_form(text)
    if not (personal or shaped):
        return Screening()
    if trusted_sender(settings, sender):
        return Screening(form=True)
    why = (
        "un formulaire (plusieurs lignes « Libellé : valeur »)"
        if shaped
        else "une adresse de réponse personnelle"
    )
    return Screening(
        set_aside=(
            f"Message automatique ({classification.reason}) qui porte {why} : c'est peut-être une demande "
            "envoyée par un formulaire. À lire : « C'est une demande » ouvre le dossier et envoie l'accusé."
        )
    )
