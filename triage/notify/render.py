"""Jinja2 environments for mail and letters (French dates, service details, autoescape for HTML)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from triage.articles import after
from triage.resources import templates_dir

PARIS = ZoneInfo("Europe/Paris")
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def date_fr(value: date | datetime | None) -> str:
    """'1er décembre 2026', in Paris time for datetimes."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS)
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """One environment for templates/mail and templates/letters; HTML files are autoescaped."""
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date_fr"] = date_fr
    # {{ service.name|after_preposition("à") }} -> « à la Mission de médiation… », « au conciliateur… »
    env.filters["after_preposition"] = lambda name, preposition: after(preposition, name)
    return env


def render(name: str, **context: Any) -> str:
    """Render one template by path relative to templates/."""
    return environment().get_template(name).render(**context)
