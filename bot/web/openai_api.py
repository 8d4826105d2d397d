"""careerbot as a model: OpenAI-compatible `/v1/models` and `/v1/chat/completions`, citations kept.

Chat UIs that only show `content` still see the citations: the answer keeps its `[n]` markers and ends with a
source list (`[n] title — URL`). Programs get them structured too, in an extra `citations` field on the message
(the final chunk's delta when streaming), shaped like `/api/chat`'s `sources`. `content` is plain text, as
the articles wrote it: no Markdown escapes to show literally, and no links or images of ours.
Rate limits, body caps and origin checks come from the app's middleware (bot/web/security.py), errors in
OpenAI's shape from bot/web/errors.py.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Literal

from anyio import CapacityLimiter
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from bot.answer.pipeline import Answer, CareerBot
from bot.owner.log import ConversationLog
from bot.settings import Settings
from bot.web.display import plain_answer, source_dicts
from bot.web.errors import OPENAI_PREFIX, error_body
from bot.web.ratelimit import client_of, conversation_id
from bot.web.security import CONVERSATION_HEADER
from bot.web.streaming import batches, sse
from bot.web.validation import chat_problem

log = logging.getLogger(__name__)
# A fixed date rather than the start time, so the model list doesn't change with every restart.
MODEL_CREATED = 1767225600
_ERROR = {"content": {"application/json": {"example": {"error": {
    "message": "what went wrong", "type": "invalid_request_error", "param": None, "code": None}}}}}
ERRORS: dict = {
    400: {**_ERROR, "description": "invalid request (malformed JSON, no user message, empty question)"},
    401: {**_ERROR, "description": "missing or wrong `Authorization: Bearer KEY` (when CAREERBOT_API_KEYS is set)"},
    404: {**_ERROR, "description": "unknown model"},
    413: {**_ERROR, "description": "question, history, a turn or the request body too long"},
    429: {**_ERROR, "description": "rate limit (CAREERBOT_RATE_LIMIT); see the Retry-After header"},
}
CITATIONS_NOTE = ("careerbot adds `citations` to the assistant message (to the final chunk's `delta` when "
                  "streaming): the cited articles, shaped like `/api/chat`'s `sources`; and `exchange_id` to the "
                  "response (to the final chunk), for rating the answer with `POST /api/feedback`.")


class OpenAIError(HTTPException):
    """An HTTPException with OpenAI's error `code` (e.g. `model_not_found`)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(status, message)
        self.code = code


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include_usage: bool = False


class CompletionRequest(BaseModel):
    """OpenAI's chat-completions body. Unknown fields are ignored, as OpenAI's server does; so are sampling
    settings like `max_tokens` and `temperature`, which don't apply to cited extracts."""

    model_config = ConfigDict(extra="ignore")
    model: str
    messages: list[ChatMessage] = Field(min_length=1, description="The last user message is the question, "
                                        "earlier user/assistant turns the history; system messages are ignored.")
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, description="Accepted and ignored.")
    temperature: float | None = Field(None, description="Accepted and ignored.")


def text_of(content: str | list[dict] | None) -> str:
    """Message content is a string or a list of parts; only text parts count."""
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if part.get("type") == "text")
    return content or ""


def question_and_history(request: CompletionRequest, settings: Settings) -> tuple[str, list[dict]]:
    """The last user message, and the user/assistant turns before it. System prompts are dropped: they never
    change what careerbot may say."""
    user_turns = [i for i, m in enumerate(request.messages) if m.role == "user"]
    if not user_turns:
        raise OpenAIError(400, "messages must include a user message: the question")
    last = user_turns[-1]
    question = text_of(request.messages[last].content)
    history = [{"role": m.role, "content": text_of(m.content)} for m in request.messages[:last]
               if m.role in ("user", "assistant")]
    problem = chat_problem(question, [turn["content"] for turn in history], settings)
    if problem:
        raise OpenAIError(*problem)
    return question, history


def content_of(answer: Answer, settings: Settings, text: str | None = None) -> str:
    """The plain-text content: the answer with its `[n]` markers, its notice, then the source list."""
    return plain_answer(answer.text if text is None else text, answer.notice, answer.sources, settings.knowledge_dir)


