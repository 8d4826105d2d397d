"""A small real web site on 127.0.0.1 for bench.sync and tests/test_sites.py: routes set per path, ETag and
Last-Modified with 304 answers, redirects, slow and endless pages, and counters of what was asked."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.testing.corpus import article_text


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: bool = True  # answer If-None-Match
    last_modified: float | None = None  # epoch seconds; answer If-Modified-Since
    location: str | None = None
    delay_s: float = 0.0
    declared_bytes: int | None = None  # send this many bytes (a Content-Length too big to download)


class SiteServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.user_agents: set[str] = set()
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), path) of every request
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def page(self, path: str, title: str, text: str, **route: Any) -> None:
        """An HTML article at `path`: a title and paragraphs (blank-line separated; `## ` lines are headings)."""
        self.routes[path] = Route(body=article_html(title, text).encode(), **route)

    def sitemap(self, path: str, paths: list[str], index: bool = False) -> None:
        tag, item = ("sitemapindex", "sitemap") if index else ("urlset", "url")
        locs = "".join(f"<{item}><loc>{escape(self.absolute(p))}</loc></{item}>" for p in paths)
        namespace = "http://www.sitemaps.org/schemas/sitemap/0.9"
        xml = f'<?xml version="1.0" encoding="UTF-8"?><{tag} xmlns="{namespace}">{locs}</{tag}>'
        self.routes[path] = Route(body=xml.encode(), content_type="application/xml")

    def absolute(self, path: str) -> str:
        return path if "://" in path else self.url + path

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.not_modified.clear()
            self.arrivals.clear()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                with site._lock:
                    site.requests[path] += 1
                    site.arrivals.append((time.monotonic(), path))
                    site.user_agents.add(self.headers.get("User-Agent", ""))
                route = site.routes.get(path)
                if route is None:
                    return self._send(404, b"not found", "text/plain")
                time.sleep(route.delay_s)
                if route.location:
                    return self._send(route.status, b"", "text/plain", {"Location": site.absolute(route.location)})
                headers = {}
                if route.etag:
                    headers["ETag"] = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                if route.last_modified is not None:
                    headers["Last-Modified"] = formatdate(route.last_modified, usegmt=True)
                if route.status == 200 and self._not_modified(headers):
                    with site._lock:
                        site.not_modified[path] += 1
                    return self._send(304, b"", None, headers)
                self._send(route.status, route.body, route.content_type, headers, route.declared_bytes)

            def _not_modified(self, headers: dict[str, str]) -> bool:
                if "If-None-Match" in self.headers and "ETag" in headers:
                    return self.headers["If-None-Match"] == headers["ETag"]
                since = self.headers.get("If-Modified-Since")
                return since is not None and since == headers.get("Last-Modified")

            def _send(self, status: int, body: bytes, content_type: str | None,
                      headers: dict[str, str] | None = None, declared: int | None = None) -> None:
                try:  # a client that gave up (timeout, size cap) closes the connection: not the server's error
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    if content_type:
                        self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(declared or len(body)))
                    self.end_headers()
                    if declared:  # stream the announced size until the client hangs up
                        block = b"x" * 65536
                        for _ in range(declared // len(block)):
                            self.wfile.write(block)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator[SiteServer]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def article_html(title: str, text: str) -> str:
    blocks = []
    for block in text.split("\n\n"):
        block = block.strip()
        if block.startswith("## "):
            blocks.append(f"<h2>{escape(block[3:])}</h2>")
        elif block:
            blocks.append(f"<p>{escape(block)}</p>")
    return (f"<!doctype html><html><head><title>{escape(title)}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>{escape(title)}</h1>{''.join(blocks)}</article></body></html>")


def generated_site(server: SiteServer, pages: int, words: int = 500) -> list[str]:
    """`pages` generated career articles under /blog/, listed by /sitemap.xml; returns their paths."""
    paths = [f"/blog/post-{i:04d}" for i in range(pages)]
    for i, path in enumerate(paths):
        markdown = article_text(i, words).split("---", 2)[2]  # without the front matter
        server.page(path, f"Notes on careers, part {i}", markdown, last_modified=1_700_000_000 + i)
    server.sitemap("/sitemap.xml", paths)
    return paths
