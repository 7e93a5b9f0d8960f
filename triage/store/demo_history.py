"""The fictitious history in the database: counted, inserted in bulk and removed by its reference prefix.

`triage/demo/history.py` decides what the history holds; this module only writes and deletes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Engine, Table, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from triage.store.models import Dossier, Recommendation, RecommendationProgress, ReportComment


def count_dossiers(sessions: sessionmaker[Session], prefix: str, *, with_prefix: bool) -> int:
    """Dossiers whose reference starts with `prefix` (with_prefix=True), or all the others."""
    pattern = f"{prefix}%"
    match = Dossier.reference.like(pattern) if with_prefix else Dossier.reference.not_like(pattern)
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Dossier).where(match)) or 0)


def insert_dossier_rows(engine: Engine, rows: Iterator[dict[str, Any]], batch: int = 5000) -> Counter[int]:
    """Bulk-insert dossier rows (column -> value; Core executemany in batches, one transaction).

    Returns the count per year.
    """
    per_year: Counter[int] = Counter()
    buffer: list[dict[str, Any]] = []
    table = Dossier.__table__
    assert isinstance(table, Table)
    with engine.begin() as conn:  # Core: more than twice as fast as the ORM's bulk insert
        for row in rows:
            buffer.append(row)
            per_year[row["year"]] += 1
            if len(buffer) >= batch:
                conn.execute(table.insert(), buffer)
                buffer = []
        if buffer:
            conn.execute(table.insert(), buffer)
    return per_year


def delete_history(
    sessions: sessionmaker[Session], prefix: str, titles: Iterable[str], comments: Iterable[str]
) -> int:
    """Remove the dossiers of `prefix`, the recommendations of these titles and the comments of these texts.

    One transaction; returns the number of dossiers removed.
    """
    with sessions.begin() as session:
        removed = session.execute(  # type: ignore[attr-defined]  # a DELETE's result has rowcount
            delete(Dossier).where(Dossier.reference.like(f"{prefix}%"))
        ).rowcount
        ids = list(session.scalars(select(Recommendation.id).where(Recommendation.title.in_(list(titles)))))
        if ids:
            session.execute(
                delete(RecommendationProgress).where(RecommendationProgress.recommendation_id.in_(ids))
            )
            session.execute(delete(Recommendation).where(Recommendation.id.in_(ids)))
        session.execute(delete(ReportComment).where(ReportComment.text.in_(list(comments))))
    return int(removed or 0)
