"""The demo history: Isère's proportions, no personal data, never mixed with real dossiers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests import report_data as data
from triage.demo.history import demo_rows, generate_history, purge_history
from triage.errors import ReportError
from triage.runtime import Runtime
from triage.store.models import Dossier, ReportComment
from triage.store.recommendations import list_recommendations

UNTIL = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_history_follows_the_proportions_of_the_isere_report() -> None:
    rows = list(demo_rows(2022, UNTIL, scale=20))
    per_year = Counter(r["year"] for r in rows)
    assert sorted(per_year) == [2022, 2023, 2024, 2025, 2026]
    assert per_year[2022] < per_year[2023] < per_year[2024] < per_year[2025]
    reoriented = [r for r in rows if r["reorientation"] != "none"]
    assert 0.25 < len(reoriented) / len(rows) < 0.36
    channels = Counter(r["channel"] for r in rows)
    assert [c for c, _ in channels.most_common(2)] == ["formulaire", "telephone"]
    assert all(
        r["received_at"] >= datetime(2024, 9, 1, tzinfo=UTC) for r in rows if r["channel"] == "permanence"
    )
    territories = Counter(r["requester_territory"] for r in rows)
    assert territories.most_common(1)[0][0] == "Agglomération grenobloise"
    closed = [
        r
        for r in rows
        if r["reorientation"] == "none"
        and r["outcome"] in ("resolution_complete", "resolution_partielle", "sans_resolution")
    ]
    complete = sum(r["outcome"] == "resolution_complete" for r in closed) / len(closed)
    assert 0.40 < complete < 0.52
    mean = {
        y: sum(
            (r["closed_at"] - r["received_at"]).days
            for r in rows
            if r["year"] == y and r["closed_at"] and r["reorientation"] == "none"
        )
        / per_year[y]
        for y in (2022, 2025)
    }
    assert mean[2025] < mean[2022]


def test_history_holds_no_personal_data() -> None:
    for row in demo_rows(2022, UNTIL):
        assert row["reference"].startswith("DEMO-")
        assert not any(
            row[k]
            for k in (
                "requester_name",
                "requester_email",
                "requester_phone",
                "requester_address",
                "subject",
                "service_concerned",
            )
        )


def test_history_is_created_purged_and_refused_next_to_real_dossiers(runtime: Runtime) -> None:
    per_year = generate_history(runtime, until=UNTIL)
    again = generate_history(runtime, until=UNTIL)  # replaces, never doubles
    assert per_year == again and sum(per_year.values()) > 400
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == sum(per_year.values())
        assert len(list_recommendations(session)) == 7
    assert purge_history(runtime) == sum(per_year.values())
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 0
        assert list_recommendations(session) == []
        assert session.scalar(select(func.count()).select_from(ReportComment)) == 0
    with runtime.sessions.begin() as session:
        data.load(session)
    with pytest.raises(ReportError, match="vrais dossiers"):
        generate_history(runtime, until=UNTIL)
