from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from langchain_core.documents import Document

if TYPE_CHECKING:
    from bot.settings import Settings


class AnswerBackend(ABC):
    """One seam for every way of writing an answer. `passages[i]` is cited as `[i + 1]`."""

    name: str
    # A model's text is checked against the passages before it is shown; the composer's is their own words.
    needs_check: bool = True

    @classmethod
    def from_settings(cls, settings: Settings | None) -> AnswerBackend:
        """The backend as Settings configure it; one that needs no settings ignores them."""
        return cls()

    @classmethod
    def concurrency(cls) -> int:
        """How many answers may start (retrieve, then write) at once. A model server bounds a generating
        backend, and its first token can take seconds, so the gate is wide and only stops a stampede."""
        return 32

    @abstractmethod
    def stream(self, question: str, passages: Sequence[Document]) -> Iterator[str]:
        """Yield the answer text in pieces as it is produced (the chain's one answer path streams)."""
