"""The owner's page at /admin: questions per day, content gaps, article citations, recent conversations and
exports of the exchange log. There only when CAREERBOT_ADMIN_TOKEN is set.

Signing in: the token in a login form (the page then keeps a session cookie) or an `Authorization: Bearer`
header (scripts, exports). The cookie holds an expiry time and its HMAC under a key derived from the token,
never the token: it works on every instance sharing the token, and changing the token signs everyone out.
The token is only ever compared in constant time, and never appears in a URL, a redirect or a log line.

Everything on the page that readers or articles wrote is rendered by Jinja2 with autoescaping: as text.
The page allows no script at all (its Content-Security-Policy), and its chart is inline SVG drawn here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from bot.owner import insights
from bot.conversation.catalog import Catalog
from bot.owner.log import ConversationLog, ThrottledLog
from bot.settings import Settings
from bot.web.display import http_url, public_source
from bot.web.ratelimit import LimitStorage, SlidingWindowLimiter, client_key, parse_rate

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "careerbot_admin"
# No script, no framing, nothing from elsewhere: the page is HTML, one stylesheet and inline SVG.
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")
# Referrer-Policy same-origin, not no-referrer: with no-referrer the browser sends `Origin: null` on the login
# form's POST, which the origin policy (bot/web/origins.py) rightly refuses.
PAGE_HEADERS = {"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
DAY_CHOICES = (7, 30, 90)
LIST_LIMIT = 10  # articles per list
GAP_LIMIT = 10  # content gaps shown before 'smaller groups'
THREAD_LIMIT = 15  # recent conversations shown

_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                         lstrip_blocks=True)


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
_CLIENT_HASH = re.compile(r"[0-9a-f]{32}")
MAX_FORM_VALUE = 4000  # a question key is at most a question's words
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


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


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
        bearer = _bearer(request)
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


# --- what the page shows ----------------------------------------------------------------------------------

@dataclass
class Bar:
    x: float
    width: float
    segments: list[tuple[str, float, float]]  # (css class, y, height)
    label: str  # the bar's tooltip


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str, str]]  # (x, date label, text-anchor) under the bars
    top: int  # questions on the busiest day: the bars' full height


@dataclass
class Dashboard:
    days: int
    enabled: bool
    total: int = 0
    answered: int = 0
    declined: int = 0
    rated_up: int = 0
    rated_down: int = 0
    chart: Chart | None = None
    gaps: list[insights.Gap] | None = None
    most_cited: list[dict] | None = None
    least_cited: list[dict] | None = None
    threads: list[insights.Thread] | None = None
    knowledge_dir: Path | None = None

    def share(self, count: int) -> str:
        return f"{round(100 * count / self.total)}%" if self.total else "–"


def dashboard(settings: Settings, conversations: ConversationLog, catalog: Catalog, days: int) -> Dashboard:
    """Everything the page shows, read in one go (in a worker thread: these are blocking queries)."""
    view = Dashboard(days=days, enabled=conversations.enabled, knowledge_dir=settings.knowledge_dir)
    if not conversations.enabled:
        return view
    conversations.ensure_schema()
    engine = conversations.engine
    per_day = insights.questions_per_day(engine, days)
    view.total = sum(day.total for day in per_day)
    view.answered = sum(day.answered for day in per_day)
    view.declined = sum(day.declined for day in per_day)
    view.rated_up, view.rated_down = insights.ratings(engine, days)
    view.chart = day_chart(per_day)
    articles = catalog.articles()
    view.gaps = insights.content_gaps(engine, days, settings.gap_distance, settings.gap_max_questions, articles)
    uses = insights.article_uses(engine, days, articles)
    view.most_cited = [_article(use, settings) for use in insights.most_cited(uses, LIST_LIMIT)]
    view.least_cited = [_article(use, settings) for use in insights.least_cited(uses, articles, LIST_LIMIT)]
    view.threads = insights.recent_threads(engine, THREAD_LIMIT)
    return view


def _article(use: insights.ArticleUse, settings: Settings) -> dict:
    return {"title": use.title, "url": http_url(use.url), "citations": use.citations,
            "source": public_source(use.source, settings.knowledge_dir)}


CHART_WIDTH, CHART_HEIGHT, AXIS = 720, 200, 22  # SVG user units; the page scales it to its width


def day_chart(days: list[insights.Day]) -> Chart:
    """Stacked bars, one per day: answered, declined, small talk; a label under about every week."""
    top = max([day.total for day in days] + [1])
    slot = CHART_WIDTH / len(days)
    scale = (CHART_HEIGHT - AXIS) / top
    bars = []
    for i, day in enumerate(days):
        y: float = CHART_HEIGHT - AXIS
        segments: list[tuple[str, float, float]] = []
        for css, count in (("answered", day.answered), ("declined", day.declined), ("smalltalk", day.smalltalk)):
            if count:
                y -= count * scale
                segments.append((css, round(y, 1), round(count * scale, 1)))
        label = (f"{day.day:%a %d %b}: {day.total} question{'s' if day.total != 1 else ''}"
                 f" ({day.answered} answered, {day.declined} declined, {day.smalltalk} small talk)")
        bars.append(Bar(round(i * slot + slot * 0.15, 1), round(slot * 0.7, 1), segments, label))
    every = max(1, round(len(days) / 6))
    # Labels count back from today, the last one right-aligned so it stays inside the chart.
    ticks = [(round(i * slot + slot / 2, 1) if i < len(days) - 1 else CHART_WIDTH, f"{day.day:%d %b}",
              "middle" if i < len(days) - 1 else "end")
             for i, day in enumerate(days) if (len(days) - 1 - i) % every == 0]
    return Chart(CHART_WIDTH, CHART_HEIGHT, bars, ticks, top)


def thread_channel(thread: insights.Thread) -> str:
    return ", ".join(dict.fromkeys(turn.exchange.channel for turn in thread.turns))


_templates.globals.update(http_url=http_url, public_source=public_source, thread_channel=thread_channel)
