"""Citation numbers as a reader sees them: [1], [2]… in order of first use in each answer, one number per
article, in the text and the source list alike.

The answer backends cite passages by their place in the retrieved list (`[6]` for the sixth), and two passages
of one article are two numbers. `renumber` turns a finished Answer into what every channel shows; for
streamed answers `StreamNumbering` does the same to the pieces as they come, so that what was streamed is
exactly the final text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from langchain_core.documents import Document

if TYPE_CHECKING:
    from bot.answer.pipeline import Answer, Source

# One citation run: markers with at most spaces between them ("[2][5]", "[2] [5]").
_MARKER = re.compile(r"([ \t]*)\[(\d+)\]")
_RUN = re.compile(r"\[\d+\](?:[ \t]*\[\d+\])*")
# The end of a streamed text that may still become or continue a citation: an unfinished marker, or spaces
# after a marker (a marker may follow).
_OPEN_END = re.compile(r"(?:(?<=\])[ \t]+(?:\[\d*)?|\[\d*)$")


class Numbering:
    """Passage number -> reader's number, assigned to articles in order of first use."""

    def __init__(self, articles: Sequence[str]) -> None:
        self.articles = list(articles)  # the article (source) of passage n at index n - 1
        self.numbers: dict[str, int] = {}

    def number(self, passage: int) -> int:
        article = self.articles[passage - 1] if 1 <= passage <= len(self.articles) else f"#{passage}"
        return self.numbers.setdefault(article, len(self.numbers) + 1)

    def text(self, text: str, open_run: set[int] | None = None) -> str:
        """`text` with every citation run renumbered, a number repeated within one run written once.
        `open_run`: the numbers of a run that the text before this one ended with (streaming)."""
        return self.continued(text, open_run)[0]

    def continued(self, text: str, open_run: set[int] | None = None) -> tuple[str, set[int] | None]:
        """As `text`, and the numbers of the run `text` ends with (None if it ends otherwise)."""
        out: list[str] = []
        last, end_run = 0, None
        for match in _RUN.finditer(text):
            continues = last == 0 and open_run is not None and not text[:match.start()].strip(" \t")
            start = 0 if continues else match.start()
            seen = set(open_run) if open_run is not None and continues else set()
            parts: list[str] = []
            for marker in _MARKER.finditer(text, start, match.end()):
                n = self.number(int(marker.group(2)))
                if n not in seen:
                    parts.append(f"{marker.group(1) if parts or continues else ''}[{n}]")
                seen.add(n)
            out += [text[last:start], "".join(parts)]
            last = match.end()
            end_run = seen if match.end() == len(text) else None
        out.append(text[last:])
        if last == 0 and open_run is not None and not text.strip(" \t"):
            end_run = open_run  # only spaces: the run may go on
        return "".join(out), end_run

def renumber(answer: Answer, numbering: Numbering | None = None) -> Answer:
    """The answer with citations numbered in order of first use, one source per article listing each quoted
    passage (`quotes`) in that order. Passages are known by the sources' numbers (their place in the
    retrieved list), so this applies once, to an answer as the backends wrote it."""
    if not answer.sources:
        return answer
    if numbering is None:
        articles: list[str] = [""] * max(s.n for s in answer.sources)
        for s in answer.sources:
            articles[s.n - 1] = s.source
        numbering = Numbering(articles)
    by_passage = {s.n: s for s in answer.sources}
    text = numbering.text(answer.text)
    order: dict[int, list[Source]] = {}
    for marker in _MARKER.finditer(answer.text):
        passage = int(marker.group(2))
        if passage in by_passage and by_passage[passage] not in order.setdefault(numbering.number(passage), []):
            order[numbering.number(passage)].append(by_passage[passage])
    sources = [_article_source(n, passages) for n, passages in sorted(order.items()) if passages]
    return replace(answer, text=text, sources=sources)


def _article_source(n: int, passages: list[Source]) -> Source:
    from bot.answer.pipeline import Quote

    first = passages[0]
    scores = [p.score for p in passages if p.score is not None]
    return replace(first, n=n, score=max(scores) if scores else None,
                   quotes=[Quote(text=p.text, heading=p.heading) for p in passages])


class StreamNumbering:
    """Renumbers a streamed answer piece by piece, as `renumber` does the final text: a piece ending in the
    middle of a marker ("[1") or in spaces after one waits for the next, and a run that goes on in the next
    piece ("[1]" then "[1]") is still written once."""

    def __init__(self) -> None:
        self.numbering: Numbering | None = None
        self.held = ""
        self.open_run: set[int] | None = None
        self.streamed = ""  # as the backend wrote it

    def know(self, passages: Sequence[Document]) -> None:
        self.numbering = Numbering([p.metadata.get("source", "") for p in passages])

    def piece(self, piece: str) -> str:
        if self.numbering is None:
            return piece
        self.streamed += piece
        text = self.held + piece
        open_end = _OPEN_END.search(text)
        cut = open_end.start() if open_end else len(text)
        if self.open_run is not None and not text[:cut].strip(" \t"):
            cut = 0  # spaces after the run streamed so far: it may go on
        self.held = text[cut:]
        return self._numbered(text[:cut])

    def rest(self) -> str:
        """What is still held back, at the end of the stream."""
        held, self.held = self.held, ""
        return self._numbered(held) if self.numbering else held

    def _numbered(self, text: str) -> str:
        if not text:
            return ""
        assert self.numbering is not None  # only called once the passages are known
        numbered, self.open_run = self.numbering.continued(text, self.open_run)
        return numbered

    def answer(self, answer: Answer) -> Answer:
        """The final answer, numbered as its streamed text was; numbered afresh if it replaces that text (a
        model's answer that failed the check, replaced by the composer's extract)."""
        numbering = self.numbering
        if numbering and not answer.text.startswith(self.streamed.strip()):
            numbering = Numbering(numbering.articles)
        return renumber(answer, numbering)
