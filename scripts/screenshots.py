"""Screenshots of the documentation (docs/images/), taken in Chromium on the demo data.

Usage: .venv/bin/python scripts/screenshots.py [--out docs/images] [--seeded DIR]

Seeds a temporary home with the demo samples (data/samples/mailbox and data/samples/scans, ingested by the
pipeline as `mediature demo` does), serves it with uvicorn, logs in and saves, at 1366×768 unless said:
- file-de-tri.png: the triage queue (/mediation/), the first request opened under its line;
- file-de-tri-telephone.png: the same queue on a phone (390×844);
- dossier.png: the dossier page of that request;
- courrier.png: the mail service's page (/courrier/);
- suivi.png: the citizen's tracking page, reached by the link of an acknowledgement.
Each PNG is checked to stay under 250 KB (the documentation is read in a browser and in git).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
MAX_BYTES = 250_000
TRACKING_LINK = re.compile(r"/suivi/([A-Za-z0-9_-]{20,})")


def log_in(page: Any, base: str, username: str) -> None:
    """Log in as one of the demo accounts (tests/workspace_data.add_users)."""
    from tests.workspace_data import PASSWORD

    page.goto(base + "/connexion")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


def tracking_token(rt: Any) -> str:
    """The token of a tracking link, read from an acknowledgement waiting in the outbox (what a citizen
    receives; the database keeps only its hash)."""
    import email
    import email.policy

    from sqlalchemy import select

    from triage.store.models import OutboxItem

    with rt.sessions() as session:
        raws = session.scalars(select(OutboxItem.raw).where(OutboxItem.kind == "acknowledgement")).all()
    for raw in raws:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(("plain",))
        found = TRACKING_LINK.search(body.get_content() if body is not None else "")
        if found:
            return found.group(1)
    raise SystemExit("no acknowledgement with a tracking link in the demo outbox")


def shoot(page: Any, path: Path) -> None:
    """One PNG of the visible screen; refuse a file too heavy for the documentation."""
    page.screenshot(path=str(path))
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{path.name}: {size:,} bytes, more than {MAX_BYTES:,}")
    print(f"{path.name}: {size:,} bytes", file=sys.stderr)


def take(browser: Any, base: str, token: str, out: Path) -> None:
    """Every screenshot of the documentation."""
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
    page = context.new_page()
    log_in(page, base, "mediatrice")
    page.goto(base + "/mediation/")
    shoot(page, out / "file-de-tri.png")
    reference = page.locator("li.ouverte a.ref").inner_text()
    page.goto(f"{base}/mediation/dossiers/{reference}")
    shoot(page, out / "dossier.png")
    page.set_viewport_size(PHONE)
    page.goto(base + "/mediation/")
    shoot(page, out / "file-de-tri-telephone.png")
    context.close()
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
    page = context.new_page()
    log_in(page, base, "courrier")
    page.goto(base + "/courrier/")
    shoot(page, out / "courrier.png")
    context.close()
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{base}/suivi/{token}")
    shoot(page, out / "suivi.png")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images", help="where the PNG go")
    parser.add_argument(
        "--seeded", type=Path, help="reuse (or create) this seeded home instead of a fresh one"
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from benchmarks.mediation_queue import open_runtime, seed
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, LiveServer
    from triage.web.app import create_app

    workdir = Path(tempfile.mkdtemp(prefix="screenshots-"))
    try:
        template = args.seeded or workdir / "template"
        if not (template / "mediature.sqlite3").exists():
            template.mkdir(parents=True, exist_ok=True)
            seed(template)
        home = workdir / "home"
        shutil.copytree(template, home)
        rt = open_runtime(home)
        try:
            token = tracking_token(rt)
            with sync_playwright() as pw, LiveServer(create_app(rt)) as server:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                take(browser, server.url("").rstrip("/"), token, args.out)
                browser.close()
        finally:
            rt.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"screenshots in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
