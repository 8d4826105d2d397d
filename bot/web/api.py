"""One FastAPI app: JSON + streaming chat API, the OpenAI-compatible /v1/ routes, health, the widget's files,
and the Gradio UI at `/`."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from anyio import CapacityLimiter
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from starlette.routing import Match, Mount
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from bot.answer.pipeline import Answer, CareerBot
from bot.owner.log import Channel, ConversationLog
from bot.settings import Settings
from bot.web.display import source_dicts
from bot.web.errors import OPENAI_PREFIX, error_body
from bot.web.feedback import FeedbackRefused, submit_feedback
from bot.web.openai_api import openai_router
from bot.web.ratelimit import CONVERSATION_ID, LimitStorage, QuestionLimit, client_of
from bot.web.security import CHANNEL_HEADER, CONVERSATION_HEADER, install_security
from bot.web.streaming import answer_gate, batches, sse
from bot.web.validation import chat_problem

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
# widget.js carries this marker where the server writes the limits it enforces and whether it takes feedback,
# so they have one home.
_WIDGET_SETTINGS = "/* settings: filled in by the server */ {}"
_ERROR = {"content": {"application/json": {"example": {"error": "what went wrong"}}}}
# Documented on both chat routes; the middleware in bot/web/security.py produces the 403s, 429s, big-body 413s
# and malformed-JSON 422s.
CHAT_ERRORS: dict = {
    403: {**_ERROR, "description": "called from a browser on a site that is not in CAREERBOT_ALLOWED_ORIGINS"},
    413: {**_ERROR, "description": "message, history, a history turn or the request body too long"},
    422: {**_ERROR, "description": "invalid request (e.g. empty message, malformed JSON, invalid Unicode)"},
    429: {**_ERROR, "description": "rate limit (CAREERBOT_RATE_LIMIT) per client IP and per conversation; "
          "see the Retry-After header"},
}
STREAM_DESCRIPTION = """Server-Sent Events, in this order:

* `event: token`, `data: {"text": "..."}`: zero or more pieces of the answer as it is written;
* `event: sources`, `data:` the same object as `POST /api/chat` returns (`answer`, `sources`, `backend`, `refused`,
  `kind`, `suggestions`, `notice`, `exchange_id`). Its `answer` is authoritative: show it in place of the streamed
  text;
* `event: done`, `data: {}`.

