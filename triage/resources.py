"""Where shipped data lives (templates, defaults, static files), found relative to the source tree."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def templates_dir() -> Path:
    """The top-level templates/ folder (mail, letters, web pages, report)."""
    return PROJECT_DIR / "templates"


def defaults_dir() -> Path:
    """Default data shipped with the package (taxonomy, communes table...)."""
    return PACKAGE_DIR / "defaults"
