"""Benchmark: the mediator's triage queue (/mediation/) as she works through it, in headless Chromium.

Usage: .venv/bin/python benchmarks/mediation_queue.py [--requests 20] [--json]

Seeds a temporary home with the demo data (data/samples/mailbox and data/samples/scans, ingested by
the pipeline as `mediature demo` does), logs in as the mediator and measures, at 1366×768:
- the page height (px) and weight (bytes of the HTML and of everything it loads);
- horizontal overflow (px scrolled sideways) at 1366 px and at 390 px (phone);
- Tab presses from the top of the page to the first "Accepter" button;
- triaging N requests by accepting each suggestion:
  * keyboard only, Tab + Enter (the focus starts wherever the page puts it after each action);
  * with the page's shortcuts when it lists them (an element `[data-raccourci="accepter"]` holding a <kbd>);
  * with the mouse: clicks, and pixels scrolled to bring each "Accepter" button into view.
Every figure comes from real key presses and clicks in Chromium on a real server (uvicorn, SQLite).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ACCEPT_JS = """() => {
  const el = document.activeElement;
  if (!el || el.tagName !== 'BUTTON') return false;
  return (el.innerText || '').trim().startsWith('Accepter') && !(el.innerText || '').includes('suggestion(s)');
}"""
FIRST_ACCEPT_SELECTOR = "button:has-text('Accepter la suggestion')"


def seed(home: Path) -> Path:
    """Ingest the demo samples into a SQLite database under `home`; add the three accounts."""
    from tests.conftest import make_settings
    from tests.workspace_data import add_users
    from triage.cli.ingest import run_ingest
    from triage.pipeline import Pipeline
    from triage.runtime import Runtime

    rt = Runtime.open(make_settings(home))
    samples = REPO / "data" / "samples"
    report = run_ingest(Pipeline.from_runtime(rt), [samples / "mailbox", samples / "scans"])
    add_users(rt)
    rt.close()
    print(f"demo data: {dict(report.counts)}", file=sys.stderr)
    return home / "mediature.sqlite3"


def open_runtime(home: Path) -> Any:
    from tests.conftest import make_settings
    from triage.runtime import Runtime

    rt = Runtime.open(make_settings(home))
    rt.settings.web.secure_cookies = False
    return rt


def log_in(page: Any, base: str) -> None:
    from tests.workspace_data import PASSWORD

    page.goto(base + "/connexion")
    page.get_by_label("Identifiant").fill("mediatrice")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/mediation/**")


def overflow(page: Any) -> int:
    return int(
        page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def tabs_until(page: Any, limit: int = 2000) -> int:
    """Tab presses until an "Accepter" button has the focus (0 if it already has)."""
    presses = 0
    while not page.evaluate(ACCEPT_JS):
        if presses >= limit:
            raise RuntimeError("no Accepter button reached by Tab")
        page.keyboard.press("Tab")
        presses += 1
    return presses


def mark_page(page: Any) -> None:
    """Mark the current document, so the end of an action can be detected."""
    page.evaluate("() => { window.__bench = 1; }")


def wait_after_action(page: Any) -> None:
    """Wait until the action has finished: a new document loaded, or the page said it updated in place
    (`document.body.dataset.traite` set by its script)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if page.evaluate("() => window.__bench === undefined || document.body.dataset.traite === '1'"):
                page.wait_for_load_state("load")
                page.evaluate("() => { delete document.body.dataset.traite; }")
                return
        except Exception:  # noqa: BLE001  (the document went away mid-evaluation: a navigation)
            pass
        time.sleep(0.02)
    raise RuntimeError("the action did not finish")


def shortcut_key(page: Any) -> str:
    node = page.locator("[data-raccourci='accepter'] kbd").first
    return node.inner_text().strip() if node.count() else ""


