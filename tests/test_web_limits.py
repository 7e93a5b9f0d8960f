"""Request bodies are limited while they stream in, and who is asking is checked before a body is read.

The attack of issue 12 #1: an anonymous chunked upload of 200 MB to /courrier/numerisations was read
whole before a 413, and POST /suivi accepted 200 MB. Here the bodies are generators that would send
200 MB; the tests count what the application actually read.
"""

from __future__ import annotations

import asyncio
import re
import select
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.browser import LiveServer
from tests.workspace_data import add_users, fast_argon2, form_token, login
from triage.runtime import Runtime
from triage.web.app import create_app
from triage.web.mediation.common import cookie_names
from triage.web.security import PUBLIC_FORM_BYTES

__all__ = ["fast_argon2"]

MB = 1024 * 1024
CHUNK = 64 * 1024
ATTACK_BYTES = 200 * MB
BOUNDARY = "mediature-attaque"


@pytest.fixture
def rt(sqlite_runtime: Runtime, fast_argon2: None) -> Runtime:
    sqlite_runtime.settings.web.secure_cookies = False  # TestClient speaks plain http
    add_users(sqlite_runtime)
    return sqlite_runtime


def multipart_stream(total: int) -> Iterator[bytes]:
    """A multipart body announcing one scan, then `total` bytes of it, lazily."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="fichiers"; filename="scan.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    filler = b"%" * CHUNK
    for _ in range(total // CHUNK):
        yield filler


def form_stream(total: int) -> Iterator[bytes]:
    """An urlencoded form whose one field never ends."""
    yield b"reference=MED-2026-00001&code="
    filler = b"A" * CHUNK
    for _ in range(total // CHUNK):
        yield filler


def call_streaming(
    app: Any,
    method: str,
    path: str,
    body: Iterator[bytes],
    content_type: str,
    cookies: dict[str, str] | None = None,
) -> tuple[int, int]:
    """Run one request through the ASGI app with a chunked body; (status, body bytes the app read)."""
    read = 0
    status = 0
    headers = [
        (b"host", b"testserver"),
        (b"content-type", content_type.encode()),
        (b"transfer-encoding", b"chunked"),
    ]
    if cookies:
        headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    chunks = iter(body)

    async def receive() -> dict[str, Any]:
        nonlocal read
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    # A fresh event loop in its own thread: a test earlier in the session (the browser fixtures) may
    # leave an event loop running in this thread, where asyncio.run() would refuse to start.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return status, read


def test_anonymous_chunked_upload_is_refused_without_reading_the_body(rt: Runtime) -> None:
    app = create_app(rt)
    status, read = call_streaming(
        app,
        "POST",
        "/courrier/numerisations",
        multipart_stream(ATTACK_BYTES),
        f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert status == 403
    assert read == 0


def test_a_role_without_upload_right_is_refused_before_its_body_is_read(rt: Runtime) -> None:
    app = create_app(rt)
    admin = TestClient(app)
    assert login(admin, "admin").status_code == 303
    cookie = admin.cookies.get(cookie_names(rt)[0])
    status, read = call_streaming(
        app,
        "POST",
        "/courrier/numerisations",
        multipart_stream(ATTACK_BYTES),
        f"multipart/form-data; boundary={BOUNDARY}",
        cookies={cookie_names(rt)[0]: cookie},
    )
    assert status == 403 and read == 0


def test_mail_service_upload_over_the_limit_stops_at_the_limit(rt: Runtime) -> None:
    rt.settings.web.max_upload_bytes = 2 * MB
    app = create_app(rt)
    agent = TestClient(app)
    assert login(agent, "courrier").status_code == 303
    cookie = agent.cookies.get(cookie_names(rt)[0])
    status, read = call_streaming(
        app,
        "POST",
        "/courrier/numerisations",
        multipart_stream(ATTACK_BYTES),
        f"multipart/form-data; boundary={BOUNDARY}",
        cookies={cookie_names(rt)[0]: cookie},
    )
    assert status == 413
    assert read <= 2 * MB + CHUNK + 1024


def test_tracking_form_reads_at_most_sixteen_kilobytes(rt: Runtime) -> None:
    status, read = call_streaming(
        create_app(rt), "POST", "/suivi", form_stream(ATTACK_BYTES), "application/x-www-form-urlencoded"
    )
    assert status == 413
    assert read <= PUBLIC_FORM_BYTES + CHUNK + 64


def test_workspace_forms_read_at_most_the_form_limit(rt: Runtime) -> None:
    rt.settings.web.max_form_bytes = 256 * 1024
    app = create_app(rt)
    mediator = TestClient(app)
    assert login(mediator, "mediatrice").status_code == 303
    cookie = mediator.cookies.get(cookie_names(rt)[0])
    status, read = call_streaming(
        app,
        "POST",
        "/mediation/dossiers/MED-2026-00001/note",
        form_stream(ATTACK_BYTES),
        "application/x-www-form-urlencoded",
        cookies={cookie_names(rt)[0]: cookie},
    )
    assert status == 413
    assert read <= 256 * 1024 + CHUNK + 64


def test_declared_oversized_body_is_refused_unread(rt: Runtime) -> None:
    client = TestClient(create_app(rt))
    answer = client.post(
        "/suivi",
        content=b"reference=" + b"A" * (PUBLIC_FORM_BYTES + 10),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_legitimate_upload_within_the_limits_still_works(rt: Runtime) -> None:
    app = create_app(rt)
    agent = TestClient(app)
    assert login(agent, "courrier").status_code == 303
    token = form_token(agent.get("/courrier/").text)
    answer = agent.post(
        "/courrier/numerisations",
        data={"csrf": token},
        files={"fichiers": ("vide.txt", b"pas un scan", "text/plain")},
    )
    assert answer.status_code == 200


def _stream_until_answer(port: int, path: str, head: bytes, body: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a chunked request over a real socket until the server answers or hangs up; (answer, bytes sent)."""
    sent = 0
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    request = (
        (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n").encode()
        + head
        + b"\r\n"
    )
    pending = request
    answer = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if pending is not None else [], [], 1.0)
            if readable:
                data = sock.recv(65536)
                answer += data
                if not data or b"\r\n\r\n" in answer:
                    break
            if writable and pending is not None:
                try:
                    n = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += n
                pending = pending[n:]
                if not pending:
                    chunk = next(body, None)
                    pending = None if chunk is None else b"%x\r\n%s\r\n" % (len(chunk), chunk)
    finally:
        sock.close()
    return answer, sent


