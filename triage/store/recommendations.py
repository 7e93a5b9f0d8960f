"""Recommendations (préconisations) with dated progress, and the mediator's comments per report section.

A recommendation's status over time is read from its progress notes: each note may change the
status, so the report of any year shows the status as it stood at the end of that year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from triage.clock import local_day, system_clock
from triage.errors import ReportError
from triage.store.models import Recommendation, RecommendationProgress, ReportComment

STATUSES: dict[str, str] = {
    "proposee": "Proposée",
    "validee": "Validée",
    "en_cours": "En cours",
    "realisee": "Réalisée",
}

# The sections of the report the mediator writes, in the order they appear.
SECTIONS: dict[str, str] = {
    "synthese": "Synthèse",
    "introduction": "Introduction",
    "donnees_generales": "Données générales",
    "territoires": "Répartition territoriale et par direction",
    "reorientations": "Les réorientations",
    "mediations": "Les médiations",
    "preconisations": "Les préconisations",
    "perspectives": "Les perspectives",
    "conclusion": "Conclusion",
}


@dataclass(frozen=True)
class ProgressNote:
    """A dated step of a recommendation."""

    on: date
    note: str
    status: str | None


@dataclass(frozen=True)
class RecommendationView:
    """A recommendation as the CLI and the report show it."""

    id: int
    year: int
    title: str
    description: str
    services: tuple[str, ...]
    status: str
    progress: tuple[ProgressNote, ...]

    def status_at_end_of(self, year: int) -> str:
        """The status as it stood on 31 December of `year`."""
        changes = [p for p in self.progress if p.status]
        if not changes:
            return self.status
        before = [p.status for p in changes if p.on.year <= year]
        return before[-1] if before and before[-1] else "proposee"

    def progress_in(self, year: int) -> tuple[ProgressNote, ...]:
        """Progress notes dated in `year`."""
        return tuple(p for p in self.progress if p.on.year == year)

    @property
    def status_label(self) -> str:
        """French name of the current status."""
        return STATUSES.get(self.status, self.status)


@dataclass(frozen=True)
class Comment:
    """The mediator's text for a section; `from_year` differs from the report's year when carried over."""

    section: str
    text: str
    from_year: int


def check_status(status: str) -> str:
    """The status code, or ReportError listing the allowed ones."""
    if status not in STATUSES:
        raise ReportError(f"statut inconnu « {status} » : {', '.join(STATUSES)}")
    return status


def _view(rec: Recommendation) -> RecommendationView:
    return RecommendationView(
        id=rec.id,
        year=rec.year,
        title=rec.title,
        description=rec.description or "",
        services=tuple(rec.services or ()),
        status=rec.status,
        progress=tuple(
            ProgressNote(p.on, p.note, p.status) for p in sorted(rec.progress, key=lambda p: (p.on, p.id))
        ),
    )


def add_recommendation(
    session: Session,
    *,
    year: int,
    title: str,
    description: str = "",
    services: list[str] | None = None,
    status: str = "proposee",
) -> int:
    """Record a recommendation; returns its number."""
    if not title.strip():
        raise ReportError("une préconisation a besoin d'un titre")
    rec = Recommendation(
        year=year,
        title=title.strip(),
        description=description.strip(),
        services=[s.strip() for s in services or [] if s.strip()],
        status=check_status(status),
    )
    session.add(rec)
    session.flush()
    return rec.id


def _get(session: Session, rec_id: int) -> Recommendation:
    rec = session.get(Recommendation, rec_id)
    if rec is None:
        raise ReportError(f"préconisation n° {rec_id} introuvable", key=str(rec_id))
    return rec


def add_progress(
    session: Session, rec_id: int, note: str, *, on: date | None = None, status: str | None = None
) -> None:
    """Add a dated progress note; with `status`, the recommendation moves to it from that date."""
    if status is not None:
        check_status(status)
    rec = _get(session, rec_id)
    if not note.strip() and status is None:
        raise ReportError("une note d'avancement ne peut pas être vide", key=str(rec_id))
    on = on or local_day(system_clock())
    if status is not None and not any(p.status for p in rec.progress) and rec.status != status:
        # the first change: keep the status the recommendation had before it, dated at its creation
        created = rec.created_at.date() if rec.created_at else on
        session.add(
            RecommendationProgress(
                recommendation_id=rec.id,
                on=min(created, on),
                status=rec.status,
                note="Préconisation formulée.",
            )
        )
    session.add(
        RecommendationProgress(
            recommendation_id=rec.id,
            on=on,
            status=status,
            note=note.strip() or f"Statut : {STATUSES[status or rec.status]}.",
        )
    )
    session.flush()
    session.expire(rec, ["progress"])
    latest = [p for p in rec.progress if p.status]
    if latest:
        rec.status = max(latest, key=lambda p: (p.on, p.id)).status or rec.status


def list_recommendations(session: Session, year: int | None = None) -> list[RecommendationView]:
    """All recommendations (of `year` when given), oldest first."""
    stmt = (
        select(Recommendation)
        .options(selectinload(Recommendation.progress))
        .order_by(Recommendation.year, Recommendation.id)
    )
    if year is not None:
        stmt = stmt.where(Recommendation.year == year)
    return [_view(rec) for rec in session.scalars(stmt)]


def for_report(session: Session, year: int) -> tuple[list[RecommendationView], list[RecommendationView]]:
    """(new recommendations of `year`, earlier ones still open at its start or that moved during it)."""
    stmt = (
        select(Recommendation)
        .options(selectinload(Recommendation.progress))
        .where(Recommendation.year <= year)
        .order_by(Recommendation.year, Recommendation.id)
    )
    views = [_view(rec) for rec in session.scalars(stmt)]
    new = [v for v in views if v.year == year]
    followed = [
        v
        for v in views
        if v.year < year and (v.status_at_end_of(year - 1) != "realisee" or v.progress_in(year))
    ]
    return new, followed


def set_comment(session: Session, year: int, section: str, text: str) -> None:
    """Write (or replace) the mediator's text for one section of one year's report."""
    if section not in SECTIONS:
        raise ReportError(f"section inconnue « {section} » : {', '.join(SECTIONS)}")
    row = session.scalars(
        select(ReportComment).where(ReportComment.year == year, ReportComment.section == section)
    ).first()
    if row is None:
        session.add(ReportComment(year=year, section=section, text=text.strip()))
    else:
        row.text = text.strip()
    session.flush()


def comments_for(session: Session, year: int) -> dict[str, Comment]:
    """Each section's text for `year`; a section left empty carries the latest earlier year's text."""
    rows = session.scalars(
        select(ReportComment).where(ReportComment.year <= year).order_by(ReportComment.year)
    ).all()
    found: dict[str, Comment] = {}
    for row in rows:  # later years overwrite earlier ones
        if row.text.strip():
            found[row.section] = Comment(row.section, row.text, row.year)
    return found


def count_recommendations(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Recommendation)) or 0)


def has_comment(session: Session, year: int, section: str) -> bool:
    """Whether a text (even empty) was written for this section of this year's report."""
    found = session.scalar(
        select(func.count())
        .select_from(ReportComment)
        .where(ReportComment.year == year, ReportComment.section == section)
    )
    return bool(found)
