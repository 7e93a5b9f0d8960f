"""Answers come back into the dossier: a service's answer to a transmission over real SMTP and Dovecot,
signed reply addresses, and what is set aside."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from tests.dovecot import Dovecot, dovecot, imap_folder  # noqa: F401  (fixtures)
from tests.mailfactory import mail
from tests.mailflow import answer, one_pass, transmitted_by_claire
from tests.smtp import SmtpServer
from tests.workspace_data import add_request
from triage.clock import system_clock
from triage.correspondence.send import FreeMessage, send_message
from triage.dossiers.msgid import make_reply_address, reference_from_reply_address
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.store.audit import Actor
from triage.store.models import Dossier, Event, Message, OutboxItem
from triage.workspace import deadlines

REF = "MED-2026-00042"


def dossier(rt: Runtime) -> Dossier:
    with rt.sessions() as session:
        found = session.scalar(select(Dossier).where(Dossier.reference == REF))
        assert found is not None
        return found


def overdue_later(rt: Runtime) -> list[str]:
    with rt.sessions() as session:
        late = deadlines.compute(session, rt.settings, system_clock() + timedelta(days=30))
    return [item.reference for item in late.service_overdue]


@pytest.mark.dovecot
def test_service_answer_to_a_transmission_lands_on_the_dossier_and_stops_the_clock_another_sender_is_set_aside(
    home: Path, db_url: str, dovecot: Dovecot, imap_folder: str
) -> None:
    with SmtpServer() as smtp:
        settings = make_settings(
            home,
            db_url,
            smtp={"url": smtp.url},
            mailbox={"url": dovecot.url(imap_folder), "processed_folder": f"{imap_folder}.Traites"},
            correspondence={"reply_plus_address": True},
        )
        rt = Runtime.open(settings)
        try:
            with rt.sessions.begin() as session:
                d, _ = add_request(session, REF)
                transmitted_by_claire(session, rt, d, "routes@isere.example", "Direction des mobilités")
            one_pass(rt, dovecot)  # delivers the transmission over SMTP
            [sent] = smtp.inbox.parsed()
            assert smtp.inbox.recipients == [["routes@isere.example"]]
            assert reference_from_reply_address(rt.secret, str(sent["Reply-To"])) == REF
            assert overdue_later(rt) == [REF]  # the 15-day clock runs

            dovecot.append(
                [
                    answer(
                        sent,
                        "Direction des mobilités <routes@isere.example>",
                        "Bonjour,\n\nLe service a réexaminé "
                        "la demande : le transport sera assuré à la rentrée.\n",
                    ),
                    answer(
                        sent,
                        "Un inconnu <autre@exemple.example>",
                        "Bonjour,\n\nJe réponds à la place du service.\n",
                    ),
                ],
                imap_folder,
            )
            one_pass(rt, dovecot)

            d = dossier(rt)
            assert d.unread and d.service_answered_at is not None
            assert overdue_later(rt) == []  # the answer stopped the clock
            with rt.sessions() as session:
                rows = session.scalars(
                    select(Message).where(
                        Message.from_address.in_(("routes@isere.example", "autre@exemple.example"))
                    )
                ).all()
                by_sender = {m.from_address: m for m in rows}
                assert by_sender["routes@isere.example"].dossier_id == d.id
                assert by_sender["routes@isere.example"].role == "service_answer"
                aside = by_sender["autre@exemple.example"]
                assert aside.dossier_id is None and aside.needs_review and aside.role == "flagged"
                assert "auxquelles la médiation a écrit" in aside.flag_reason
                public = session.scalars(
                    select(Event).where(
                        Event.dossier_id == d.id, Event.kind == "reponse_service", Event.public.is_(True)
                    )
                ).all()
                assert [e.summary for e in public] == ["Réponse du service reçue"]
                notices = session.scalars(select(OutboxItem).where(OutboxItem.kind == "team_notice")).all()
                assert [(n.to_address, n.subject) for n in notices] == [
                    ("claire@isere.example", f"Médiature : Réponse du service sollicité — dossier {REF}")
                ]
        finally:
            rt.close()


def ingest(rt: Runtime, data: bytes) -> IngestOutcome:
    return Pipeline(rt).ingest_raw(RawMessage(source="eml", source_key="test", data=data)).outcome


def test_answer_to_the_signed_reply_address_alone_joins_from_the_address_written_to(runtime: Runtime) -> None:
    runtime.settings.correspondence.reply_plus_address = True
    with runtime.sessions.begin() as session:
        d, _ = add_request(session, REF)
        send_message(
            session,
            runtime,
            d,
            FreeMessage(
                to_address="accueil@caf38.example",
                to_name="CAF de l'Isère",
                body="Pouvez-vous nous indiquer l'état du dossier ?",
            ),
            Actor(None, "claire"),
        )
    plus = make_reply_address(runtime.secret, runtime.settings.service.email, REF)
    # no In-Reply-To, no reference in the subject: only the signed reply address ties it to the dossier
    assert (
        ingest(
            runtime,
            mail(
                "Le dossier est complet.", sender="accueil@caf38.example", to=plus, subject="Votre question"
            ),
        )
        is IngestOutcome.ATTACHED
    )
    assert (
        ingest(
            runtime, mail("Moi aussi.", sender="voisin@exemple.example", to=plus, subject="Votre question")
        )
        is IngestOutcome.FLAGGED
    )
    tampered = plus.replace(plus.split(".")[-3][-2:], "zz")  # wrong MAC: not ours
    assert reference_from_reply_address(runtime.secret, tampered) is None
    assert (
        ingest(
            runtime, mail("Le dossier ?", sender="accueil@caf38.example", to=tampered, subject="Autre chose")
        )
        is IngestOutcome.OPENED
    )
    with runtime.sessions() as session:
        d = session.scalar(select(Dossier).where(Dossier.reference == REF))
        assert d is not None and d.unread and d.service_answered_at is None  # a partner, not a transmission
        joined = session.scalars(
            select(Message).where(Message.dossier_id == d.id, Message.role == "reply")
        ).all()
        assert [m.from_address for m in joined] == ["accueil@caf38.example"]


def test_subject_reference_alone_does_not_let_a_service_join(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        d, _ = add_request(session, REF)
        send_message(
            session,
            runtime,
            d,
            FreeMessage(to_address="rsa@isere.example", body="Transmission.", mention="transmission"),
            Actor(None, "claire"),
        )
    assert (
        ingest(runtime, mail("Réponse.", sender="rsa@isere.example", subject=f"Dossier {REF}"))
        is IngestOutcome.FLAGGED
    )


def test_reply_address_needs_a_plain_base_and_reference() -> None:
    address = make_reply_address(b"k", "mediation@isere.example", "MED-2026-00042")
    assert address.startswith("mediation+med-2026-00042.") and address.endswith("@isere.example")
    assert len(address.split("@")[0]) <= 64
    assert reference_from_reply_address(b"k", address.upper()) == "MED-2026-00042"  # servers may change case
    assert reference_from_reply_address(b"other", address) is None
    with pytest.raises(ValueError):
        make_reply_address(b"k", "pas-une-adresse", "MED-2026-00042")


def test_a_failed_spf_or_dkim_for_the_senders_domain_sets_the_answer_aside_when_our_server_says_so(
    runtime: Runtime,
) -> None:
    runtime.settings.parsing.trusted_authserv_ids = ["mx.isere.example"]
    with runtime.sessions.begin() as session:
        d, _ = add_request(session, REF)
        send_message(
            session,
            runtime,
            d,
            FreeMessage(to_address="rsa@isere.example", body="Transmission.", mention="transmission"),
            Actor(None, "claire"),
        )
        [mid] = session.scalars(select(OutboxItem.message_id).where(OutboxItem.dossier_id == d.id)).all()

    def reply(results: str, text: str) -> IngestOutcome:
        return ingest(
            runtime,
            mail(
                text,
                sender="rsa@isere.example",
                in_reply_to=mid,
                references=mid,
                headers={"Authentication-Results": results},
            ),
        )

    assert (
        reply(
            "mx.isere.example; dkim=fail header.d=isere.example; spf=pass smtp.mailfrom=isere.example",
            "Signature cassée.",
        )
        is IngestOutcome.FLAGGED
    )
    assert (
        reply("mx.isere.example; spf=fail smtp.mailfrom=isere.example", "SPF en échec.")
        is IngestOutcome.FLAGGED
    )
    # a header from a server we do not trust proves nothing either way; a third party's signature failing neither
    assert (
        reply("relais.example; dkim=fail header.d=isere.example", "Relais inconnu.") is IngestOutcome.ATTACHED
    )
    assert (
        reply(
            "mx.isere.example; dkim=fail header.d=liste.example; dkim=pass header.d=isere.example", "Signé."
        )
        is IngestOutcome.ATTACHED
    )
    with runtime.sessions() as session:
        aside = session.scalars(select(Message).where(Message.needs_review.is_(True))).all()
        assert sorted(m.body_text.strip() for m in aside) == ["SPF en échec.", "Signature cassée."]
        assert any("DKIM" in m.flag_reason for m in aside)
        d = session.scalar(select(Dossier).where(Dossier.reference == REF))
        assert d is not None and d.service_answered_at is not None  # stopped by the first verified answer
