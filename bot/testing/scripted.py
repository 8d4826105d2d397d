"""A deterministic stand-in for a generating model (as pydantic-ai's FunctionModel): it writes the given
pieces, so the real chain, check and fallback run on a known answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from langchain_core.documents import Document

from bot.answer.backends.base import AnswerBackend


class Scripted(AnswerBackend):
    """A model that writes the given pieces, then optionally breaks (as a dropped connection would)."""

    name = "scripted"

    def __init__(self, pieces: list[str], error: Exception | None = None) -> None:
        self.pieces, self.error = pieces, error

    def stream(self, question: str, passages: Sequence[Document]) -> Iterator[str]:
        yield from self.pieces
        if self.error:
            raise self.error
