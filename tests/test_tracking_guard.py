"""Guessing a tracking code (issue 12 #4): 8-character codes, a failure limit per dossier, a limiter with
bounded memory, X-Forwarded-For believed only from configured proxies, valid links never refused."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.browser import free_port
from triage.dossiers.tracking import KEY_ALPHABET, KEY_LENGTH, hash_token, new_check_key, new_token
from triage.runtime import Runtime
from triage.store.models import Dossier
from triage.web.app import create_app
from triage.web.security import RateLimiter


def _dossier(rt: Runtime, reference: str, key: str | None = None) -> tuple[str, str]:
    token, key = new_token(), key or new_check_key()
    with rt.sessions.begin() as s:
        s.add(
            Dossier(
                reference=reference,
                year=2026,
                tracking_token_hash=hash_token(token),
                tracking_key=key,
                channel="email",
                status="recue",
                received_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
                requester_name="Sylvie Martin",
            )
        )
    return token, key


def _wrong(key: str) -> str:
    return "".join("Z" if c != "Z" else "Y" for c in key)


def _from(app, address: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, client=(address, 40000))


def test_new_codes_have_eight_unambiguous_characters() -> None:
    keys = {new_check_key() for _ in range(200)}
    assert KEY_LENGTH >= 8 and all(len(k) == KEY_LENGTH for k in keys) and len(keys) == 200
    assert not set("".join(keys)) - set(KEY_ALPHABET)
    assert not set("01OI") & set(KEY_ALPHABET)


def test_eight_character_code_is_found_however_it_is_typed(sqlite_runtime: Runtime) -> None:
    _, key = _dossier(sqlite_runtime, "MED-2026-00021")
    client = TestClient(create_app(sqlite_runtime))
    grouped = f"{key[:4]}-{key[4:]}".lower()
    for data in (
        {"reference": "MED-2026-00021", "code": grouped},
        {"reference": f"MED-2026-00021-{grouped}", "code": ""},
        {"reference": f"med 2026 00021 {key[:4]} {key[4:]}", "code": ""},
    ):
        page = client.post("/suivi", data=data)
        assert page.status_code == 200 and "MED-2026-00021" in page.text, data


def test_dossiers_with_a_four_character_code_keep_working(sqlite_runtime: Runtime) -> None:
    _dossier(sqlite_runtime, "MED-2025-00412", key="K7PX")
    client = TestClient(create_app(sqlite_runtime))
    assert client.post("/suivi", data={"reference": "MED-2025-00412-K7PX"}).status_code == 200
    assert client.post("/suivi", data={"reference": "MED-2025-00412", "code": "K7PZ"}).status_code == 404


def test_wrong_codes_from_many_addresses_suspend_code_lookups_of_that_dossier_only(
    sqlite_runtime: Runtime,
) -> None:
    token, key = _dossier(sqlite_runtime, "MED-2026-00031")
    _, other_key = _dossier(sqlite_runtime, "MED-2026-00032")
    app = create_app(sqlite_runtime)
    limit = sqlite_runtime.settings.web.tracking_code_max_failures
    for n in range(limit - 1):  # one guess per address: the per-address limiter never sees a pattern
        assert (
            _from(app, f"203.0.113.{n}")
            .post("/suivi", data={"reference": "MED-2026-00031", "code": _wrong(key)})
            .status_code
            == 404
        )
    suspended = _from(app, "203.0.113.200").post(
        "/suivi", data={"reference": "MED-2026-00031", "code": _wrong(key)}
    )
    assert suspended.status_code == 429 and "lien reçu" in suspended.text
    # even the right code now waits (no oracle), from anywhere
    assert (
        _from(app, "192.0.2.7").post("/suivi", data={"reference": "MED-2026-00031", "code": key}).status_code
        == 429
    )
    # the link keeps working, and other dossiers are untouched
    assert _from(app, "192.0.2.7").get(f"/suivi/{token}").status_code == 200
    assert (
        _from(app, "192.0.2.7")
        .post("/suivi", data={"reference": "MED-2026-00032", "code": other_key})
        .status_code
        == 200
    )
    with sqlite_runtime.sessions.begin() as s:  # the suspension ends
        dossier = s.scalar(select(Dossier).where(Dossier.reference == "MED-2026-00031"))
        assert dossier is not None and dossier.tracking_locked_until is not None
        dossier.tracking_locked_until = datetime(2020, 1, 1, tzinfo=UTC)
    assert (
        _from(app, "192.0.2.8").post("/suivi", data={"reference": "MED-2026-00031", "code": key}).status_code
        == 200
    )


def test_a_right_code_clears_the_dossier_failure_count(sqlite_runtime: Runtime) -> None:
    _, key = _dossier(sqlite_runtime, "MED-2026-00033")
    client = TestClient(create_app(sqlite_runtime))
    for _ in range(3):
        client.post("/suivi", data={"reference": "MED-2026-00033", "code": _wrong(key)})
    assert client.post("/suivi", data={"reference": "MED-2026-00033", "code": key}).status_code == 200
    with sqlite_runtime.sessions() as s:
        assert s.scalar(select(Dossier.tracking_failures).where(Dossier.reference == "MED-2026-00033")) == 0


def test_a_valid_link_is_shown_even_to_a_blocked_address(sqlite_runtime: Runtime) -> None:
    token, _ = _dossier(sqlite_runtime, "MED-2026-00041")
    client = TestClient(create_app(sqlite_runtime))
    for _ in range(10):
        client.get("/suivi/" + new_token())
    assert client.get("/suivi/" + new_token()).status_code == 429
    page = client.get(f"/suivi/{token}")
    assert page.status_code == 200 and "MED-2026-00041" in page.text


def test_forwarded_for_is_ignored_unless_the_peer_is_a_configured_proxy(sqlite_runtime: Runtime) -> None:
    app = create_app(sqlite_runtime)
    local = _from(app, "127.0.0.1")
    for n in range(10):  # a local peer rotating X-Forwarded-For is still one address
        local.get("/suivi/" + new_token(), headers={"x-forwarded-for": f"198.51.100.{n}"})
    assert local.get("/suivi/" + new_token(), headers={"x-forwarded-for": "198.51.100.99"}).status_code == 429

    sqlite_runtime.settings.web.trusted_proxies = ["127.0.0.1"]
    proxied = create_app(sqlite_runtime)
    front = _from(proxied, "127.0.0.1")
    for _ in range(10):
        front.get("/suivi/" + new_token(), headers={"x-forwarded-for": "198.51.100.7"})
    assert front.get("/suivi/" + new_token(), headers={"x-forwarded-for": "198.51.100.7"}).status_code == 429
    # behind the trusted proxy, another citizen is another address
    assert front.get("/suivi/" + new_token(), headers={"x-forwarded-for": "198.51.100.8"}).status_code == 404
    # a peer that is not a configured proxy cannot pick its address
    stranger = _from(proxied, "192.0.2.50")
    for n in range(10):
        stranger.get("/suivi/" + new_token(), headers={"x-forwarded-for": f"198.51.100.{100 + n}"})
    assert (
        stranger.get("/suivi/" + new_token(), headers={"x-forwarded-for": "198.51.100.200"}).status_code
        == 429
    )


def test_limiter_memory_stays_bounded_under_a_spray_of_addresses() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=10, window=600.0, clock=lambda: now[0], max_keys=1000)
    for n in range(20_000):
        limiter.hit(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(limiter) <= 1000
    limiter.hit("192.0.2.1")
    now[0] += 601
    assert len(limiter) == 0  # nothing outlives its window


@pytest.mark.parametrize("hits,blocked", [(9, False), (10, True)])
def test_limiter_still_counts_per_address(hits: int, blocked: bool) -> None:
    limiter = RateLimiter(limit=10, window=600.0)
    for _ in range(hits):
        limiter.hit("192.0.2.1")
    assert limiter.blocked("192.0.2.1") is blocked and not limiter.blocked("192.0.2.2")


def test_mediature_serve_does_not_believe_forwarded_for_from_localhost(tmp_path: Path) -> None:
    """`mediature serve` as run in production: uvicorn's own proxy handling must not trust 127.0.0.1."""
    port = free_port()
    env = {
        **os.environ,
        "MEDIATURE_HOME": str(tmp_path / "home"),
        "MEDIATURE_CONFIG": "",
        "MEDIATURE_SECRET_KEY": "test-secret-key-not-for-production",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("mediature")), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "mediature serve did not start"
                time.sleep(0.5)
        statuses = [
            httpx.get(
                f"http://127.0.0.1:{port}/suivi/{new_token()}",
                timeout=10,
                headers={"x-forwarded-for": f"198.51.100.{n}"},
            ).status_code
            for n in range(11)
        ]
        assert statuses == [404] * 10 + [429]
    finally:
        server.terminate()
        server.wait(timeout=30)
