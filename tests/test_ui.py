"""The Gradio chat page in a real browser (Debian chromium through Playwright) against `python app.py`, and
how answers become the page's Markdown. Attacks on the page's routes: tests/test_gradio_security.py."""

from pathlib import Path

import pytest

from bot.answer.pipeline import Answer, Source
from bot.web.display import http_url, markdown_answer, markdown_link, markdown_text, public_source, unescape_markdown_text
from bot.web.ui import PLACEHOLDER, render_answer
from tests.conftest import make_settings

QUESTION = "What is the difference between a machine learning engineer and a data scientist?"


def ask(page, question: str) -> None:
    box = page.get_by_placeholder(PLACEHOLDER)
    box.fill(question)
    box.press("Enter")


@pytest.mark.browser
def test_chat_answers_with_sources_in_the_browser(app_server: str, page):
    page.goto(app_server, wait_until="domcontentloaded")
    ask(page, QUESTION)
    bot_message = page.locator(".message.bot, [data-testid='bot']").last
    bot_message.get_by_text("Sources").wait_for(timeout=60_000)
    text = bot_message.inner_text()
    assert "insights" in text and "[1]" in text
    assert "What is: Machine Learning Engineer" in text


def test_render_answer_keeps_article_text_as_text_and_a_compact_source_list(tmp_path: Path):
    (tmp_path / "a.md").write_text("x", encoding="utf-8")
    answer = Answer(
        text="Use <script>alert(1)</script> wisely ![x](http://t/x.png) [1]",
        sources=[Source(n=1, title="<b>Bold</b> [title](http://t/)", source="a.md", text="`code` *stars* <img src=x>",
                        url='https://example.org/a b)(c"><script>')],
    )
    markdown = render_answer(answer, make_settings(knowledge_dir=tmp_path))
    assert markdown.startswith(r"Use \<script\>alert\(1\)\</script\> wisely \!\[x\]\(http\://t/x\.png\) [1]")
    # One HTML block (no blank line inside, so no Markdown in it): article text HTML-escaped, the link ours.
    sources = markdown.split("\n\n")[-1]
    assert "\n" not in sources and sources.startswith('<div class="sources"><b>Sources</b><details>')
    assert ('<summary><b>[1]</b> <a href="https://example.org/a%20b%29%28c%22%3E%3Cscript%3E" target="_blank" '
            'rel="noopener noreferrer">&lt;b&gt;Bold&lt;/b&gt; [title](http://t/)</a></summary>') in sources
    assert "<blockquote>`code` *stars* &lt;img src=x&gt;</blockquote><small>a.md</small></details>" in sources


def test_markdown_escaping_round_trips_every_character():
    text = "".join(chr(c) for c in range(32, 127)) + " ünïcødé \\ \\\\ \n"
    assert unescape_markdown_text(markdown_text(text)) == text
    assert markdown_text("a.b") == "a\\.b"
    # Citation markers stay readable; nothing next to them can make them a link or a definition.
    assert markdown_answer("MLEs ship models [1]. [2](http://t/) [3]: x") == (
        r"MLEs ship models [1]\. [2]\(http\://t/\) [3]\: x")


def test_links_only_from_http_urls():
    assert http_url("javascript:alert(1)") is None
    assert http_url("http://") is None and http_url("data:image/png;base64,xx") is None and http_url(None) is None
    assert http_url('https://a.example/x?q="<y>"') == "https://a.example/x?q=%22%3Cy%3E%22"
    assert markdown_link("t", "ftp://a.example/") == "t"


def test_sources_outside_the_knowledge_folder_are_named_by_file(tmp_path: Path):
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "in.md").write_text("x", encoding="utf-8")
    assert public_source("guides/in.md", tmp_path) == "guides/in.md"
    assert public_source("/srv/private/notes/out.md", tmp_path) == "out.md"
    assert public_source("../elsewhere/out.md", tmp_path) == "out.md"
    assert public_source("my-articles/post.md", tmp_path) == "post.md"  # relative to the cwd, not the folder
    assert public_source("https://example.org/post", tmp_path) == "https://example.org/post"


@pytest.mark.browser
def test_thumbs_in_the_chat_rate_the_answer_they_are_under(app_server: str, app_root: Path, page):
    from sqlalchemy import select

    from bot.owner.log import exchanges, feedback, open_engine
    from bot.web.ui import DOWN_REASONS
    from tests.conftest import recorded

    question = "Which tools does a data engineer use every day?"
    page.goto(app_server, wait_until="domcontentloaded")
    ask(page, question)
    answer = page.locator(".message-row.bot-row, .message.bot").last
    answer.get_by_text("Sources").wait_for(timeout=60_000)
    engine = open_engine(make_settings(data_dir=app_root / "data"))
    with engine.connect() as conn:
        exchange_id = conn.execute(select(exchanges.c.id).where(exchanges.c.question == question,
                                                                exchanges.c.channel == "web")).scalar_one()
    engine.dispose()

    page.get_by_role("button", name="Like", exact=True).last.click()
    assert recorded(app_root / "data", feedback, exchange_id, until=lambda r: r.rating == "up").reason is None
    page.get_by_role("button", name="Dislike", exact=True).last.click()
    recorded(app_root / "data", feedback, exchange_id, until=lambda r: r.rating == "down")
    page.get_by_role("button", name="Feedback", exact=True).last.click()  # the flag beside the thumbs
    page.get_by_role("button", name=DOWN_REASONS[1]).click()
    row = recorded(app_root / "data", feedback, exchange_id, until=lambda r: r.reason == DOWN_REASONS[1])
    assert row.rating == "down"


@pytest.mark.parametrize("log_conversations", [True, False])
def test_chat_offers_thumbs_only_when_conversations_are_recorded(tmp_path: Path, log_conversations: bool):
    from bot.owner.log import ConversationLog
    from bot.web.ratelimit import QuestionLimit
    from bot.web.ui import build_ui

    settings = make_settings(data_dir=tmp_path / "data", log_conversations=log_conversations)
    log = ConversationLog(settings)
    try:
        chat = build_ui(lambda: None, settings, QuestionLimit(None), QuestionLimit(None), log, concurrency=1)
        assert bool(getattr(chat.chatbot, "likeable", False)) is log_conversations
    finally:
        log.close()
