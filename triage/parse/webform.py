"""Recognise the Département's web-form emails and read their fields.

The form robot sends ``Label : value`` lines (Civilité, Nom, Prénom, Adresse, Code postal, Commune,
Téléphone, Courriel, Service concerné, Démarches déjà effectuées, Objet de la demande), then
``Message :`` and the free text. The sender is a no-reply address; the citizen is the Reply-To or
the Courriel field. Trust: the sender is one of the full addresses ``parsing.webform_senders`` (and,
where our receiving server reports Authentication-Results, SPF/DKIM/DMARC passed: triage.parse.verdict).
Recognition: the subject matches ``parsing.webform_subject_pattern``, or the robot's ``X-Form-Id``
header is there, or the text has a form's structure (several « Libellé : valeur » lines).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import fields, replace

from triage.config import ParsingSettings
from triage.records import WebForm

_LABELS = {
    "civilite": "civility",
    "nom": "last_name",
    "nom de famille": "last_name",
    "prenom": "first_name",
    "adresse": "address",
    "adresse postale": "address",
    "code postal": "postcode",
    "cp": "postcode",
    "commune": "commune",
    "ville": "commune",
    "telephone": "phone",
    "tel": "phone",
    "courriel": "email",
    "e-mail": "email",
    "email": "email",
    "adresse electronique": "email",
    "adresse e-mail": "email",
    "service concerne": "service",
    "demarches deja effectuees": "prior_steps",
    "demarches effectuees": "prior_steps",
    "objet de la demande": "subject",
    "objet": "subject",
    "message": "message",
    "votre message": "message",
    "numero de formulaire": "form_number",
    "numero de demande": "form_number",
}
_LINE = re.compile(r"^\s*(?P<label>[^\W\d][\w' .-]{0,40}?)\s*:\s?(?P<value>.*)$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_FORM_NUMBER = re.compile(r"\bn(?:°|º|o\.)\s*(\d[A-Za-z0-9/_-]*)", re.IGNORECASE)


def _key(label: str) -> str:
    text = unicodedata.normalize("NFKD", label)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.strip().lower())


def _matches(pattern: str, value: str) -> bool:
    if not pattern:
        return True
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


def trusted_sender(settings: ParsingSettings, sender: str) -> bool:
    """True when `sender` is one of the configured form robot's full addresses."""
    address = sender.strip().strip("<>").lower()
    return bool(address) and address in {a.strip().lower() for a in settings.webform_senders}


def claims_form(settings: ParsingSettings, *, subject: str, form_id: str | None) -> bool:
    """True when the headers present the message as a form (X-Form-Id, or the form's subject)."""
    return bool(form_id) or (
        bool(settings.webform_subject_pattern) and _matches(settings.webform_subject_pattern, subject)
    )


def looks_like_form(text: str) -> bool:
    """A form by its structure: at least three « Libellé : valeur » lines, two of them known labels
    (or five lines of that shape whatever their labels)."""
    known = generic = 0
    for line in text.replace("\r\n", "\n").split("\n")[:400]:
        match = _LINE.match(line)
        if match is None or len(line) > 300:
            continue
        generic += 1
        known += _key(match["label"]) in _LABELS
    return (generic >= 3 and known >= 2) or generic >= 5


def is_webform(
    settings: ParsingSettings, *, sender: str, subject: str, form_id: str | None, text: str = ""
) -> bool:
    """True when the message comes from the Département's form robot (a trusted full address) and
    presents itself as a form, by its headers or by its structure."""
    if not trusted_sender(settings, sender):
        return False
    return claims_form(settings, subject=subject, form_id=form_id) or looks_like_form(text)


def parse_fields(text: str, *, subject: str = "", form_id: str | None = None) -> WebForm | None:
    """The form's fields from its text, or None when no known label is found."""
    values: dict[str, str] = {}
    current: str | None = None
    below = False  # the current label had no value on its line: the value stands on the lines below
    message_lines: list[str] | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if message_lines is not None:
            message_lines.append(line)
            continue
        match = _LINE.match(line)
        name = _LABELS.get(_key(match["label"])) if match else None
        if match and name:
            if name == "message":
                message_lines = [match["value"]] if match["value"].strip() else []
                continue
            current = name
            below = not match["value"].strip()
            if not values.get(name):
                values[name] = match["value"].strip()
        elif current and line.strip() and (below or line.startswith((" ", "\t"))):
            values[current] = f"{values[current]} {line.strip()}".strip()  # a value below or wrapped
        elif current and below and not line.strip() and not values.get(current):
            continue  # a blank line between a label and its value
        elif line.strip() or below:
            current, below = None, False
    if not values and message_lines is None:
        return None
    form = WebForm(**{k: v for k, v in values.items() if k in {f.name for f in fields(WebForm)}})
    if message_lines is not None:
        form = replace(form, message="\n".join(message_lines).strip("\n"))
    if form.email and not _EMAIL.match(form.email.strip("<>")):
        form = replace(form, email="")
    else:
        form = replace(form, email=form.email.strip("<>").lower())
    form = replace(form, postcode=re.sub(r"\s+", "", form.postcode))
    if not form.form_number:
        number = _FORM_NUMBER.search(subject)
        if number:
            form = replace(form, form_number=number.group(1))
    return form


def full_name(form: WebForm) -> str:
    """« Prénom Nom » as the citizen typed them (the surname's capitals softened)."""
    last = form.last_name.title() if form.last_name.isupper() else form.last_name
    return " ".join(part for part in (form.first_name.strip(), last.strip()) if part)
