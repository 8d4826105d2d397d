"""Open-web safety: origin allow-list (CORS, 403, frame-ancestors), rate limits (429 + Retry-After), body
caps, API docs; against real `python app.py` processes, plus the middleware and limiter on their own."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.web.origins import OriginPolicy, is_same_origin
from bot.web.ratelimit import QuestionLimit, SlidingWindowLimiter, client_key, parse_rate
from bot.web.security import WebSecurity

QUESTION = "What does a machine learning engineer do?"


def post(base: str, origin: str | None = None, conversation: str | None = None, **kwargs: object) -> httpx.Response:
    headers = {k: v for k, v in {"Origin": origin, "X-Conversation-Id": conversation}.items() if v}
    return httpx.post(f"{base}/api/chat", json={"message": QUESTION}, headers=headers, timeout=60, **kwargs)


def preflight(base: str, origin: str) -> httpx.Response:
    return httpx.options(f"{base}/api/chat/stream", timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-conversation-id"})


# --- a real app with an allow-list --------------------------------------------------------------------

def test_allowed_origin_gets_a_cors_grant(widget_app: str, host_sites: dict) -> None:
    allowed = host_sites["allowed"]
    granted = preflight(widget_app, allowed)
    assert granted.status_code == 204
    assert granted.headers["access-control-allow-origin"] == allowed
    assert {"x-conversation-id", "x-careerbot-channel"} <= set(
        granted.headers["access-control-allow-headers"].lower().replace(" ", "").split(","))

    answer = post(widget_app, origin=allowed)
    assert answer.status_code == 200 and answer.json()["sources"]
    assert answer.headers["access-control-allow-origin"] == allowed
    assert "retry-after" in answer.headers["access-control-expose-headers"].lower()  # the widget reads it on 429


def test_other_origins_get_403_and_no_grant(widget_app: str, host_sites: dict) -> None:
    for origin in (host_sites["foreign"], "https://evil.example", "null"):
        for response in (post(widget_app, origin=origin), preflight(widget_app, origin)):
            assert response.status_code == 403, (origin, response.request.method)
            assert "access-control-allow-origin" not in response.headers
            assert response.json()["error"]


def test_feedback_from_other_origins_gets_403(widget_app: str, host_sites: dict) -> None:
    rating = {"exchange_id": str(uuid.uuid4()), "rating": "up"}
    refused = httpx.post(f"{widget_app}/api/feedback", json=rating, headers={"Origin": host_sites["foreign"]})
    allowed = httpx.post(f"{widget_app}/api/feedback", json=rating, headers={"Origin": host_sites["allowed"]})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    assert allowed.status_code == 404 and allowed.headers["access-control-allow-origin"] == host_sites["allowed"]


def test_no_origin_and_own_origin_need_no_grant(widget_app: str) -> None:
    for origin in (None, widget_app):  # curl and the app's own pages (/demo)
        response = post(widget_app, origin=origin)
        assert response.status_code == 200 and response.json()["answer"]
        assert "access-control-allow-origin" not in response.headers


def test_pages_may_only_be_framed_by_allowed_sites(widget_app: str, host_sites: dict) -> None:
    for path in ("/", "/demo"):
        policy = httpx.get(widget_app + path, timeout=30).headers["content-security-policy"]
        assert policy == f"frame-ancestors 'self' {host_sites['allowed']}; img-src 'self' data: blob:"


def test_demo_page_embeds_the_widget_like_a_customer(page: object, widget_app: str) -> None:
    page.goto(widget_app + "/demo")
    assert page.locator("#snippet").inner_text() == f'<script src="{widget_app}/widget.js" defer></script>'
    page.get_by_role("button", name="Open chat").click()
    box = page.get_by_label("Your question")
    box.fill(QUESTION)
    box.press("Enter")
    page.locator("careerbot-widget .source-title").first.wait_for(state="visible")


def test_oversized_bodies_are_refused_even_without_content_length(widget_app: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"message": "hi", "history": [{"role": "user", "content": "'
        for _ in range(40):
            yield b"a" * 50_000
        yield b'"}]}'

    response = httpx.post(f"{widget_app}/api/chat/stream", content=chunks(), timeout=30,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "too large" in response.json()["error"]
    too_long = httpx.post(f"{widget_app}/api/chat/stream", json={"message": "a" * 2001}, timeout=30)
    assert too_long.status_code == 413  # same validation as /api/chat


def test_docs_describe_both_chat_routes(widget_app: str) -> None:
    spec = httpx.get(f"{widget_app}/openapi.json", timeout=30).json()
    for path in ("/api/chat", "/api/chat/stream"):
        operation = spec["paths"][path]["post"]
        assert {"403", "413", "429"} <= set(operation["responses"])
        assert [p["name"] for p in operation["parameters"]] == ["x-conversation-id", "x-careerbot-channel"]
    assert {"404", "422", "503"} <= set(spec["paths"]["/api/feedback"]["post"]["responses"])
    assert "text/event-stream" in spec["paths"]["/api/chat/stream"]["post"]["responses"]["200"]["content"]
    assert "event: sources" in spec["paths"]["/api/chat/stream"]["post"]["description"].replace("`", "")


# --- a real app with the default origins and 3 requests a minute -------------------------------------

def exhaust(base: str, conversation: str) -> tuple[list[int], httpx.Response]:
    statuses = []
    for _ in range(10):
        response = post(base, conversation=conversation)
        statuses.append(response.status_code)
        if response.status_code == 429:
            return statuses, response
    pytest.fail(f"no 429 after {statuses}")


def test_default_allows_only_its_own_origin(limited_app: str) -> None:
    refused = post(limited_app, origin="https://customer.example")  # refused before it counts as a request
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    policy = httpx.get(limited_app + "/", timeout=30).headers["content-security-policy"]
    assert policy == "frame-ancestors 'self'; img-src 'self' data: blob:"


def test_rate_limit_answers_429_with_retry_after(limited_app: str) -> None:
    statuses, refused = exhaust(limited_app, uuid.uuid4().hex)
    assert set(statuses[:-1]) <= {200} and len(statuses) <= 4
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "too many requests" in refused.json()["error"]
    # The IP limit holds whatever conversation id a client makes up.
    assert post(limited_app, conversation=uuid.uuid4().hex).status_code == 429


def test_widget_explains_a_rate_limit(page: object, limited_app: str) -> None:
    exhaust(limited_app, uuid.uuid4().hex)
    page.goto(limited_app + "/demo")
    page.get_by_role("button", name="Open chat").click()
    box = page.get_by_label("Your question")
    box.fill(QUESTION)
    box.press("Enter")
    alert = page.get_by_role("alert")
    alert.wait_for(state="visible")
    assert "faster than I can answer" in alert.inner_text() and "second" in alert.inner_text()
    # The question stays on screen but is not sent as history with the next one.
    saved = page.evaluate("JSON.parse(sessionStorage.getItem('careerbot-widget:' + location.origin))")
    assert saved["messages"][-2] == {"role": "user", "text": QUESTION, "unanswered": True}


# --- the middleware and limiter on their own ----------------------------------------------------------

def guarded(policy: OriginPolicy, limiter: SlidingWindowLimiter | None = None) -> TestClient:
    async def chat(request: Request) -> JSONResponse:
        return JSONResponse({"echo": len(await request.body())})

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse("<p>page</p>")

    app = Starlette(routes=[Route("/api/chat", chat, methods=["POST"]), Route("/", page)])
    return TestClient(WebSecurity(app, policy, QuestionLimit(limiter), max_body_bytes=1000))  # http://testserver


def test_star_allows_any_origin_and_any_framing() -> None:
    client = guarded(OriginPolicy.from_settings(["*"]))
    response = client.post("/api/chat", content=b"{}", headers={"Origin": "https://anyone.example"})
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "https://anyone.example"
    assert client.get("/").headers["content-security-policy"] == "frame-ancestors *; img-src 'self' data: blob:"


def test_a_refused_request_still_carries_the_grant_so_the_widget_can_read_it() -> None:
    client = guarded(OriginPolicy.from_settings(["https://shop.example"]), SlidingWindowLimiter(1, 60))
    headers = {"Origin": "https://shop.example"}
    assert client.post("/api/chat", content=b"{}", headers=headers).status_code == 200
    refused = client.post("/api/chat", content=b"{}", headers=headers)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert refused.headers["access-control-allow-origin"] == "https://shop.example"


def test_same_origin_is_judged_by_host_and_port() -> None:
    assert is_same_origin("http://bot.example", "bot.example")
    assert is_same_origin("https://bot.example", "bot.example:443")
    assert is_same_origin("http://127.0.0.1:7860", "127.0.0.1:7860")
    assert not is_same_origin("http://127.0.0.1:7861", "127.0.0.1:7860")
    assert not is_same_origin("http://bot.example.evil.example", "bot.example")
    assert not is_same_origin("null", "bot.example")
    assert not is_same_origin("http://bot.example", None)


def test_origins_must_be_bare_origins() -> None:
    assert OriginPolicy.from_settings(["https://Shop.example/", " http://a.example:8080 "]).allowed == {
        "https://shop.example", "http://a.example:8080"}
    for bad in ("shop.example", "https://shop.example/path", "https://x.example; script-src *"):
        with pytest.raises(ValueError):
            OriginPolicy.from_settings([bad])


def test_rate_parsing() -> None:
    assert parse_rate("20/minute") == (20, 60.0)
    assert parse_rate("5 / second") == (5, 1.0)
    assert parse_rate("100/10 minutes") == (100, 600.0)
    assert parse_rate("off") is None
    for bad in ("20", "20 per minute", "0/minute", "x/hour"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_limits_hold_per_ip_and_per_conversation_over_a_sliding_window(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])  # the clock the `limits` package counts with
    limiter = SlidingWindowLimiter(2, 60)
    assert limiter.acquire(["ip:a", "conversation:x"]) == 0
    now[0] += 30
    assert limiter.acquire(["ip:a", "conversation:x"]) == 0
    # The same conversation from another network is still limited; so is a new conversation from the same IP.
    assert limiter.acquire(["ip:b", "conversation:x"]) == pytest.approx(30)
    assert limiter.acquire(["ip:a", "conversation:y"]) == pytest.approx(30)
    assert limiter.acquire(["ip:b", "conversation:z"]) == 0  # refusals did not count against ip:b
    now[0] += 30.5  # the first hit has left the window, the second has not
    assert limiter.acquire(["ip:a"]) == 0
    assert limiter.acquire(["ip:a"]) == pytest.approx(29.5)


def test_body_cap_reports_the_configured_limit_and_bad_json_is_a_json_error() -> None:
    client = guarded(OriginPolicy())
    too_big = client.post("/api/chat", content=b"x" * 1001)
    assert too_big.status_code == 413 and too_big.json() == {"error": "request too large: at most 1000 bytes"}
    assert client.post("/api/chat", content=b"{}").json() == {"echo": 2}  # the route still reads the body
    malformed = client.post("/api/chat", content=b"{", headers={"content-type": "application/json"})
    assert malformed.status_code == 422 and "malformed JSON" in malformed.json()["error"]


def test_cors_headers_set_by_a_mounted_app_are_replaced_by_the_policy() -> None:
    async def permissive(request: Request) -> JSONResponse:  # what Gradio's own CORS does for localhost pages
        return JSONResponse({}, headers={"Access-Control-Allow-Origin": "http://localhost:3000",
                                         "Access-Control-Allow-Credentials": "true"})

    app = Starlette(routes=[Route("/config", permissive)])
    client = TestClient(WebSecurity(app, OriginPolicy(), QuestionLimit(None), max_body_bytes=1000))
    response = client.get("/config", headers={"Origin": "http://localhost:3000"})
    assert response.status_code == 200 and not [h for h in response.headers if h.startswith("access-control-")]


def test_clients_are_counted_per_ipv4_address_and_per_ipv6_64() -> None:
    assert client_key("203.0.113.7") == "203.0.113.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_key(None) == "unknown"


def test_app_trusts_forwarded_for_only_from_named_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    import app

    runs: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda asgi_app, **options: runs.append(options))  # serve nothing
    monkeypatch.delenv("CAREERBOT_TRUSTED_PROXIES", raising=False)
    app.main([])
    app.main(["--forwarded-allow-ips", "10.0.0.1, 10.1.0.0/16"])
    assert (runs[0]["proxy_headers"], runs[0]["forwarded_allow_ips"]) == (False, None)  # uvicorn's own default: 127.0.0.1
    assert (runs[1]["proxy_headers"], runs[1]["forwarded_allow_ips"]) == (True, ["10.0.0.1", "10.1.0.0/16"])
