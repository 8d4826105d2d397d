"""Open-web safety for the API and the widget: origin allow-list (CORS + 403), frame-ancestors CSP,
per-IP and per-conversation rate limits, and a request-body cap.

Everything is one pure ASGI middleware rather than Starlette's BaseHTTPMiddleware: it must pass the
Server-Sent Events stream through untouched, and it has to answer preflights and refusals itself, with the
same CORS headers as every other response, so the widget can read a 429 from another origin.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException

from bot.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONVERSATION_HEADER = "x-conversation-id"
_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$|^https?://\[[0-9a-f:]+\](:\d{1,5})?$")
_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
# A chat request is a question plus earlier turns; 1 MiB is far above any real one and far below harm.
MAX_BODY_BYTES = 1 << 20


# --- origins -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OriginPolicy:
    """Which browser origins may call the API and frame our pages. Our own origin is always allowed."""

    allowed: frozenset[str] = frozenset()
    any_origin: bool = False

    @classmethod
    def from_settings(cls, origins: Iterable[str]) -> "OriginPolicy":
        cleaned = {o.strip().rstrip("/").lower() for o in origins if o.strip()}
        any_origin = "*" in cleaned
        cleaned.discard("*")
        for origin in cleaned:  # they go into a CSP header: anything but a bare origin could inject directives
            if not _ORIGIN.match(origin):
                raise ValueError(f"CAREERBOT_ALLOWED_ORIGINS: {origin!r} is not an origin like https://example.com")
        return cls(frozenset(cleaned), any_origin)

    def allows(self, origin: str, host: str | None) -> bool:
        return self.any_origin or is_same_origin(origin, host) or origin.lower() in self.allowed

    def frame_ancestors(self) -> str:
        sources = "*" if self.any_origin else " ".join(["'self'", *sorted(self.allowed)])
        return f"frame-ancestors {sources}"


def is_same_origin(origin: str, host: str | None) -> bool:
    """The browser sets Origin and Host, so a matching host[:port] means the page came from this app.
    The scheme is not compared: behind a TLS-terminating proxy the app itself only ever sees http."""
    if not host or origin == "null":
        return False
    return _netloc(urlsplit(origin)) == _netloc(urlsplit(f"//{host}"), scheme=urlsplit(origin).scheme)


def _netloc(parts: Any, scheme: str | None = None) -> str:
    default = {"http": 80, "https": 443}.get(scheme or parts.scheme)
    try:
        port = parts.port
    except ValueError:  # a garbage port in a header: match nothing
        return "\0"
    return f"{(parts.hostname or '').lower()}:{port or default}"


# --- rate limiting ------------------------------------------------------------------------------------

def parse_rate(text: str) -> tuple[int, float] | None:
    """'20/minute', '5/second', '100/10 minutes' -> (requests, window seconds); 'off' or '0' -> None."""
    cleaned = text.strip().lower()
    if cleaned in ("", "0", "off", "none"):
        return None
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)?\s*(second|minute|hour|day)s?", cleaned)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"CAREERBOT_RATE_LIMIT: {text!r} is not like '20/minute' (or 'off')")
    return int(match.group(1)), int(match.group(2) or 1) * _UNITS[match.group(3)]


@dataclass
class SlidingWindowLimiter:
    """At most `limit` requests per `window` seconds per key, counted over a sliding window.

    In-process rather than slowapi/limits: the app runs as one process, this is ~30 lines without a new
    dependency, it can check several keys (IP and conversation) atomically, and it lives in the middleware
    so refusals never reach the endpoint. Several workers or instances would need a shared store instead
    (the `limits` package with Redis). Only the event loop calls it, so it needs no lock.
    """

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 100_000
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def acquire(self, keys: Iterable[str]) -> float:
        """0 if allowed (the hit is counted against every key), else seconds until it would be allowed."""
        now = self.clock()
        keys = list(keys)
        wait = 0.0
        for key in keys:
            hits = self._recent(key, now)
            if len(hits) >= self.limit:
                wait = max(wait, hits[0] + self.window - now)
        if wait > 0:
            return wait
        if len(self._hits) >= self.max_keys:
            self._forget_idle(now)
        for key in keys:
            self._hits.setdefault(key, deque()).append(now)
        return 0.0

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def _forget_idle(self, now: float) -> None:
        """Keeps memory bounded when many clients come and go."""
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]


# --- the middleware -----------------------------------------------------------------------------------

class WebSecurity:
    """Origin checks and CORS on /api/*, rate limits on API POSTs, frame-ancestors on every HTML page."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy, limiter: SlidingWindowLimiter | None,
                 max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.policy = policy
        self.limiter = limiter
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        origin = headers.get("origin")
        is_api = scope["path"].startswith("/api/")
        cors = self._cors_headers(origin, headers.get("host")) if is_api and origin else []
        if is_api and origin and not self.policy.allows(origin, headers.get("host")):
            await _reply(send, 403, {"error": "this site is not allowed to use the careerbot API"}, [])
            return
        if is_api and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await _reply(send, 204, None, cors + _PREFLIGHT)
            return
        if is_api and scope["method"] == "POST":
            refusal = self._refusal(scope, headers)
            if refusal:
                status, body, extra = refusal
                await _reply(send, status, body, cors + extra)
                return
            receive = _capped(receive, self.max_body_bytes)
        await self.app(scope, receive, self._decorating(send, cors))

    def _cors_headers(self, origin: str, host: str | None) -> list[tuple[bytes, bytes]]:
        """Only a cross-origin caller on the allow-list gets a grant; same-origin calls need none."""
        if is_same_origin(origin, host) or not self.policy.allows(origin, host):
            return []
        return [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin"),
                (b"access-control-expose-headers", b"Retry-After")]

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, dict, list] | None:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return 413, {"error": f"request too large: at most {self.max_body_bytes} bytes"}, []
        if self.limiter is None:
            return None
        wait = self.limiter.acquire(_rate_keys(scope, headers))
        if not wait:
            return None
        seconds = max(1, math.ceil(wait))
        return 429, {"error": f"too many requests: try again in {seconds} s", "retry_after": seconds}, [
            (b"retry-after", str(seconds).encode())]

    def _decorating(self, send: Send, cors: list[tuple[bytes, bytes]]) -> Send:
        frame_policy = self.policy.frame_ancestors().encode()

        async def decorated(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {name.lower() for name, _ in message.get("headers", [])}
                added = [(n, v) for n, v in cors if n not in existing]
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in existing:
                    added.append((b"content-security-policy", frame_policy))
                if b"x-content-type-options" not in existing:
                    added.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        return decorated


_PREFLIGHT = [
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-allow-headers", b"Content-Type, X-Conversation-Id"),
    (b"access-control-max-age", b"600"),
]


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


def _rate_keys(scope: Scope, headers: dict[str, str]) -> list[str]:
    """The client's IP always; the conversation too when the caller names one (the widget does). A made-up
    conversation id cannot loosen anything: the IP limit still applies."""
    client = scope.get("client")
    keys = [f"ip:{client[0] if client else 'unknown'}"]
    conversation = headers.get(CONVERSATION_HEADER, "")
    if _CONVERSATION_ID.match(conversation):
        keys.append(f"conversation:{conversation}")
    return keys


def _capped(receive: Receive, limit: int) -> Receive:
    """Counts the body as it arrives, for chunked uploads that announce no Content-Length."""
    received = 0

    async def capped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge()
        return message

    return capped


class BodyTooLarge(HTTPException):
    """Raised mid-upload; an HTTPException so FastAPI's body parsing passes it on as the 413 it is."""

    def __init__(self) -> None:
        super().__init__(413, f"request too large: at most {MAX_BODY_BYTES} bytes")


async def _reply(send: Send, status: int, body: dict | None, headers: list[tuple[bytes, bytes]]) -> None:
    payload = b"" if body is None else json.dumps(body).encode()
    base = [(b"content-length", str(len(payload)).encode()), (b"x-content-type-options", b"nosniff")]
    if body is not None:
        base.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": base + headers})
    await send({"type": "http.response.body", "body": payload})


def install_security(app: Any, settings: Settings) -> None:
    """Registers the middleware on a FastAPI app, built from the settings (which it validates)."""
    rate = parse_rate(settings.rate_limit)
    limiter = SlidingWindowLimiter(*rate) if rate else None
    app.add_middleware(WebSecurity, policy=OriginPolicy.from_settings(settings.allowed_origins), limiter=limiter)
