"""The Gradio chat page: streaming answers with their numbered sources listed compactly underneath, suggested
next questions as chips, and starter questions from the loaded library.

Gradio renders every chat message as Markdown, so everything from readers and articles goes through
`markdown_text` (shown as the characters it is) or, in the source list's HTML, `html.escape`, and the only
links are those careerbot writes itself, from validated http(s) URLs. `respond` is where every Gradio route that answers ends up (the page's queue, the
`/gradio_api/call/respond` API, retries, examples), so it applies the app's caps and rate limit itself, and
records the exchange. Each answer carries its exchange id in its message's metadata, so a thumb on it rates
that exchange.
"""

from __future__ import annotations

import logging
from typing import Any
from collections.abc import Callable, Iterator

import gradio as gr
from fastapi import FastAPI
from gradio.components.chatbot import TextMessage

from bot.answer.pipeline import Answer, CareerBot
from bot.owner.log import ConversationLog, Rating
from bot.settings import Settings
from bot.web.display import html_source, markdown_answer, markdown_text, plain_answer, unescape_markdown_text
from bot.web.feedback import FeedbackRefused, submit_feedback
from bot.web.gradioguard import guard_gradio
from bot.web.ratelimit import QuestionLimit, client_of, refusal_text
from bot.web.validation import chat_problem

log = logging.getLogger(__name__)
PLACEHOLDER = "e.g. How do I become a machine learning engineer?"
# Always offered, whatever the library: the bot lists what its articles cover.
ABOUT_QUESTION = "What can you help me with?"
# Offered under the flag beside the thumbs; choosing one rates the answer down with it as the reason.
DOWN_REASONS = ("Didn't answer my question", "Wrong or out of date", "Hard to follow")


class TextOnlyChatbot(gr.Chatbot):
    """A Chatbot that shows the user's own words as text: ChatInterface passes the question through as
    typed, and Gradio would render its Markdown and HTML. User text is escaped on the way to the browser
    and unescaped on the way back, so the history the bot sees is exactly what was typed. Answers are
    escaped by `render_answer` already."""

    is_template = True  # Gradio's mark for a subclass that renders with its parent's frontend (Chatbot's)

    def postprocess(self, value: list | None) -> object:
        data = super().postprocess(value)
        data.root = [self._plain_user(message) for message in data.root]
        return data

    def preprocess(self, payload: object) -> list[dict]:
        messages = super().preprocess(payload)
        for message in messages:
            if message.get("role") == "user":
                for part in message.get("content") or []:
                    if isinstance(part, dict) and part.get("type") == "text":
                        part["text"] = unescape_markdown_text(part["text"])
        return messages

    @staticmethod
    def _plain_user(message: Any) -> Any:
        if message.role != "user":
            return message
        content = [TextMessage(text=markdown_text(p.text)) if isinstance(p, TextMessage) else p
                   for p in message.content]
        return message.model_copy(update={"content": content})  # a copy: the value may be Gradio's own state


def render_answer(answer: Answer, settings: Settings) -> str:
    """The answer as Markdown whose only markup is careerbot's own: emphasis, and the compact source list (one
    HTML block: `[n] title` per source, its passage behind a click, so a phone screen shows answer and
    sources without the passage twice)."""
    parts = [markdown_answer(answer.text)]
    if answer.notice:
        parts.append(f"*{markdown_text(answer.notice)}*")
    if answer.sources:
        entries = "".join(html_source(s, settings.knowledge_dir) for s in answer.sources)
        parts.append(f'<div class="sources"><b>Sources</b>{entries}</div>')
    return "\n\n".join(parts)


def answer_message(answer: Answer, settings: Settings, exchange_id: str | None = None) -> dict:
    """The chat message: the rendered answer, with its suggested next questions as chips (a click asks one),
    and its exchange id (metadata without a title is not shown)."""
    message: dict[str, object] = {"role": "assistant", "content": render_answer(answer, settings),
               "options": [{"value": q, "label": q} for q in answer.suggestions]}
    if exchange_id:
        message["metadata"] = {"id": exchange_id}
    return message


