"""Médiature: the territorial mediator's ingestion, triage, dossier and tracking tool."""

__version__ = "0.1.0"
