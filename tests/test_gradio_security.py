"""The Gradio chat's routes under the app's one security policy, probed as an attacker would against real
`python app.py` processes: rate limits, caps, origins, uploads, the queue, errors, proxies, and Markdown from
articles and readers shown as text in real chromium while a loopback "tracker" waits for a request."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.testing.apprunner import REPO
from tests.conftest import MARKDOWN_SOURCE_NAME, Tracker, new_client, queue_completion

QUESTION = "What does a machine learning engineer do?"
POTTERY_QUESTION = "How long does a studio pottery apprenticeship last?"
OFF_TOPIC = "How do I repair a bicycle puncture?"
# The question asks what the article says (it names no pay: "what do potters earn?" is declined).
READER_MARKDOWN = "![q]({tracker}/question.png) [click]({tracker}/question-link) `code` what do studio potters glaze?"


def as_client(client: str, **extra: str) -> dict[str, str]:
    return {"X-Forwarded-For": client, **extra}


def gradio_call(base: str, message: str, client: str) -> tuple[str, object]:
    """Asks through Gradio's API (POST /gradio_api/call/respond, then GET its result): (last event, data)."""
    started = httpx.post(f"{base}/gradio_api/call/respond", json={"data": [message, []]},
                         headers=as_client(client), timeout=30)
    assert started.status_code == 200, started.text
    result = httpx.get(f"{base}/gradio_api/call/respond/{started.json()['event_id']}", headers=as_client(client),
                       timeout=60)
    name, data = [b for b in result.text.split("\n\n") if b.startswith("event:")][-1].split("\n", 1)
    return name.removeprefix("event: "), json.loads(data.removeprefix("data: "))


def api_chat(base: str, client: str, **body: object) -> httpx.Response:
    return httpx.post(f"{base}/api/chat", json={"message": QUESTION, **body}, headers=as_client(client), timeout=60)


# --- one rate limit, counting questions ------------------------------------------------------------

def test_gradio_api_and_http_api_share_one_rate_limit(hardened_app: str) -> None:
    client = new_client()
    assert [gradio_call(hardened_app, QUESTION, client)[0] for _ in range(2)] == ["complete", "complete"]
    assert api_chat(hardened_app, client).status_code == 200  # the third question this minute
    event, data = gradio_call(hardened_app, QUESTION, client)
    assert event == "error" and "too many requests" in data["error"]
    assert api_chat(hardened_app, client).status_code == 429


@pytest.mark.browser
def test_a_question_in_the_chat_page_counts_once(hardened_app: str, browser: object) -> None:
    client = new_client()
    context = browser.new_context(extra_http_headers=as_client(client))
    try:
        page = context.new_page()
        page.goto(hardened_app, wait_until="domcontentloaded")
        for number in (1, 2):  # each question makes several HTTP calls (join, run/predict, data, heartbeat)
            ask_in_page(page, QUESTION)
            page.get_by_text("Sources", exact=True).nth(number - 1).wait_for()
    finally:
        context.close()
    assert api_chat(hardened_app, client).status_code == 200
    assert api_chat(hardened_app, client).status_code == 429


# --- caps, origins, uploads, the queue -------------------------------------------------------------

def test_message_and_body_caps_hold_on_gradio_routes(hardened_app: str) -> None:
    event, data = gradio_call(hardened_app, "a" * 2001, new_client())
    assert event == "error" and data["error"] == "message too long: 2001 characters, at most 2000"

    huge = {"data": ["a" * 3_000_000, []]}
    for path in ("/gradio_api/call/respond", "/gradio_api/queue/join", "/gradio_api/run/predict"):
        refused = httpx.post(hardened_app + path, json=huge, headers=as_client(new_client()), timeout=30)
        assert refused.status_code == 413 and refused.json() == {"error": "request too large: at most 1048576 bytes"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"data": ["'
        for _ in range(40):
            yield b"a" * 50_000
        yield b'", []]}'

    chunked = httpx.post(f"{hardened_app}/gradio_api/call/respond", content=chunks(), timeout=30,
                         headers=as_client(new_client(), **{"Content-Type": "application/json"}))
    assert chunked.status_code == 413


def test_history_turns_are_capped_per_turn(hardened_app: str) -> None:
    long_turn = [{"role": "user", "content": "a" * 8001}]
    refused = api_chat(hardened_app, new_client(), history=long_turn)
    assert refused.status_code == 413 and refused.json()["error"] == "history turn 1 too long: at most 8000 characters"


def ask_with_tampered_history(base: str, history: list[dict]) -> dict:
    """What the page's own protocol allows: store any chat history in the session's state (the page's
    chatbot -> state sync, an unqueued call), then ask through the queue with it. The final queue message."""
    config = httpx.get(f"{base}/config", timeout=30).json()
    chatbot = next(c["id"] for c in config["components"] if c["type"] == "chatbot")
    dependencies = config["dependencies"]
    sync = next(d["id"] for d in dependencies if d["inputs"] == [chatbot] and len(d["outputs"]) == 2 and not d["queue"])
    respond = next(d["id"] for d in dependencies if d["api_name"] == "respond")
    session, headers = uuid.uuid4().hex[:11], as_client(new_client())
    call = {"session_hash": session, "event_data": None, "trigger_id": None}
    messages = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]} for m in history]
    assert httpx.post(f"{base}/gradio_api/run/predict", json={**call, "data": [messages], "fn_index": sync},
                      headers=headers, timeout=30).status_code == 200
    assert httpx.post(f"{base}/gradio_api/queue/join", json={**call, "data": [QUESTION, None], "fn_index": respond},
                      headers=headers, timeout=30).status_code == 200
    return queue_completion(base, session, headers, "the question")