A failure after the stream has started arrives in-band as `event: error`, `data: {"error": "..."}`, then `done`.
Validation is the same as `POST /api/chat`."""


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: StrictStr = Field(description="The user's question.")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first.")


class QuoteOut(BaseModel):
    text: str = Field(description="A passage the answer quotes from the article.")
    heading: str | None = Field(None, description="The section it comes from.")


class SourceOut(BaseModel):
    n: int = Field(description="The `[n]` the answer cites this article by: 1, 2… in order of first use.")
    title: str
    source: str = Field(description="Path relative to the knowledge folder, or the article's URL.")
    text: str = Field(description="The first passage the answer quotes from this article.")
    url: str | None = None
    quotes: list[QuoteOut] = Field(default_factory=list,
                                   description="Every passage the answer quotes from this article, in order of use.")


class StartersResponse(BaseModel):
    questions: list[str] = Field(description="Questions to start with: CAREERBOT_STARTER_QUESTIONS, or built from "
                                             "the loaded library's articles (each one answered by them).")


class ChatResponse(BaseModel):
    answer: str
    sources: list[SourceOut]
    backend: str
    refused: bool
    kind: Literal["answer", "decline", "smalltalk"] = Field(
        description="An answer from the articles, a decline (they don't cover it), or small talk (a greeting, "
                    "thanks, a question about the bot): declines and small talk have no sources.")
    suggestions: list[str] = Field(
        default_factory=list, description="Up to three questions to ask next that the articles answer.")
    notice: str | None = None
    exchange_id: str | None = Field(
        None, description="This answer's id in the exchange log, for `POST /api/feedback`; null when the server "
                          "doesn't record conversations.")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exchange_id: uuid.UUID = Field(description="The `exchange_id` of the answer rated.")
    rating: Literal["up", "down"]
    reason: StrictStr | None = Field(None, description="Optional: what was wrong or right, in a few words "
                                                       "(at most CAREERBOT_MAX_FEEDBACK_CHARS characters).")


FEEDBACK_ERRORS: dict = {
    **{status: CHAT_ERRORS[status] for status in (403, 413, 429)},
    404: {**_ERROR, "description": "no answer with this exchange_id (or it has been purged), or feedback is off "
                                   "(CAREERBOT_LOG_CONVERSATIONS=false)"},
    422: {**_ERROR, "description": "malformed exchange_id, a rating other than up/down, or a reason too long"},
    503: {**_ERROR, "description": "the exchange log's database is unavailable; try again later"},
}


def prepare(settings: Settings) -> CareerBot:
    """Ingest the knowledge folder when the store is empty, load the model, answer once to warm up."""
    from bot.ingest.indexing import ingest
    from bot.store import describe, get_collection

    if get_collection(settings).count() == 0:
        log.info("the store at %s is empty: ingesting %s first", describe(settings), settings.knowledge_dir)
        report = ingest([str(settings.knowledge_dir)], settings, progress=False)
        log.info("ingested: %s", report.summary())
        for source, reason in report.failed:
            log.warning("skipped %s: %s", source, reason)
    careerbot = CareerBot(settings)
    # Loads the model and the word lists (a word WordPiece splits, "perks") before the first user.
    careerbot.answer("What does a machine learning engineer do, and what are the perks?")
    log.info("ready: %d chunks in %s", careerbot.chunk_count(), describe(settings))
    return careerbot


def validated(request: ChatRequest, settings: Settings) -> ChatRequest:
    problem = chat_problem(request.message, [turn.content for turn in request.history], settings)
    if problem:
        raise HTTPException(*problem)
    return request


def response_body(answer: Answer, settings: Settings, exchange_id: str | None = None) -> dict:
    return ChatResponse(
        answer=answer.text, backend=answer.backend, refused=answer.refused, notice=answer.notice, kind=answer.kind,
        suggestions=answer.suggestions, exchange_id=exchange_id,
        sources=[SourceOut(**source) for source in source_dicts(answer.sources, settings.knowledge_dir)],
    ).model_dump()


def widget_script(settings: Settings) -> bytes:
    """widget.js with the server's limits, and whether it takes feedback, written in, so the widget never holds a
    copy that could drift."""
    server = json.dumps({"maxMessageChars": settings.max_message_chars, "feedback": settings.log_conversations,
                         "maxFeedbackChars": settings.max_feedback_chars,
                         "maxHistoryTurns": settings.widget_history_turns})
    return (STATIC / "widget.js").read_text(encoding="utf-8").replace(_WIDGET_SETTINGS, server).encode()


async def stream_events(careerbot: CareerBot, request: ChatRequest, gate: CapacityLimiter, settings: Settings,
                        record: Callable[[Answer], str | None]) -> AsyncIterator[str]:
    """Server-Sent Events: `token` pieces, then one `sources` event with the final answer (recorded by
    `record`, which returns its exchange id), then `done`."""
    pieces = careerbot.stream(request.message, [turn.model_dump() for turn in request.history])
    try:
        async for batch in batches(pieces, gate):
            yield "".join(_piece_event(piece, settings, record) for piece in batch)  # one write per batch
    except Exception:  # the stream has started: report in-band rather than cutting the connection
        log.exception("streaming answer failed")
        yield _event("error", {"error": "the answer failed; please try again"})
    yield _event("done", {})


def _piece_event(piece: str | Answer, settings: Settings, record: Callable[[Answer], str | None]) -> str:
    if isinstance(piece, Answer):
        return _event("sources", response_body(piece, settings, record(piece)))
    return _event("token", {"text": piece})


def _event(name: str, data: dict) -> str:
    return sse(data, event=name)


# The rate limiter in the middleware reads this header itself; declared here, /docs shows it, and the route
# gets it (validated) for the exchange log.
_CONVERSATION_ID = Header(None, alias=CONVERSATION_HEADER, pattern=CONVERSATION_ID.pattern,
                          description="Optional conversation id; rate limits apply per conversation as well as per IP, "
                                      "and the exchange log groups answers by it.")
_CHANNEL = Header(None, alias=CHANNEL_HEADER, description="`widget` from careerbot's widget (for the exchange log).")


def channel_of(header: str | None) -> Channel:
    return "widget" if header == "widget" else "api"


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def add_unknown_routes(app: FastAPI) -> None:
    """Under /api/ and /v1/, a wrong method gets 405 and an unknown path 404, as JSON errors (OpenAI's shape
    under /v1/), instead of falling through to the Gradio app mounted at `/`. Added after every other route."""
    catch_alls: list[object] = []

    def routed(scope: dict) -> bool:
        return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes
                   if route not in catch_alls and not isinstance(route, Mount))

    async def unknown(request: Request) -> Response:
        allowed = [method for method in ALL_METHODS
                   if method != request.method and routed({**request.scope, "method": method})]
        if allowed:
            raise HTTPException(405, f"method {request.method} not allowed here; use {', '.join(allowed)}",
                                headers={"Allow": ", ".join(allowed)})
        raise HTTPException(404, f"no such route: {request.method} {request.url.path}")

    for prefix in ("/api", OPENAI_PREFIX.rstrip("/")):
        app.add_api_route(prefix + "/{rest:path}", unknown, methods=ALL_METHODS, include_in_schema=False)
        catch_alls.append(app.router.routes[-1])


def create_app(settings: Settings, careerbot: CareerBot | None = None, with_ui: bool = True) -> FastAPI:
    state: dict[str, CareerBot] = {}
    gate = answer_gate(settings)
    limit_storage = LimitStorage(settings.rate_limit_storage)  # every limit of this app counts there
    questions = QuestionLimit.from_settings(settings.rate_limit, limit_storage)  # the API and the chat page
    ratings = QuestionLimit.from_settings(settings.feedback_rate_limit, limit_storage, name="feedback")
    widget = widget_script(settings)
    conversations = ConversationLog(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from starlette.concurrency import run_in_threadpool

        state["bot"] = careerbot if careerbot is not None else await run_in_threadpool(prepare, settings)
        yield
        await run_in_threadpool(conversations.close)  # writes what is still queued

    def current_bot() -> CareerBot:
        if "bot" not in state:
            raise HTTPException(503, "starting up: the article index is still loading")
        return state["bot"]

    app = FastAPI(
        title="careerbot API",
        description="Cited answers about machine-learning careers from careerbot's article library.",
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc pages load Swagger UI, ReDoc and web fonts from CDNs, on the origin
        # of /admin: off, and /docs served from local files when CAREERBOT_API_DOCS is on.
        docs_url=None, redoc_url=None,
    )

    @app.exception_handler(RequestValidationError)
    async def readable_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Only where and what, never the rejected value: it may be bytes that aren't text, or anything else
        # that the response could fail to serialise (a 500 instead of the 422).
        errors = [{"type": str(e.get("type", "")), "loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
                  for e in exc.errors()]
        problems = [f"{'.'.join(e['loc'][1:]) or 'body'}: {e['msg']}" for e in errors]
        status, body = error_body(request.url.path, 422, "invalid request: " + "; ".join(problems))
        if status == 422:
            body["details"] = errors
        return JSONResponse(status_code=status, content=body)

    @app.exception_handler(HTTPException)
    async def json_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        status, body = error_body(request.url.path, exc.status_code, str(exc.detail), getattr(exc, "code", None))
        return JSONResponse(status_code=status, content=body, headers=exc.headers)

    @app.exception_handler(Exception)
    async def json_server_error(request: Request, exc: Exception) -> JSONResponse:
        # Logged with its traceback by Starlette; the client learns nothing of the server's insides.
        status, body = error_body(request.url.path, 500, "internal error; please try again")
        return JSONResponse(status_code=status, content=body)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "chunks": current_bot().chunk_count()}

    @app.get("/api/starters", response_model=StartersResponse)
    def starters() -> dict:
        return {"questions": current_bot().starter_questions()}

    @app.post("/api/chat", response_model=ChatResponse, responses=CHAT_ERRORS)
    def chat(request: ChatRequest, http: Request, conversation: str | None = _CONVERSATION_ID,
             channel: str | None = _CHANNEL) -> dict:
        validated(request, settings)
        record = conversations.recorder(request.message, channel_of(channel), conversation, client_of(http))
        answer = current_bot().answer(request.message, [t.model_dump() for t in request.history])
        return response_body(answer, settings, record(answer))

    @app.post("/api/chat/stream", response_class=StreamingResponse, description=STREAM_DESCRIPTION,
              responses={200: {"content": {"text/event-stream": {}}, "description": "token*, sources, done"},
                         **CHAT_ERRORS})
    def chat_stream(request: ChatRequest, http: Request, conversation: str | None = _CONVERSATION_ID,
                    channel: str | None = _CHANNEL) -> StreamingResponse:
        validated(request, settings)
        record = conversations.recorder(request.message, channel_of(channel), conversation, client_of(http))
        return StreamingResponse(
            stream_events(current_bot(), request, gate, settings, record), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.post("/api/feedback", status_code=204, response_class=Response, responses=FEEDBACK_ERRORS,
              description="Rate an answer by its `exchange_id`; rating it again replaces the earlier rating.")
    def rate_answer(request: FeedbackRequest) -> Response:
        try:
            submit_feedback(conversations, settings, str(request.exchange_id), request.rating, request.reason)
        except FeedbackRefused as refused:
            raise HTTPException(refused.status, refused.message) from None
        return Response(status_code=204)

    @app.get("/widget.js", include_in_schema=False)
    def widget_js() -> Response:
        # Short cache: customers' pages pick up a fixed widget within minutes.
        return Response(widget, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})

    @app.get("/demo", include_in_schema=False)
    def demo() -> FileResponse:
        return FileResponse(STATIC / "demo.html", media_type="text/html")

    app.include_router(openai_router(settings, current_bot, gate, conversations))
    if settings.admin_token is not None:  # otherwise /admin doesn't exist (404)
        from bot.web.admin import admin_router

        app.include_router(admin_router(settings, conversations, lambda: current_bot().catalog, limit_storage))
    if settings.api_docs:
        from bot.web.apidocs import add_docs

        add_docs(app)
    add_unknown_routes(app)
    install_security(app, settings, questions, ratings)
    if with_ui:
        from bot.web.ui import mount_ui

        app = mount_ui(app, current_bot, settings, questions, ratings, conversations,
                       concurrency=int(gate.total_tokens))
    return app
