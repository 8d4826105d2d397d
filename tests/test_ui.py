"""The Gradio chat page in a real browser (Debian chromium through Playwright) against `python app.py`."""

import pytest

from bot.chain import Answer, Source
from bot.web.ui import render_answer

pytestmark = pytest.mark.browser

QUESTION = "What is the difference between a machine learning engineer and a data scientist?"


def ask(page, question: str) -> None:
    box = page.get_by_placeholder("e.g. How do I become a machine learning engineer?")
    box.fill(question)
    box.press("Enter")


def test_chat_answers_with_sources_in_the_browser(app_server: str, page):
    page.goto(app_server, wait_until="domcontentloaded")
    ask(page, QUESTION)
    bot_message = page.locator(".message.bot, [data-testid='bot']").last
    bot_message.get_by_text("Sources").wait_for(timeout=60_000)
    text = bot_message.inner_text()
    assert "insights" in text and "[1]" in text
    assert "What is: Machine Learning Engineer" in text


def test_render_answer_escapes_html_from_articles_and_keeps_a_readable_source_list():
    answer = Answer(
        text="Use <script>alert(1)</script> wisely [1]",
        sources=[Source(n=1, title="<b>Bold</b> title", source="a.md", text="<img src=x onerror=alert(1)>")],
    )
    markdown = render_answer(answer)
    assert "<script>" not in markdown and "<img" not in markdown and "<b>" not in markdown
    assert "&lt;script&gt;" in markdown and "1. **&lt;b&gt;Bold&lt;/b&gt; title**" in markdown
