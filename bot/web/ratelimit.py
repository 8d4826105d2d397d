"""Questions per client and per conversation, and failed /admin sign-ins: counted through the `limits` package
(moving window) in the storage CAREERBOT_RATE_LIMIT_STORAGE names.

`memory://` (the default) counts in this process. Several replicas behind a proxy share `redis://host:port`,
so a client gets the limit once, not once per replica. When Redis can't be reached, counting falls back to
this process's memory (questions keep being answered, never a 500), with one log line a minute, and goes
back to Redis as soon as it answers again.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
# An IPv6 subscriber usually gets a whole /64: counting per address would give each client 2^64 buckets.
_IPV6_CLIENT_PREFIX = 64
# A shared store that doesn't answer within this long is treated as down: a question must not wait on it.
_STORAGE_TIMEOUT_S = 0.25
T = TypeVar("T")


def parse_rate(text: str, setting: str = "CAREERBOT_RATE_LIMIT") -> tuple[int, int] | None:
    """'20/minute', '5/second', '100/10 minutes' -> (requests, window seconds); 'off' or '0' -> None."""
    cleaned = text.strip().lower()
    if cleaned in ("", "0", "off", "none"):
        return None
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)?\s*(second|minute|hour|day)s?", cleaned)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{setting}: {text!r} is not like '20/minute' (or 'off')")
    return int(match.group(1)), int(match.group(2) or 1) * _UNITS[match.group(3)]


class LimitStorage:
    """Where every limit of one app counts: the storage `uri` names, or this process's memory while a shared
    one is down. One per app, shared by all its limiters, so an outage is noticed and logged once."""

    retry_s = 5.0  # while the shared store is down, how often a request tries it again
    log_every_s = 60.0

    def __init__(self, uri: str = "memory://") -> None:
        self.uri = uri
        self.memory = MovingWindowRateLimiter(MemoryStorage())
        self.shared: MovingWindowRateLimiter | None = None
        if not uri.startswith("memory://"):
            options: dict = {}
            if uri.startswith(("redis://", "rediss://", "redis+unix://")):
                from redis.backoff import NoBackoff
                from redis.retry import Retry

                # No retries with back-off (redis-py's default waits seconds): a miss falls back at once.
                options = {"socket_timeout": _STORAGE_TIMEOUT_S, "socket_connect_timeout": _STORAGE_TIMEOUT_S,
                           "retry": Retry(NoBackoff(), 0)}
            try:
                self.shared = MovingWindowRateLimiter(storage_from_string(uri, wrap_exceptions=True, **options))
            except Exception as exc:  # a typo in the setting must stop the app, with the setting's name
                raise ValueError(f"CAREERBOT_RATE_LIMIT_STORAGE: {_safe(uri)!r} is not a storage the `limits` package "
                                 f"knows ({exc}); use memory:// or redis://host:port") from None
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time before which the shared store is not tried again
        self._logged_at: float | None = None
        self._down = False

    def run(self, count: Callable[[MovingWindowRateLimiter], T]) -> T:
        """`count` against the shared store, or against memory while the shared store is down."""
        if self.shared is None or time.monotonic() < self._down_until:
            return count(self.memory)
        try:
            result = count(self.shared)
        except (StorageError, OSError) as exc:
            self._went_down(exc)
            return count(self.memory)
        if self._down:
            self._down = False
            log.warning("rate limits: %s answers again; counting there", _safe(self.uri))
        return result

    def _went_down(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._down_until, self._down = now + self.retry_s, True
            if self._logged_at is None or now - self._logged_at >= self.log_every_s:
                self._logged_at = now
                log.error("rate limits: %s unreachable (%s); counting in this process until it answers "
                          "(next report in %d s)", _safe(self.uri), _reason(exc), self.log_every_s)


def _safe(uri: str) -> str:
    """The storage URI without a password, for the log."""
    return re.sub(r"//[^@/]*@", "//***@", uri)


def _reason(exc: Exception) -> str:
    cause = getattr(exc, "storage_error", None) or exc
    return f"{type(cause).__name__}: {cause}"


@dataclass
class SlidingWindowLimiter:
    """At most `limit` requests per `window` seconds per key, over a moving window, in `storage`.

    `name` keeps each limit's counts apart in a shared storage (questions, failed sign-ins, ...). `acquire`
    checks several keys (client and conversation) before counting the hit against all of them, so a refused
    request counts against none; across replicas the check and the count are two steps, so a burst racing
    between them can get one request past the limit, never more per racing replica.
    """

    limit: int
    window: int
    storage: LimitStorage = field(default_factory=LimitStorage)
    name: str = "questions"

    def __post_init__(self) -> None:
        self._item = RateLimitItemPerSecond(self.limit, int(self.window), namespace="careerbot")

    def acquire(self, keys: Iterable[str]) -> float:
        """0 if allowed (the hit is counted against every key), else seconds until it would be allowed."""
        ids = [(self.name, key) for key in keys]

        def count(strategy: MovingWindowRateLimiter) -> float:
            wait = self._wait(strategy, ids)
            if wait:
                return wait
            for identifiers in ids:
                if not strategy.hit(self._item, *identifiers):  # another replica got there first
                    return self._wait(strategy, [identifiers]) or 1.0
            return 0.0

        return self.storage.run(count)

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds until a request for these keys would be allowed (0: now), counting nothing."""
        ids = [(self.name, key) for key in keys]
        return self.storage.run(lambda strategy: self._wait(strategy, ids))

    def _wait(self, strategy: MovingWindowRateLimiter, ids: list[tuple[str, str]]) -> float:
        wait = 0.0
        for identifiers in ids:
            if not strategy.test(self._item, *identifiers):
                reset = strategy.get_window_stats(self._item, *identifiers).reset_time
                wait = max(wait, reset - time.time(), 0.001)
        return wait


@dataclass
class QuestionLimit:
    """The app's rate limit on questions, whichever route asks them. `None` limiter: limits are off."""

    limiter: SlidingWindowLimiter | None

    @classmethod
    def from_settings(cls, rate_limit: str, storage: LimitStorage | None = None,
                      name: str = "questions") -> "QuestionLimit":
        rate = parse_rate(rate_limit)
        return cls(SlidingWindowLimiter(*rate, storage=storage or LimitStorage(), name=name) if rate else None)

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
