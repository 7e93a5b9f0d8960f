"""Mail going out and coming back in tests over real servers: one worker pass on Dovecot, a reply as a
mail client writes it, a dossier assigned to Claire and transmitted to a service by email."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy.orm import Session

from tests.dovecot import Dovecot
from tests.mailfactory import mail
from triage.pipeline import Pipeline
from triage.runtime import Runtime
from triage.sources.imap import ImapSource
from triage.sources.mailbox_url import parse_mailbox_url
from triage.store.audit import Actor
from triage.store.models import Dossier, User
from triage.worker import Worker
from triage.workspace.letters import LetterRequest, send_letter

CLAIRE = Actor(None, "claire")


def one_pass(rt: Runtime, server: Dovecot) -> None:
    """One worker pass on the real Dovecot: fetch and file the mail, then deliver the outbox."""
    source = ImapSource(
        parse_mailbox_url(rt.settings.mailbox.url),
        rt.settings.mailbox,
        ssl_context=server.ssl_context() if server.tls else None,
    )
    Worker(rt, pipeline=Pipeline(rt), source=source, scans=False).run(once=True)


def answer(sent: EmailMessage, sender: str, text: str) -> bytes:
    """A reply as a mail client writes it: to our Reply-To, citing our Message-ID."""
    mid = str(sent["Message-ID"])
    return mail(
        text,
        sender=sender,
        to=str(sent["Reply-To"]),
        subject="RE: " + str(sent["Subject"]),
        in_reply_to=mid,
        references=mid,
    )


def transmitted_by_claire(
    session: Session, rt: Runtime, dossier: Dossier, address: str, service: str
) -> None:
    """The dossier assigned to Claire (claire@isere.example), who transmits it to a service by email."""
    claire = User(
        username="claire",
        display_name="Claire",
        email="claire@isere.example",
        role="mediateur",
        password_hash="-",
    )
    session.add(claire)
    session.flush()
    dossier.assignee_id = claire.id
    send_letter(
        session,
        rt,
        dossier,
        LetterRequest(
            kind="transmission", delivery="courriel", nonce="n1", recipient_email=address, service=service
        ),
        CLAIRE,
    )
