"""What the loaded library holds, article by article (titles, URLs, section headings), read from the store's
metadata and kept until the store changes: small talk, suggestions and starter questions are built from it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from bot.store import Collection


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
