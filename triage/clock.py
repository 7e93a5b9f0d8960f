"""Time, passed in: whatever depends on the hour (deadlines, timelines, tokens' age) takes a `Clock`,
so that a test can fix it. `system_clock` is the real one (UTC, aware)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)
