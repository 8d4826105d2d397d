"""The embeddable widget in real chromium, loaded by 'customer' pages on other origins (other ports),
talking to a real `python app.py`; plus HTML/script payloads in questions and articles, in the widget and
in the Gradio UI."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

QUESTION = "What does a machine learning engineer do?"
QUESTION_PAYLOAD = (
    "Tell me about quantum gardening <img src=x onerror=\"window.__xss='question-img'\"> "
    "<script>window.__xss='question-script'</script>"
)
# Host-page CSS that would wreck a widget living in the page's own DOM.
HOSTILE_CSS = """
* { font-family: serif !important; color: rgb(255, 0, 0) !important; background: rgb(0, 255, 0) !important; }
button, textarea, form { display: none !important; }
div { visibility: hidden !important; padding: 50px !important; }
careerbot-widget { display: none !important; }
p.host { color: rgb(1, 2, 3) !important; font-size: 17px !important; }
"""


def host_page(sites: dict, name: str, app_url: str, attrs: str = "", css: str = "", head: str = "") -> str:
    """Writes a customer page embedding the widget with the one documented tag; returns its path."""
    html = f"""<!doctype html><html><head><meta charset="utf-8">{head}
<meta name="viewport" content="width=device-width, initial-scale=1"><title>customer</title><style>{css}</style></head>
<body><p class="host">A customer's own page.</p>
<script src="{app_url}/widget.js" defer {attrs}></script></body></html>"""
    Path(sites["dir"], name).write_text(html, encoding="utf-8")
    return f"/{name}"


def shadow(page: object, expression: str) -> object:
    """Evaluates `expression` with `root` bound to the widget's shadow root."""
    return page.evaluate(f"() => {{ const root = document.querySelector('careerbot-widget').shadowRoot; return {expression}; }}")


def open_widget(page: object) -> None:
    page.get_by_role("button", name="Open chat").click()
    page.get_by_label("Your question").wait_for(state="visible")


def ask(page: object, question: str) -> None:
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")


def last_answer(page: object) -> object:
    """The newest answer bubble, once its sources (the end of the stream) have arrived."""
    bubble = page.locator("careerbot-widget .msg.bot:not(.greeting)").last
    bubble.locator(".sources").wait_for(state="visible")
    return bubble


@pytest.fixture(scope="module")
def allowed_page_url(host_sites: dict, widget_app: str) -> str:
    return host_sites["allowed"] + host_page(host_sites, "allowed.html", widget_app, 'data-title="Ask careerbot"')


def test_widget_on_another_origin_streams_a_cited_answer(page: object, allowed_page_url: str, widget_app: str) -> None:
    page.goto(allowed_page_url)
    open_widget(page)
    # Record every text the answer bubble shows, to see it grow token by token before the final answer.
    page.evaluate("""() => {
        window.__texts = [];
        const root = document.querySelector('careerbot-widget').shadowRoot;
        new MutationObserver(records => records.forEach(r => {
            if (r.target.classList && r.target.classList.contains('text'))
                r.addedNodes.forEach(n => window.__texts.push(n.data));
        })).observe(root, {childList: true, subtree: true});
    }""")
    ask(page, QUESTION)
    bubble = last_answer(page)

    expected = httpx.post(f"{widget_app}/api/chat", json={"message": QUESTION}, timeout=60).json()
    assert bubble.locator(".text").inner_text() == expected["answer"]
    titles = bubble.locator(".source-title").all_inner_texts()
    assert titles == [s["title"] for s in expected["sources"]] and titles
    texts = page.evaluate("window.__texts")
    assert len(texts) >= 3, texts  # several streamed states, then the authoritative answer
    assert texts[0] and len(texts[0]) < len(expected["answer"])
    assert texts[-1] == expected["answer"]

    quote = bubble.locator("blockquote").first
    assert not quote.is_visible()  # the passage is there on demand only
    bubble.locator("summary").first.click()
    assert quote.inner_text() == expected["sources"][0]["text"]
    quoted = bubble.locator("li").first.locator("blockquote").all_inner_texts()
    assert quoted == [q["text"] for q in expected["sources"][0]["quotes"]]  # each passage, under its article


def test_conversation_survives_a_page_load_in_the_same_tab(page: object, allowed_page_url: str) -> None:
    page.goto(allowed_page_url)
    open_widget(page)
    ask(page, QUESTION)
    answer = last_answer(page).locator(".text").inner_text()

    page.reload()
    log = page.locator("careerbot-widget .log")
    log.wait_for(state="visible")  # it was open, so it reopens
    assert log.locator(".msg.user").all_inner_texts() == [QUESTION]
    assert log.locator(".msg.bot:not(.greeting) .text").all_inner_texts() == [answer]
    assert log.locator(".source-title").count() > 0


