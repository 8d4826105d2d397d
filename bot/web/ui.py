"""The Gradio chat page: streaming answers with their numbered sources listed underneath."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator

import gradio as gr
from fastapi import FastAPI

from gradio.components.chatbot import TextMessage

from bot.chain import Answer, CareerBot

EXAMPLES = [
    "What is the difference between a machine learning engineer and a data scientist?",
    "What does a machine learning engineer do?",
    "What salary does a machine learning engineer earn?",
    "Which programming languages should I learn?",
]
_QUOTE_CHARS = 320


def plain(text: str) -> str:
    """Text from users or articles, shown as text: HTML is escaped so it can never become markup."""
    return html.escape(text, quote=False)


class TextOnlyChatbot(gr.Chatbot):
    """A Chatbot that shows the user's own words as text. Gradio renders every message as Markdown with
    (sanitized) HTML, and ChatInterface passes the question through as typed, so `<img src=x>` in a question
    became an image. User text is escaped on the way to the browser and unescaped on the way back, so the
    history the bot sees is exactly what was typed. Answers are escaped by `render_answer` already."""

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
                        part["text"] = html.unescape(part["text"])
        return messages

    @staticmethod
    def _plain_user(message: object) -> object:
        if message.role != "user":
            return message
        content = [TextMessage(text=plain(p.text)) if isinstance(p, TextMessage) else p for p in message.content]
        return message.model_copy(update={"content": content})  # a copy: the value may be Gradio's own state


def render_answer(answer: Answer) -> str:
    parts = [plain(answer.text)]
    if answer.notice:
        parts.append(f"*{plain(answer.notice)}*")
    if answer.sources:
        lines = ["**Sources**"]
        for s in answer.sources:
            title = f"[{plain(s.title)}]({s.url})" if s.url and s.url.startswith(("http://", "https://")) else plain(s.title)
            quote = s.text if len(s.text) <= _QUOTE_CHARS else s.text[:_QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
            lines.append(f"{s.n}. **{title}** — `{plain(s.source)}`\n    > {plain(' '.join(quote.split()))}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _text_of(content: object) -> str:
    """Gradio 6 message content is a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def build_ui(get_bot: Callable[[], CareerBot]) -> gr.ChatInterface:
    def respond(message: str, history: list[dict]) -> Iterator[str]:
        turns = [{"role": m["role"], "content": _text_of(m.get("content"))} for m in history if m.get("role") in ("user", "assistant")]
        written = ""
        for piece in get_bot().stream(message, turns):
            if isinstance(piece, Answer):
                yield render_answer(piece)
            else:
                written += piece
                yield plain(written)

    return gr.ChatInterface(
        respond,
        title="careerbot",
        description="Ask about careers in machine learning. Every answer cites the articles it comes from.",
        examples=EXAMPLES,
        run_examples_on_click=True,
        cache_examples=False,
        chatbot=TextOnlyChatbot(label="careerbot", sanitize_html=True, render_markdown=True, height="70vh"),
        textbox=gr.Textbox(placeholder="e.g. How do I become a machine learning engineer?", max_length=2000, submit_btn=True),
        fill_height=True,
    )


def mount_ui(app: FastAPI, get_bot: Callable[[], CareerBot]) -> FastAPI:
    # System fonts: the theme's default web font would be fetched from the internet by every browser.
    theme = gr.themes.Soft(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    return gr.mount_gradio_app(app, build_ui(get_bot), path="/", theme=theme, footer_links=["api"])
