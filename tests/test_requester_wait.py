"""« En attente de votre réponse » ends by itself when the requester's reply joins the dossier: back to the
state before the wait, the deadlines running again; a service's answer or another sender does not end it.
Over real SMTP and Dovecot with the worker, and through the pipeline, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from tests.dovecot import Dovecot, dovecot, imap_folder  # noqa: F401  (fixtures)
from tests.mailfactory import mail
from tests.mailflow import CLAIRE, answer, one_pass, transmitted_by_claire
from tests.smtp import SmtpServer
from tests.workspace_data import add_request
from triage.clock import local_day, system_clock
from triage.correspondence.send import FreeMessage, send_message
from triage.dossiers.statuses import RESUMED, StatusChange
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.store.models import Dossier, Event, Message, OutboxItem
from triage.workspace import deadlines
from triage.workspace.process import change_status

REF = "MED-2026-00042"
REQUESTER = "sylvie.martin@example.org"  # tests.factories.make_dossier's requester


def _dossier(rt: Runtime) -> Dossier:
    with rt.sessions() as session:
        found = session.scalar(select(Dossier).where(Dossier.reference == REF))
        assert found is not None
        return found


def _public_summaries(rt: Runtime) -> list[str]:
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(Event.summary)
                .join(Dossier, Dossier.id == Event.dossier_id)
                .where(Dossier.reference == REF, Event.public.is_(True))
                .order_by(Event.id)
            )
        )


def _overdue_in_30_days(rt: Runtime) -> list[str]:
    with rt.sessions() as session:
        late = deadlines.compute(session, rt.settings, system_clock() + timedelta(days=30))
    return [item.reference for item in late.service_overdue]


@pytest.mark.dovecot
def test_requesters_reply_fetched_by_the_worker_ends_the_wait_a_service_answer_or_a_stranger_does_not(
    home: Path, db_url: str, dovecot: Dovecot, imap_folder: str
) -> None:
    with SmtpServer() as smtp:
        rt = Runtime.open(
            make_settings(
                home,
                db_url,
                smtp={"url": smtp.url},
                mailbox={"url": dovecot.url(imap_folder), "processed_folder": f"{imap_folder}.Traites"},
                correspondence={"reply_plus_address": True},
            )
        )
        try:
            with rt.sessions.begin() as session:
                d, _ = add_request(session, REF)
                transmitted_by_claire(session, rt, d, "autonomie@isere.example", "Direction de l'autonomie")
                change_status(session, rt.settings, d, StatusChange("attente_usager"), CLAIRE)
                send_message(
                    session,
                    rt,
                    d,
                    FreeMessage(
                        to_address=REQUESTER, body="Pouvez-vous nous envoyer votre avis d'imposition ?"
                    ),
                    CLAIRE,
                )
            one_pass(rt, dovecot)  # delivers the transmission and the question over SMTP
            sent = {parseaddr(str(m["To"]))[1]: m for m in smtp.inbox.parsed()}
            assert _overdue_in_30_days(rt) == []  # the wait pauses the art. 15 clock

            dovecot.append(
                [
                    answer(sent["autonomie@isere.example"], "autonomie@isere.example", "Dossier réexaminé."),
                    answer(sent[REQUESTER], "Un voisin <voisin@exemple.example>", "Je réponds pour elle."),
                ],
                imap_folder,
            )
            one_pass(rt, dovecot)
            d = _dossier(rt)
            assert d.status == "attente_usager" and d.service_answered_at is not None
            with rt.sessions() as session:
                stranger = session.scalar(
                    select(Message).where(Message.from_address == "voisin@exemple.example")
                )
                assert stranger is not None and stranger.dossier_id is None and stranger.needs_review

            dovecot.append(
                [answer(sent[REQUESTER], f"Sylvie Martin <{REQUESTER}>", "Voici mon avis d'imposition.")],
                imap_folder,
            )
            one_pass(rt, dovecot)
            d = _dossier(rt)
            assert d.status == "transmise_service" and d.unread and d.reminder_on is None
            assert _public_summaries(rt)[-1] == RESUMED
            with rt.sessions() as session:
                notices = session.scalars(
                    select(OutboxItem.subject)
                    .where(OutboxItem.kind == "team_notice", OutboxItem.to_address == "claire@isere.example")
                    .order_by(OutboxItem.id)
                ).all()
            assert notices[-1] == (
                "Médiature : Nouveau message de l'usager : fin de l'attente, reprise du délai — dossier "
                + REF
            )
        finally:
            rt.close()


def _ingest(rt: Runtime, data: bytes) -> IngestOutcome:
    return Pipeline(rt).ingest_raw(RawMessage(source="eml", source_key="test", data=data)).outcome


def _ask_requester(rt: Runtime, *, previous: str, waited_days: int, transmitted_days_ago: int = 0) -> str:
    """Put the dossier from `previous` into the wait `waited_days` ago, with a question to the requester;
    return the question's Message-ID."""
    now = system_clock()
    with rt.sessions.begin() as session:
        d, _ = add_request(session, REF)
        if previous == "transmise_service":
            change_status(
                session,
                rt.settings,
                d,
                StatusChange("transmise_service", service="Direction de l'autonomie"),
                CLAIRE,
                now=now - timedelta(days=transmitted_days_ago),
            )
        change_status(
            session,
            rt.settings,
            d,
            StatusChange("attente_usager"),
            CLAIRE,
            now=now - timedelta(days=waited_days),
        )
        send_message(
            session, rt, d, FreeMessage(to_address=REQUESTER, body="Votre avis d'imposition ?"), CLAIRE
        )
        mid = session.scalar(select(OutboxItem.message_id).where(OutboxItem.dossier_id == d.id))
    assert mid
    return mid


