"""Letters from the dossier page: the envelope window's address, what a service receives, the articles,
the preview that sends nothing, the dated end-of-mediation notice, once per form."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.workspace_data import received_for_examination
from triage.clock import system_clock
from triage.errors import DossierError
from triage.notify.postal import postal_lines
from triage.runtime import Runtime
from triage.store.audit import Actor
from triage.store.models import Dossier, Event, Message, OutboxItem, PrintJob
from triage.workspace.common import local_day
from triage.workspace.letters import LetterRequest, LetterWriter, proposed_kind, send_letter, service_named

ACTOR = Actor(None, "mediatrice", "mediateur")


@pytest.mark.parametrize(
    ("address", "postcode", "commune", "expected"),
    [
        # a scanned letter: the address already ends with postcode and town
        ("12 rue des Alpes\n38100 GRENOBLE", "38100", "Grenoble", ("12 rue des Alpes", "38100 GRENOBLE")),
        ("12 rue des Alpes\n38100 Grenoble", "38100", "Grenoble", ("12 rue des Alpes", "38100 GRENOBLE")),
        # typed: the town comes from the dossier's fields, once, in capitals
        ("12 rue des Alpes", "38100", "Grenoble", ("12 rue des Alpes", "38100 GRENOBLE")),
        # OCR put everything on one line, with stray spaces and a comma
        ("12  rue des Alpes, 38100 Grenoble", "38100", "Grenoble", ("12 rue des Alpes", "38100 GRENOBLE")),
        # the town alone repeated after the postcode line, and a repeated street line
        (
            "Bât. B\n12 rue des Alpes\n12 rue des Alpes\n38400 Saint-Martin-d'Hères\nSaint-Martin-d'Hères",
            "38400",
            "Saint-Martin-d'Hères",
            ("Bât. B", "12 rue des Alpes", "38400 SAINT-MARTIN-D'HÈRES"),
        ),
        # a cedex line is kept as written
        ("BP 1096\n38022 Grenoble Cedex 1", "", "", ("BP 1096", "38022 GRENOBLE CEDEX 1")),
        ("", "", "", ()),
    ],
)
def test_window_address_carries_postcode_and_town_exactly_once(
    address: str, postcode: str, commune: str, expected: tuple[str, ...]
) -> None:
    assert postal_lines(address, postcode, commune) == expected


def test_a_service_is_named_with_its_recorded_article_else_a_guessed_one() -> None:
    assert service_named("Maison départementale de l'autonomie") == "la Maison départementale de l'autonomie"
    assert service_named("Service de l'aide sociale") == "le Service de l'aide sociale"
    assert service_named("Aide sociale à l'enfance") == "l'Aide sociale à l'enfance"
    assert service_named("Isère Habitat", "") == "Isère Habitat"  # recorded in the directory: no article
    # nobody recorded it and the first word says nothing: quoted after « le service », never bare
    assert service_named("Vie associative") == "le service « Vie associative »"
    assert service_named("la Direction des mobilités") == "la Direction des mobilités"


def _dossier(rt: Runtime) -> str:
    with rt.sessions.begin() as s:
        dossier = received_for_examination(s)
        return f"{dossier.reference}-{dossier.tracking_key}"


def _transmission(delivery: str, nonce: str = "n1") -> LetterRequest:
    return LetterRequest(
        kind="transmission",
        delivery=delivery,
        nonce=nonce,
        service="Maison départementale de l'autonomie",
        recipient_email="mda@isere.example",
        service_lines=("15 avenue Doyen Louis Weil", "38000 Grenoble"),
    )


def test_a_transmission_never_carries_the_citizens_tracking_code(runtime: Runtime) -> None:
    code = _dossier(runtime)
    key = code.rsplit("-", 1)[1]
    with runtime.sessions.begin() as s:
        # the citizen quoted their code in the request the service will read
        message = s.scalar(select(Message))
        assert message is not None
        message.body_text += f"\nMon code de suivi : {code}"
        dossier = s.scalar(select(Dossier))
        assert dossier is not None
        writer = LetterWriter(runtime)
        previews = writer.preview(s, dossier, _transmission("courriel"), ACTOR)
        send_letter(s, runtime, dossier, _transmission("courriel"), ACTOR)
    with runtime.sessions() as s:
        item = s.scalar(select(OutboxItem).where(OutboxItem.kind == "letter_transmission"))
        assert item is not None and item.to_address == "mda@isere.example"
        raw = item.raw.decode("utf-8", "replace")
    assert key not in raw and key not in previews[0].text
    assert "qui concerne la Maison départementale de l'autonomie" in previews[0].text
    assert "/suivi" not in previews[0].text


def test_a_printed_transmission_goes_to_the_services_address_not_the_citizens(
    sqlite_runtime: Runtime,
) -> None:
    code = _dossier(sqlite_runtime)
    with sqlite_runtime.sessions.begin() as s:
        dossier = s.scalar(select(Dossier))
        assert dossier is not None
        preview = LetterWriter(sqlite_runtime).preview(s, dossier, _transmission("courrier"), ACTOR)[0]
        send_letter(s, sqlite_runtime, dossier, _transmission("courrier"), ACTOR)
    assert preview.pages and preview.pages[0][:8] == b"\x89PNG\r\n\x1a\n"
    with sqlite_runtime.sessions() as s:
        job = s.scalar(select(PrintJob).where(PrintJob.kind == "letter_transmission"))
        assert job is not None
        import pypdfium2 as pdfium

        text = pdfium.PdfDocument(job.pdf)[0].get_textpage().get_text_range()
    assert "15 avenue Doyen Louis Weil" in text and "38000 GRENOBLE" in text
    assert "12 rue des Alpes" not in text.split("Nos références")[0]  # the window holds the service
    assert code.rsplit("-", 1)[1] not in text


def test_a_forward_to_the_competent_body_never_carries_the_tracking_code(sqlite_runtime: Runtime) -> None:
    code = _dossier(sqlite_runtime)
    with sqlite_runtime.sessions.begin() as s:
        dossier = s.scalar(select(Dossier))
        assert dossier is not None
        dossier.admissibility, dossier.reorientation = "irrecevable", "prefecture"
        req = LetterRequest(kind="reorientation", delivery="courriel", nonce="r1", forward=True)
        previews = LetterWriter(sqlite_runtime).preview(s, dossier, req, ACTOR)
    to_citizen, to_body = previews
    assert to_citizen.recipient == "l'usager" and code.rsplit("-", 1)[1] in to_citizen.text
    assert to_body.recipient == "l'organisme compétent" and code.rsplit("-", 1)[1] not in to_body.text


def test_preview_sends_nothing_and_changes_nothing(sqlite_runtime: Runtime) -> None:
    _dossier(sqlite_runtime)
    with sqlite_runtime.sessions.begin() as s:
        dossier = s.scalar(select(Dossier))
        assert dossier is not None
        LetterWriter(sqlite_runtime).preview(s, dossier, _transmission("courrier"), ACTOR)
    with sqlite_runtime.sessions() as s:
        dossier = s.scalar(select(Dossier))
        assert dossier is not None and dossier.status == "recue" and dossier.service_deadline is None
        assert s.scalar(select(PrintJob).where(PrintJob.kind.like("letter_%"))) is None


def test_the_same_form_sent_twice_sends_one_letter(sqlite_runtime: Runtime) -> None:
    _dossier(sqlite_runtime)
    for _ in range(2):
        with sqlite_runtime.sessions.begin() as s:
            dossier = s.scalar(select(Dossier))
            assert dossier is not None
            send_letter(s, sqlite_runtime, dossier, _transmission("courriel", "same"), ACTOR)
    with sqlite_runtime.sessions() as s:
        assert len(s.scalars(select(OutboxItem).where(OutboxItem.kind == "letter_transmission")).all()) == 1
        letters = s.scalars(select(Event).where(Event.kind == "courrier")).all()
        assert len(letters) == 1


def test_the_end_of_mediation_notice_closes_the_dossier_and_dates_the_timeline(runtime: Runtime) -> None:
    _dossier(runtime)
    req = LetterRequest(kind="fin_mediation", delivery="courrier", nonce="f1", outcome="resolution_partielle")
    with runtime.sessions.begin() as s:
        dossier = s.scalar(select(Dossier))
        assert dossier is not None
        with pytest.raises(DossierError, match="issue"):
            LetterWriter(runtime).preview(s, dossier, LetterRequest("fin_mediation", "courrier", "f0"), ACTOR)
        send_letter(s, runtime, dossier, req, ACTOR)
    with runtime.sessions() as s:
        dossier = s.scalar(select(Dossier))
        assert (
            dossier is not None and dossier.status == "cloturee" and dossier.outcome == "resolution_partielle"
        )
        public = [e.summary for e in s.scalars(select(Event).where(Event.public.is_(True)))]
        assert s.scalar(select(PrintJob).where(PrintJob.kind == "letter_fin_mediation")) is not None
    today = local_day(system_clock())
    assert f"Avis de fin de médiation daté du {today:%d/%m/%Y}" in " ".join(public)
    assert proposed_kind(dossier, {"fin_mediation"}) == "conclusion"


def test_the_end_date_cannot_be_in_the_future(sqlite_runtime: Runtime) -> None:
    _dossier(sqlite_runtime)
    req = LetterRequest(
        kind="fin_mediation", delivery="courrier", nonce="f2", outcome="abandon", ended_on=date(2999, 1, 1)
    )
    with sqlite_runtime.sessions.begin() as s:
        dossier = s.scalar(select(Dossier))
        assert dossier is not None
        with pytest.raises(DossierError, match="futur"):
            send_letter(s, sqlite_runtime, dossier, req, ACTOR)


def test_the_proposed_letter_follows_the_dossiers_state(sqlite_runtime: Runtime) -> None:
    _dossier(sqlite_runtime)
    with sqlite_runtime.sessions() as s:
        d = s.scalar(select(Dossier))
        assert d is not None
        assert proposed_kind(d, set()) == "transmission"  # receivable: never « Réorientation »
        d.reorientation = "prefecture"
        assert proposed_kind(d, set()) == "transmission"  # still receivable
        d.admissibility = "irrecevable"
        assert proposed_kind(d, set()) == "reorientation"
        d.status = "attente_usager"
        assert proposed_kind(d, set()) == "pieces"
        d.status = "cloturee"
        assert proposed_kind(d, set()) == "fin_mediation"
