"""Questions to offer: follow-ups after an answer, nearby topics after a decline, starters for an empty chat.

Every one is phrased from the library's own titles and section headings as a reader would ask it
(bot/conversation/phrasing.py), never one the conversation has asked already, and offered only if asking it retrieves
passages, one of them from the article it was phrased from (so it gets a cited answer, not a decline), and
the first not one the answer just quoted.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Sequence
from pathlib import Path

from bot.conversation.catalog import Article, Catalog
from bot.conversation.phrasing import Casing, question, topic_of
from bot.retrieval.retriever import ArticleRetriever
from bot.conversation.catalog import group_titles
from bot.text import content_stems

log = logging.getLogger(__name__)
MOST_SUGGESTIONS = 3
MOST_STARTERS = 4
# Candidates checked per answer at most: each check is a retrieval (~50 ms on 2 cores).
_MOST_CHECKS = 10


# The words of the questions' frames ("What should I know about …?"): they don't tell two questions apart.
_FRAME_STEMS = content_stems("what should I know about how do I go about the difference between for")


def title_question(article: Article, casing: Casing) -> str | None:
    """A question about a whole article, from its title."""
    return question(article.title, casing)


def section_question(heading: str, article: Article, casing: Casing) -> str | None:
    """A question about one section, from its heading, naming what the article is about when the heading
    alone doesn't ("How long they take")."""
    return question(heading, casing, topic_of(article.title, casing))


def parse_starters(value: str) -> list[str]:
    """CAREERBOT_STARTER_QUESTIONS: a file with one question per line, or questions separated by `|`."""
    path = Path(value).expanduser()
    text = path.read_text(encoding="utf-8") if "|" not in value and path.is_file() else value.replace("|", "\n")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _normal(text: str) -> frozenset[str]:
    """What a question asks about: two questions with the same are one (whatever their frame or case)."""
    return frozenset(content_stems(text) - _FRAME_STEMS)


class Suggester:
    """Follow-ups, nearby topics and starters for one library (a retriever and its catalog)."""

    def __init__(self, retriever: ArticleRetriever, catalog: Catalog, starters: str | None = None) -> None:
        self.retriever, self.catalog = retriever, catalog
        self.fixed_starters = parse_starters(starters) if starters else None
        self._checked: dict[tuple[Hashable, str, str], str | None] = {}  # -> the passage it retrieves first
        self._starters: tuple[Hashable, list[str]] | None = None
        self._casing: tuple[Hashable, Casing] | None = None
        self._lock = threading.Lock()

    def follow_ups(self, question: str, asked: Iterable[str], cited: Sequence[tuple[str, str | None, str]],
                   declined: bool) -> list[str]:
        """Up to three questions to ask next. `asked`: the conversation's questions so far; `cited`: the
        answer's sources as (article source, section heading, passage text)."""
        if declined:
            candidates = self._nearby(question, exclude=set())
        else:
            candidates = _interleave(self._sections(cited), self._nearby(question, {s for s, _, _ in cited}))
        skip = {_normal(question), *(_normal(q) for q in asked)}
        return self._answerable(candidates, skip, {text for _, _, text in cited}, MOST_SUGGESTIONS)

    def casing(self) -> Casing:
        """How the library writes its words, from its titles and headings, once per library revision."""
        stamp = self.catalog.stamp()
        with self._lock:
            if self._casing and self._casing[0] == stamp:
                return self._casing[1]
        casing = Casing(text for article in self.catalog.articles() for text in (article.title, *article.headings))
        with self._lock:
            self._casing = (stamp, casing)
        return casing

    def starters(self) -> list[str]:
        """Starter questions: the owner's (CAREERBOT_STARTER_QUESTIONS) or one per main topic of the library,
        computed once per library revision."""
        if self.fixed_starters is not None:
            return self.fixed_starters
        stamp = self.catalog.stamp()
        with self._lock:
            if self._starters and self._starters[0] == stamp:
                return self._starters[1]
        starters = self._answerable(self._per_topic(), set(), set(), MOST_STARTERS)
        with self._lock:
            self._starters = (stamp, starters)
        return starters

    def _sections(self, cited: Sequence[tuple[str, str | None, str]]) -> Iterator[tuple[str, str]]:
        """The cited articles' other sections, in reading order (headings several articles share skipped)."""
        common, casing = self._common_headings(), self.casing()
        cited_headings = {heading for _, heading, _ in cited}
        articles = [a for a in (self.catalog.article(s) for s in dict.fromkeys(s for s, _, _ in cited)) if a]
        for article in articles:
            for heading in article.headings:
                if heading not in cited_headings and heading not in common:
                    phrased = section_question(heading, article, casing)
                    if phrased:
                        yield article.source, phrased

    def _nearby(self, question: str, exclude: set[str]) -> Iterator[tuple[str, str]]:
        """The articles closest to the question, best first, as questions about the whole article."""
        seen, casing = set(exclude), self.casing()
        for passage in self.retriever.rank(question)[:20] if question.strip() else []:
            source = passage.metadata.get("source", "")
            article = self.catalog.article(source) if source not in seen else None
            seen.add(source)
            phrased = article and title_question(article, casing)
            if phrased:
                yield source, phrased

    def _per_topic(self) -> Iterator[tuple[str, str]]:
        """One article per topic group in turn, then the rest."""
        articles = {article.title: article for article in self.catalog.articles()}
        groups = [[articles[t] for t in group.titles] for group in group_titles(list(articles))]
        casing = self.casing()
        for article in _round_robin(groups):
            phrased = title_question(article, casing)
            if phrased:
                yield article.source, phrased

    def _common_headings(self) -> set[str]:
        """Headings several articles share ("Summary", "Key takeaways"): they say nothing on their own."""
        counts = Counter(h.lower() for article in self.catalog.articles() for h in set(article.headings))
        return {h for article in self.catalog.articles() for h in article.headings if counts[h.lower()] > 1}

    def _answerable(self, candidates: Iterable[tuple[str, str]], skip: set[frozenset[str]], shown: set[str],
                    most: int) -> list[str]:
        """The first `most` candidates that are answered from their own article (among the passages they
        retrieve), and not with the passage just shown."""
        found: list[str] = []
        for checks, (source, text) in enumerate(candidates):
            if len(found) >= most or checks >= _MOST_CHECKS:
                break
            key = _normal(text)
            if not key or key in skip or any(key < asked for asked in skip):  # asked already, or part of it
                continue
            skip.add(key)
            if self._leads_to(source, text, shown):
                found.append(text)
        return found

    def _leads_to(self, source: str, text: str, shown: set[str]) -> bool:
        stamp = self.catalog.stamp()
        key = (stamp, source, text)
        if key not in self._checked:
            if len(self._checked) > 10_000:  # old library revisions' entries
                self._checked.clear()
            passages = self.retriever.search(text)
            leads = any(p.metadata.get("source") == source for p in passages)
            self._checked[key] = passages[0].page_content if leads else None
        top = self._checked[key]
        return top is not None and top not in shown


def _interleave(first: Iterable[tuple[str, str]], second: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Two from `first`, one from `second`, then whatever is left of both: variety among three chips."""
    first, second = iter(first), iter(second)
    yield from (item for _, item in zip(range(2), first))
    yield from (item for _, item in zip(range(1), second))
    yield from first
    yield from second


def _round_robin(groups: Sequence[Sequence[Article]]) -> Iterator[Article]:
    for index in range(max((len(g) for g in groups), default=0)):
        yield from (group[index] for group in groups if index < len(group))
