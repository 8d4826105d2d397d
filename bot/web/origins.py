"""Which browser origins may call careerbot and frame its pages, and the CORS grant they get."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$|^https?://\[[0-9a-f:]+\](:\d{1,5})?$")
# Images only from our own origin (data:/blob: never leave the browser): an image URL that slips into a
# page can't ping a tracker. The rest stays as it was, so Gradio's inline scripts and styles keep working.
PAGE_IMAGES = "img-src 'self' data: blob:"


@dataclass(frozen=True)
class OriginPolicy:
    """Which browser origins may call the app and frame our pages. Our own origin is always allowed."""

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

    def page_policy(self) -> str:
        """The Content-Security-Policy of every HTML page: who may frame it, where its images may come from."""
        ancestors = "*" if self.any_origin else " ".join(["'self'", *sorted(self.allowed)])
        return f"frame-ancestors {ancestors}; {PAGE_IMAGES}"

    def cors_grant(self, origin: str, host: str | None) -> list[tuple[bytes, bytes]]:
        """Only a cross-origin caller on the allow-list gets a grant; same-origin calls need none."""
        if is_same_origin(origin, host) or not self.allows(origin, host):
            return []
        return [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin"),
                (b"access-control-expose-headers", b"Retry-After")]


def is_same_origin(origin: str, host: str | None) -> bool:
    """The browser sets Origin and Host, so a matching host[:port] means the page came from this app.
    The scheme is not compared: behind a TLS-terminating proxy the app itself only ever sees http."""
    if not host or origin == "null":
        return False
    try:
        return _netloc(urlsplit(origin)) == _netloc(urlsplit(f"//{host}"), scheme=urlsplit(origin).scheme)
    except ValueError:  # a header no URL parser reads ("http://[::1"): not this app
        return False


def _netloc(parts: Any, scheme: str | None = None) -> str:
    default = {"http": 80, "https": 443}.get(scheme or parts.scheme)
    try:
        port = parts.port
    except ValueError:  # a garbage port in a header: match nothing
        return "\0"
    return f"{(parts.hostname or '').lower()}:{port or default}"
