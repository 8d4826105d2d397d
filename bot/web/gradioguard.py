"""Gradio's routes answer requests for functions that don't exist with a 500 (a KeyError on `fn_index` 9999 or
-1, an unknown api name on /call/, /run/ or /api/, a body /call/v2/ can't map to arguments), and the result
stream of an event that doesn't exist with a broken response and a traceback. This guard sits
between the app's security middleware (which has capped the body and checked it is JSON) and the mounted Gradio
app, and answers those requests with 404 `{"error"}` before Gradio sees them.
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from typing import Any

from bot.web.bodylimit import read_body, replaying
from bot.web.security import ASGIApp, Receive, Scope, Send, reply_json

# /gradio_api/run/NAME, /gradio_api/api/NAME, /gradio_api/call/NAME (a trailing slash allowed): calls by api name.
_NAMED_CALL = re.compile(r"^/gradio_api/(?:run|api|call)/([^/]+)/?$")
_NAMED_RESULT = re.compile(r"^/gradio_api/call/([^/]+)/([^/]+)/?$")
# Calls run at once, outside the queue: Gradio answers any exception there, a value its components can't take
# among them, with a 500.
_DIRECT_CALL = re.compile(r"^/gradio_api/(?:run|api)/[^/]+/?$")
# The keyword-argument API; the chat's "Use via API" documents /call/NAME only.
CLOSED = ("/gradio_api/call/v2/",)


class GradioGuard:
    def __init__(self, app: ASGIApp, blocks: Any) -> None:
        self.app = app
        self.blocks = blocks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/gradio_api/"):
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        known = {index: fn.api_name for index, fn in self.blocks.fns.items()}
        names = {name for name in known.values() if name}
        problem = None
        if path.startswith(CLOSED):
            problem = "not found"
        elif method == "GET" and (match := _NAMED_RESULT.match(path)):
            if match.group(1) not in names:
                problem = f"no function named {match.group(1)!r}"
            elif not self._event_pending(match.group(2)):
                problem = "no such event (or its result was read already)"
        elif method == "POST":
            body = await read_body(receive, 1 << 62)  # already capped by the security middleware
            receive = replaying(body, receive)
            problem = _body_problem(path, body, known, names)
        if problem:
            await reply_json(send, 404, {"error": problem}, [])
            return
        if method == "POST" and _DIRECT_CALL.match(path):
            send = _input_errors_as_400(send)
        await self.app(scope, receive, send)


    def _event_pending(self, event_id: str) -> bool:
        """Whether Gradio still holds messages for the event, found the way its result route finds them."""
        queue = self.blocks._queue
        event = queue.event_ids_to_events.get(event_id)
        session = event.session_hash if event is not None else next(
            (s for s, ids in list(queue.pending_event_ids_session.items()) if event_id in ids), event_id)
        return session in queue.pending_messages_per_session


def _input_errors_as_400(send: Send) -> Send:
    """A send() that turns Gradio's 500 for a direct call into 400 {"error"}: what reaches a function that
    exists, called with a body that parses, and fails there is input its components or it can't take (our
    own functions answer their own errors). Gradio has logged the exception already."""
    failed = False

    async def sending(message: MutableMapping[str, Any]) -> None:
        nonlocal failed
        if message["type"] == "http.response.start" and message["status"] >= 500:
            failed = True
            await reply_json(send, 400, {"error": "invalid input for this function"}, [])
        elif not failed:
            await send(message)

    return sending


def _body_problem(path: str, body: bytes, known: dict[int, str | None], names: set[str]) -> str | None:
    try:
        data: Any = json.loads(body) if body else None
    except ValueError:
        return None  # Gradio answers 422 itself
    fn_index = data.get("fn_index") if isinstance(data, dict) else None
    if isinstance(fn_index, int) and not isinstance(fn_index, bool):
        return None if fn_index in known else f"no function with fn_index {fn_index}"
    match = _NAMED_CALL.match(path)
    if match and match.group(1) not in names:
        return f"no function named {match.group(1)!r}"
    return None


def guard_gradio(app: Any, blocks: Any) -> None:
    """Wraps the Gradio app mounted on `app` (a FastAPI app) in the guard."""
    from starlette.routing import Mount

    mount = next(route for route in reversed(app.router.routes) if isinstance(route, Mount))
    mount.app = GradioGuard(mount.app, blocks)
