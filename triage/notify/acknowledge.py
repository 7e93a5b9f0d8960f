"""Acknowledgements (art. 7 of the règlement; CRPA L112-3 and R112-5): an email at once for electronic
requests, a printed letter for paper requests without email, both when a letter gives an email."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.clock import Clock, system_clock
from triage.config import Settings
from triage.correspondence.answers import reply_to_for
from triage.dossiers.msgid import make_message_id
from triage.dossiers.timeline import EVENT_ACKNOWLEDGEMENT, write_event
from triage.dossiers.tracking import short_code
from triage.notify import guard
from triage.notify.compose import Outgoing, safe_address
from triage.notify.letters import qr_data_uri, queue_print, render_pdf
from triage.notify.outbox import enqueue
from triage.notify.postal import postal_lines
from triage.notify.render import render
from triage.records import Channel, ParsedMessage
from triage.runtime import Runtime
from triage.store.db import Transaction
from triage.store.models import Dossier

# A paper letter is answered on paper (and by email too when it gives an address); a request made
# by phone or at a permanence gets an email when we have an address, else a printed letter.
PAPER_CHANNELS = {Channel.LETTER.value}


def greeting(civility: str) -> str:
    """'Madame', 'Monsieur' or 'Madame, Monsieur' (never the name: it may be wrong or missing)."""
    c = (civility or "").strip().lower().rstrip(".")
    if c in {"madame", "mme", "mademoiselle", "mlle"}:
        return "Madame"
    if c in {"monsieur", "m", "mr"}:
        return "Monsieur"
    return "Madame, Monsieur"


@dataclass
class Notifier:
    """Queues the acknowledgement of a newly opened dossier, inside the dossier's transaction."""

    settings: Settings
    secret: bytes
    clock: Clock = system_clock

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Notifier:
        """The notifier of a runtime."""
        return cls(runtime.settings, runtime.secret, runtime.clock)

    def context(self, dossier: Dossier, token: str) -> dict[str, Any]:
        """Everything the acknowledgement templates use."""
        base = self.settings.web.public_url.rstrip("/")
        return {
            "reference": dossier.reference,
            "received_at": dossier.received_at,
            "tracking_url": f"{base}/suivi/{token}",
            "tracking_home": f"{base}/suivi",
            "tracking_key": dossier.tracking_key,
            "tracking_code": short_code(dossier.reference, dossier.tracking_key),
            "greeting": greeting(dossier.requester_civility),
            "service": self.settings.service,
            "privacy": self.settings.privacy,
            "retention": self.settings.retention.sentence(),
        }

    def on_dossier_opened(self, session: Transaction, dossier: Dossier, token: str, source: Any) -> None:
        """Queue the acknowledgement email and/or letter for `dossier` (idempotent per dossier)."""
        ctx = self.context(dossier, token)
        parsed = source if isinstance(source, ParsedMessage) else None
        emailed = False
        if dossier.requester_email:
            emailed = self._email(session, dossier, ctx, parsed)
        if dossier.channel in PAPER_CHANNELS or not dossier.requester_email:
            self._letter(session, dossier, ctx, emailed)

    def _email(
        self, session: Transaction, dossier: Dossier, ctx: dict[str, Any], parsed: ParsedMessage | None
    ) -> bool:
        try:
            safe_address(dossier.requester_name, dossier.requester_email)
        except ValueError:
            write_event(
                session,
                dossier.id,
                EVENT_ACKNOWLEDGEMENT,
                "Accusé de réception par courriel impossible : adresse invalide — à vérifier",
                at=self.clock(),
                details={"channel": "email", "refused": "adresse invalide"},
            )
            return False
        refusal = guard.refusal(session, self.settings, dossier.requester_email, parsed, now=self.clock())
        domain = self.settings.smtp.from_address.rsplit("@", 1)[-1]
        references: tuple[str, ...] = ()
        in_reply_to = None
        if parsed is not None and parsed.message_id:
            in_reply_to = parsed.message_id
            references = (*parsed.references, parsed.message_id)
        out = Outgoing(
            to_address=dossier.requester_email,
            to_name=dossier.requester_name,
            subject=f"Votre demande de médiation {dossier.reference} — accusé de réception",
            text=render("mail/accuse_reception.txt.j2", **ctx),
            html=render("mail/accuse_reception.html.j2", **ctx),
            message_id=make_message_id(self.secret, dossier.reference, domain, "ack"),
            reply_to=reply_to_for(self.settings, self.secret, dossier.reference),
            in_reply_to=in_reply_to,
            references=references,
            automatic=True,
        )
        item = enqueue(
            session,
            self.settings,
            out,
            kind="acknowledgement",
            idempotency_key=f"ack:{dossier.reference}",
            dossier_id=dossier.id,
            refusal=refusal,
            now=self.clock(),
        )
        summary = (
            "Accusé de réception mis en envoi par courriel"
            if refusal is None
            else f"Accusé de réception par courriel non envoyé : {refusal}"
        )
        write_event(
            session,
            dossier.id,
            EVENT_ACKNOWLEDGEMENT,
            summary,
            at=self.clock(),
            details={"outbox_id": item.id, "channel": "email", "refused": refusal},
        )
        return refusal is None

    def _letter(self, session: Transaction, dossier: Dossier, ctx: dict[str, Any], emailed: bool) -> None:
        if not (dossier.requester_address and (dossier.requester_postcode or dossier.requester_commune)):
            if not emailed:
                write_event(
                    session,
                    dossier.id,
                    EVENT_ACKNOWLEDGEMENT,
                    "Accusé de réception impossible : ni courriel ni adresse postale exploitable — à compléter",
                    at=self.clock(),
                    details={"channel": "none"},
                )
            return
        letter_ctx = {
            **ctx,
            "qr": qr_data_uri(ctx["tracking_url"]),
            "recipient_name": dossier.requester_name,
            "recipient_lines": postal_lines(
                dossier.requester_address, dossier.requester_postcode, dossier.requester_commune
            ),
            "recipient_city": "",
            "emailed": emailed,
            "today": self.clock(),
        }
        pdf = render_pdf("letters/accuse_reception.html.j2", letter_ctx)
        job = queue_print(
            session,
            dossier_id=dossier.id,
            kind="acknowledgement",
            idempotency_key=f"ack-letter:{dossier.reference}",
            pdf=pdf,
            now=self.clock(),
        )
        write_event(
            session,
            dossier.id,
            EVENT_ACKNOWLEDGEMENT,
            "Accusé de réception à imprimer et à poster (file d'impression)",
            at=self.clock(),
            details={"print_job_id": job.id, "channel": "courrier"},
        )
