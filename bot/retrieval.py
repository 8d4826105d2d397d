"""Question (+ conversation) -> the passages worth answering from, or none when the articles don't cover it."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from chromadb.api.models.Collection import Collection
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.embeddings import embed_query
from bot.text import content_stems, expand_acronyms

# Words that only make sense with an earlier turn ("How much do *they* earn?", "and *that* role?").
_REFERRING = re.compile(
    r"\b(they|them|their|theirs|it|its|this|that|these|those|he|she|his|her|one|ones|there|the role|the job|"
    r"the position|the field|same|also|else|instead)\b",
    re.IGNORECASE,
)
_CONTENT_WORD = re.compile(r"[a-z][a-z+#.-]{3,}", re.IGNORECASE)


def standalone_query(question: str, history: Sequence[dict] = ()) -> str:
    """The text to search for. A follow-up that leans on the conversation is searched together with the
    previous question, which names what "they" or "it" refers to. Without an LLM this is the robust
    choice: prepending only adds the earlier topic; the current question's words still drive the answer."""
    previous = [turn["content"] for turn in history if turn.get("role") == "user" and turn.get("content")]
    is_follow_up = bool(previous) and (
        bool(_REFERRING.search(question)) or len(_CONTENT_WORD.findall(question)) <= 2
    )
    return expand_acronyms(f"{previous[-1]} {question}" if is_follow_up else question)


class ArticleRetriever(BaseRetriever):
    """Dense search over the Chroma collection, widened and re-ranked by the question's distinctive words.

    Dense search alone ranks a short on-topic sentence inside a passage about something else low (a
    paragraph on salaries that also says the work is iterative). So it fetches `candidates` neighbours,
    many more than `k`, and re-ranks them by similarity plus coverage of the question's words, weighted
    by how rare each word is among the candidates. (Chroma's `$contains` filter per word found the same
    passages but cost ~130 ms a word on a 100k-chunk collection; a wider dense search costs ~1 ms more.)

    A passage counts when its cosine similarity clears `threshold`, or clears the lower
    `supported_threshold` and contains one of the question's distinctive words: short questions ("What
    math do I need?") embed far from any passage, while an off-topic question shares no such word with
    the articles. An off-topic question therefore gets no passages.
    Each Document carries `metadata["score"]` (cosine similarity); identical passages stored under two
    articles are returned once. `collection` is a Chroma collection, or a function returning the current
    one (the app's: see bot.store.live_collection).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection: Collection | Callable[[], Collection]
    k: int = 4
    candidates: int = 40
    threshold: float = 0.35
    supported_threshold: float = 0.25
    lexical_weight: float = 0.25

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        stems = sorted(s for s in content_stems(query) if len(s) >= 4)
        candidates = self._nearest(embed_query(query))
        passages = [p for p in candidates if self._relevant(p, stems)]
        return self._rerank(passages, set(stems))[: self.k]

    def _relevant(self, passage: Document, stems: list[str]) -> bool:
        score = passage.metadata["score"]
        if score >= self.threshold:
            return True
        text = passage.page_content.lower()
        return score >= self.supported_threshold and any(stem in text for stem in stems)

    def _nearest(self, vector: list[float]) -> list[Document]:
        collection = self.collection if isinstance(self.collection, Collection) else self.collection()
        found = collection.query(
            query_embeddings=[vector], n_results=max(self.candidates, self.k),
            include=["documents", "metadatas", "distances"],
        )
        return [
            Document(id=chunk_id, page_content=text, metadata={**meta, "score": round(1.0 - distance, 4)})
            for chunk_id, text, meta, distance in zip(
                found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0]
            )
        ]

    def _rerank(self, passages: list[Document], stems: set[str]) -> list[Document]:
        texts = {p.id: f"{p.metadata.get('heading', '')} {p.page_content}".lower() for p in passages}
        frequency = {s: sum(s in t for t in texts.values()) for s in stems}
        weight = {s: math.log(1 + len(passages) / f) for s, f in frequency.items() if f}
        total = sum(weight.values()) or 1.0

        def rank(p: Document) -> float:
            coverage = sum(w for s, w in weight.items() if s in texts[p.id]) / total
            return p.metadata["score"] + self.lexical_weight * coverage

        unique: dict[str, Document] = {}
        for passage in sorted(passages, key=rank, reverse=True):
            unique.setdefault(passage.metadata.get("chunk_hash", passage.id), passage)
        return list(unique.values())
