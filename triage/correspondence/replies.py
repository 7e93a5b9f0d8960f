"""Reply templates (« modèles de réponse ») the mediator writes in the web interface, with placeholders
filled from the dossier: {formule}, {nom}, {reference}, {service}, {date_demande}, {date_limite_service}…"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from triage.config import Settings
from triage.errors import DossierError, NotFoundError
from triage.notify.acknowledge import greeting
from triage.notify.render import date_fr
from triage.store import writing as stored
from triage.store.audit import Actor, record
from triage.store.db import Transaction
from triage.store.models import Dossier, ReplyTemplate

# placeholder -> what it becomes (French, shown beside the template editor)
PLACEHOLDERS: dict[str, str] = {
    "formule": "Madame, Monsieur ou « Madame, Monsieur » selon la civilité",
    "nom": "nom et prénom du demandeur",
    "reference": "référence du dossier",
    "service": "service du Département concerné",
    "date_demande": "date de réception de la demande",
    "date_limite_service": "date limite de réponse du service (art. 15)",
    "date_du_jour": "date du jour",
    "code_suivi": "code de suivi de l'usager",
    "mediatrice": "titre de la médiatrice (signature)",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def values_for(settings: Settings, dossier: Dossier, now: datetime) -> dict[str, str]:
    """The placeholders' values for one dossier ("" when unknown)."""
    return {
        "formule": greeting(dossier.requester_civility),
        "nom": dossier.requester_name or "",
        "reference": dossier.reference,
        "service": dossier.service_concerned or "",
        "date_demande": date_fr(dossier.received_at),
        "date_limite_service": date_fr(dossier.service_deadline) if dossier.service_deadline else "",
        "date_du_jour": date_fr(now),
        "code_suivi": f"{dossier.reference}-{dossier.tracking_key}",
        "mediatrice": settings.service.mediator_title,
    }


def fill(text: str, values: dict[str, str]) -> str:
    """Replace the known {placeholders}; unknown ones stay as typed, so a mistake shows."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in a template that do not exist (a typo the mediator should see)."""
    return sorted({m for m in _PLACEHOLDER.findall(text or "") if m not in PLACEHOLDERS})


def all_templates(session: Transaction) -> list[ReplyTemplate]:
    """Every template, by name."""
    return stored.all_templates(session)


def get_template(session: Transaction, template_id: int) -> ReplyTemplate:
    """One template, or NotFoundError."""
    found = stored.find_template(session, template_id)
    if found is None:
        raise NotFoundError("modèle de réponse introuvable", key=str(template_id))
    return found


def save_template(
    session: Transaction, actor: Actor, *, name: str, subject: str, body: str, template_id: int | None = None
) -> ReplyTemplate:
    """Create or update a template (names are unique); refuses unknown placeholders."""
    name = " ".join((name or "").split())[:200]
    if not name or not (body or "").strip():
        raise DossierError("donnez un nom et un texte au modèle")
    wrong = unknown_placeholders(f"{subject}\n{body}")
    if wrong:
        raise DossierError("champ(s) inconnu(s) dans le modèle : " + ", ".join("{" + w + "}" for w in wrong))
    same = stored.template_named(session, name)
    if same is not None and same.id != template_id:
        raise DossierError(f"un modèle s'appelle déjà « {name} »")
    template = get_template(session, template_id) if template_id else ReplyTemplate(name=name)
    template.name, template.subject, template.body = name, (subject or "").strip()[:300], body.strip()
    stored.write_template(session, template)
    record(session, actor, "reply_template.save", details={"template_id": template.id})
    return template


def delete_template(session: Transaction, actor: Actor, template_id: int) -> None:
    """Remove a template."""
    stored.remove(session, get_template(session, template_id))
    record(session, actor, "reply_template.delete", details={"template_id": template_id})


def applied(settings: Settings, dossier: Dossier, template: ReplyTemplate, now: datetime) -> dict[str, Any]:
    """A template's subject and body filled for a dossier, dated `now`."""
    values = values_for(settings, dossier, now)
    return {"subject": fill(template.subject, values), "body": fill(template.body, values)}
