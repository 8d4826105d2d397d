"""Question + history -> Answer(text, sources): retrieval chain, answer backend, citation check."""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from bot.answer.backends import AnswerBackend, Composer, make_backend
from bot.answer.verify import Verifier
from bot.conversation.catalog import Catalog
from bot.answer.citations import StreamNumbering
from bot.retrieval.retriever import ArticleRetriever, joined_query, judged_question, last_question, standalone_query
from bot.settings import Settings
from bot.conversation.smalltalk import SmallTalkRecogniser, TopicLister
from bot.conversation.suggestions import Suggester
from bot.text import CITATION, TURN_BREAK, item_named, spell_out, split_citation_lists
from bot.store import Collection, live_collection, live_unit_collection, revision as store_revision

log = logging.getLogger(__name__)

# Where streamed model text can be checked: after a citation (run) and any end punctuation, once more follows.
_CHECKABLE = re.compile(r"(?:\s*\[\d+\])+[.!?]?(?=\s+[^\s\[])")

NOTICE_FAILED = "The language model did not answer, so this answer is an extract from the articles."
NOTICE_UNVERIFIED = (
    "The language model's answer could not be checked against the articles, so this answer is an extract from them."
)


@dataclass
class Quote:
    text: str
    heading: str | None = None


@dataclass
class Source:
    """One cited article. `text` and `heading` are its first quoted passage's; `quotes` lists every passage
    the answer quotes from it, in order of first use."""

    n: int
    title: str
    source: str
    text: str
    url: str | None = None
    heading: str | None = None
    score: float | None = None
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class Answer:
    text: str
    sources: list[Source] = field(default_factory=list)
    backend: str = "composer"
    notice: str | None = None
    kind: Literal["answer", "decline", "smalltalk"] = "answer"  # the one decline flag
    suggestions: list[str] = field(default_factory=list)  # questions to ask next that the articles answer

    @property
    def refused(self) -> bool:
        """Declined: what the API and the exchange log call it, read from `kind`."""
        return self.kind == "decline"


def source_of(n: int, passage: Document) -> Source:
    meta = passage.metadata
    return Source(
        n=n, title=meta.get("title") or meta.get("source", "untitled"), source=meta.get("source", ""),
        text=passage.page_content, url=meta.get("url"), heading=meta.get("heading"), score=meta.get("score"),
    )


def cite(text: str, passages: Sequence[Document]) -> tuple[str, list[Source]]:
    """Drop citation numbers that point at no passage; the sources are exactly the cited passages."""
    cleaned = _valid_citations(text, len(passages)).strip()
    cited = sorted({int(n) for n in CITATION.findall(cleaned)})
    return cleaned, [source_of(n, passages[n - 1]) for n in cited]


def _last(pieces: Iterator[str | Answer]) -> Answer:
    """The final Answer of a stream of pieces."""
    final = deque(pieces, maxlen=1)[0]
    assert isinstance(final, Answer)
    return final


def _with_item_named(context: dict) -> dict:
    """A follow-up naming an item of the last answer's list by place ("how do I get started on the first one?") goes
    on with the earlier question and that item ("... (Prompt engineering is the new literacy)"): what is searched and
    judged for it, and what its answer is about, while what it asks ("get started") still says what to quote."""
    history = list(context.get("history") or ())
    answers = [i for i, turn in enumerate(history) if turn.get("role") == "assistant"]
    asked = [i for i, turn in enumerate(history[:answers[-1]] if answers else []) if turn.get("role") == "user"]
    item = item_named(context["question"], history[answers[-1]].get("content") or "") if asked else None
    if item is None:
        return context
    history[asked[-1]] = {**history[asked[-1]], "content": f"{history[asked[-1]].get('content') or ''} ({item})"}
    return {**context, "history": history}


def _checkable_end(text: str) -> int:
    ends = [m.end() for m in _CHECKABLE.finditer(text)]
    return ends[-1] if ends else 0


def _valid_citations(text: str, count: int) -> str:
    """The text without citation numbers that point at no passage (streamed pieces and whole answers alike)."""
    return CITATION.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= count else "", text)