def test_the_service_clock_resumes_with_the_days_it_had_left(runtime: Runtime) -> None:
    mid = _ask_requester(runtime, previous="transmise_service", waited_days=6, transmitted_days_ago=10)
    before = _dossier(runtime).service_deadline
    assert before == local_day(system_clock() - timedelta(days=10)) + timedelta(days=15)
    outcome = _ingest(runtime, mail("Le voici.", sender=REQUESTER, in_reply_to=mid, references=mid))
    assert outcome is IngestOutcome.ATTACHED
    d = _dossier(runtime)
    assert d.status == "transmise_service"
    assert d.service_deadline == before + timedelta(days=6)  # six days of waiting do not count
    with runtime.sessions() as session:
        event = session.scalars(
            select(Event).where(Event.dossier_id == d.id, Event.kind == "statut").order_by(Event.id.desc())
        ).first()
    assert event is not None and event.summary == RESUMED and event.public
    assert event.details["previous"] == "attente_usager" and event.details["status"] == "transmise_service"


def test_a_wait_begun_on_a_new_request_resumes_in_examination_and_keeps_a_reminder_set_since(
    runtime: Runtime,
) -> None:
    mid = _ask_requester(runtime, previous="recue", waited_days=2)
    chosen = local_day(system_clock()) + timedelta(days=40)
    with runtime.sessions.begin() as session:
        d = session.scalar(select(Dossier).where(Dossier.reference == REF))
        assert d is not None and d.reminder_on is not None  # the wait's own reminder
        d.reminder_on = chosen  # the mediator picked another day
    _ingest(runtime, mail("Le voici.", sender=REQUESTER, in_reply_to=mid, references=mid))
    d = _dossier(runtime)
    assert (d.status, d.reminder_on) == (
        "en_examen",
        chosen,
    )  # « Demande reçue » is not a state to go back to


def test_an_answer_from_another_address_the_mediation_wrote_to_does_not_end_the_wait(
    runtime: Runtime,
) -> None:
    mid = _ask_requester(runtime, previous="recue", waited_days=1)
    with runtime.sessions.begin() as session:
        d = session.scalar(select(Dossier).where(Dossier.reference == REF))
        assert d is not None
        send_message(
            session, runtime, d, FreeMessage(to_address="accueil@caf38.example", body="Votre avis ?"), CLAIRE
        )
        caf_mid = session.scalar(
            select(OutboxItem.message_id).where(OutboxItem.to_address == "accueil@caf38.example")
        )
    assert caf_mid
    partner = mail(
        "Dossier complet.", sender="accueil@caf38.example", in_reply_to=caf_mid, references=caf_mid
    )
    assert _ingest(runtime, partner) is IngestOutcome.ATTACHED
    assert _dossier(runtime).status == "attente_usager"
    assert _ingest(runtime, mail("Voici.", sender=REQUESTER, in_reply_to=mid, references=mid)) is (
        IngestOutcome.ATTACHED
    )
    assert _dossier(runtime).status == "en_examen"
    # once resumed, a further reply changes nothing
    assert _ingest(runtime, mail("Et encore.", sender=REQUESTER, in_reply_to=mid, references=mid)) is (
        IngestOutcome.ATTACHED
    )
    assert _public_summaries(runtime).count(RESUMED) == 1
