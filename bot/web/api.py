"""One FastAPI app: JSON + streaming chat API, health, the widget's files, and the Gradio UI at `/`."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from bot.chain import Answer, CareerBot
from bot.settings import Settings

log = logging.getLogger(__name__)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: StrictStr = Field(description="The user's question.")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first.")


class SourceOut(BaseModel):
    n: int
    title: str
    source: str = Field(description="Path relative to the knowledge folder, or the article's URL.")
    text: str = Field(description="The cited passage.")
    url: str | None = None


class ChatResponse(BaseModel):
    answer: str
    sources: list[SourceOut]
    backend: str
    refused: bool
    notice: str | None = None


def prepare(settings: Settings) -> CareerBot:
    """Ingest the knowledge folder when the store is empty, load the model, answer once to warm up."""
    from bot.indexing import ingest
    from bot.store import describe, get_collection

    if get_collection(settings).count() == 0:
        log.info("the store at %s is empty: ingesting %s first", describe(settings), settings.knowledge_dir)
        report = ingest([str(settings.knowledge_dir)], settings, progress=False)
        log.info("ingested: %s", report.summary())
        for source, reason in report.failed:
            log.warning("skipped %s: %s", source, reason)
    careerbot = CareerBot(settings)
    careerbot.answer("What does a machine learning engineer do?")  # loads the model before the first user
    log.info("ready: %d chunks in %s", careerbot.chunk_count(), describe(settings))
    return careerbot


def validated(request: ChatRequest, settings: Settings) -> ChatRequest:
    if not request.message.strip():
        raise HTTPException(422, "message must not be empty")
    if len(request.message) > settings.max_message_chars:
        raise HTTPException(413, f"message too long: {len(request.message)} characters, at most {settings.max_message_chars}")
    if len(request.history) > settings.max_history_turns:
        raise HTTPException(413, f"history too long: at most {settings.max_history_turns} turns")
    return request


def response_body(answer: Answer) -> dict:
    return ChatResponse(
        answer=answer.text, backend=answer.backend, refused=answer.refused, notice=answer.notice,
        sources=[SourceOut(n=s.n, title=s.title, source=s.source, text=s.text, url=s.url) for s in answer.sources],
    ).model_dump()


def sse_events(careerbot: CareerBot, request: ChatRequest) -> Iterator[str]:
    """Server-Sent Events: `token` pieces, then one `sources` event with the final answer, then `done`."""
    history = [turn.model_dump() for turn in request.history]
    try:
        for piece in careerbot.stream(request.message, history):
            if isinstance(piece, Answer):
                yield _event("sources", response_body(piece))
            else:
                yield _event("token", {"text": piece})
    except Exception:  # the stream has started: report in-band rather than cutting the connection
        log.exception("streaming answer failed")
        yield _event("error", {"error": "the answer failed; please try again"})
    yield _event("done", {})


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(settings: Settings, careerbot: CareerBot | None = None, with_ui: bool = True) -> FastAPI:
    state: dict[str, CareerBot] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from starlette.concurrency import run_in_threadpool

        state["bot"] = careerbot or await run_in_threadpool(prepare, settings)
        yield

    def current_bot() -> CareerBot:
        if "bot" not in state:
            raise HTTPException(503, "starting up: the article index is still loading")
        return state["bot"]

    app = FastAPI(
        title="careerbot API",
        description="Cited answers about machine-learning careers from careerbot's article library.",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def readable_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(
            status_code=422,
            content={"error": "invalid request: " + "; ".join(problems), "details": jsonable_encoder(exc.errors())},
        )

    @app.exception_handler(HTTPException)
    async def json_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"error": exc.detail}, headers=exc.headers)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "chunks": current_bot().chunk_count()}

    @app.post("/api/chat", response_model=ChatResponse)
    def chat(request: ChatRequest) -> dict:
        validated(request, settings)
        return response_body(current_bot().answer(request.message, [t.model_dump() for t in request.history]))

    @app.post("/api/chat/stream", response_class=StreamingResponse,
              responses={200: {"content": {"text/event-stream": {}}, "description": "token*, sources, done"}})
    def chat_stream(request: ChatRequest) -> StreamingResponse:
        validated(request, settings)
        return StreamingResponse(
            sse_events(current_bot(), request), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    if with_ui:
        from bot.web.ui import mount_ui

        app = mount_ui(app, current_bot)
    return app
