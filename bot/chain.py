"""Question + history -> Answer(text, sources): retrieval chain, answer backend, citation check."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from operator import itemgetter

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from bot.backends import AnswerBackend, make_backend
from bot.retrieval import ArticleRetriever, standalone_query
from bot.settings import Settings
from bot.store import get_collection

log = logging.getLogger(__name__)

_CITATION = re.compile(r"\s?\[(\d+)\]")


@dataclass
class Source:
    n: int
    title: str
    source: str
    text: str
    url: str | None = None
    heading: str | None = None
    score: float | None = None


@dataclass
class Answer:
    text: str
    sources: list[Source] = field(default_factory=list)
    backend: str = "composer"
    refused: bool = False
    notice: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def source_of(n: int, passage: Document) -> Source:
    meta = passage.metadata
    return Source(
        n=n, title=meta.get("title") or meta.get("source", "untitled"), source=meta.get("source", ""),
        text=passage.page_content, url=meta.get("url"), heading=meta.get("heading"), score=meta.get("score"),
    )


def cite(text: str, passages: Sequence[Document]) -> tuple[str, list[Source]]:
    """Drop citation numbers that point at no passage; the sources are exactly the cited passages."""
    cited: list[int] = []

    def keep_valid(match: re.Match) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(passages):
            return ""
        if n not in cited:
            cited.append(n)
        return match.group(0)

    cleaned = _CITATION.sub(keep_valid, text).strip()
    return cleaned, [source_of(n, passages[n - 1]) for n in sorted(cited)]


class CareerBot:
    """The whole answering pipeline over one store. Build once, share: it holds no per-user state."""

    def __init__(self, settings: Settings, backend: AnswerBackend | None = None) -> None:
        self.settings = settings
        self.collection = get_collection(settings)
        self.retriever = ArticleRetriever(
            collection=self.collection, k=settings.top_k, threshold=settings.threshold,
            supported_threshold=settings.supported_threshold,
        )
        self.backend = backend or make_backend(settings.backend, settings)

    @cached_property
    def retrieval_chain(self) -> Runnable:
        """{"question", "history"} -> the same plus "query" (what was searched) and "passages"."""
        return RunnablePassthrough.assign(
            query=RunnableLambda(lambda x: standalone_query(x["question"], x.get("history") or ()))
        ) | RunnablePassthrough.assign(passages=itemgetter("query") | self.retriever)

    @cached_property
    def chain(self) -> Runnable:
        """The full LangChain runnable: {"question", "history"} -> Answer."""
        return self.retrieval_chain | RunnableLambda(self._answer_from)

    def answer(self, question: str, history: Sequence[dict] = ()) -> Answer:
        return self.chain.invoke({"question": question, "history": list(history)})

    def stream(self, question: str, history: Sequence[dict] = ()) -> Iterator[str | Answer]:
        """Text pieces as they are written, then the final Answer (whose text is authoritative)."""
        context = self.retrieval_chain.invoke({"question": question, "history": list(history)})
        if not context["passages"]:
            yield (answer := self.refusal())
            return
        pieces = []
        for piece in self.backend.stream(question, context["passages"]):
            pieces.append(piece)
            yield piece
        yield self._finish("".join(pieces), context["passages"])

    def _answer_from(self, context: dict) -> Answer:
        if not context["passages"]:
            return self.refusal()
        text = "".join(self.backend.stream(context["question"], context["passages"]))
        return self._finish(text, context["passages"])

    def _finish(self, text: str, passages: Sequence[Document]) -> Answer:
        cleaned, sources = cite(text, passages)
        return Answer(text=cleaned, sources=sources, backend=self.backend.name)

    def refusal(self) -> Answer:
        topics = self.example_titles()
        suggestion = f" I can answer questions about topics such as: {'; '.join(topics)}." if topics else ""
        return Answer(
            text="Sorry, my articles don't cover that, so I can't answer it reliably." + suggestion,
            backend="none", refused=True,
        )

    def example_titles(self, limit: int = 3) -> list[str]:
        metas = self.collection.get(include=["metadatas"], limit=200)["metadatas"]
        return list(dict.fromkeys(m.get("title", "") for m in metas if m.get("title")))[:limit]

    def chunk_count(self) -> int:
        return self.collection.count()
