"""Signing in to /admin: the token (compared in constant time) or a session cookie that holds an expiry time
and its HMAC under a key derived from the token (never the token), and the throttle on failed sign-ins."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import time
from datetime import UTC, datetime

from fastapi import Request
from pydantic import SecretStr

from bot.owner.log import ConversationLog
from bot.settings import Settings
from bot.web.ratelimit import LimitStorage, SlidingWindowLimiter, client_key, parse_rate

SESSION_COOKIE = "careerbot_admin"


class AdminAuth:
    """Who may see the page: the bearer of the token, or a browser holding a session cookie signed with it whose
    session is still open in the exchange log's database (signing out closes it there, on every instance)."""

    def __init__(self, token: SecretStr, session_hours: float, sessions: ConversationLog) -> None:
        self._token = token.get_secret_value().encode("utf-8")
        self._key = hashlib.sha256(b"careerbot admin session\0" + self._token).digest()
        self.session_s = int(session_hours * 3600)
        self.sessions = sessions

    def is_token(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode("utf-8", "replace"), self._token)

    def new_session(self) -> str:
        """A new session's cookie value, `id.expiry.signature`; the session is stored before it is handed out."""
        session_id = secrets.token_urlsafe(24)
        expires = int(time.time()) + self.session_s
        self.sessions.open_admin_session(session_id, datetime.fromtimestamp(expires, UTC))
        return f"{session_id}.{expires}.{self._signature(session_id, expires)}"

    def allows(self, request: Request) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return self.is_token(credentials.strip())
        session_id = self.session_of(request)
        if session_id is None:
            return False
        try:
            return self.sessions.admin_session_open(session_id)
        except Exception as exc:  # the database is down: no session can be checked, so none opens the page
            self.sessions.errors.error("admin: sessions can't be checked (%s: %s)", type(exc).__name__, exc)
            return False

    def end(self, request: Request) -> None:
        session_id = self.session_of(request)
        if session_id is not None:
            self.sessions.end_admin_session(session_id)

    def session_of(self, request: Request) -> str | None:
        """The session id of a well-formed, correctly signed, unexpired cookie; None for anything else
        (whatever a client puts in it: no length or character makes this fail)."""
        parts = request.cookies.get(SESSION_COOKIE, "").split(".")
        if len(parts) != 3:
            return None
        session_id, expires, signature = parts
        if not _SESSION_ID.fullmatch(session_id) or not _EXPIRY.fullmatch(expires) or int(expires) < time.time():
            return None
        if not hmac.compare_digest(signature.encode("ascii", "replace"), self._signature(session_id, int(expires)).encode()):
            return None
        return session_id

    def _signature(self, session_id: str, expires: int) -> str:
        return hmac.new(self._key, f"admin session {session_id} until {expires}".encode(), hashlib.sha256).hexdigest()


_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{32}")
_EXPIRY = re.compile(r"[0-9]{1,12}")


class SignInThrottle:
    """Failed sign-ins (a wrong token in the form or in a Bearer header), per client and from all clients
    together, counted in the app's limit storage: with Redis, every replica sees every failure. While either
    limit is reached, sign-ins are refused without looking at the token, and without a log line each."""

    def __init__(self, settings: Settings, storage: LimitStorage) -> None:
        limits = (("CAREERBOT_ADMIN_LOGIN_LIMIT", settings.admin_login_limit, "admin-login", True),
                  ("CAREERBOT_ADMIN_LOGIN_GLOBAL_LIMIT", settings.admin_login_global_limit, "admin-login-all", False))
        self.limiters: list[tuple[SlidingWindowLimiter, bool]] = []  # (limiter, counted per client)
        for setting, text, name, per_client in limits:
            if rate := parse_rate(text, setting):
                self.limiters.append((SlidingWindowLimiter(*rate, storage=storage, name=name), per_client))

    def wait_seconds(self, request: Request) -> int:
        """0 if a sign-in may be tried now, else whole seconds until one may."""
        wait = max((limiter.wait(self._keys(request, per_client)) for limiter, per_client in self.limiters), default=0)
        return max(1, math.ceil(wait)) if wait else 0

    def failed(self, request: Request) -> None:
        for limiter, per_client in self.limiters:
            limiter.acquire(self._keys(request, per_client))

    @staticmethod
    def _keys(request: Request, per_client: bool) -> list[str]:
        return [f"client:{client_key(request.client.host if request.client else None)}" if per_client else "all"]


def bearer_token(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None