class CareerBot:
    """The whole answering pipeline over one store. Build once, share: it holds no per-user state."""

    def __init__(self, settings: Settings, backend: AnswerBackend | None = None) -> None:
        self.settings = settings
        self.retriever = ArticleRetriever.from_settings(
            settings, collection=lambda: live_collection(settings), units=lambda: live_unit_collection(settings),
            revision=store_revision(settings),
        )
        self.backend = backend or make_backend(settings.backend, settings)
        self.composer = Composer()  # the fallback of every generating backend
        self.verifier = Verifier()
        self.catalog = Catalog(lambda: live_collection(settings), store_revision(settings))
        self.smalltalk = SmallTalkRecogniser(self.retriever, TopicLister(self.catalog.titles))
        self.suggester = Suggester(self.retriever, self.catalog, settings.starter_questions)

    @cached_property
    def retrieval_chain(self) -> Runnable:
        """{"question", "history"} -> the same plus "query" (what was searched), "judged" (what the decline check
        judges) and "passages"."""
        return RunnableLambda(_with_item_named) | RunnablePassthrough.assign(
            query=RunnableLambda(lambda x: self.search_query(x["question"], x.get("history") or ())),
            judged=RunnableLambda(lambda x: judged_question(x["question"], x.get("history") or (),
                                                            self.retriever.knows_every_word)),
        ) | RunnableLambda(self._normalised) | RunnablePassthrough.assign(
            passages=RunnableLambda(lambda x: self.retriever.search(x["query"], x["judged"],
                                                                    extra=self.settings.top_article_extra))) | RunnableLambda(
            self._continuing)

    def search_query(self, question: str, history: Sequence[dict] = ()) -> str:
        """What is searched for the question: with the question it follows, for a follow-up."""
        return standalone_query(question, history, self.retriever.names_section_of)

    def _continuing(self, context: dict) -> dict:
        """A question declined alone, tried as going on with the conversation: searched with the question before
        it (see ArticleRetriever.search_continuing)."""
        previous = last_question(context.get("history") or ())
        if context["passages"] or previous is None or TURN_BREAK in context["query"]:
            return context
        joined = self._normalised({**context, "query": joined_query(previous, context["question"])})
        passages = self.retriever.search_continuing(context["judged"], context["query"], joined["query"],
                                                    self.settings.top_article_extra)
        return {**context, "query": joined["query"], "judged": joined["query"], "passages": passages} if passages \
            else context

    def _normalised(self, context: dict) -> dict:
        """The query and question with typos corrected against the library's words, and the library's phrase
        after each acronym it doesn't use itself."""
        corrected = {key: self.retriever.corrected(context[key]) for key in ("query", "question", "judged")}
        phrases = self.retriever.acronyms(corrected["query"])
        return {**context, **{key: spell_out(text, phrases) for key, text in corrected.items()}}

    @cached_property
    def chain(self) -> Runnable:
        """The answering pipeline as a LangChain runnable: {"question", "history"} -> Answer, its citations
        numbered for readers (the last item of the same pieces `stream()` yields; no small talk, no suggestions)."""
        return RunnableLambda(lambda x: _last(self._numbered(x["question"], x.get("history") or ())))

    def answer(self, question: str, history: Sequence[dict] = ()) -> Answer:
        """The last item of `stream()`: one path decides every answer, streamed or not."""
        return _last(self.stream(question, history))

    def stream(self, question: str, history: Sequence[dict] = ()) -> Iterator[str | Answer]:
        """Text pieces as they are written, then the final Answer (whose text is authoritative) with suggestions;
        small talk is one Answer."""
        reply = self.small_talk(question)
        if reply:
            yield reply
            return
        question = self.smalltalk.question_part(question)
        for piece in self._numbered(question, history):
            yield self.with_suggestions(piece, question, history) if isinstance(piece, Answer) else piece

    def _numbered(self, question: str, history: Sequence[dict]) -> Iterator[str | Answer]:
        """As `_stream`, with citations renumbered for readers in the pieces and the final Answer alike."""
        numbering = StreamNumbering()
        for piece in self._stream(question, history, numbering):
            if isinstance(piece, Answer):
                rest = numbering.rest()
                if rest:
                    yield rest
                yield numbering.answer(piece)
            elif numbered := numbering.piece(piece):
                yield numbered

    def small_talk(self, message: str) -> Answer | None:
        """A short reply, without sources, to a greeting, thanks, goodbye or question about the bot."""
        reply = self.smalltalk.reply(message)
        return Answer(text=reply.text, backend="none", kind="smalltalk") if reply else None

    def with_suggestions(self, answer: Answer, question: str, history: Sequence[dict] = ()) -> Answer:
        asked = [turn["content"] for turn in history if turn.get("role") == "user"] + [question]
        cited = [(s.source, q.heading, q.text) for s in answer.sources for q in s.quotes or [Quote(s.text, s.heading)]]
        answer.suggestions = self.suggester.follow_ups(self.search_query(question, history), asked, cited,
                                                       declined=answer.kind == "decline")
        return answer

    def starter_questions(self) -> list[str]:
        return self.suggester.starters()

    def _stream(self, question: str, history: Sequence[dict], numbering: StreamNumbering) -> Iterator[str | Answer]:
        """Text pieces as they are written, then the final Answer (whose text is authoritative).

        A model's text is shown only as far as it is checked: up to the last citation, once the passages
        it cites support everything before it. The rest waits; if the finished answer fails the check, the
        final Answer carries the composer's extract instead and clients replace what they showed."""
        context = self.retrieval_chain.invoke({"question": question, "history": list(history)})
        question, passages = context["query"], context["passages"]  # a follow-up with what it follows
        numbering.know(passages)
        if not passages:
            yield self.refusal(question)
            return
        if not self.backend.needs_check:
            pieces = []
            for piece in self.backend.stream(question, passages):
                pieces.append(piece)
                yield piece
            yield self._finish("".join(pieces), passages)
            return
        yield from self._stream_checked(question, passages)

    def _stream_checked(self, question: str, passages: Sequence[Document]) -> Iterator[str | Answer]:
        raw, shown, holding = "", 0, False
        try:
            for piece in self.backend.stream(question, passages):
                raw += piece
                text = split_citation_lists(raw)  # only closed brackets change: what was shown stays a prefix
                ready = _checkable_end(text)
                if holding or ready <= shown:
                    continue
                if self._problem(cite(text[:ready], passages)[0], passages):
                    holding = True  # show nothing more; the final check decides what the answer is
                    continue
                yield _valid_citations(text[shown:ready], len(passages))
                shown = ready
        except Exception as exc:  # any failure of the model or its server: the user still gets an answer
            yield self._failed(exc, question, passages)
            return
        text = split_citation_lists(raw)
        answer = self._checked(text, question, passages)
        if answer.backend == self.backend.name and text[shown:].strip():
            yield _valid_citations(text[shown:], len(passages))  # the checked tail, for clients that only append
        yield answer

    def _checked(self, text: str, question: str, passages: Sequence[Document]) -> Answer:
        """The model's answer if the passages it cites support it, else the composer's with a notice."""
        if not text.strip():
            log.warning("%s backend returned an empty answer; answering with the composer", self.backend.name)
            return self._fallback(question, passages, NOTICE_FAILED)
        text = split_citation_lists(text)
        cleaned, _ = cite(text, passages)
        problem = self._problem(cleaned, passages)
        if problem:
            log.warning("%s answer rejected: %s; answering with the composer", self.backend.name, problem)
            return self._fallback(question, passages, NOTICE_UNVERIFIED)
        return self._finish(text, passages, self.backend.name)

    def _problem(self, text: str, passages: Sequence[Document]) -> str | None:
        """The verifier's objection to the text; a failure of the check itself is an objection too, reported
        as ours, not as the model's."""
        try:
            return self.verifier.problem(text, passages)
        except Exception:
            log.exception("the answer check failed")
            return "the answer check failed"

    def _failed(self, exc: Exception, question: str, passages: Sequence[Document]) -> Answer:
        log.warning("%s backend failed (%s: %s); answering with the composer",
                    self.backend.name, type(exc).__name__, exc)
        return self._fallback(question, passages, NOTICE_FAILED)

    def _fallback(self, question: str, passages: Sequence[Document], notice: str) -> Answer:
        answer = self._finish(self.composer.compose(question, passages), passages, self.composer.name)
        answer.notice = notice
        return answer

    def _finish(self, text: str, passages: Sequence[Document], backend: str | None = None) -> Answer:
        cleaned, sources = cite(text, passages)
        return Answer(text=cleaned, sources=sources, backend=backend or self.backend.name)

    @property
    def collection(self) -> Collection:
        """The store as it is now: articles ingested by another process are answered without a restart."""
        return live_collection(self.settings)

    def refusal(self, query: str = "") -> Answer:
        topics = self.nearby_titles(query)
        suggestion = f" I can answer questions about topics such as: {'; '.join(topics)}." if topics else ""
        return Answer(
            text="Sorry, my articles don't cover that, so I can't answer it reliably." + suggestion,
            backend="none", kind="decline",
        )

    def nearby_titles(self, query: str, limit: int = 3) -> list[str]:
        """Titles of the articles closest to a declined question (or any, for an empty one)."""
        passages = self.retriever.rank(query) if query.strip() else []
        if not passages:
            passages = [Document(page_content="", metadata=m)
                        for m in self.collection.get(include=["metadatas"], limit=200)["metadatas"]]
        return list(dict.fromkeys(p.metadata["title"] for p in passages if p.metadata.get("title")))[:limit]

    def chunk_count(self) -> int:
        return self.collection.count()
