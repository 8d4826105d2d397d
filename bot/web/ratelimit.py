"""Questions per client and per conversation: one limiter shared by the HTTP API and the Gradio chat."""

from __future__ import annotations

import ipaddress
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
# An IPv6 subscriber usually gets a whole /64: counting per address would give each client 2^64 buckets.
_IPV6_CLIENT_PREFIX = 64


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
    dependency, and it can check several keys (client and conversation) atomically. Several workers or
    instances would need a shared store instead (the `limits` package with Redis). Only the event loop and
    Gradio's worker threads call it, and each call is a few dict operations under the GIL with no await.
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


@dataclass
class QuestionLimit:
    """The app's rate limit on questions, whichever route asks them. `None` limiter: limits are off."""

    limiter: SlidingWindowLimiter | None

    @classmethod
    def from_settings(cls, rate_limit: str) -> "QuestionLimit":
        rate = parse_rate(rate_limit)
        return cls(SlidingWindowLimiter(*rate) if rate else None)

    def wait_seconds(self, client_host: str | None, conversation: str | None) -> int:
        """0 if this question may go ahead (and counts it), else whole seconds until it may."""
        if self.limiter is None:
            return 0
        wait = self.limiter.acquire(rate_keys(client_host, conversation))
        return max(1, math.ceil(wait)) if wait else 0


def refusal_text(seconds: int) -> str:
    return f"too many requests: try again in {seconds} s"


def rate_keys(client_host: str | None, conversation: str | None) -> list[str]:
    """The client always; the conversation too when the caller names one (the widget and the Gradio chat
    do). A made-up conversation id cannot loosen anything: the client limit still applies."""
    keys = [f"client:{client_key(client_host)}"]
    if conversation_id(conversation):
        keys.append(f"conversation:{conversation}")
    return keys


def conversation_id(value: str | None) -> str | None:
    """The conversation id a client sent, if it is a well-formed one."""
    return value if value and CONVERSATION_ID.match(value) else None


def client_of(request: object) -> str:
    """client_key() of a Starlette or Gradio request's client."""
    client = getattr(request, "client", None)
    return client_key(getattr(client, "host", None))


def client_key(host: str | None) -> str:
    """An IPv4 address as it is, an IPv6 address as its /64 (an IPv4-mapped one as the IPv4 address)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{_IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)