def test_real_server_stops_an_anonymous_200_mb_chunked_upload_early(rt: Runtime) -> None:
    with LiveServer(create_app(rt)) as server:
        answer, sent = _stream_until_answer(
            server.port,
            "/courrier/numerisations",
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n".encode(),
            multipart_stream(ATTACK_BYTES),
        )
        assert answer.startswith(b"HTTP/1.1 403")
        # what went out is only what the kernel's socket buffers took before the answer came back
        assert sent < 32 * MB, sent
        answer, sent = _stream_until_answer(
            server.port,
            "/suivi",
            b"Content-Type: application/x-www-form-urlencoded\r\n",
            form_stream(ATTACK_BYTES),
        )
        assert answer.startswith(b"HTTP/1.1 413")
        assert sent < 32 * MB, sent


def test_every_protected_post_route_refuses_anonymous_bodies_unread(rt: Runtime) -> None:
    """Each POST route of the workspace, the mail service, the administration and the report (new ones
    included without being listed) answers an anonymous chunked body without reading a byte of it."""
    app = create_app(rt)
    checked = 0
    for route in app.routes:
        if not isinstance(route, Route) or "POST" not in (route.methods or ()):
            continue
        if not route.path.startswith(("/mediation", "/courrier", "/admin", "/deconnexion")):
            continue
        path = re.sub(r"\{\w+:\w+\}", "1", route.path)
        path = re.sub(r"\{\w+\}", "MED-2026-00001", path)
        status, read = call_streaming(
            app, "POST", path, form_stream(ATTACK_BYTES), "application/x-www-form-urlencoded"
        )
        assert (status, read) == (403, 0), route.path
        checked += 1
    assert checked >= 20