def test_history_caps_hold_inside_respond(hardened_app: str) -> None:
    refused = ask_with_tampered_history(hardened_app, [{"role": "user", "content": "a" * 8001},
                                                       {"role": "assistant", "content": "ok"}])
    assert refused["output"]["error"] == "history turn 1 too long: at most 8000 characters"
    # A long but ordinary conversation goes on: the bot sees its newest turns, as many as the API takes.
    long_chat = [{"role": role, "content": "What do data scientists do?"} for _ in range(30)
                 for role in ("user", "assistant")]
    answered = ask_with_tampered_history(hardened_app, long_chat)
    assert answered["success"] and "Sources" in json.dumps(answered["output"])


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:3000", "null"])
def test_foreign_browsers_cannot_use_gradio_routes(hardened_app: str, origin: str) -> None:
    headers = as_client(new_client(), Origin=origin)
    for response in (
        httpx.post(f"{hardened_app}/gradio_api/call/respond", json={"data": [QUESTION, []]}, headers=headers),
        httpx.post(f"{hardened_app}/gradio_api/queue/join", json={"data": [], "fn_index": 0}, headers=headers),
        httpx.get(f"{hardened_app}/gradio_api/queue/data?session_hash=abcdefgh12", headers=headers),
        httpx.options(f"{hardened_app}/gradio_api/queue/join",
                      headers={**headers, "Access-Control-Request-Method": "POST"}),
    ):
        assert response.status_code == 403, (response.request.url, response.text)
        assert not [h for h in response.headers if h.startswith("access-control-")]


def test_allowed_site_gets_the_apps_grant_not_gradios(hardened_app: str) -> None:
    shop = "https://shop.example.com"
    response = httpx.post(f"{hardened_app}/gradio_api/call/respond", json={"data": [QUESTION, []]},
                          headers=as_client(new_client(), Origin=shop), timeout=30)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == shop
    assert "access-control-allow-credentials" not in response.headers  # Gradio's grant came with credentials
    page_config = httpx.get(f"{hardened_app}/config", headers={"Origin": "http://localhost:3000"}, timeout=30)
    assert "access-control-allow-origin" not in page_config.headers


def test_uploads_are_off(hardened_app: str) -> None:
    refused = httpx.post(f"{hardened_app}/gradio_api/upload", files={"files": ("x.html", b"<h1>hi</h1>" * 1000)},
                         headers=as_client(new_client()), timeout=30)
    assert refused.status_code == 404 and refused.json() == {"error": "not found"}


def test_a_flood_of_questions_gets_a_quick_busy(hardened_app: str) -> None:
    def join(n: int) -> tuple[int, float]:
        started = time.monotonic()
        response = httpx.post(f"{hardened_app}/gradio_api/call/respond", json={"data": [QUESTION, []]},
                              headers=as_client(new_client()), timeout=30)
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(join, range(30)))
    statuses = [status for status, _ in results]
    assert set(statuses) == {200, 503} and statuses.count(503) >= 10, statuses
    assert max(seconds for status, seconds in results if status == 503) < 5
    time.sleep(2)
    assert gradio_call(hardened_app, QUESTION, new_client())[0] == "complete"  # the queue drained


# --- errors ------------------------------------------------------------------------------------------

def test_bad_text_and_bad_json_get_a_json_4xx_everywhere(hardened_app: str) -> None:
    surrogate = b'{"message": "machine \\ud800 learning"}'
    gradio_surrogate = b'{"data": ["machine \\ud800 learning", []]}'
    for path, body in (("/api/chat", surrogate), ("/api/chat/stream", surrogate),
                       ("/gradio_api/call/respond", gradio_surrogate), ("/gradio_api/queue/join", gradio_surrogate)):
        response = httpx.post(hardened_app + path, content=body, timeout=30,
                              headers=as_client(new_client(), **{"Content-Type": "application/json"}))
        assert response.status_code == 422 and "lone surrogate" in response.json()["error"], path
    for body in (b'{"data": [', b"\xff\xfe{}"):
        response = httpx.post(f"{hardened_app}/gradio_api/queue/join", content=body, timeout=30,
                              headers=as_client(new_client(), **{"Content-Type": "application/json"}))
        assert response.status_code == 422 and set(response.json()) == {"error"}


