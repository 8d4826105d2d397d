"""One security policy in front of every route, ours and the mounted Gradio app's: the Host check
(CAREERBOT_ALLOWED_HOSTS), /v1's key before anything else, the origin allow-list (403s and the app's own
CORS, replacing Gradio's), body caps, strict JSON, rate limits on questions and (apart) on feedback, uploads
off, and a Content-Security-Policy on every page.

The policies themselves live in origins.py, ratelimit.py and bodylimit.py; this module only applies them.
It is one pure ASGI middleware rather than Starlette's BaseHTTPMiddleware: it must pass Server-Sent Events
through untouched, and answer preflights and refusals itself, with the same CORS headers as every other
response, so the widget can read a 429 from another origin.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.middleware.trustedhost import TrustedHostMiddleware

from bot.settings import Settings
from bot.web.bodylimit import BodyTooLarge, ClientGone, json_problem, read_body, replaying, too_large_text
from bot.web.errors import OPENAI_PREFIX, error_body
from bot.web.origins import OriginPolicy
from bot.web.ratelimit import QuestionLimit, refusal_text

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONVERSATION_HEADER = "x-conversation-id"
# Sent by careerbot's widget, so its exchanges are logged as the widget's rather than as API calls.
CHANNEL_HEADER = "x-careerbot-channel"
GRADIO_API = "/gradio_api/"
OPENAI_KEY_PROBLEM = "invalid API key: send `Authorization: Bearer KEY` with a key from CAREERBOT_API_KEYS"
# Reads answers or other data even with GET: a browser on a foreign site may not call these at all.
DATA_PREFIXES = ("/api/", GRADIO_API, OPENAI_PREFIX)
# Each POST here is one question; the Gradio chat counts its own in respond().
QUESTION_ROUTES = ("/api/chat", "/api/chat/stream", f"{OPENAI_PREFIX}chat/completions")
# Each POST here is one rating, under a limit of its own; the Gradio chat counts its thumbs in ui.py.
FEEDBACK_ROUTES = ("/api/feedback",)
SAFE_METHODS = ("GET", "HEAD")
# The chat takes no files: Gradio's upload route would store and serve anyone's files from our domain.
UPLOAD_ROUTES = ("/gradio_api/upload",)
# What Gradio's "Use via API" page and its clients use; the chat page itself needs none of them.
GRADIO_API_ROUTES = ("/gradio_api/info", "/gradio_api/openapi.json", "/gradio_api/call/", "/gradio_api/mcp")


class WebSecurity:
    def __init__(self, app: ASGIApp, policy: OriginPolicy, questions: QuestionLimit, max_body_bytes: int,
                 gradio_api: bool = True, feedback: QuestionLimit | None = None,
                 api_keys: Sequence[str] = ()) -> None:
        self.app = app
        self.policy = policy
        self.questions = questions
        self.feedback = feedback or QuestionLimit(None)
        self.api_keys = [key.encode() for key in api_keys]
        self.max_body_bytes = max_body_bytes
        self.closed_routes = UPLOAD_ROUTES + (() if gradio_api else GRADIO_API_ROUTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        origin, host = headers.get("origin"), headers.get("host")
        cors = self.policy.cors_grant(origin, host) if origin else []
        path = scope["path"]
        refusal = self._refusal(scope, headers)
        if refusal:
            status, message, extra = refusal
            if status == 204:
                await reply_json(send, status, None, cors + extra)
            else:
                await _refuse(send, path, status, message, (cors if status != 403 else []) + extra)
            return
        if scope["method"] not in SAFE_METHODS:
            try:
                body = await read_body(receive, self.max_body_bytes)
            except BodyTooLarge:
                await _refuse(send, path, 413, too_large_text(self.max_body_bytes), cors)
                return
            except ClientGone:
                return
            problem = json_problem(body) if body and _parsed_as_json(path, headers) else None
            if problem:
                await _refuse(send, path, 422, f"invalid request: {problem}", cors)
                return
            receive = replaying(body, receive)
        await self.app(scope, receive, self._decorating(send, cors))

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str, list] | None:
        """(status, message, headers) to answer instead of the route, judged from the request line and headers."""
        path, method, origin = scope["path"], scope["method"], headers.get("origin")
        guarded = method not in SAFE_METHODS or path.startswith(DATA_PREFIXES)
        if origin and guarded and not self.policy.allows(origin, headers.get("host")):
            return 403, "this site is not allowed to use careerbot from a browser", []
        if method == "OPTIONS" and "access-control-request-method" in headers:
            return 204, "", _PREFLIGHT
        if path.startswith(OPENAI_PREFIX) and not self._key_allowed(headers.get("authorization", "")):
            # Before anything is counted or read: a wrong key must not use up a conversation's allowance.
            return 401, OPENAI_KEY_PROBLEM, []
        if path.startswith(self.closed_routes):
            return 404, "not found", []
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return 413, too_large_text(self.max_body_bytes), []
        limit = self.questions if path in QUESTION_ROUTES else self.feedback if path in FEEDBACK_ROUTES else None
        if method == "POST" and limit is not None:
            seconds = limit.wait_seconds(_client_host(scope), headers.get(CONVERSATION_HEADER))
            if seconds:
                return 429, refusal_text(seconds), [(b"retry-after", str(seconds).encode())]
        return None

    def _key_allowed(self, authorization: str) -> bool:
        if not self.api_keys:
            return True
        scheme, _, credentials = authorization.partition(" ")
        offered = credentials.strip().encode("utf-8", "replace") if scheme.lower() == "bearer" else b""
        # Every key compared, each in constant time: no guessing by timing.
        return bool(sum(hmac.compare_digest(offered, key) for key in self.api_keys))

    def _decorating(self, send: Send, cors: list[tuple[bytes, bytes]]) -> Send:
        page_policy = self.policy.page_policy().encode()

        async def decorated(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Gradio grants CORS on its own terms (any localhost page, with credentials): drop its
                # grant so that ours, from the allow-list, is the only one.
                kept = [(n, v) for n, v in message.get("headers", []) if not n.lower().startswith(b"access-control-")]
                names = {name.lower() for name, _ in kept}
                added = list(cors)
                if dict(kept).get(b"content-type", b"").startswith(b"text/html") and b"content-security-policy" not in names:
                    added.append((b"content-security-policy", page_policy))
                if b"x-content-type-options" not in names:
                    added.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = [*kept, *added]
            await send(message)

        return decorated


_PREFLIGHT = [
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-allow-headers", b"Authorization, Content-Type, X-Conversation-Id, X-Careerbot-Channel"),
    (b"access-control-max-age", b"600"),
]


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


def _client_host(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The only forms careerbot takes: the owner's page (sign-in, sign-out, hiding content gaps).
FORM_PREFIXES = ("/admin/",)


def _parsed_as_json(path: str, headers: dict[str, str]) -> bool:
    """Every body but a form for the owner's page is checked as JSON: FastAPI reads a body without a content
    type as JSON, and Gradio's routes call request.json() whatever the content type says."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return not (content_type in FORM_TYPES and path.startswith(FORM_PREFIXES))


