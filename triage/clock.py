"""Time, passed in: whatever depends on the hour (deadlines, timelines, tokens' age, retention) takes a
`Clock` or the moment it read from one, so that a test can fix it. `system_clock` is the real one (UTC,
aware); `Runtime.clock` is the one a process uses. Durations and backoff use `time.monotonic` instead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
PARIS = ZoneInfo("Europe/Paris")


def system_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def local_day(moment: datetime) -> date:
    """The calendar day in Paris of a moment (deadlines and retention are counted in French days)."""
    return moment.astimezone(PARIS).date()
