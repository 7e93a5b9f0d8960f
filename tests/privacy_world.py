"""A small world of real requests for the personal-data tests: two people, mail with attachments,
acknowledgements delivered to the local outbox folder, a set-aside message, a quarantined one.

Everything goes through the real pipeline (suggester included), so whatever the product stores about a
person is there to be found, anonymised, exported or erased.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from tests.mailfactory import mail
from triage.notify.acknowledge import Notifier
from triage.notify.sender import deliver_due
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.store.models import Dossier


@dataclass(frozen=True)
class Person:
    """A requester with everything that identifies them."""

    name: str
    email: str
    phone: str
    street: str
    postcode: str
    commune: str

    def sender(self) -> str:
        return f"{self.name} <{self.email}>"

    def letter(self, topic: str) -> str:
        return (
            f"Bonjour Madame la Médiatrice,\n\nJe m'appelle {self.name} et j'habite au {self.street}, "
            f"{self.postcode} {self.commune}. {topic}\n\nVous pouvez me joindre au {self.phone}.\n\n"
            f"Cordialement,\n{self.name}"
        )


JEANNE = Person(
    "Jeanne Dupraz-Vernet",
    "jeanne.dupraz-vernet@exemple.example",
    "06 12 34 56 78",
    "14 chemin des Tilleuls",
    "38500",
    "Voiron",
)
PAUL = Person(
    "Paul Girardon-Blanc",
    "paul.girardon-blanc@exemple.example",
    "07 98 76 54 32",
    "3 place Victor Hugo",
    "38000",
    "Grenoble",
)


@dataclass
class World:
    """References of what was built."""

    jeanne_refs: list[str]
    paul_refs: list[str]
    tokens: dict[str, str]


def ingest(rt: Runtime, pipeline: Pipeline, data: bytes, key: str) -> str | None:
    """Ingest one raw message; its dossier reference (None when it opened none)."""
    outcome = pipeline.ingest_raw(RawMessage(source="eml", source_key=key, data=data))
    assert outcome.outcome is not IngestOutcome.QUARANTINED, outcome.detail
    return outcome.reference


_SUGGESTER: list[Any] = []


def suggester(rt: Runtime) -> Any:
    """The shipped suggester, loaded once for the whole test session (spaCy takes seconds to load)."""
    if not _SUGGESTER:
        _SUGGESTER.append(Pipeline.from_runtime(rt).suggester)
    return _SUGGESTER[0]


def build(rt: Runtime, *, closed_at: datetime | None = None) -> World:
    """Two requests of Jeanne (one closed at `closed_at`), one of Paul, plus set-aside and quarantined mail."""
    pipeline = Pipeline(rt, suggester=suggester(rt), notifier=Notifier.from_runtime(rt))
    attachment = f"Attestation de refus APA pour {JEANNE.name}, {JEANNE.street}".encode()
    first = ingest(
        rt,
        pipeline,
        mail(
            JEANNE.letter(
                "Le Département a refusé mon allocation personnalisée d'autonomie et je conteste ce refus."
            ),
            sender=JEANNE.sender(),
            subject=f"Refus APA — {JEANNE.name}",
            attachments=[("refus-apa.pdf", "application/pdf", b"%PDF-1.4\n" + attachment)],
        ),
        "j1",
    )
    second = ingest(
        rt,
        pipeline,
        mail(
            JEANNE.letter("Ma demande de carte mobilité inclusion attend depuis huit mois."),
            sender=JEANNE.sender(),
            subject="Carte mobilité inclusion",
        ),
        "j2",
    )
    paul = ingest(
        rt,
        pipeline,
        mail(
            PAUL.letter("Mon dossier RSA est suspendu sans explication depuis trois mois."),
            sender=PAUL.sender(),
            subject="Suspension RSA",
        ),
        "p1",
    )
    # an automatic reply from a neighbour's address: kept as a non-request, attached to nothing
    ingest(
        rt,
        pipeline,
        mail(
            f"Je suis absente. Message concernant {JEANNE.name}.",
            sender="Voisine <voisine@exemple.example>",
            subject="Absence",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        "v1",
    )
    # bytes that could not be read, carrying Jeanne's address: quarantined with its raw bytes
    pipeline.quarantine_bytes(
        "eml",
        "broken-1",
        b"From: " + JEANNE.sender().encode() + b"\r\n\r\n\xff",
        "message illisible",
        "ParseError",
    )
    deliver_due(rt, force=True)
    refs = [r for r in (first, second, paul) if r]
    assert len(refs) == 3
    with rt.sessions.begin() as session:
        session.execute(
            update(Dossier)
            .where(Dossier.reference == first)
            .values(
                status="cloturee",
                outcome="resolution_complete",
                domain="autonomie_personnes_agees",
                requester_territory="Voironnais-Chartreuse",
                closed_at=closed_at or datetime.now(UTC),
            )
        )
    return World([first, second], [paul], {})  # type: ignore[list-item]


def at(y: int, m: int, d: int) -> datetime:
    """A UTC moment at 10:00."""
    return datetime(y, m, d, 10, tzinfo=UTC)
