"""A scripted OpenAI-compatible chat server on a free loopback port: the only fake in the backend tests.

POST /v1/chat/completions answers with `script.reply` (a string, or a function of the request that can
read the passages out of the prompt like a model would), as one JSON reply or, when the request says
"stream": true, as Server-Sent Events chunks. The script can also delay (a hang), fail with a status, or
send a body that is not JSON. Every request body is recorded in `requests`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer



class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # a scripted hang must not keep the test run alive

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that gave up on a hang: nothing to report."""

@dataclass
class Script:
    reply: str | Callable[[dict], str] = ""
    status: int = 200
    delay_s: float = 0.0
    malformed: bool = False


def user_prompt(request: dict) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "user")


def system_prompt(request: dict) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "system")


def passage(request: dict, n: int) -> str:
    """The text of passage n as the prompt carries it."""
    found = re.search(rf'<passage n="{n}"[^>]*>\n(.*?)\n</passage>', user_prompt(request), re.S)
    assert found, f"no passage {n} in the prompt"
    return found.group(1)


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip())[0]


@dataclass
class FakeOpenAI:
    script: Script = field(default_factory=Script)
    requests: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self, **script: Any) -> None:
        self.script = Script(**script)
        self.requests.clear()

    def text_for(self, request: dict) -> str:
        reply = self.script.reply
        return reply(request) if callable(reply) else reply


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet test output
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(404, {"error": {"message": f"no route {self.path}"}})
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            fake.requests.append(request)
            time.sleep(fake.script.delay_s)
            if fake.script.status != 200:
                return self._send(fake.script.status, {"error": {"message": "scripted failure", "type": "server_error"}})
            if fake.script.malformed:
                return self._send_raw(200, "application/json", b"<html>this is not the JSON you expected")
            text = fake.text_for(request)
            if request.get("stream"):
                return self._stream(request, text)
            self._send(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": request["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })

        def _stream(self, request: dict, text: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in [*re.findall(r"\S+\s*", text), None]:
                chunk = {
                    "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": request["model"],
                    "choices": [{"index": 0, "delta": {"content": piece} if piece else {},
                                 "finish_reason": None if piece else "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")

        def _send(self, status: int, body: dict) -> None:
            self._send_raw(status, "application/json", json.dumps(body).encode())

        def _send_raw(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