async def _refuse(send: Send, path: str, status: int, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    status, body = error_body(path, status, message)
    retry_after = dict(headers).get(b"retry-after")
    if retry_after and not path.startswith(OPENAI_PREFIX):  # the widget reads it from the body too
        body["retry_after"] = int(retry_after)
    await reply_json(send, status, body, headers)


async def reply_json(send: Send, status: int, body: dict | None, headers: list[tuple[bytes, bytes]]) -> None:
    payload = b"" if body is None else json.dumps(body).encode()
    base = [(b"content-length", str(len(payload)).encode()), (b"x-content-type-options", b"nosniff")]
    if body is not None:
        base.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": base + headers})
    await send({"type": "http.response.body", "body": payload})


def install_security(app: Any, settings: Settings, questions: QuestionLimit, feedback: QuestionLimit) -> None:
    """Registers the middleware on the (parent) FastAPI app, built from the settings (which it validates), and
    the Host check outside it."""
    app.add_middleware(WebSecurity, policy=OriginPolicy.from_settings(settings.allowed_origins),
                       questions=questions, max_body_bytes=settings.max_body_bytes,
                       gradio_api=settings.gradio_api, feedback=feedback, api_keys=settings.api_keys)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings))


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def allowed_hosts(settings: Settings) -> list[str]:
    """CAREERBOT_ALLOWED_HOSTS; unset, the loopback names while the app listens on loopback (a DNS-rebinding
    page then can't reach it under its own name), else any host."""
    if settings.allowed_hosts:
        return settings.allowed_hosts
    try:
        loopback = ipaddress.ip_address(settings.host.strip("[]")).is_loopback
    except ValueError:
        loopback = settings.host == "localhost"
    return list(LOOPBACK_HOSTS) if loopback else ["*"]
