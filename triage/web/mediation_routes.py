"""Entry point that triage.web.app looks for: the mediation workspace's routes (see triage.web.mediation)."""

from __future__ import annotations

from triage.web.mediation import routes

__all__ = ["routes"]
