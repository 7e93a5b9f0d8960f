"""axe-core on every page a person reaches: a crawler follows the links of each role's pages (mediator,
mail service, administrator, then a citizen without an account) in Chromium, runs axe-core once per
route, and fails if any HTML page the app serves was never reached, or has a violation."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from starlette.routing import Mount, Route

from tests.browser import LiveServer, axe_violations
from tests.workspace_data import PASSWORD, add_request, add_users, fast_argon2
from triage.correspondence.contacts import ContactValues, save_contact
from triage.correspondence.replies import save_template
from triage.runtime import Runtime
from triage.store import quarantine
from triage.store.audit import Actor
from triage.web.app import create_app

pytestmark = pytest.mark.browser
__all__ = ["fast_argon2"]

# what the app serves that is not a page: files, feeds and health checks (no axe: nothing to read)
NOT_PAGES = re.compile(
    r"\.(pdf|csv|css)$|^/health$|^/static|/pieces-jointes/|/original$|/impressions/|^/mediation/courriers/"
    r"|/pages/\{[^}]+\}$"  # a scanned page as PNG
)
# pages that need data this crawl cannot make cheaply, checked by axe in their own browser test
ELSEWHERE = {
    "/courrier/transcriptions/{message_id:id}": "tests/test_transcription_browser.py (real Tesseract on a faint scan)",
}
ROLES = (("mediatrice", "/mediation/"), ("courrier", "/courrier/"), ("admin", "/admin/"))
MAX_PAGES_PER_ROLE = 120


def page_routes(app: Any) -> dict[str, re.Pattern[str]]:
    """Every GET route of the app that answers a page, as path template -> regex of its URLs."""
    found: dict[str, re.Pattern[str]] = {}

    def walk(routes: Any, prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Mount):
                if route.path != "/static":
                    walk(route.routes, prefix + route.path)
            elif isinstance(route, Route) and "GET" in (route.methods or ()):
                path = prefix + route.path
                if not NOT_PAGES.search(path):
                    found[path] = re.compile(
                        "^"
                        + re.sub(
                            r"\{[^}]+\}", "[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
                        )
                        + "$"
                    )

    walk(app.routes)
    return found


def route_of(path: str, routes: dict[str, re.Pattern[str]]) -> str | None:
    """The template of the route serving `path` (the most specific: fewest placeholders)."""
    matching = [t for t, rx in routes.items() if rx.match(path)]
    return min(matching, key=lambda t: (t.count("{"), -len(t))) if matching else None


@pytest.fixture
def app_and_server(sqlite_runtime: Runtime, fast_argon2: None) -> Iterator[tuple[Any, LiveServer, str]]:
    rt = sqlite_runtime
    rt.settings.web.secure_cookies = False
    add_users(rt)
    with rt.sessions.begin() as s:
        _, token = add_request(s, "MED-2026-00001", html="<p>Bonjour, voici ma <b>demande</b>.</p>")
        add_request(
            s,
            "MED-2026-00002",
            email="jean.dupont@example.org",
            name="Jean Dupont",
            text="Mon RSA a été suspendu, je viens de recevoir la décision.",
            suggestion=("insertion_rsa", 0.55, "recevable", 0.5, "none", 0.9),
        )
        save_contact(
            s,
            rt.settings,
            Actor(None, "admin", "admin"),
            ContactValues(kind="service", name="Service autonomie", email="autonomie@isere.example"),
        )
        save_template(
            s,
            Actor(None, "mediatrice", "mediateur"),
            name="Accusé de relance",
            subject="Votre demande",
            body="Bonjour,",
        )
    with rt.sessions.begin() as s:
        quarantine.put(
            s,
            source="eml",
            source_key="casse.eml",
            data=b"\x00junk",
            reason="illisible",
            at=datetime.now(UTC),
        )
    app = create_app(rt)
    with LiveServer(app) as live:
        yield app, live, token


def _links(page: Any, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    out = []
    for href in hrefs:
        url, _ = urldefrag(href)
        if url.startswith(origin):
            out.append(url)
    return out


def _crawl(
    page: Any, start: str, origin: str, routes: dict[str, re.Pattern[str]], seen: dict[str, str]
) -> None:
    """Breadth-first over the links from `start`; axe once per route; `seen`: route -> URL checked."""
    queue, visited = deque([start]), set()
    failures = []
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        path = urlsplit(url).path
        route = route_of(path, routes)
        if url in visited or route is None or NOT_PAGES.search(path) or "deconnexion" in path:
            continue
        visited.add(url)
        if route in seen and urlsplit(url).query:
            continue  # the same page filtered or paged: one check per route
        response = page.goto(url)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        final = route_of(urlsplit(page.url).path, routes)
        if final != route:  # a redirect (« / » leads to the right page): checked where it leads
            seen.setdefault(route, page.url)
        if final is not None and final not in seen:
            seen[final] = page.url
            violations = axe_violations(page)
            failures += [f"{page.url}: {v['id']} ({v.get('impact')}) {v['help']}" for v in violations]
        queue.extend(link for link in _links(page, origin) if link not in visited)
    assert not failures, "axe-core:\n" + "\n".join(failures)


def test_every_page_of_every_role_is_reached_and_passes_axe(
    page: Any, app_and_server: tuple[Any, LiveServer, str]
) -> None:
    app, server, token = app_and_server
    routes = page_routes(app)
    origin = server.url("")[:-1] if server.url("").endswith("/") else server.url("")
    seen: dict[str, str] = {}
    for username, home in ROLES:
        page.goto(server.url("/connexion"))
        page.get_by_label("Identifiant").fill(username)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(server.url(home))
        _crawl(page, server.url(home), origin, routes, seen)
        page.context.clear_cookies()
    # the citizen: no account, the tracking form and the link of the acknowledgement
    for start in (
        server.url("/"),
        server.url("/suivi"),
        server.url(f"/suivi/{token}"),
        server.url("/connexion"),
    ):
        _crawl(page, start, origin, routes, seen)
    missing = sorted(set(routes) - set(seen) - set(ELSEWHERE))
    assert not missing, f"pages no link leads to, never checked by axe: {missing}"
