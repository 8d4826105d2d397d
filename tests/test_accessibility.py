"""WCAG 2 A and AA, checked by axe-core (the npm package scripts/test.sh installs into tests/.axe) in real chromium:
the Gradio chat with an answer, its suggestions and its sources open; the widget open with an answer; /admin and
its sign-in; at 1280 and 390 px wide. And keyboard only: a question asked, a suggestion chosen, the sources
opened."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.testing.apprunner import running_app
from tests.conftest import made_exchange, make_settings, seed_log
from tests.test_conversation_ui import DOCS, QUESTION, last_chat_answer
from tests.test_ui import ask as ask_in_chat
from tests.test_widget import allowed_page_url, ask as ask_in_widget, last_answer, open_widget  # noqa: F401 - a fixture

AXE = Path(__file__).resolve().parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = [(1280, 900), (390, 844)]
TOKEN = "owner-token-a11y-5e8d1c"
pytestmark = pytest.mark.browser


def violations(page: object, scope: str | None = None) -> list[dict]:
    """axe-core's WCAG 2 A and AA violations on the page as it is now (its shadow roots included), or only in
    the element that the CSS selector `scope` names."""
    assert AXE.exists(), "axe-core is missing: run scripts/test.sh (it installs it into tests/.axe)"
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async scope => {
        const result = await axe.run(scope ? {include: [[scope]]} : document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' >>> ') + ': ' + n.failureSummary)}));
    }""", scope)
    return found


def assert_accessible(page: object, what: str, scope: str | None = None) -> None:
    found = violations(page, scope)
    assert found == [], f"{what}: " + json.dumps(found, indent=1)


@pytest.fixture
def viewport(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    width, height = request.param
    # The pages' own Content-Security-Policy would refuse the injected axe script.
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("viewport", WIDTHS, indirect=True, ids=["1280px", "390px"])
def test_chat_with_an_answer_suggestions_and_sources_open(app_server: str, viewport: object):
    page = viewport
    page.goto(app_server, wait_until="domcontentloaded")
    starters = httpx.get(f"{app_server}/api/starters", timeout=60).json()["questions"]
    page.get_by_role("button", name=starters[0]).wait_for(timeout=60_000)
    assert_accessible(page, "empty chat with starters")

    ask_in_chat(page, QUESTION)
    answer = last_chat_answer(page, 1)
    suggestions = httpx.post(f"{app_server}/api/chat", json={"message": QUESTION}, timeout=60).json()["suggestions"]
    page.get_by_role("button", name=suggestions[0], exact=True).wait_for(timeout=30_000)
    answer.locator(".sources details").evaluate_all("entries => entries.forEach(e => { e.open = true; })")
    assert answer.locator(".sources blockquote").first.is_visible()
    assert_accessible(page, "chat with an answer, suggestions and sources open")
    if page.viewport_size["width"] == 1280:
        answer.scroll_into_view_if_needed()
        page.screenshot(path=str(DOCS / "chat.png"))  # the README's picture of the chat


@pytest.mark.parametrize("viewport", WIDTHS, indirect=True, ids=["1280px", "390px"])
def test_widget_open_with_an_answer(viewport: object, allowed_page_url: str):
    page = viewport
    page.goto(allowed_page_url)
    open_widget(page)
    ask_in_widget(page, QUESTION)
    bubble = last_answer(page)
    bubble.locator("summary").first.click()
    assert_accessible(page, "widget open with an answer", scope="careerbot-widget")  # not the customer's page


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app with an admin token and a small exchange log: answered, declined and rated questions."""
    root = tmp_path_factory.mktemp("a11y_admin")
    source = ("What Does a Machine Learning Engineer Do?", "000_what-does-a-machine-learning-engineer-do.md",
              "https://example.com/mle", "Machine learning engineers build and deploy models.")
    answered = made_exchange("What does a machine learning engineer do?", sources=[source], conversation_id="c-1")
    liked = made_exchange("Which skills does an ML engineer need?", sources=[source, source[:2] + (None, "Python.")],
                          channel="widget")
    declined = [made_exchange(q, "decline", conversation_id="c-1") for q in (
        "Will a startup sponsor my visa?", "Do ML startups sponsor work visas?", "How do I get a work permit abroad?",
        "Which GPU should I buy?")]
    chat = made_exchange("hello", "smalltalk", answer="Hi! Ask me a career question.")
    seed_log(make_settings(data_dir=root / "data"), [answered, liked, *declined, chat],
             ratings=[(answered, "down", "too general"), (liked, "up", None)])
    with running_app(root / "store", {"CAREERBOT_DATA_DIR": str(root / "data"), "CAREERBOT_ADMIN_TOKEN": TOKEN}) as url:
        yield url


@pytest.mark.parametrize("viewport", WIDTHS, indirect=True, ids=["1280px", "390px"])
def test_admin_and_its_sign_in(viewport: object, admin_app: str):
    page = viewport
    page.goto(admin_app + "/admin")
    page.get_by_label("Admin token").wait_for()
    assert_accessible(page, "/admin sign-in")
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Content gaps").wait_for()
    assert_accessible(page, "/admin signed in")


def focus_by_tab(page: object, matches: str, most: int = 80) -> None:
    """Presses Tab until the focused element satisfies the JS predicate `matches` (given `el`)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({matches}); }}"):
            return
    raise AssertionError(f"Tab never reached an element where {matches}")


def test_chat_by_keyboard_only(app_server: str, page: object):
    page.goto(app_server, wait_until="domcontentloaded")
    page.get_by_role("textbox").first.wait_for()
    focus_by_tab(page, "el.tagName === 'TEXTAREA'")
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    last_chat_answer(page, 1)

    suggestions = httpx.post(f"{app_server}/api/chat", json={"message": QUESTION}, timeout=60).json()["suggestions"]
    page.get_by_role("button", name=suggestions[0], exact=True).wait_for(timeout=30_000)
    focus_by_tab(page, f"el.innerText.trim() === {json.dumps(suggestions[0])}")
    page.keyboard.press("Enter")
    second = last_chat_answer(page, 2)
    assert suggestions[0] in page.locator(".message.user").nth(1).inner_text()

    focus_by_tab(page, "el.tagName === 'SUMMARY'")
    page.keyboard.press("Enter")
    assert page.locator(".sources details[open] blockquote").first.is_visible()
    assert second.locator("summary").count() >= 1


def test_widget_by_keyboard_only(page: object, allowed_page_url: str, widget_app: str):
    page.goto(allowed_page_url)
    page.locator("careerbot-widget .launcher").wait_for(state="visible")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # opens, focus in the question box
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    last_answer(page)
    suggestions = httpx.post(f"{widget_app}/api/chat", json={"message": QUESTION}, timeout=60).json()["suggestions"]
    chip = page.locator("careerbot-widget .suggestions .chip").first
    chip.wait_for()
    shadow_focus = "document.querySelector('careerbot-widget').shadowRoot.activeElement"
    focus_by_tab(page, f"{shadow_focus} && {shadow_focus}.textContent === {json.dumps(suggestions[0])}")
    page.keyboard.press("Enter")
    page.locator("careerbot-widget .msg.user").nth(1).wait_for()
    bubble = page.locator("careerbot-widget .msg.bot:not(.greeting)").nth(1)
    bubble.locator(".sources").wait_for(state="visible")
    focus_by_tab(page, f"{shadow_focus} && {shadow_focus}.tagName === 'SUMMARY'")
    page.keyboard.press("Enter")
    assert page.locator("careerbot-widget details[open] blockquote").first.is_visible()