def test_host_page_css_neither_breaks_nor_catches_the_widget(page: object, host_sites: dict, widget_app: str) -> None:
    path = host_page(host_sites, "hostile.html", widget_app, 'data-accent="rgb(10, 120, 60)"', HOSTILE_CSS)
    page.goto(host_sites["allowed"] + path)
    launcher = page.get_by_role("button", name="Open chat")
    launcher.wait_for(state="visible")
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(10, 120, 60)"
    assert shadow(page, "getComputedStyle(root.querySelector('.root')).fontFamily").startswith("system-ui")

    open_widget(page)
    ask(page, QUESTION)
    assert last_answer(page).locator(".source-title").count() > 0
    # Nothing leaked out: the host keeps its own styles and stylesheets.
    host_text = page.locator("p.host")
    assert host_text.evaluate("p => getComputedStyle(p).color") == "rgb(1, 2, 3)"
    assert host_text.evaluate("p => getComputedStyle(p).fontSize") == "17px"
    assert page.evaluate("document.querySelectorAll('style, link[rel=stylesheet]').length") == 1


def test_data_attributes_configure_the_widget(page: object, host_sites: dict, widget_app: str) -> None:
    attrs = 'data-position="left" data-open="true" data-greeting="Hello <b>there</b>" data-accent="red;}*{x:y"'
    page.goto(host_sites["allowed"] + host_page(host_sites, "configured.html", widget_app, attrs))
    greeting = page.locator("careerbot-widget .greeting")
    greeting.wait_for(state="visible")  # open on load, without a click
    assert greeting.inner_text() == "Hello <b>there</b>"
    launcher = page.locator("careerbot-widget .launcher")
    assert launcher.bounding_box()["x"] < 100
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(79, 70, 229)"  # bad colour ignored


def test_works_on_a_page_with_a_strict_content_security_policy(page: object, host_sites: dict, widget_app: str) -> None:
    csp = (f"default-src 'none'; script-src {widget_app}; connect-src {widget_app}; style-src 'self'")
    head = f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
    page.goto(host_sites["allowed"] + host_page(host_sites, "strict.html", widget_app, head=head))
    launcher = page.locator("careerbot-widget .launcher")
    launcher.wait_for(state="visible")
    assert launcher.evaluate("b => getComputedStyle(b).borderRadius") == "50%"  # its stylesheet applied
    open_widget(page)
    ask(page, QUESTION)
    assert last_answer(page).locator(".source-title").count() > 0


def test_message_box_takes_the_servers_limit(page: object, allowed_page_url: str) -> None:
    page.goto(allowed_page_url)
    open_widget(page)
    assert page.get_by_label("Your question").evaluate("box => box.maxLength") == 2000  # CAREERBOT_MAX_MESSAGE_CHARS


def test_keyboard_only_use(page: object, allowed_page_url: str) -> None:
    page.goto(allowed_page_url)
    launcher = page.locator("careerbot-widget .launcher")
    launcher.wait_for(state="visible")
    page.keyboard.press("Tab")
    assert shadow(page, "root.activeElement.getAttribute('aria-label')") == "Open chat: Ask careerbot"
    page.keyboard.press("Enter")
    assert page.get_by_role("dialog", name="Ask careerbot").is_visible()
    assert shadow(page, "root.activeElement.id") == "careerbot-input"
    assert launcher.get_attribute("aria-expanded") == "true"

    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    last_answer(page)
    page.keyboard.press("Escape")
    assert not page.get_by_role("dialog", name="Ask careerbot").is_visible()
    assert shadow(page, "root.activeElement.classList.contains('launcher')")
    assert launcher.get_attribute("aria-expanded") == "false"


def test_phone_sized_viewport(browser: object, allowed_page_url: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(allowed_page_url)
        page.get_by_role("button", name="Open chat").tap()
        panel = page.get_by_role("dialog", name="Ask careerbot")
        panel.wait_for(state="visible")
        box = panel.bounding_box()
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 667)
        send = page.get_by_role("button", name="Send").bounding_box()
        assert send["x"] + send["width"] <= 375 and send["y"] + send["height"] <= 667
        ask(page, QUESTION)
        assert last_answer(page).locator(".source-title").count() > 0
    finally:
        context.close()


def test_not_allowed_origin_is_refused(page: object, host_sites: dict, widget_app: str) -> None:
    page.goto(host_sites["foreign"] + host_page(host_sites, "foreign.html", widget_app))
    open_widget(page)
    ask(page, QUESTION)
    error = page.get_by_role("alert")
    error.wait_for(state="visible")
    assert "not enabled for this website" in error.inner_text()
    assert page.locator("careerbot-widget .msg.bot:not(.greeting)").count() == 0

    refused = httpx.post(f"{widget_app}/api/chat/stream", json={"message": QUESTION},
                         headers={"Origin": host_sites["foreign"]}, timeout=30)
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


def test_payloads_in_question_and_article_stay_text_in_the_widget(page: object, allowed_page_url: str) -> None:
    page.goto(allowed_page_url)
    open_widget(page)
    ask(page, QUESTION_PAYLOAD)
    bubble = last_answer(page)
    bubble.locator("summary").first.click()

    assert page.locator("careerbot-widget .msg.user").last.inner_text() == QUESTION_PAYLOAD
    assert "Quantum gardening <img src=x onerror=\"window.__xss='article-title'\"> careers" in bubble.locator(
        ".source-title").all_inner_texts()
    assert "<script>window.__xss='article-script'</script>" in bubble.inner_text() + bubble.locator(
        "blockquote").first.inner_text()
    assert shadow(page, "root.querySelectorAll('img, script, [onerror]').length") == 0
    assert shadow(page, "root.querySelectorAll('a[href^=javascript]').length") == 0  # the article's url
    assert page.evaluate("window.__xss") is None


