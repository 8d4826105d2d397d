"""The offline answer backend: a short extract of the passages that best answer the question.

No model writes anything here, so every sentence is a sentence of a cited passage. The composer picks
the sentence that best matches the question (words weighted by how rare they are among the candidate
sentences, so "salary" outweighs "engineer" in an article about engineers), then keeps the sentences
that follow it, which usually carry the substance a topic sentence announces.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from langchain_core.documents import Document

from bot.backends.base import AnswerBackend
from bot.text import content_stems, split_sentences

_MAX_WORDS = 90
_MAX_SENTENCES = 3


@dataclass
class _Candidate:
    passage: int  # index into passages
    position: int  # sentence index within the passage
    text: str
    stems: set[str]
    score: float = 0.0


class Composer(AnswerBackend):
    name = "composer"
    needs_check = False  # every sentence is copied from the passage it cites

    def stream(self, question: str, passages: Sequence[Document]) -> Iterator[str]:
        answer = self.compose(question, passages)
        for word in re.findall(r"\S+\s*", answer):  # word-sized pieces, so clients render it as it "types"
            yield word

    def compose(self, question: str, passages: Sequence[Document]) -> str:
        candidates = [
            _Candidate(index, position, sentence, content_stems(sentence))
            for index, passage in enumerate(passages)
            for position, sentence in enumerate(split_sentences(passage.page_content))
        ]
        if not candidates:
            return " ".join(f"{p.page_content.strip()} [{i + 1}]" for i, p in enumerate(passages[:1]))
        self._score(candidates, content_stems(question), passages)
        best = max(candidates, key=lambda c: c.score)
        parts = [self._excerpt(best, candidates)]
        runner_up = self._second_excerpt_anchor(best, candidates, passages)
        if runner_up:
            parts.append(self._excerpt(runner_up, candidates, max_sentences=2))
        return " ".join(parts)

    @staticmethod
    def _score(candidates: list[_Candidate], query: set[str], passages: Sequence[Document]) -> None:
        document_frequency = Counter(stem for c in candidates for stem in c.stems)
        weight = {s: math.log(1 + len(candidates) / document_frequency.get(s, 0.5)) for s in query}
        total = sum(weight.values()) or 1.0
        headings = [content_stems(p.metadata.get("heading") or "") for p in passages]
        for c in candidates:
            # The section heading says what a sentence is about ("Challenges faced by ..."), at half weight.
            in_heading = (query & headings[c.passage]) - c.stems
            coverage = (sum(weight[s] for s in query & c.stems) + 0.5 * sum(weight[s] for s in in_heading)) / total
            similarity = float(passages[c.passage].metadata.get("score", 0.0))
            sentences_in_passage = sum(1 for o in candidates if o.passage == c.passage)
            earliness = 1 - c.position / max(sentences_in_passage, 1)
            c.score = coverage + 0.5 * similarity + 0.05 * earliness

    @staticmethod
    def _excerpt(anchor: _Candidate, candidates: list[_Candidate], max_sentences: int = _MAX_SENTENCES) -> str:
        following = [c for c in candidates if c.passage == anchor.passage and c.position >= anchor.position]
        chosen, words = [], 0
        for c in sorted(following, key=lambda c: c.position)[:max_sentences]:
            if chosen and words + len(c.text.split()) > _MAX_WORDS:
                break
            chosen.append(c.text)
            words += len(c.text.split())
        return f"{' '.join(chosen)} [{anchor.passage + 1}]"

    @staticmethod
    def _second_excerpt_anchor(
        best: _Candidate, candidates: list[_Candidate], passages: Sequence[Document]
    ) -> _Candidate | None:
        """A strong match from another article adds its view; a weaker one would only add noise."""
        best_source = passages[best.passage].metadata.get("source")
        others = [
            c for c in candidates
            if passages[c.passage].metadata.get("source") != best_source and c.stems & best.stems
        ]
        if not others:
            return None
        runner_up = max(others, key=lambda c: c.score)
        return runner_up if runner_up.score >= 0.85 * best.score else None
