"""The workspace's domain logic on SQLite and PostgreSQL: triage decisions, merge, the process, deadlines,
letters and requests typed in by hand."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from tests.workspace_data import add_request, utc
from triage.dossiers.tracking import load_view
from triage.errors import DossierError
from triage.pipeline import Pipeline
from triage.runtime import Runtime
from triage.store.audit import Actor
from triage.store.models import AuditEntry, Dossier, Event, LabelledExample, Message, OutboxItem, PrintJob
from triage.workspace import deadlines, outcomes, review
from triage.workspace.common import find_dossier, latest_suggestion
from triage.workspace.intake import ManualRequest, open_manual
from triage.workspace.letters import LetterRequest, send_letter
from triage.workspace.process import StatusChange, change_status, record_first_contact
from triage.workspace.queue import pending_queue

ACTOR = Actor(None, "claire", "mediateur")


def pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def test_correction_becomes_a_corrected_labelled_example_and_starts_the_examination(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        dossier, _ = add_request(s, "MED-2026-00001")
        review.confirm(
            s, runtime.settings, dossier, review.Labels("autonomie_handicap", "prematuree", "none"), ACTOR
        )
    with runtime.sessions.begin() as s:
        example = s.scalar(select(LabelledExample))
        assert example is not None and example.corrected and example.admissibility == "prematuree"
        assert "carte mobilité inclusion" in example.text
        dossier = find_dossier(s, "MED-2026-00001")
        assert (dossier.status, dossier.triage_status, dossier.admissibility) == (
            "en_examen",
            "reviewed",
            "prematuree",
        )
        # confirming again replaces the example instead of adding a second one
        review.confirm(
            s, runtime.settings, dossier, review.Labels("autonomie_handicap", "recevable", "none"), ACTOR
        )
    with runtime.sessions() as s:
        examples = s.scalars(select(LabelledExample)).all()
        assert len(examples) == 1 and not examples[0].corrected


def test_unknown_label_codes_are_refused(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        dossier, _ = add_request(s, "MED-2026-00001")
        with pytest.raises(DossierError):
            review.confirm(
                s, runtime.settings, dossier, review.Labels("astrologie", "recevable", "none"), ACTOR
            )


def test_bulk_accept_takes_only_suggestions_confident_on_all_three_labels(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        add_request(s, "MED-2026-00001")
        add_request(
            s,
            "MED-2026-00002",
            email="autre@example.org",
            suggestion=("insertion_rsa", 0.95, "recevable", 0.41, "none", 0.9),
        )
        add_request(s, "MED-2026-00003", email="trois@example.org", suggestion=None)
        accepted = review.bulk_accept(s, runtime.settings, ACTOR)
    assert accepted == ["MED-2026-00001"]
    with runtime.sessions() as s:
        assert [i.reference for i in pending_queue(s, runtime.settings)] == [
            "MED-2026-00002",
            "MED-2026-00003",
        ]


def test_bulk_accept_follows_the_suggesters_calibrated_doubt_over_the_global_threshold(
    runtime: Runtime,
) -> None:
    with runtime.sessions.begin() as s:
        doubtful, _ = add_request(
            s, "MED-2026-00001", suggestion=("insertion_rsa", 0.95, "recevable", 0.95, "none", 0.95)
        )
        sure, _ = add_request(
            s,
            "MED-2026-00002",
            email="autre@example.org",
            suggestion=("insertion_rsa", 0.95, "recevable", 0.55, "none", 0.9),
        )
        s.flush()
        for dossier, flags in ((doubtful, (False, True, False)), (sure, (False, False, False))):
            row = latest_suggestion(s, dossier.id)
            assert row is not None
            row.to_check = dict(zip(("domain", "admissibility", "reorientation"), flags, strict=True))
        accepted = review.bulk_accept(s, runtime.settings, ACTOR)
    assert accepted == ["MED-2026-00002"]  # the global 0.6 would have taken 00001 and left 00002


def test_queue_is_oldest_first_and_proposes_the_same_persons_dossiers(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        old, _ = add_request(s, "MED-2026-00001", received_at=utc(2026, 3, 1, 9, 0))
        old.requester_phone = "04 76 12 34 56"
        review.accept(s, runtime.settings, old, ACTOR)
        add_request(
            s,
            "MED-2026-00003",
            received_at=utc(2026, 11, 3, 9, 0),
            email="",
            name="MARTIN Sylvie",
            postcode="38100",
        )
        newer, _ = add_request(
            s, "MED-2026-00002", received_at=utc(2026, 11, 2, 9, 0), email="x@example.org", name="Jean Dupont"
        )
        newer.requester_phone = "+33 4 76 12 34 56"
    with runtime.sessions() as s:
        items = pending_queue(s, runtime.settings)
    assert [i.reference for i in items] == ["MED-2026-00002", "MED-2026-00003"]
    assert [(c.reference, c.why) for c in items[0].candidates] == [("MED-2026-00001", "même téléphone")]
    assert ("MED-2026-00001", "même nom et code postal") in [
        (c.reference, c.why) for c in items[1].candidates
    ]


def test_merge_moves_the_messages_and_the_old_tracking_link_says_where_the_request_went(
    runtime: Runtime,
) -> None:
    with runtime.sessions.begin() as s:
        existing, _ = add_request(s, "MED-2026-00001")
        new, _ = add_request(s, "MED-2026-00002", text="Je relance pour ma carte, toujours rien.")
        assert outcomes.merge(s, new, existing, ACTOR) == 1
    with runtime.sessions() as s:
        new = find_dossier(s, "MED-2026-00002")
        assert new.triage_status == "merged" and new.merged_into_id is not None
        texts = s.scalars(select(Message.body_text).where(Message.dossier_id == new.merged_into_id)).all()
        assert any("relance" in t for t in texts)
        summaries = s.scalars(
            select(Event.summary).where(Event.dossier_id == new.id, Event.public.is_(True))
        ).all()
        assert "Rattachée au dossier MED-2026-00001" in summaries
        with pytest.raises(DossierError):
            outcomes.merge(s, new, existing, ACTOR)


def test_the_process_refuses_transitions_it_does_not_allow(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        dossier, _ = add_request(s, "MED-2026-00001")
        with pytest.raises(DossierError, match="issue"):
            change_status(s, runtime.settings, dossier, StatusChange("cloturee"), ACTOR)
        change_status(s, runtime.settings, dossier, StatusChange("cloturee", outcome="abandon"), ACTOR)
        with pytest.raises(DossierError, match="non prévu"):
            change_status(s, runtime.settings, dossier, StatusChange("mediation_en_cours"), ACTOR)
        change_status(s, runtime.settings, dossier, StatusChange("en_examen"), ACTOR)  # reopened
        assert dossier.outcome is None and dossier.closed_at is None
        assert (
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "dossier.status")
            )
            == 2
        )


def test_transmission_sets_the_fifteen_day_deadline_and_late_answers_show(runtime: Runtime) -> None:
    start = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
    with runtime.sessions.begin() as s:
        dossier, _ = add_request(s, "MED-2026-00001", received_at=start)
        change_status(
            s,
            runtime.settings,
            dossier,
            StatusChange("transmise_service", service="Direction de l'autonomie"),
            ACTOR,
            now=start,
        )
        assert str(dossier.service_deadline) == "2026-10-16"
        add_request(s, "MED-2026-00002", email="b@example.org", received_at=start - timedelta(days=130))
    with runtime.sessions() as s:
        late = deadlines.compute(s, runtime.settings, now=start + timedelta(days=20))
    assert [(x.reference, x.days) for x in late.service_overdue] == [("MED-2026-00001", 5)]
    assert {x.reference for x in late.no_first_contact} == {"MED-2026-00001", "MED-2026-00002"}
    assert [x.reference for x in late.open_too_long] == ["MED-2026-00002"]


def test_daily_digest_is_queued_once_per_day_with_references_only(runtime: Runtime) -> None:
    runtime.settings.deadlines.digest_to = ["claire@isere.example"]
    with runtime.sessions.begin() as s:
        add_request(s, "MED-2026-00001", received_at=utc(2026, 1, 5, 9, 0))
        deadlines.queue_digest(s, runtime.settings, runtime.secret, runtime.clock())
        deadlines.queue_digest(s, runtime.settings, runtime.secret, runtime.clock())
    with runtime.sessions() as s:
        items = s.scalars(select(OutboxItem).where(OutboxItem.kind == "digest")).all()
    assert len(items) == 1 and items[0].to_address == "claire@isere.example"
    assert b"MED-2026-00001" in items[0].raw and b"Sylvie" not in items[0].raw


def test_reorientation_letter_forwards_the_request_and_carries_the_algorithmic_mention(
    runtime: Runtime,
) -> None:
    from triage.dossiers.tracking import Contact

    prefecture = Contact(
        name="Préfecture de l'Isère",
        address_lines=("12 place de Verdun", "38000 Grenoble"),
        phone="04 76 60 34 00",
    )
    with runtime.sessions.begin() as s:
        dossier, _token = add_request(
            s, "MED-2026-00001", suggestion=("hors_champ", 0.9, "irrecevable", 0.9, "prefecture", 0.85)
        )
        review.accept(s, runtime.settings, dossier, ACTOR)
        sent = send_letter(
            s,
            runtime,
            dossier,
            LetterRequest("reorientation", "courrier", "n1", forward=True),
            ACTOR,
            contact_for=lambda code: prefecture if code == "prefecture" else None,
        )
        assert dossier.status == "reorientee" and dossier.first_contact_at is not None
    assert [x.recipient for x in sent] == ["l'usager", "l'organisme compétent"]
    assert sent[0].algorithmic_mention and not sent[1].algorithmic_mention
    with runtime.sessions() as s:
        jobs = {j.kind: pdf_text(j.pdf) for j in s.scalars(select(PrintJob))}
        public = s.scalars(select(Event.summary).where(Event.public.is_(True))).all()
    citizen = " ".join(jobs["letter_reorientation"].split())
    assert "Préfecture de l'Isère" in citizen and "L114-2" in citizen and "L311-3-1" in citizen
    assert "Sylvie Martin" in jobs["letter_reorientation_transmission"]
    assert "Réorientée vers la Préfecture de l'Isère" in public


def test_end_of_mediation_notice_needs_the_outcome_and_gives_the_date(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        dossier, _ = add_request(s, "MED-2026-00001")
        with pytest.raises(DossierError, match="issue"):
            send_letter(s, runtime, dossier, LetterRequest("fin_mediation", "courriel", "n1"), ACTOR)
        change_status(
            s, runtime.settings, dossier, StatusChange("cloturee", outcome="resolution_complete"), ACTOR
        )
        send_letter(
            s,
            runtime,
            dossier,
            LetterRequest("fin_mediation", "courriel", "n2", message="Bonne continuation."),
            ACTOR,
        )
    with runtime.sessions() as s:
        item = s.scalar(select(OutboxItem).where(OutboxItem.kind == "letter_fin_mediation"))
    assert item is not None and not item.automatic
    assert b"recommencent" in item.raw.replace(b"=\r\n", b"") or b"recommencent" in item.raw


def test_request_by_phone_is_opened_suggested_and_acknowledged_on_paper(runtime: Runtime) -> None:
    request = ManualRequest(
        channel="telephone",
        referred_by="elu",
        referrer_name="M. le conseiller départemental",
        summary="Madame Durand appelle : son RSA est suspendu depuis deux mois, recours gracieux sans réponse.",
        civility="Madame",
        name="Josiane Durand",
        address="3 chemin des Vignes",
        postcode="38500",
        commune="Voiron",
    )
    with runtime.sessions.begin() as s:
        outcome = open_manual(s, Pipeline.from_runtime(runtime), request, ACTOR)
    assert outcome.reference.startswith("MED-") and outcome.tracking_code.startswith(outcome.reference)
    assert "courrier" in outcome.acknowledgement
    with runtime.sessions() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.reference == outcome.reference))
        assert dossier is not None and dossier.channel == "telephone" and dossier.referred_by == "elu"
        assert dossier.first_contact_at is not None  # the mediator took the call
        assert (
            s.scalar(select(func.count()).select_from(PrintJob).where(PrintJob.dossier_id == dossier.id)) == 1
        )
        assert s.scalar(select(Message.body_text).where(Message.dossier_id == dossier.id)).startswith(
            "Madame Durand"
        )


def test_manual_request_needs_a_summary(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s, pytest.raises(DossierError):
        open_manual(
            s,
            Pipeline(runtime),
            ManualRequest(channel="permanence", referred_by="usager", summary="rsa"),
            ACTOR,
        )


def test_reorientation_letter_takes_the_contact_from_the_configured_directory(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        dossier, _ = add_request(
            s, "MED-2026-00001", suggestion=("hors_champ", 0.9, "irrecevable", 0.9, "caf", 0.85)
        )
        review.accept(s, runtime.settings, dossier, ACTOR)
        send_letter(s, runtime, dossier, LetterRequest("reorientation", "courriel", "n1"), ACTOR)
    with runtime.sessions() as s:
        raw = s.scalar(select(OutboxItem.raw).where(OutboxItem.kind == "letter_reorientation"))
        public = s.scalars(select(Event.summary).where(Event.public.is_(True))).all()
    assert raw is not None
    text = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "Caisse d'allocations familiales de l'Isère" in text and "3, rue des Alliés" in text
    assert "Réorientée vers la Caisse d'allocations familiales de l'Isère" in public


def _pending_sends(s: Any, dossier: Dossier) -> None:
    s.add(
        OutboxItem(
            dossier_id=dossier.id,
            kind="acknowledgement",
            idempotency_key=f"ack-{dossier.id}",
            to_address="usager@example.org",
            message_id=f"<ack-{dossier.id}@example.org>",
            raw=b"x",
        )
    )
    s.add(
        PrintJob(
            dossier_id=dossier.id, kind="acknowledgement", idempotency_key=f"print-{dossier.id}", pdf=b"%PDF"
        )
    )
    s.flush()


def _tracking(runtime: Runtime, token: str) -> Any:
    with runtime.engine.connect() as conn:
        return load_view(conn, token=token)


def test_classee_sans_suite_tells_the_sender_why_and_withdraws_the_acknowledgements(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        dossier, token = add_request(s, "MED-2026-00001", text="Promotion : -50 % sur les fenêtres.")
        _pending_sends(s, dossier)
        with pytest.raises(DossierError, match="motif"):
            outcomes.dismiss(s, dossier, ACTOR, "  ")
        assert outcomes.withdrawal(s, dossier) == outcomes.Withdrawal(emails=1, letters=1, printed=0)
        outcomes.dismiss(s, dossier, ACTOR, "Message publicitaire")
    view = _tracking(runtime, token)
    assert view.status_label == "Classée sans suite"
    assert "Motif : Message publicitaire." in view.explanation and "15 jours" not in view.next_step
    with runtime.sessions() as s:
        assert s.scalars(select(OutboxItem.status)).all() == ["cancelled"]
        assert s.scalars(select(PrintJob.status)).all() == ["cancelled"]


def test_a_merged_request_names_its_dossier_and_carries_its_first_contact(runtime: Runtime) -> None:
    contact = utc(2026, 11, 3, 10, 0)
    with runtime.sessions.begin() as s:
        existing, _ = add_request(s, "MED-2026-00001")
        new, token = add_request(s, "MED-2026-00002", text="Je relance pour ma carte.")
        new.first_contact_at = contact
        _pending_sends(s, new)
        outcomes.merge(s, new, existing, ACTOR)
        assert existing.first_contact_at == contact
    view = _tracking(runtime, token)
    assert view.status_label == "Rattachée au dossier MED-2026-00001"
    assert "Demande reçue" not in view.status_label


def test_annuler_puts_the_request_back_as_it_was_but_only_for_a_few_minutes(runtime: Runtime) -> None:
    at = utc(2026, 11, 3, 10, 0)
    with runtime.sessions.begin() as s:
        existing, _ = add_request(s, "MED-2026-00001")
        new, token = add_request(s, "MED-2026-00002", text="Je relance pour ma carte.")
        _pending_sends(s, new)
        outcomes.merge(s, new, existing, ACTOR, now=at)
        outcomes.undo(s, new, ACTOR, minutes=10, now=at + timedelta(minutes=9))
        assert new.triage_status == "pending" and new.status == "recue" and new.merged_into_id is None
        assert existing.first_contact_at is None
        assert s.scalar(select(func.count()).select_from(Message).where(Message.dossier_id == new.id)) == 1
        assert set(s.scalars(select(OutboxItem.status))) == {"pending"}
        assert set(s.scalars(select(PrintJob.status))) == {"pending"}
        outcomes.dismiss(s, new, ACTOR, "Doublon", now=at)
        with pytest.raises(DossierError, match="10 minutes"):
            outcomes.undo(s, new, ACTOR, minutes=10, now=at + timedelta(minutes=11))
    view = _tracking(runtime, token)
    assert view.status_label == "Classée sans suite"
    assert all("Rattachée" not in step.label for step in view.steps)


def test_transmission_needs_a_named_service_and_its_letter_keeps_the_tracking_code_from_the_service(
    runtime: Runtime,
) -> None:
    with runtime.sessions.begin() as s:
        dossier, _ = add_request(s, "MED-2026-00001")
        with pytest.raises(DossierError, match="service"):
            change_status(s, runtime.settings, dossier, StatusChange("transmise_service"), ACTOR)
        assert dossier.service_deadline is None
        send_letter(
            s,
            runtime,
            dossier,
            LetterRequest(
                "transmission",
                "courriel",
                "n1",
                recipient_email="mda@isere.example",
                service="Maison départementale de l'autonomie",
            ),
            ACTOR,
        )
        key = dossier.tracking_key
    with runtime.sessions() as s:
        item = s.scalar(select(OutboxItem).where(OutboxItem.kind == "letter_transmission"))
    body = email.message_from_bytes(item.raw, policy=email.policy.default)
    text = "\n".join(
        part.get_content() for part in body.walk() if part.get_content_type().startswith("text/")
    )
    assert "concerne la Maison départementale de l'autonomie" in " ".join(text.split())
    assert str(key) not in text and "Suivre votre dossier" not in text


def test_window_address_never_repeats_the_postcode_and_town() -> None:
    from triage.workspace.letters import service_named, window_address

    for address in ("12 rue des Alpes\n38100 GRENOBLE", "12 rue des Alpes"):
        window = window_address(address, "38100", "Grenoble")
        assert window["recipient_lines"] == ["12 rue des Alpes", "38100 GRENOBLE"]
        assert window["recipient_city"] == ""
    assert service_named("Direction de l'insertion") == "la Direction de l'insertion"
    assert service_named("Aide sociale à l'enfance") == "l'Aide sociale à l'enfance"


def test_first_contact_made_on_a_request_later_merged_counts_for_its_dossier_deadlines(
    runtime: Runtime,
) -> None:
    start = utc(2026, 10, 1, 9, 0)
    called, earlier = utc(2026, 10, 3, 10, 0), utc(2026, 10, 2, 10, 0)
    with runtime.sessions.begin() as s:
        existing, _ = add_request(s, "MED-2026-00001", received_at=start)
        new, _ = add_request(s, "MED-2026-00002", received_at=start, text="Je relance pour ma carte.")
        other, _ = add_request(s, "MED-2026-00003", received_at=start)
        later, _ = add_request(s, "MED-2026-00004", received_at=start, text="Encore moi.")
        # the mediator calls back from the new request (« Premier contact » on its page), then joins it
        assert record_first_contact(s, new, ACTOR, "telephone", now=called)
        late = deadlines.compute(s, runtime.settings, now=start + timedelta(days=20))
        assert {x.reference for x in late.no_first_contact} >= {"MED-2026-00001", "MED-2026-00003"}
        outcomes.merge(s, new, existing, ACTOR, now=called)
        # a dossier already contacted earlier keeps its own, earlier, first contact
        assert record_first_contact(s, other, ACTOR, "courriel", now=earlier)
        assert record_first_contact(s, later, ACTOR, "telephone", now=called)
        outcomes.merge(s, later, other, ACTOR, now=called)
        late = deadlines.compute(s, runtime.settings, now=start + timedelta(days=20))
        assert existing.first_contact_at == called and other.first_contact_at == earlier
        assert not {"MED-2026-00001", "MED-2026-00003"} & {x.reference for x in late.no_first_contact}
        carried = s.scalars(
            select(Event.summary).where(Event.dossier_id == existing.id, Event.kind == "first_contact")
        ).all()
    assert carried == ["Premier contact repris de la demande MED-2026-00002"]