def measure(browser: Any, base: str, requests: int, mode: str) -> dict[str, Any]:
    """One scenario on a fresh context: 'page' (static figures), 'tab', 'shortcut' or 'mouse'."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(20000)
    page = context.new_page()
    out: dict[str, Any] = {}
    try:
        log_in(page, base)
        if mode == "page":
            sizes: dict[str, int] = {}

            def on_response(resp: Any) -> None:
                with contextlib.suppress(Exception):  # redirects have no body
                    sizes[resp.url] = len(resp.body())

            page.on("response", on_response)
            page.goto(base + "/mediation/")
            page.wait_for_load_state("load")
            out["requests_in_queue"] = page.locator(FIRST_ACCEPT_SELECTOR).count()
            out["height_px"] = int(page.evaluate("() => document.documentElement.scrollHeight"))
            out["html_bytes"] = sizes.get(base + "/mediation/", 0)
            out["total_bytes"] = sum(sizes.values())
            out["overflow_1366_px"] = overflow(page)
            page.keyboard.press("Home")
            page.goto(base + "/mediation/")
            out["tabs_to_first_accept"] = tabs_until(page)
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(base + "/mediation/")
            out["overflow_390_px"] = overflow(page)
            return out
        page.goto(base + "/mediation/")
        keys = clicks = scrolled = 0
        for _ in range(requests):
            mark_page(page)
            if mode == "tab":
                keys += tabs_until(page) + 1
                page.keyboard.press("Enter")
            elif mode == "shortcut":
                key = shortcut_key(page)
                if not key:
                    return {"keystrokes": None, "note": "no shortcut listed on the page"}
                page.keyboard.press(key)
                keys += 1
            else:
                button = page.locator(FIRST_ACCEPT_SELECTOR).first
                top = page.evaluate("() => window.scrollY")
                button.scroll_into_view_if_needed()
                scrolled += abs(int(page.evaluate("() => window.scrollY")) - int(top))
                button.click()
                clicks += 1
            wait_after_action(page)
        out = {"keystrokes": keys} if mode != "mouse" else {"clicks": clicks, "scrolled_px": scrolled}
        return out
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--seeded", type=Path, help="reuse (or create) this seeded home instead of a fresh one"
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, LiveServer
    from triage.web.app import create_app

    workdir = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    try:
        template = args.seeded or workdir / "template"
        if not (template / "mediature.sqlite3").exists():
            template.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            seed(template)
            print(f"seeded in {time.monotonic() - started:.0f} s", file=sys.stderr)
        results: dict[str, Any] = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for mode in ("page", "tab", "shortcut", "mouse"):
                home = workdir / mode
                shutil.copytree(template, home)
                print(f"scenario {mode}", file=sys.stderr)
                rt = open_runtime(home)
                try:
                    with LiveServer(create_app(rt)) as server:
                        base = server.url("").rstrip("/")
                        results[mode] = measure(browser, base, args.requests, mode)
                finally:
                    rt.close()
            browser.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    p = results["page"]
    print(f"queue page at 1366x768 with the demo data ({p['requests_in_queue']} requests shown)")
    print(f"  height            {p['height_px']:>9,} px")
    print(f"  weight (HTML)     {p['html_bytes']:>9,} bytes")
    print(f"  weight (total)    {p['total_bytes']:>9,} bytes")
    print(f"  overflow 1366 px  {p['overflow_1366_px']:>9} px")
    print(f"  overflow  390 px  {p['overflow_390_px']:>9} px")
    print(f"  Tab to 1st Accepter {p['tabs_to_first_accept']:>7}")
    print(f"triage {args.requests} requests (accept each suggestion)")
    print(f"  keyboard, Tab+Enter   {results['tab']['keystrokes']} keystrokes")
    print(
        f"  keyboard, shortcuts   {results['shortcut'].get('keystrokes')} keystrokes"
        f"{' (' + results['shortcut']['note'] + ')' if 'note' in results['shortcut'] else ''}"
    )
    print(
        f"  mouse                 {results['mouse']['clicks']} clicks, {results['mouse']['scrolled_px']:,} px scrolled"
    )


if __name__ == "__main__":
    main()
