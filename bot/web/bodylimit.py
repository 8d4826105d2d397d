"""Request bodies: read at most the configured number of bytes, and refuse JSON that isn't JSON or Unicode.

The middleware reads the whole (capped) body before any route sees it, then replays it. That makes one
policy for every route, ours and Gradio's: each sees only bodies that fit and parse, and oversized or
malformed ones get our JSON error instead of whatever each framework would say.
"""

from __future__ import annotations

import json
import re
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


# No request careerbot takes nests deeper than a few levels or holds a number longer than a timestamp; these
# bounds sit far above that and far below what would cost the parser (or a validator after it) real work.
MAX_JSON_DEPTH = 32
MAX_NUMBER_CHARS = 40


class _Refused(ValueError):
    """JSON syntax that is valid for Python's json module but not accepted here."""


def _no_constant(name: str) -> object:
    raise _Refused(f"{name} is not a JSON number")


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _finite_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"the number {text} is out of range")
    return value


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in `text`, counted without parsing (so without recursion): strings
    are cut out first, so a bracket inside one doesn't count."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def strict_json(text: str) -> object:
    """JSON as RFC 8259 has it: no NaN or Infinity, numbers of sane length and range, bounded nesting. Python's
    json.loads takes NaN and 1e400 (inf), converts a 5,000-digit integer only to fail later, and recurses per
    level of nesting; each ended as a 500 somewhere after it. Raises ValueError with the reason."""
    if nesting_depth(text) > MAX_JSON_DEPTH:
        raise _Refused(f"arrays and objects nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(text, parse_constant=_no_constant, parse_int=_bounded_int, parse_float=_finite_float)


def json_problem(body: bytes) -> str | None:
    """Why a JSON body can't be processed, or None. A lone surrogate (`"\\ud800"`) is valid JSON syntax but
    no text: left in, it fails later, deep inside the tokenizer or a database driver, as a 500."""
    try:
        data = strict_json(body.decode("utf-8"))
    except UnicodeDecodeError:
        return "the body is not UTF-8 text"
    except json.JSONDecodeError as error:
        return f"malformed JSON ({error.msg} at line {error.lineno} column {error.colno})"
    except _Refused as error:
        return f"unsupported JSON: {error}"
    except (ValueError, RecursionError):
        return "unsupported JSON"
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "invalid Unicode: the text holds a lone surrogate (\\ud800-\\udfff)"
    return None


def too_large_text(limit: int) -> str:
    return f"request too large: at most {limit} bytes"
