"""The caps on a chat request, checked by every route that answers (the HTTP API and the Gradio chat)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.settings import Settings


def chat_problem(message: str, history: Sequence[str], settings: Settings) -> tuple[int, str] | None:
    """(HTTP status, reason) if the question or its earlier turns (their texts) break a cap, else None."""
    if not message.strip():
        return 422, "message must not be empty"
    if len(message) > settings.max_message_chars:
        return 413, f"message too long: {len(message)} characters, at most {settings.max_message_chars}"
    if len(history) > settings.max_history_turns:
        return 413, f"history too long: at most {settings.max_history_turns} turns"
    for number, text in enumerate(history, start=1):
        if len(text) > settings.max_turn_chars:
            return 413, f"history turn {number} too long: at most {settings.max_turn_chars} characters"
    return None
