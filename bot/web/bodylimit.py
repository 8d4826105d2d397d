"""Request bodies: read at most the configured number of bytes, and refuse JSON that isn't JSON or Unicode.

The middleware reads the whole (capped) body before any route sees it, then replays it. That makes one
policy for every route, ours and Gradio's: each sees only bodies that fit and parse, and oversized or
malformed ones get our JSON error instead of whatever each framework would say.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


class BodyTooLarge(Exception):
    """The body (announced or received so far) is over the cap."""


class ClientGone(Exception):
    """The client disconnected before sending its whole body."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, counted as it arrives (chunked uploads announce no Content-Length)."""
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive() that hands over the body already read, then passes on what follows (the disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def json_problem(body: bytes) -> str | None:
    """Why a JSON body can't be processed, or None. A lone surrogate (`"\\ud800"`) is valid JSON syntax but
    no text: left in, it fails later, deep inside the tokenizer or a database driver, as a 500."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return "the body is not UTF-8 text"
    except json.JSONDecodeError as error:
        return f"malformed JSON ({error.msg} at line {error.lineno} column {error.colno})"
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "invalid Unicode: the text holds a lone surrogate (\\ud800-\\udfff)"
    return None


def too_large_text(limit: int) -> str:
    return f"request too large: at most {limit} bytes"