def test_no_server_paths_reach_clients(hardened_app: str) -> None:
    server_paths = re.compile(re.escape(str(REPO)) + "|/tmp/|server-private")
    for path in ("/config", "/gradio_api/info", "/gradio_api/openapi.json"):
        assert not server_paths.findall(httpx.get(hardened_app + path, timeout=30).text), path
    question = "How does a commercial beekeeper rent colonies to orchards?"
    sources = api_chat(hardened_app, new_client(), message=question).json()["sources"]
    assert [s["source"] for s in sources] == ["beekeeping.md"]
    event, data = gradio_call(hardened_app, question, new_client())
    assert event == "complete" and "Sources:\n[1] " in data[0] and data[0].endswith(" — beekeeping.md")  # plain text
    assert not server_paths.findall(json.dumps(data))


# --- proxies -----------------------------------------------------------------------------------------

def test_trusted_proxy_names_clients_and_ipv6_counts_per_64(hardened_app: str) -> None:
    network = "2001:db8:14:" + new_client().split(".")[-1]
    for host in ("1", "2", "ab:cd"):
        assert api_chat(hardened_app, f"{network}::{host}").status_code == 200
    assert api_chat(hardened_app, f"{network}::ffff").status_code == 429  # the same /64
    assert api_chat(hardened_app, f"{network}0::1").status_code == 200  # another /64


def test_forwarded_for_is_ignored_without_a_trusted_proxy(limited_app: str) -> None:
    statuses = [api_chat(limited_app, new_client()).status_code for _ in range(4)]
    assert statuses[-1] == 429, statuses  # 3 a minute, whatever X-Forwarded-For says


# --- Markdown from articles and readers in the chat page ---------------------------------------------

def ask_in_page(page: object, question: str) -> None:
    box = page.get_by_role("textbox").first  # Gradio clears the placeholder after the first question
    box.fill(question)  # waits until the box is editable again
    box.press("Enter")


@pytest.mark.browser
def test_markdown_in_articles_and_questions_stays_text(hardened_app: str, browser: object, tracker: Tracker) -> None:
    context = browser.new_context(extra_http_headers=as_client(new_client()))
    try:
        page = context.new_page()
        page.goto(hardened_app, wait_until="domcontentloaded")
        sources = page.get_by_text("Sources", exact=True)
        ask_in_page(page, POTTERY_QUESTION)
        sources.nth(0).wait_for()
        ask_in_page(page, OFF_TOPIC)  # the decline lists article titles
        page.get_by_text("my articles don't cover that").wait_for()
        ask_in_page(page, READER_MARKDOWN.format(tracker=tracker.url))
        sources.nth(1).wait_for()
        page.wait_for_timeout(500)

        chat = page.locator(".message-wrap, [role=log]").first
        chat.locator("details").evaluate_all("entries => entries.forEach(entry => { entry.open = true; })")
        text = chat.inner_text()
        assert f"Studio pottery ![t]({tracker.url}/title.png) careers" in text
        # Ingest already reduced the body's Markdown to its text (bot/ingest/loaders.py); its autolink is shown as text.
        assert "glazes them before firing" in text and f"{tracker.url}/body.png" not in text
        assert "wages is here, and" in text and f"{tracker.url}/autolink" in text and "kiln safety training" in text
        assert MARKDOWN_SOURCE_NAME in text
        assert READER_MARKDOWN.format(tracker=tracker.url) in text
        assert chat.locator("img, code").count() == 0
        hosts = chat.locator("a").evaluate_all("links => links.map(a => new URL(a.href).host)")
        assert set(hosts) == {"pottery.example"}  # the only link: careerbot's, from the article's url
        href = chat.locator("a").first.get_attribute("href")
        assert href.startswith("https://pottery.example/guide%29") and "(" not in href and ")" not in href
    finally:
        context.close()
    assert tracker.hits == []


@pytest.mark.browser
def test_page_policy_blocks_images_from_other_origins(hardened_app: str, page: object, tracker: Tracker) -> None:
    page.goto(hardened_app, wait_until="domcontentloaded")
    policy = httpx.get(hardened_app, timeout=30).headers["content-security-policy"]
    assert "img-src 'self' data: blob:" in policy
    blocked = page.evaluate("""url => new Promise(done => {
        document.addEventListener('securitypolicyviolation', e => done(e.violatedDirective));
        const img = document.createElement('img'); img.src = url; document.body.append(img);
    })""", f"{tracker.url}/injected.png")
    assert blocked == "img-src"
    assert tracker.hits == []


# --- CAREERBOT_GRADIO_API=false ------------------------------------------------------------------------

@pytest.mark.browser
def test_gradio_api_can_be_turned_off(closed_api_app: str, page: object) -> None:
    for path in ("/gradio_api/info", "/gradio_api/openapi.json"):
        assert httpx.get(closed_api_app + path, timeout=30).status_code == 404
    call = httpx.post(f"{closed_api_app}/gradio_api/call/respond", json={"data": [QUESTION, []]}, timeout=30)
    assert call.status_code == 404
    page.goto(closed_api_app, wait_until="domcontentloaded")
    ask_in_page(page, QUESTION)  # the chat page itself still works
    page.locator(".message.bot, [data-testid='bot']").last.get_by_text("Sources").wait_for()
    assert page.get_by_text("Use via API").count() == 0
