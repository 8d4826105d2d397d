"""What the loaded library holds, article by article (titles, URLs, section headings), read from the store's
metadata and kept until the store changes: small talk, suggestions and starter questions are built from it."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from bot.embeddings import embed_texts
from bot.store import Collection
from bot.text import content_words, cosine


@dataclass
class Article:
    source: str
    title: str
    url: str | None = None
    headings: list[str] = field(default_factory=list)  # section headings in order, each once, not the title


class Catalog:
    """The articles of the collection, recomputed only when `revision(collection)` changes (after an ingest)."""

    def __init__(self, collection: Callable[[], Collection], revision: Callable[[Collection], Hashable]) -> None:
        self.collection, self.revision = collection, revision
        self._cached: tuple[Hashable, list[Article]] | None = None
        self._lock = threading.Lock()

    def stamp(self) -> Hashable:
        """Changes whenever the library does: what caches built from the catalog are keyed by."""
        return self.revision(self.collection())

    def articles(self) -> list[Article]:
        collection = self.collection()
        stamp = self.revision(collection)
        with self._lock:
            if self._cached is None or self._cached[0] != stamp:
                self._cached = (stamp, _articles(collection))
            return self._cached[1]

    def titles(self) -> list[str]:
        return [article.title for article in self.articles()]

    def article(self, source: str) -> Article | None:
        return next((article for article in self.articles() if article.source == source), None)


def _articles(collection: Collection) -> list[Article]:
    """Articles in ingest order (Chroma returns chunks in insertion order), headings in reading order."""
    found = collection.get(include=["metadatas"])
    articles: dict[str, Article] = {}
    for meta in found["metadatas"] or []:
        source = meta.get("source", "")
        article = articles.setdefault(source, Article(source, meta.get("title") or source, meta.get("url")))
        heading = (meta.get("heading") or "").strip()
        if heading and heading != article.title and heading not in article.headings:
            article.headings.append(heading)
    return list(articles.values())


# --- topics: the library's titles grouped by meaning (the small talk's list, the starter questions) ---------


@dataclass(frozen=True)
class TopicGroup:
    label: str
    titles: list[str]


def group_titles(titles: Sequence[str], most: int = 4, similar: float = 0.45) -> list[TopicGroup]:
    """Titles grouped by meaning (each joins the group whose first title it is closest to, if close enough;
    the smallest groups merge into "Other"), each group labelled by the word its titles share most. Written
    here rather than with a clustering library: a few dozen titles, one pass, no new dependency."""
    titles = list(dict.fromkeys(t for t in titles if t.strip()))
    if not titles:
        return []
    vectors = embed_texts(titles)
    seeds: list[int] = []
    members: dict[int, list[int]] = {}
    for i, vector in enumerate(vectors):
        nearest = max(seeds, key=lambda s: cosine(vector, vectors[s]), default=None)
        if nearest is not None and cosine(vector, vectors[nearest]) >= similar:
            members[nearest].append(i)
        else:
            seeds.append(i)
            members[i] = [i]
    ordered = sorted(members.values(), key=len, reverse=True)
    kept, rest = ordered[: most - 1], [i for group in ordered[most - 1:] for i in group]
    groups = [TopicGroup(_label([titles[i] for i in group]), [titles[i] for i in group]) for group in kept]
    if rest:
        groups.append(TopicGroup("Other" if len(groups) else _label([titles[i] for i in rest]),
                                 [titles[i] for i in rest]))
    return groups


def _label(titles: Sequence[str]) -> str:
    """The content word (or pair of words) most of these titles use, as a topic label."""
    counts: Counter[str] = Counter()
    for title in titles:
        words = content_words(title)
        counts.update(set(words))
        counts.update({f"{a} {b}" for a, b in zip(words, words[1:])})
    # A pair used as often as its words is the better label ("data engineer" over "data").
    best = max(counts, key=lambda w: (counts[w], " " in w, len(w)), default="")
    return best[:1].upper() + best[1:] if best else "Articles"