def usage(question: str, history: list[dict], content: str) -> dict:
    """Counted in words: careerbot writes extracts, not model tokens, and has no tokenizer of its own."""
    prompt = len(question.split()) + sum(len(turn["content"].split()) for turn in history)
    completion = len(content.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def openai_router(settings: Settings, current_bot: Callable[[], CareerBot], gate: CapacityLimiter,
                  conversations: ConversationLog) -> APIRouter:
    bearer = HTTPBearer(auto_error=False, description="One of CAREERBOT_API_KEYS, when set.")
    keys = [key.encode() for key in settings.api_keys]

    def authorized(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if not keys:
            return
        offered = (credentials.credentials if credentials else "").encode()
        if not any(hmac.compare_digest(offered, key) for key in keys):  # constant time: no guessing by timing
            raise OpenAIError(401, "invalid API key: send `Authorization: Bearer KEY` with a key from CAREERBOT_API_KEYS")

    def model_card() -> dict:
        return {"id": settings.openai_model_id, "object": "model", "created": MODEL_CREATED, "owned_by": "careerbot"}

    def checked_model(model: str) -> str:
        if model != settings.openai_model_id:
            raise OpenAIError(404, f"the model {model!r} does not exist; use {settings.openai_model_id!r}",
                              code="model_not_found")
        return model

    router = APIRouter(prefix=OPENAI_PREFIX.rstrip("/"), tags=["OpenAI-compatible"],
                       dependencies=[Depends(authorized)], responses={401: ERRORS[401]})

    @router.get("/models", summary="List models (one: careerbot)")
    def list_models() -> dict:
        return {"object": "list", "data": [model_card()]}

    @router.get("/models/{model}", summary="Retrieve a model", responses={404: ERRORS[404]})
    def retrieve_model(model: str) -> dict:
        checked_model(model)
        return model_card()

    @router.post("/chat/completions", summary="Create a chat completion, with citations",
                 description="OpenAI's chat-completions protocol. With `stream: true`: `chat.completion.chunk` "
                             "Server-Sent Events ending with `data: [DONE]`; the final chunk carries the source "
                             "list; `stream_options.include_usage` adds a usage chunk (counted in words). "
                             + CITATIONS_NOTE,
                 responses={200: {"content": {"text/event-stream": {}}}, **ERRORS})
    def chat_completions(request: CompletionRequest, http: Request) -> object:
        model = checked_model(request.model)
        question, history = question_and_history(request, settings)
        record = conversations.recorder(question, "openai", conversation_id(http.headers.get(CONVERSATION_HEADER)),
                                        client_of(http))

        if request.stream:
            include_usage = bool(request.stream_options and request.stream_options.include_usage)
            chunks = completion_chunks(current_bot(), question, history, gate, settings, model, include_usage, record)
            return StreamingResponse(chunks, media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        answer = current_bot().answer(question, history)
        content = content_of(answer, settings)
        message = {"role": "assistant", "content": content, "refusal": None,
                   "citations": source_dicts(answer.sources, settings.knowledge_dir)}
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                "model": model, "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
                "usage": usage(question, history, content), "exchange_id": record(answer)}

    return router


async def completion_chunks(careerbot: CareerBot, question: str, history: list[dict], gate: CapacityLimiter,
                            settings: Settings, model: str, include_usage: bool,
                            record: Callable[[Answer], str | None]) -> AsyncIterator[str]:
    """`chat.completion.chunk` events: the role, the answer as it is written, then a final chunk with the rest
    (notice, source list, `citations`, and the `exchange_id` that `record` gave the answer), an optional usage
    chunk, and `[DONE]`."""
    base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model}

    def chunk(delta: dict, finish: str | None = None, **extra: object) -> str:
        return _data({**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                      **extra})

    yield chunk({"role": "assistant", "content": ""})
    streamed, content = "", ""
    try:
        async for batch in batches(careerbot.stream(question, history), gate):
            text = "".join(piece for piece in batch if isinstance(piece, str))
            if text:
                streamed += text
                content += text
                yield chunk({"content": text})
            for answer in (piece for piece in batch if isinstance(piece, Answer)):
                rest = _closing(answer, streamed, settings)
                content += rest
                yield chunk({"content": rest, "citations": source_dicts(answer.sources, settings.knowledge_dir)},
                            finish="stop", exchange_id=record(answer))
    except Exception:  # the stream has started: OpenAI's clients raise on an in-band error object
        log.exception("streaming completion failed")
        yield _data(error_body(OPENAI_PREFIX, 500, "the answer failed; please try again")[1])
    if include_usage:
        yield _data({**base, "choices": [], "usage": usage(question, history, content)})
    yield "data: [DONE]\n\n"


def _closing(answer: Answer, streamed: str, settings: Settings) -> str:
    """What the final chunk appends. A client can only append, so if the checked answer isn't what was
    streamed (an LLM answer replaced by the composer's extract), it follows in full after its notice."""
    if answer.text.strip() == streamed.strip():
        tail = ""
    elif answer.text.startswith(streamed):
        tail = answer.text[len(streamed):]
    else:
        return "\n\n" + content_of(answer, settings)
    closing = content_of(answer, settings, text=tail)
    return closing if tail or not closing else "\n\n" + closing


def _data(payload: dict) -> str:
    return sse(payload)
