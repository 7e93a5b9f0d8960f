"""A reusable browser harness: a live uvicorn server over a runtime, Debian's chromium driven by
Playwright, and an axe-core accessibility check. No network: chromium is the Debian package, axe-core
comes from the axe-playwright-python wheel (installed with the test extra).

Use it from a test module:

    from tests.browser import LiveServer, assert_accessible  # fixtures `browser` and `page` come from conftest

    def test_something(page, sqlite_runtime):
        with LiveServer(create_app(sqlite_runtime)) as server:
            page.goto(server.url("/suivi"))
            assert_accessible(page)

Mark such tests `@pytest.mark.browser`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """An ASGI app served by uvicorn on a free loopback port, in a thread, for the length of a `with`."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None) -> None:
        import uvicorn

        self.host = host
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host=host, port=self.port, log_level="warning", access_log=False, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    def url(self, path: str = "/") -> str:
        """Absolute URL of a path on this server."""
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test web server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _missing(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where scripts/setup.sh must have installed it."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_chromium() -> None:
    """Skip (fail in CI) when Debian's chromium or Playwright is missing (scripts/setup.sh installs both)."""
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} absent (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        _missing("playwright absent (pip install -e '.[test]')")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the test session."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page in its own context (no cookies shared between tests), French locale."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def axe_script() -> str:
    """axe-core's axe.min.js, from the axe-playwright-python wheel."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        _missing("axe-playwright-python absent (pip install -e '.[test]')")
    return (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Any, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run axe-core on the current page; return its violations (rule id, impact, nodes).

    The script is evaluated through the DevTools protocol, so the page's strict CSP does not block it.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_script())
    opts = options or {"resultTypes": ["violations"]}
    result = page.evaluate(f"async () => await axe.run(document, {json.dumps(opts)})")
    return list(result["violations"])


def assert_accessible(page: Any, options: dict[str, Any] | None = None) -> None:
    """Fail with a readable list when axe-core reports any violation."""
    violations = axe_violations(page, options)
    if violations:
        lines = [
            f"{v['id']} ({v.get('impact')}): {v['help']} — "
            + "; ".join(n["target"][0] if n.get("target") else "?" for n in v["nodes"][:5])
            for v in violations
        ]
        pytest.fail(f"axe-core: {len(violations)} violation(s) on {page.url}\n" + "\n".join(lines))


@contextmanager
def workspace_server(rt: Any, seed: Callable[[Any], object]) -> Iterator[LiveServer]:
    """The whole app over `rt` on loopback (plain-http cookies), one account per role, `seed(session)` run
    in one transaction first."""
    from tests.workspace_data import add_users
    from triage.web.app import create_app

    rt.settings.web.secure_cookies = False
    add_users(rt)
    with rt.sessions.begin() as session:
        seed(session)
    with LiveServer(create_app(rt)) as live:
        yield live
