"""The owner's page at /admin: questions per day, content gaps, article citations, recent conversations and
exports of the exchange log. There only when CAREERBOT_ADMIN_TOKEN is set.

Signing in: the token in a login form (the page then keeps a session cookie) or an `Authorization: Bearer`
header (scripts, exports). The cookie holds an expiry time and its HMAC under a key derived from the token,
never the token: it works on every instance sharing the token, and changing the token signs everyone out.
The token is only ever compared in constant time, and never appears in a URL, a redirect or a log line.

Everything on the page that readers or articles wrote is rendered by Jinja2 with autoescaping: as text.
The page allows no script at all (its Content-Security-Policy), and its chart is inline SVG. The sign-in is
bot/web/admin_auth.py; what the page shows (the view model and the chart), bot/web/dashboard.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool

from bot.owner import insights
from bot.conversation.catalog import Catalog
from bot.owner.log import ConversationLog, ThrottledLog
from bot.settings import Settings
from bot.web.admin_auth import SESSION_COOKIE, AdminAuth, SignInThrottle, bearer_token
from bot.web.dashboard import GAP_LIMIT, dashboard, thread_channel
from bot.web.display import http_url, public_source
from bot.web.ratelimit import LimitStorage

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
# No script, no framing, nothing from elsewhere: the page is HTML, one stylesheet and inline SVG.
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")
# Referrer-Policy same-origin, not no-referrer: with no-referrer the browser sends `Origin: null` on the login
# form's POST, which the origin policy (bot/web/origins.py) rightly refuses.
PAGE_HEADERS = {"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
DAY_CHOICES = (7, 30, 90)

_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                         lstrip_blocks=True)


_CLIENT_HASH = re.compile(r"[0-9a-f]{32}")
MAX_FORM_VALUE = 4000  # a question key is at most a question's words


def admin_router(settings: Settings, conversations: ConversationLog, catalog: Callable[[], Catalog],
                 limit_storage: LimitStorage | None = None) -> APIRouter:
    """The /admin routes; mount them only when settings.admin_token is set."""
    assert settings.admin_token is not None
    auth = AdminAuth(settings.admin_token, settings.admin_session_hours, conversations)
    # A burst of wrong tokens is one warning line a minute, not one per guess.
    wrong_tokens = ThrottledLog(log, level=logging.WARNING)
    throttle = SignInThrottle(settings, limit_storage or LimitStorage())
    router = APIRouter(prefix="/admin", include_in_schema=False)

    def signed_out(request: Request) -> Response | None:
        """None for the owner; else the login page, or a 429 while failed sign-ins are throttled."""
        bearer = bearer_token(request)
        if bearer and (seconds := throttle.wait_seconds(request)):
            return _throttled(seconds)
        if auth.allows(request):
            return None
        if bearer:
            throttle.failed(request)
        return _login_page(401)

    @router.get("")
    async def page(request: Request, days: str | None = None) -> Response:
        if refusal := await run_in_threadpool(signed_out, request):
            return refusal
        chosen = int(days) if days in {str(n) for n in DAY_CHOICES} else settings.insights_days
        view = await run_in_threadpool(dashboard, settings, conversations, catalog(), chosen)
        return _html(_templates.get_template("admin.html").render(view=view, day_choices=DAY_CHOICES,
                                                                     gap_limit=GAP_LIMIT))

    @router.post("/login")
    def login(request: Request, token: str = Form("")) -> Response:
        if seconds := throttle.wait_seconds(request):
            return _throttled(seconds)
        if not auth.is_token(token):
            throttle.failed(request)
            wrong_tokens.error("admin: sign-in with a wrong token")
            return _login_page(401, "That token is not right. It is the value of CAREERBOT_ADMIN_TOKEN.")
        try:
            session = auth.new_session()
        except Exception as exc:
            conversations.errors.error("admin: session not stored (%s: %s)", type(exc).__name__, exc)
            return _login_page(503, "Signing in needs the exchange log's database, which is unavailable; try again later.")
        response = RedirectResponse("/admin", status_code=303)
        response.set_cookie(SESSION_COOKIE, session, max_age=auth.session_s, path="/admin",
                            httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return response

    @router.post("/logout")
    def logout(request: Request) -> Response:
        try:
            auth.end(request)
        except Exception as exc:
            conversations.errors.error("admin: session not ended (%s: %s)", type(exc).__name__, exc)
            return _login_page(503, "Signing out needs the exchange log's database, which is unavailable; the "
                                    "session stays open until it expires. Try again later.")
        response = RedirectResponse("/admin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/admin", httponly=True, samesite="strict")
        return response

    @router.post("/gaps/hide")
    def hide_gap(request: Request, key: list[str] = Form(default_factory=list)) -> Response:
        """Takes a content-gap group (its questions, by their words) out of the page and the report."""
        return _owner_action(request, lambda: conversations.hide_questions([k[:MAX_FORM_VALUE] for k in key]))

    @router.post("/clients/abusive")
    def mark_abusive(request: Request, client: str = Form("")) -> Response:
        """Leaves every question of a client (its hash, as the page shows it) out of the content gaps."""
        if not _CLIENT_HASH.fullmatch(client):
            return Response("not a client id", status_code=422, media_type="text/plain")
        return _owner_action(request, lambda: conversations.mark_abusive([client]))

    def _owner_action(request: Request, action: Callable[[], None]) -> Response:
        if refusal := signed_out(request):
            return refusal
        try:
            action()
        except Exception as exc:
            conversations.errors.error("admin: change not saved (%s: %s)", type(exc).__name__, exc)
            return _login_page(503, "The exchange log's database is unavailable; try again later.")
        return RedirectResponse("/admin", status_code=303)

    @router.get("/export.{fmt}")
    def export(request: Request, fmt: str) -> Response:
        lines = {"csv": insights.csv_lines, "jsonl": insights.jsonl_lines}.get(fmt)
        if lines is None:
            return Response("not found", status_code=404, media_type="text/plain")
        if refusal := signed_out(request):
            return refusal
        if not conversations.enabled:
            return Response("recording is off (CAREERBOT_LOG_CONVERSATIONS=false): nothing to export",
                            status_code=409, media_type="text/plain")
        conversations.ensure_schema()
        name = f"careerbot-exchanges-{datetime.now(UTC):%Y%m%d}.{fmt}"
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
        return StreamingResponse(lines(insights.export_records(conversations.engine)), media_type=media,
                                 headers={"Content-Disposition": f'attachment; filename="{name}"',
                                          "Cache-Control": "no-store"})

    @router.get("/admin.css")
    def stylesheet() -> FileResponse:
        return FileResponse(HERE / "static" / "admin.css", media_type="text/css")

    return router


def _login_page(status: int, problem: str | None = None) -> HTMLResponse:
    response = _html(_templates.get_template("login.html").render(problem=problem), status)
    response.headers["WWW-Authenticate"] = 'Bearer realm="careerbot admin"'
    return response


def _throttled(seconds: int) -> HTMLResponse:
    response = _login_page(429, f"Too many wrong tokens: try again in {seconds} s.")
    response.headers["Retry-After"] = str(seconds)
    return response


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


_templates.globals.update(http_url=http_url, public_source=public_source, thread_channel=thread_channel)
