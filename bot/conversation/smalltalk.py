"""Small talk and questions about the bot ("hi", "thanks!", "who are you?", "what can you help me with?"),
recognised by meaning: the message's embedding against a few example phrasings per intent.

Never at the cost of a real question: a message is small talk only when it is close to an intent's examples
and either the articles would not answer it or every content word it has is one small talk itself uses
("thanks — and what do data engineers earn?" is answered, "thanks, that helps!" is thanked).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from bot.conversation.catalog import TopicGroup, group_titles
from bot.embeddings import embed_query, embed_texts
from bot.retrieval.retriever import ArticleRetriever
from bot.text import content_words, cosine, stem

# Example phrasings per intent; recognition is by meaning, so paraphrases of these count too.
INTENTS: dict[str, tuple[str, ...]] = {
    "greeting": ("hi", "hello there", "hey, good morning", "good evening!", "hi bot, how are you?"),
    "thanks": ("thanks", "thank you so much", "thanks, that helps!", "great, that was really useful",
               "cheers, much appreciated"),
    "goodbye": ("bye", "goodbye", "see you later", "that's all for today, bye", "have a nice day"),
    "identity": ("who are you?", "what are you?", "am I talking to a human or a bot?", "are you human?", "what is your name?",
                 "who made you?"),
    "capabilities": ("what can you do?", "what can you help me with?", "what topics do you cover?",
                     "what can I ask you?", "what kind of questions can you answer?"),
    "how_it_works": ("how does this work?", "how do you answer questions?", "where do your answers come from?",
                     "how do you work?", "can I trust your answers?"),
}
# Cosine similarity to an intent's nearest example that makes a message that intent (all-MiniLM-L6-v2:
# paraphrases of these short phrasings score 0.45-0.85, careers questions and off-topic requests 0.2-0.4).
SIMILARITY_BOUND = 0.45
# Where a courtesy may end and a question begin: "Thanks — and what do data engineers earn?", "Hi, what ...".
_CLAUSE_END = re.compile(r"(?<=[,.!;:—–])\s+|\s+(?=[—–-]\s)")
# Questions about the bot address it: "what are you?" is one, "what is it?" (a question missing its subject) is not,
# though their embeddings are close.
_ABOUT_THE_BOT = frozenset({"identity", "capabilities", "how_it_works"})
_ADDRESSES_BOT = re.compile(
    r"\b(you|your|yours|yourself|u|ur|bot|careerbot|chatbot|this|talking to|chatting with|speaking (?:to|with))\b",
    re.IGNORECASE)
_LEADING_AND = re.compile(r"^[\s—–-]*(?:and|but|so|also)?\b\s*", re.IGNORECASE)

REPLIES: dict[str, str] = {
    "greeting": "Hi! I'm careerbot. Ask me a career question and I'll answer from my {articles} articles, "
                "citing each one.",
    "thanks": "You're welcome! Ask me anything else whenever you like.",
    "goodbye": "Goodbye, and good luck with your career! Come back any time.",
    "identity": "I'm careerbot, a chatbot that answers career questions from a library of {articles} articles. "
                "I quote the articles and cite them, and say so when they don't cover a question.",
    "how_it_works": "I search my {articles} articles for the passages closest to your question and answer with "
                    "what they say, citing each one as [n] so you can read the source. If no article covers a "
                    "question, I tell you rather than guess.",
}


@dataclass(frozen=True)
class SmallTalk:
    intent: str
    text: str


class SmallTalkRecogniser:
    """Recognises small talk in a message and writes the reply, from the library the retriever searches."""

    def __init__(self, retriever: ArticleRetriever, topics: TopicLister) -> None:
        self.retriever = retriever
        self.topics = topics

    @cached_property
    def _examples(self) -> list[tuple[str, list[float]]]:
        phrasings = [(intent, text) for intent, texts in INTENTS.items() for text in texts]
        vectors = embed_texts([text for _, text in phrasings])
        return [(intent, vector) for (intent, _), vector in zip(phrasings, vectors)]

    @cached_property
    def _vocabulary(self) -> frozenset[str]:
        return frozenset(stem(w) for texts in INTENTS.values() for text in texts for w in content_words(text))

    def intent(self, message: str) -> str | None:
        """The intent the message is close to, or None."""
        text = " ".join(message.split())
        if not text or len(text) > 200:  # small talk is short; a long message is a question or a story
            return None
        vector = embed_query(text)
        best, similarity = max(((intent, cosine(vector, example)) for intent, example in self._examples),
                               key=lambda pair: pair[1])
        if similarity < SIMILARITY_BOUND or (best in _ABOUT_THE_BOT and not _ADDRESSES_BOT.search(text)):
            return None
        return best if self._only_small_talk(text) else None

    def _only_small_talk(self, text: str) -> bool:
        """No word beyond small talk's own, or nothing in the articles for it."""
        words = {stem(w) for w in content_words(text)} - self._vocabulary
        return not words or not self.retriever.search(text)

    def reply(self, message: str) -> SmallTalk | None:
        intent = self.intent(message)
        return SmallTalk(intent, self.reply_for(intent)) if intent else None

    def reply_for(self, intent: str) -> str:
        if intent == "capabilities":
            return self.topics.overview()
        return REPLIES[intent].format(articles=self.topics.article_count())

    def question_part(self, message: str) -> str:
        """The message without the courtesies it opens with: "Thanks — and what do data engineers earn?" asks
        "what do data engineers earn?", whose words alone decide what is searched and whether it is covered."""
        clauses = _CLAUSE_END.split(message.strip())
        start = 0
        while start < len(clauses) - 1 and self.intent(clauses[start]):
            start += 1
        return _LEADING_AND.sub("", " ".join(clauses[start:]), count=1) if start else message


class TopicLister:
    """What the library covers, from its titles and headings, grouped into a few topics by meaning."""

    def __init__(self, titles: Callable[[], list[str]]) -> None:
        """`titles`: the loaded library's article titles (a function: the library changes with every ingest)."""
        self.titles = titles

    def article_count(self) -> int:
        return len(self.titles())

    def overview(self) -> str:
        groups = self.groups()
        if not groups:
            return "I answer career questions from my articles, but no articles are loaded yet."
        lines = [f"I can answer questions about what my {self.article_count()} articles cover, for example:"]
        lines += [f"- {group.label}: {'; '.join(group.titles[:3])}" for group in groups]
        lines.append("Ask me anything about these, and I'll cite the articles I answer from.")
        return "\n".join(lines)

    def groups(self, most: int = 4) -> list[TopicGroup]:
        return group_titles(self.titles(), most)
