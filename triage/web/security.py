"""Security headers, a bounded in-process rate limiter, body limits per route class, database-sized path ids."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from cachetools import TTLCache
from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware.body_limit import RequestBodyLimitMiddleware

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# No script on citizen pages; the mediator's pages load only our own files.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
BASE_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# A tracking or login form is a few hundred bytes: refuse more before reading it.
PUBLIC_FORM_BYTES = 16 * 1024
PRIVATE_PREFIXES = ("/suivi", "/mediation", "/connexion", "/deconnexion", "/courrier", "/admin")


class SecurityHeaders:
    """Adds CSP and friends to every response; noindex and no-store on private pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        private = path.startswith(PRIVATE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in BASE_HEADERS if k not in present]
                if private:
                    headers.append((b"x-robots-tag", b"noindex, nofollow"))
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RateLimiter:
    """At most `limit` events per `window` seconds per key (client address); thread-safe, bounded memory.

    Keys live in a TTL cache: a key unseen for `window` seconds is forgotten, and past `max_keys` the
    least recently used key goes first, so a spray of addresses cannot grow memory or lookup time.
    One process only: behind several uvicorn workers each keeps its own count.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: TTLCache[str, deque[float]] = TTLCache(maxsize=max_keys, ttl=window, timer=clock)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key) or deque(maxlen=self.limit)
        while hits and now - hits[0] > self.window:
            hits.popleft()
        return hits

    def blocked(self, key: str) -> bool:
        """Whether `key` has used up its allowance."""
        with self._lock:
            return len(self._recent(key, self.clock())) >= self.limit

    def hit(self, key: str) -> None:
        """Count one event for `key`."""
        with self._lock:
            now = self.clock()
            hits = self._recent(key, now)
            hits.append(now)
            self._hits[key] = hits  # (re)inserting restarts the key's time to live

    def forget(self, key: str) -> None:
        """Drop the count of `key` (after a success)."""
        with self._lock:
            self._hits.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            self._hits.expire()
            return len(self._hits)


class DatabaseId(Convertor[int]):
    """Path ids that fit a database integer (1 to 9 digits): anything longer is a 404, never an overflow."""

    regex = "[0-9]{1,9}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", DatabaseId())


class BodyLimit:
    """Body size limit of one route class, read from the settings at request time (bytes counted while
    streaming, chunked bodies included: Starlette's RequestBodyLimitMiddleware does the counting)."""

    def __init__(self, app: ASGIApp, setting: str) -> None:
        self.app = app
        self.setting = setting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = int(getattr(scope["app"].state.runtime.settings.web, self.setting))
        await RequestBodyLimitMiddleware(self.app, max_body_size=limit)(scope, receive, send)