def test_payloads_stay_text_in_the_gradio_ui(page: object, widget_app: str) -> None:
    page.goto(widget_app + "/")
    box = page.get_by_placeholder("e.g. How do I become")
    box.fill(QUESTION_PAYLOAD)
    box.press("Enter")
    page.get_by_text("Sources", exact=True).wait_for(state="visible", timeout=60_000)

    assert page.get_by_text("<script>window.__xss='question-script'</script>").first.is_visible()
    assert page.get_by_text("window.__xss='article-title'").first.is_visible()
    assert page.get_by_text("<script>window.__xss='article-script'</script>").first.is_visible()
    assert page.locator("[onerror], img[src=x]").count() == 0
    assert page.evaluate("window.__xss") is None


def test_server_stream_reports_a_failure_in_band() -> None:
    """The widget relies on this: an answer failing mid-stream still ends with `error` and `done` events."""
    import anyio

    from bot.web.api import ChatRequest, stream_events
    from tests.conftest import make_settings

    class Failing:
        def stream(self, question: str, history: list) -> object:
            yield "A "
            raise RuntimeError("the store went away")

    async def collect() -> list[str]:
        return [e async for e in stream_events(Failing(), ChatRequest(message="hi"), anyio.CapacityLimiter(1),
                                               make_settings(), record=lambda answer: None)]

    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API keeps an event loop in this thread
        events = [e.split("\n")[0] for e in thread.submit(anyio.run, collect).result()]
    assert events == ["event: token", "event: error", "event: done"]


def widget_exchange_id(widget_root: Path, page: object, question: str) -> str:
    """The id the widget's exchange got in the app's log: found by its question and the widget's conversation."""
    from sqlalchemy import select

    from bot.owner.log import exchanges, open_engine
    from tests.conftest import make_settings, recorded

    conversation = page.evaluate("() => Object.values(sessionStorage).map(JSON.parse)"
                                 ".find(s => s.conversationId).conversationId")

    engine = open_engine(make_settings(data_dir=widget_root / "data"))
    with engine.connect() as conn:
        exchange_id = conn.execute(select(exchanges.c.id).where(
            exchanges.c.question == question, exchanges.c.conversation_id == conversation)).scalar_one()
    engine.dispose()
    assert recorded(widget_root / "data", exchanges, exchange_id).channel == "widget"
    return exchange_id


def test_thumbs_and_a_reason_rate_the_answer_in_the_log(page: object, allowed_page_url: str, widget_root: Path) -> None:
    from bot.owner.log import feedback
    from tests.conftest import recorded

    question = "Which cloud skills help a machine learning engineer?"
    page.goto(allowed_page_url)
    open_widget(page)
    ask(page, question)
    bubble = last_answer(page)
    exchange_id = widget_exchange_id(widget_root, page, question)

    icons = page.locator("careerbot-widget .launcher path, careerbot-widget .thumb path")
    assert icons.count() == 3 and all(i.get_attribute("d").startswith("M") for i in icons.all())  # drawn, not blank
    bubble.get_by_role("button", name="Helpful", exact=True).click()
    bubble.get_by_text("Thanks for your feedback.").wait_for()
    assert recorded(widget_root / "data", feedback, exchange_id).rating == "up"
    bubble.get_by_role("button", name="Not helpful").click()
    reason = bubble.get_by_label("What was wrong? (optional)")
    reason.fill("It talked about <b>salaries</b>, not cloud skills")
    reason.press("Enter")
    row = recorded(widget_root / "data", feedback, exchange_id, until=lambda r: r.reason is not None)
    assert (row.rating, row.reason) == ("down", "It talked about <b>salaries</b>, not cloud skills")

    page.reload()  # the rating is remembered with the conversation (and the open panel reopens)
    thumbs = last_answer(page).locator(".thumb")
    assert [t.get_attribute("aria-pressed") for t in thumbs.all()] == ["false", "true"]


def test_thumbs_hidden_when_the_server_takes_no_feedback(page: object, allowed_page_url: str, widget_app: str) -> None:
    """widget.js as a server with CAREERBOT_LOG_CONVERSATIONS=false serves it (test_web_api.py checks that)."""
    def without_feedback(route: object) -> None:
        script = route.fetch().text()
        assert '"feedback": true' in script
        route.fulfill(body=script.replace('"feedback": true', '"feedback": false'),
                      content_type="text/javascript")

    page.route(f"{widget_app}/widget.js", without_feedback)
    page.goto(allowed_page_url)
    open_widget(page)
    ask(page, QUESTION)
    bubble = last_answer(page)
    assert bubble.locator(".sources").is_visible() and bubble.locator(".thumb, .feedback").count() == 0
