"""Dossiers: references (sequential per year, safe under concurrency), opening, bounces, statuses,
territory."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from triage.dossiers import registry as dossiers
from triage.dossiers.opening import OpeningRequest, open_dossier
from triage.dossiers.statuses import StatusChange, change_status
from triage.dossiers.timeline import EVENT_RECEIVED
from triage.dossiers.tracking import find_by_code, find_by_token
from triage.errors import DossierError
from triage.records import Channel, Extraction, Requester
from triage.runtime import Runtime
from triage.store.db import transaction
from triage.store.models import AddressStatus, Dossier, Event
from triage.suggest.communes import default_communes, normalise_name

WHEN = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def _request(when: datetime = WHEN, **requester: str) -> OpeningRequest:
    return OpeningRequest(
        channel=Channel.EMAIL,
        received_at=when,
        requester=Requester(**requester),
        arrival=None,
        opened_at=when,
        subject="Demande",
    )


def _open(rt: Runtime, when: datetime = WHEN, **requester: str) -> tuple[str, str]:
    with transaction(rt.sessions) as session:
        opened = open_dossier(
            session, _request(when, **requester), prefix=rt.settings.service.reference_prefix
        )
        return opened.reference, opened.token


def test_references_are_sequential_per_year_with_the_configured_prefix(runtime: Runtime) -> None:
    assert _open(runtime)[0] == "MED-2026-00001"
    assert _open(runtime)[0] == "MED-2026-00002"
    assert _open(runtime, datetime(2027, 1, 2, tzinfo=UTC))[0] == "MED-2027-00001"
    runtime.settings.service.reference_prefix = "MEDIA"
    assert _open(runtime)[0] == "MEDIA-2026-00003"


def test_a_rolled_back_opening_gives_its_number_back(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), transaction(runtime.sessions) as session:
        open_dossier(session, _request(), prefix="MED")
        raise RuntimeError("boom")
    assert _open(runtime)[0] == "MED-2026-00001"


@pytest.mark.slow
def test_concurrent_openings_get_unique_gapless_references(runtime: Runtime) -> None:
    threads, per_thread = 6, 5
    barrier = threading.Barrier(threads)
    got: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                ref = _open(runtime)[0]
                with lock:
                    got.append(ref)
        except BaseException as err:  # reported below: a thread's failure must fail the test
            errors.append(err)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    assert errors == []
    assert sorted(got) == [f"MED-2026-{n:05d}" for n in range(1, threads * per_thread + 1)]


def test_opening_records_status_public_event_and_tracking(runtime: Runtime) -> None:
    reference, token = _open(
        runtime,
        name="Jeanne Martin",
        email="Jeanne@Exemple.example",
        postcode="38160",
        commune="Saint-Marcellin",
        territory="Sud-Grésivaudan",
    )
    with runtime.sessions() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.reference == reference))
        assert dossier is not None
        assert dossier.status == "recue" and dossier.channel == "email"
        assert dossier.requester_email == "jeanne@exemple.example"
        assert dossier.received_at == WHEN
        assert token not in dossier.tracking_token_hash and len(token) >= 32
        assert find_by_token(session, token) is dossier
        assert find_by_code(session, reference, dossier.tracking_key) is dossier
        (event,) = session.scalars(select(Event).where(Event.dossier_id == dossier.id)).all()
        assert (event.public, event.summary, event.kind) == (True, "Demande reçue", EVENT_RECEIVED)


def test_references_are_found_in_subjects_and_letters() -> None:
    text = "Re: dossier med-2026-00042 et MED-2026-00042, voir aussi MED-2025-00007 (pas MED-2026-000421)"
    assert dossiers.references_in_text(text, "MED") == ["MED-2026-00042", "MED-2025-00007"]


def test_permanent_bounce_stops_the_address_and_counts(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        dossiers.record_bounce(session, "Jean@Exemple.example", permanent=False, at=WHEN)
        dossiers.record_bounce(session, "jean@exemple.example", permanent=True, at=WHEN)
    with runtime.sessions() as session:
        status = session.get(AddressStatus, "jean@exemple.example")
        assert status is not None and status.bounce_count == 2 and status.hard_bounced_at is not None


def test_status_changes_follow_the_process(runtime: Runtime) -> None:
    reference, _ = _open(runtime)
    with transaction(runtime.sessions) as session:
        dossier = session.scalar(select(Dossier).where(Dossier.reference == reference))
        assert dossier is not None

        def change(target: str, outcome: str | None = None) -> None:
            change_status(
                session,
                dossier,
                StatusChange(target, outcome),
                actor="mediatrice",
                now=WHEN,
                service_answer_days=15,
                requester_wait_days=30,
            )

        change("en_examen")
        change("cloturee", "resolution_complete")
        assert dossier.closed_at == WHEN and dossier.outcome == "resolution_complete"
        with pytest.raises(DossierError, match="non prévu par la procédure"):
            change("mediation_en_cours")
        with pytest.raises(DossierError, match="inconnu"):
            change("perdue")
    with runtime.sessions() as session:
        public = session.scalar(select(func.count()).select_from(Event).where(Event.public.is_(True)))
        assert public == 3


def test_unusable_addresses_are_not_kept_as_the_requester_address() -> None:
    assert dossiers.usable_address(" Jean.Dupont@Exemple.example ") == "jean.dupont@exemple.example"
    for bad in ('"Lottery"@example.com', "power quadrant@example.com", "test", "a@b", "a..b@x.example"):
        assert dossiers.usable_address(bad) == ""


def test_territory_comes_from_postcode_and_commune() -> None:
    communes = default_communes()
    assert communes.territory("38160", "Saint-Marcellin") == "Sud-Grésivaudan"
    assert communes.territory("", "St Égrève") == communes.territory("38120", "Saint-Égrève") != ""
    assert communes.territory("38000") == "Agglomération grenobloise"
    assert communes.territory("75001", "Paris") == ""
    assert normalise_name("Saint-Martin-d'Hères CEDEX 9") == "saint martin d heres"


def test_requester_is_completed_from_what_the_suggester_extracted() -> None:
    requester = dossiers.complete_requester(
        Requester(name="Gisèle Arnaud"),
        Extraction(
            names=("Quelqu'un d'autre",),
            emails=("g.arnaud@exemple.example",),
            phones=("04 65 71 63 87",),
            postcodes=("38170",),
            communes=("Seyssinet-Pariset",),
            address="17 avenue de la Fauconnière",
        ),
    )
    assert requester.name == "Gisèle Arnaud"
    assert requester.email == "g.arnaud@exemple.example" and requester.phone == "04 65 71 63 87"
    assert requester.address == "17 avenue de la Fauconnière"
    assert requester.territory == default_communes().territory("38170", "Seyssinet-Pariset") != ""
