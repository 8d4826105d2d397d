"""Suggestion chips, starter questions and the compact source list, in real chromium: the Gradio chat page
(against `python app.py` over knowledge/) and the widget (on a customer page on another origin)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.test_ui import ask as ask_in_chat
from tests.test_widget import ask as ask_in_widget, host_page, open_widget

DOCS = Path(__file__).resolve().parent.parent / "docs"
QUESTION = "Which programming languages should a machine learning engineer know?"


def last_chat_answer(page: object, count: int) -> object:
    """The `count`-th answer in the Gradio chat, once its source list has arrived."""
    messages = page.locator(".message.bot")
    messages.nth(count - 1).locator(".sources").wait_for(timeout=90_000)
    return messages.nth(count - 1)


@pytest.mark.browser
def test_chat_offers_library_starters_and_a_clicked_suggestion_gets_a_cited_answer(app_server: str, page):
    starters = httpx.get(f"{app_server}/api/starters", timeout=60).json()["questions"]
    assert starters
    page.goto(app_server, wait_until="domcontentloaded")
    page.get_by_role("button", name=starters[0]).wait_for(timeout=60_000)  # from the library, on the first screen

    ask_in_chat(page, QUESTION)
    first = last_chat_answer(page, 1)
    expected = httpx.post(f"{app_server}/api/chat", json={"message": QUESTION}, timeout=60).json()
    assert expected["suggestions"]
    suggestion = expected["suggestions"][0]
    chip = page.get_by_role("button", name=suggestion, exact=True)
    chip.wait_for(timeout=30_000)
    chip.click()

    page.locator(".message.user").nth(1).get_by_text(suggestion).wait_for(timeout=30_000)
    second = last_chat_answer(page, 2)
    assert "[1]" in second.inner_text() and first.inner_text() != second.inner_text()


@pytest.mark.browser
def test_chat_sources_are_compact_on_a_phone(browser: object, app_server: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(app_server, wait_until="domcontentloaded")
        ask_in_chat(page, QUESTION)
        answer = last_chat_answer(page, 1)
        entries = answer.locator(".sources details")
        sources = httpx.post(f"{app_server}/api/chat", json={"message": QUESTION}, timeout=60).json()["sources"]
        assert entries.count() == len(sources) >= 1 and [s["n"] for s in sources] == list(range(1, len(sources) + 1))
        for entry, source in zip(entries.all(), sources):
            assert entry.locator("summary").inner_text().startswith(f"[{source['n']}] {source['title']}")
            quoted = entry.locator("blockquote").all()  # each passage quoted from the article
            assert quoted and not any(q.is_visible() for q in quoted)  # the passages wait behind a click
        box = answer.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] < 844 * 0.8
        page.screenshot(path=str(DOCS / "chat-phone-390.png"))

        entries.first.locator("summary").click()
        quotes = entries.first.locator("blockquote")  # every passage quoted from the article, under it
        assert quotes.first.is_visible()
        assert quotes.all_inner_texts() == [" ".join(q["text"].split()) for q in sources[0]["quotes"]]
    finally:
        context.close()


def test_widget_starters_and_suggestion_chips(page: object, host_sites: dict, widget_app: str):
    page.goto(host_sites["allowed"] + host_page(host_sites, "chips.html", widget_app, 'data-title="Ask careerbot"'))
    open_widget(page)
    starters = httpx.get(f"{widget_app}/api/starters", timeout=60).json()["questions"]
    starter_chips = page.locator("careerbot-widget .starters .chip")
    starter_chips.first.wait_for(timeout=30_000)
    assert starter_chips.all_inner_texts() == starters

    ask_in_widget(page, QUESTION)
    answered = page.locator("careerbot-widget .msg.bot:not(.greeting)")
    answered.first.locator(".sources").wait_for()
    assert page.locator("careerbot-widget .starters").count() == 0  # asked: the starters step aside
    chip = page.locator("careerbot-widget .suggestions .chip").first
    suggestion = chip.inner_text()
    chip.click()

    assert page.locator("careerbot-widget .msg.user").last.inner_text() == suggestion
    second = answered.nth(1)
    second.locator(".sources").wait_for()
    assert "[1]" in second.locator(".text").inner_text() and second.locator(".source-title").count() > 0
    assert suggestion not in page.locator("careerbot-widget .suggestions .chip").all_inner_texts()