def rating_of(liked: bool | str) -> tuple[Rating, str | None] | None:
    """(rating, reason) from Gradio's like event: a thumb, or a reason from DOWN_REASONS; None when a reader
    takes a thumb back (the earlier rating stays: ratings are replaced, never withdrawn)."""
    if liked is True:
        return "up", None
    if liked is False:
        return "down", None
    return ("down", liked) if liked in DOWN_REASONS else None


def exchange_of(history: list[dict] | None, index: object) -> str | None:
    """The exchange id of the rated message (the `index`-th of the chat), if it has one."""
    if not isinstance(index, int) or not history or not 0 <= index < len(history):
        return None
    return (history[index].get("metadata") or {}).get("id")


def starter_examples(careerbot: CareerBot) -> list[dict]:
    return [{"text": q} for q in [*careerbot.starter_questions(), ABOUT_QUESTION]]


def _text_of(content: object) -> str:
    """Gradio 6 message content is a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def conversation_turns(history: list[dict] | None, settings: Settings) -> list[dict]:
    """The newest turns, as much as the API would accept: a long chat in the page goes on, with the bot
    seeing only its recent part (as the widget does)."""
    turns = [{"role": m["role"], "content": _text_of(m.get("content"))}
             for m in history or [] if isinstance(m, dict) and m.get("role") in ("user", "assistant")]
    return turns[-settings.max_history_turns:]


def build_ui(get_bot: Callable[[], CareerBot], settings: Settings, questions: QuestionLimit, ratings: QuestionLimit,
             conversations: ConversationLog, concurrency: int) -> gr.ChatInterface:
    def respond(message: str, history: list[dict] | None, request: gr.Request) -> Iterator[str | dict]:
        turns = conversation_turns(history, settings)
        problem = chat_problem(message or "", [t["content"] for t in turns], settings)
        if problem:
            raise gr.Error(problem[1])
        seconds = questions.wait_seconds(request.client.host if request.client else None, request.session_hash)
        if seconds:
            raise gr.Error(f"You're asking faster than I can answer: {refusal_text(seconds)}.")
        record = conversations.recorder(message, "web", request.session_hash, client_of(request))
        yield from _answer(get_bot(), message, turns, settings, record, plain=called_by_api(request))

    def rate(history: list[dict] | None, feedback: gr.LikeData, request: gr.Request) -> None:
        """A thumb goes through the same code as POST /api/feedback, under the same feedback limit, and only
        for an answer of this chat session: the history, and so the exchange id, comes from the client."""
        rating, exchange_id = rating_of(feedback.liked), exchange_of(history, feedback.index)
        if rating is None or exchange_id is None:
            return
        seconds = ratings.wait_seconds(request.client.host if request.client else None, request.session_hash)
        if seconds:
            gr.Warning(f"You're rating faster than I can note it: {refusal_text(seconds)}.")
            return
        try:
            submit_feedback(conversations, settings, exchange_id, *rating, conversation=request.session_hash)
        except FeedbackRefused as refused:
            gr.Warning("This answer can't be rated here." if refused.status == 404 else
                       "Your feedback couldn't be saved right now; please try again later." if refused.status == 503
                       else refused.message)

    chat = gr.ChatInterface(
        respond,
        title="careerbot",
        description="Ask about careers in machine learning. Every answer cites the articles it comes from.",
        # Replaced on every page load by the starters of the library loaded then (the store may still be
        # empty while the page is built); ChatInterface only wires example clicks when it starts with some.
        examples=[ABOUT_QUESTION],
        run_examples_on_click=True,
        cache_examples=False,
        # No "share" button: it posts to Hugging Face (never reachable offline) and has no accessible name.
        chatbot=TextOnlyChatbot(label="careerbot", sanitize_html=True, render_markdown=True, latex_delimiters=[],
                                height="70vh", feedback_options=("Like", "Dislike", *DOWN_REASONS),
                                buttons=["copy", "copy_all"]),
        textbox=gr.Textbox(placeholder=PLACEHOLDER, max_length=settings.max_message_chars, submit_btn=True),
        fill_height=True,
        concurrency_limit=concurrency,
        api_visibility="public" if settings.gradio_api else "private",
    )
    with chat:
        chat.load(lambda: gr.Chatbot(examples=starter_examples(get_bot())), outputs=[chat.chatbot],
                  api_visibility="private", queue=False)
        if conversations.enabled:  # a Chatbot shows thumbs only when something listens to them
            chat.chatbot.like(rate, inputs=[chat.chatbot], api_visibility="private")
    return chat


# The source list under an answer: one line per source, the passage opening in place.
COMPACT_SOURCES_CSS = """
.sources { margin-top: .4em; padding-top: .3em; border-top: 1px solid var(--border-color-primary); font-size: .92em; }
.sources details { margin: .15em 0; }
.sources summary { cursor: pointer; }
.sources blockquote { margin: .3em 0 .3em .4em; padding-left: .6em; border-left: 3px solid var(--border-color-primary); }
"""
# WCAG 2 AA contrast (4.5:1) where the theme's own colours fall short: the chat's label, the footer links.
CONTRAST_CSS = """
label[data-testid="block-label"] { color: var(--body-text-color) !important; }
footer a, footer button, footer .show-api { color: var(--body-text-color) !important; }
"""
# Gradio's own markup, mended where axe-core finds a WCAG 2 failure that no Gradio option avoids: the empty
# chat's example questions (buttons in an element with role=list, which may hold only list items) and icon
# buttons given an empty aria-label (named from their title, if any). Re-applied as Gradio re-renders.
ACCESSIBLE_MARKUP_JS = """() => {
  const mend = () => {
    document.querySelectorAll('.examples[role="list"]').forEach(list => {
      list.setAttribute('role', 'group');
      list.setAttribute('aria-label', 'Suggested questions');
    });
    document.querySelectorAll('button[aria-label=""]').forEach(button => {
      const title = button.getAttribute('title');
      if (title) button.setAttribute('aria-label', title); else button.removeAttribute('aria-label');
    });
  };
  mend();
  new MutationObserver(mend).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                     attributeFilter: ['role', 'aria-label']});
}"""


def called_by_api(request: gr.Request) -> bool:
    """Whether Gradio's API (`/gradio_api/call/respond`) asked, rather than the chat page: programs get plain
    text, as from /api and /v1, since nothing renders the Markdown for them."""
    try:
        return "/call/" in str(request.url)
    except AttributeError:  # a request Gradio built without a URL
        return False


def _answer(careerbot: CareerBot, message: str, turns: list[dict], settings: Settings,
            record: Callable[[Answer], str | None], plain: bool = False) -> Iterator[str | dict]:
    written = ""
    try:
        for piece in careerbot.stream(message, turns):
            if isinstance(piece, Answer) and plain:
                record(piece)
                yield plain_answer(piece.text, piece.notice, piece.sources, settings.knowledge_dir)
            elif isinstance(piece, Answer):
                yield answer_message(piece, settings, record(piece))
            else:
                written += piece
                yield written if plain else markdown_answer(written)
    except Exception:  # the reader gets a short message, never the exception's text or a server path
        log.exception("answer in the chat page failed")
        raise gr.Error("The answer failed; please try again.") from None


def mount_ui(app: FastAPI, get_bot: Callable[[], CareerBot], settings: Settings, questions: QuestionLimit,
             ratings: QuestionLimit, conversations: ConversationLog, concurrency: int) -> FastAPI:
    demo = build_ui(get_bot, settings, questions, ratings, conversations, concurrency)
    # A bounded queue: past ui_queue_size waiting questions a reader is told at once that the bot is busy,
    # instead of joining a backlog. api_open=False: queued functions can't be called around the queue.
    demo.queue(max_size=settings.ui_queue_size, api_open=False)
    # System fonts: the theme's default web font would be fetched from the internet by every browser.
    theme = gr.themes.Soft(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    app = gr.mount_gradio_app(app, demo, path="/", theme=theme, css=COMPACT_SOURCES_CSS + CONTRAST_CSS,
                              js=ACCESSIBLE_MARKUP_JS, show_error=False,
                              footer_links=["api"] if settings.gradio_api else [])
    guard_gradio(app, demo)  # calls of functions that don't exist: 404, not Gradio's 500
    return app
