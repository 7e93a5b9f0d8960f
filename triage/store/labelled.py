"""The texts whose labels the mediator confirmed or corrected, read back for training."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.store.models import LabelledExample


@dataclass(frozen=True)
class LabelledText:
    """A request text with its confirmed labels (stored codes)."""

    id: int
    text: str
    domain: str
    admissibility: str
    reorientation: str


def labelled_texts(sessions: sessionmaker[Session]) -> list[LabelledText]:
    """Every confirmed or corrected text, in the order the mediator confirmed them."""
    with sessions() as session:
        rows = session.scalars(select(LabelledExample).order_by(LabelledExample.id))
        return [LabelledText(r.id, r.text, r.domain, r.admissibility, r.reorientation) for r in rows]
