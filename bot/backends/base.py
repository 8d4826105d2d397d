from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from langchain_core.documents import Document


class AnswerBackend(ABC):
    """One seam for every way of writing an answer. `passages[i]` is cited as `[i + 1]`."""

    name: str

    @abstractmethod
    def stream(self, question: str, passages: Sequence[Document]) -> Iterator[str]:
        """Yield the answer text in pieces as it is produced."""
