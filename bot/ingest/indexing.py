"""Incremental, idempotent, crash-safe ingest of articles into the Chroma collection.

Why not LangChain's `index()` with a SQL record manager: that keeps the record of what is stored in a
second database beside Chroma, which must be shared by every machine that ingests into a Chroma server
and can disagree with the store after a crash. Here the collection is its own record: each chunk
carries its article's `source`, `doc_hash` and its own `chunk_hash`, so

* an unchanged article is recognised from one metadata read, with no embedding;
* a changed article upserts its new chunks first and deletes the stale ones after, so a kill at any
  point leaves a state the next run repairs (a mixed set of hashes never looks "unchanged");
* an embedding is computed once per distinct text: vectors of chunks already stored (in any article)
  are copied, never recomputed.

Web pages (bot/ingest/sites.py) also carry the server's `etag` / `last_modified`, the `site` that listed them and
their `chunk_count`: a re-sync asks the server whether the page changed, and trusts a 304 only for a page
stored whole (one version, every chunk), so a kill mid-write is repaired by a full fetch.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from itertools import chain
from pathlib import Path
from typing import Protocol

from langchain_core.documents import Document
from tqdm import tqdm

from bot.ingest.chunking import content_hash, embedding_text, split_document
from bot.embeddings import get_ingest_encoder, pack_vectors
from bot.ingest.loaders import Article, LoadError, iter_files, parse, read_file, source_name
from bot.settings import Settings
from bot.store import (PAGE, Collection, get_collection, get_unit_collection, packed_unit_vectors, reset_collection,
                       unit_metadata)
from bot.text import Unit, passage_units, unit_context, with_context

log = logging.getLogger(__name__)

_WRITE_BATCH = 256  # chunks per Chroma upsert; well under Chroma's max batch size
# Texts are encoded in windows of this many batches, sorted by length: batches of similar length waste
# little on padding (the encoder's cost), while each finished window is written at once, so a killed run
# keeps its work.
_WINDOW_BATCHES = 8


@dataclass
class StoredArticle:
    ids: set[str] = field(default_factory=set)
    doc_hashes: set[str] = field(default_factory=set)
    path: str | None = None
    chunk_counts: set[int] = field(default_factory=set)
    meta: dict[str, object] = field(default_factory=dict)  # one chunk's metadata: the article-level fields

    def merged(self, other: StoredArticle) -> StoredArticle:
        return StoredArticle(self.ids | other.ids, self.doc_hashes | other.doc_hashes, self.path or other.path,
                             self.chunk_counts | other.chunk_counts, self.meta or other.meta)

    def is_whole(self) -> bool:
        """One version of the article with every one of its chunks: what a kill between writes cannot leave."""
        return len(self.doc_hashes) == 1 and self.chunk_counts == {len(self.ids)}


class Unchanged:
    """The server says (HTTP 304) that the stored copy of a page is current: nothing to parse or write."""


class Gone(LoadError):
    """The server says the page no longer exists (HTTP 404/410): `prune` removes its stored copy."""


class Ignored(LoadError):
    """Left out on purpose (robots.txt, a duplicate URL): reported with its reason, but not a failure."""


Loaded = Document | LoadError | Unchanged


class PageSource(Protocol):
    """Articles from the web (a site, a feed, one URL): bot.ingest.sites.Site."""

    def load(self, stored: Mapping[str, StoredArticle], progress: bool) -> Iterator[tuple[str, Loaded]]:
        """(source, what became of it) for every page, asking the server only for what changed."""

    def gone(self, stored: Mapping[str, StoredArticle]) -> set[str]:
        """Stored sources this site no longer has (after `load`): left its sitemap, or 404/410."""


@dataclass
class PlannedArticle:
    source: str
    chunks: list[Document]
    stale_ids: set[str]
    is_new: bool


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    chunks_written: int = 0
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        return (
            f"{'[dry run] ' if self.dry_run else ''}documents: {len(self.added)} {verb}added, {len(self.updated)} "
            f"{verb}updated, {len(self.unchanged)} unchanged, {len(self.removed)} {verb}removed, "
            f"{len(self.failed)} failed{f', {len(self.ignored)} ignored' if self.ignored else ''}; "
            f"chunks: {self.chunks_written} {verb}written "
            f"({self.chunks_embedded} embedded), {self.chunks_deleted} {verb}deleted; {self.seconds:.1f}s"
        )


def stored_articles(collection: Collection) -> dict[str, StoredArticle]:
    """What the collection holds, per article source, read in pages of metadata only."""
    stored: dict[str, StoredArticle] = defaultdict(StoredArticle)
    for offset in range(0, collection.count(), PAGE):
        batch = collection.get(include=["metadatas"], limit=PAGE, offset=offset)
        for chunk_id, meta in zip(batch["ids"], batch["metadatas"]):
            record = stored[str(meta.get("source"))]
            record.ids.add(chunk_id)
            record.doc_hashes.add(str(meta.get("doc_hash")))
            record.path = meta.get("path") or record.path
            if "chunk_count" in meta:
                record.chunk_counts.add(int(meta["chunk_count"]))
            record.meta = meta
    return dict(stored)


def document_hash(document: Document) -> str:
    return content_hash(document.page_content, json.dumps(document.metadata, sort_keys=True, default=str))


def load_targets(targets: Iterable[str], settings: Settings) -> Iterator[tuple[str, Document | LoadError, Path | None]]:
    """(source, parsed document or the reason it failed, folder it was found in) for every file or folder."""
    for target in targets:
        path = Path(target)
        if not path.exists():
            yield target, LoadError("no such file or folder"), None
            continue
        folder = path.resolve() if path.is_dir() else None
        files = list(iter_files(path))
        if folder and not files:
            log.warning("no supported articles in %s", path)
        for file in files:
            article: Article | None = None
            try:
                article = read_file(file, settings)
                yield article.source, parse(article), folder
            except LoadError as error:
                yield (article.source if article else source_name(file, settings.knowledge_dir)), error, folder


def plan_article(document: Document, stored: StoredArticle | None, settings: Settings) -> PlannedArticle | None:
    """The chunks to write for one article, or None when the store already holds exactly this article."""
    document.metadata["doc_hash"] = document_hash(document)
    chunks = split_document(document, settings.chunk_words, settings.chunk_overlap_words)
    for chunk in chunks:
        chunk.metadata["chunk_count"] = len(chunks)
    new_ids = {chunk.id for chunk in chunks}
    if stored and stored.doc_hashes == {document.metadata["doc_hash"]} and stored.ids == new_ids:
        return None
    return PlannedArticle(
        source=document.metadata["source"], chunks=chunks,
        stale_ids=(stored.ids - new_ids) if stored else set(), is_new=stored is None,
    )


def ingest(
    targets: Iterable[str],
    settings: Settings,
    *,
    sites: Sequence[PageSource] = (),
    prune: bool = False,
    dry_run: bool = False,
    rebuild: bool = False,
    progress: bool = True,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport(dry_run=dry_run)
    collection = reset_collection(settings) if rebuild and not dry_run else get_collection(settings)
    store = _Store(collection, get_unit_collection(settings))
    stored = {} if rebuild else stored_articles(collection)
    sources_by_path: dict[str, list[str]] = defaultdict(list)
    for stored_source, record in stored.items():
        if record.path:
            sources_by_path[record.path].append(stored_source)

    plans: list[PlannedArticle] = []
    seen: set[str] = set()
    folders: set[Path] = set()
    targets = list(targets)
    files = tqdm(load_targets(targets, settings), desc="reading", unit=" files", disable=not progress or not targets,
                 leave=False)
    pages = ((source, loaded, None) for site in sites for source, loaded in site.load(stored, progress))
    for source, loaded, folder in chain(files, pages):
        if folder:
            folders.add(folder)
        if isinstance(loaded, Unchanged):
            seen.add(source)
            report.unchanged.append(source)
            continue
        if isinstance(loaded, Ignored):
            report.ignored.append((source, str(loaded)))
            continue
        if isinstance(loaded, LoadError):
            report.failed.append((source, str(loaded)))
            log.info("skipped %s: %s", source, loaded)  # callers report failures from the IngestReport
            continue
        if source in seen:  # named twice (a folder and a file in it): one article, planned once
            continue
        seen.add(source)
        plan = plan_article(loaded, _previous_record(loaded, stored, sources_by_path), settings)
        if plan is None:
            report.unchanged.append(source)
            continue
        plans.append(plan)
        (report.added if plan.is_new else report.updated).append(source)

    gone = _pruned_sources(stored, seen, folders) if prune else {}
    if prune:
        left = {source for site in sites for source in site.gone(stored) - seen if source in stored}
        gone |= {source: stored[source].ids for source in left}
    report.removed = sorted(gone)
    report.chunks_written = sum(len(plan.chunks) for plan in plans)
    report.chunks_deleted = sum(len(plan.stale_ids) for plan in plans) + sum(len(ids) for ids in gone.values())
    if not dry_run:
        report.chunks_embedded = _write(store, plans, settings, progress)
        for ids in gone.values():
            store.delete(list(ids))
    report.seconds = time.perf_counter() - started
    return report


def _previous_record(
    document: Document, stored: dict[str, StoredArticle], sources_by_path: dict[str, list[str]]
) -> StoredArticle | None:
    """What the store holds of this article: its own chunks, plus any of the same file stored under another
    name (the knowledge folder setting changed between runs), which are replaced rather than left as twins."""
    sources = {document.metadata["source"], *sources_by_path.get(document.metadata.get("path") or "", [])}
    records = [stored[source] for source in sorted(sources) if source in stored]
    return reduce(StoredArticle.merged, records) if records else None


def _pruned_sources(stored: dict[str, StoredArticle], seen: set[str], folders: set[Path]) -> dict[str, set[str]]:
    """Stored articles whose file lived under one of the ingested folders and is gone now."""
    gone = {}
    for source, record in stored.items():
        if source in seen or not record.path:
            continue
        if any(Path(record.path).is_relative_to(folder) for folder in folders) and not Path(record.path).exists():
            gone[source] = record.ids
    return gone


@dataclass(frozen=True)
class Embedded:
    """A chunk's vector, and its units' vectors packed (the composer compares them with the question, so
    no unit is embedded while a reader waits)."""

    vector: list[float]
    unit_vectors: str


@dataclass(frozen=True)
class _Store:
    """The chunks and, keyed by the same ids, their units' vectors (bot.store.get_unit_collection)."""

    chunks: Collection
    units: Collection

    def upsert(self, batch: list[Document], embedded: Mapping[str, Embedded]) -> None:
        """Units first: a chunk is never stored without its units' vectors (a crash between the two leaves
        only unit vectors, which the next write replaces)."""
        vectors = [embedded[chunk.metadata["chunk_hash"]] for chunk in batch]
        ids = [chunk.id for chunk in batch]
        self.units.upsert(ids=ids, embeddings=[v.vector for v in vectors],
                          metadatas=[unit_metadata(c.metadata["chunk_hash"], v.unit_vectors) for c, v in zip(batch, vectors)])
        self.chunks.upsert(ids=ids, documents=[chunk.page_content for chunk in batch],
                           metadatas=[chunk.metadata for chunk in batch], embeddings=[v.vector for v in vectors])

    def delete(self, ids: list[str]) -> None:
        self.chunks.delete(ids=ids)
        self.units.delete(ids=ids)

    def known_vectors(self, chunk_hashes: set[str]) -> dict[str, Embedded]:
        """Vectors already stored for these texts (under any article), so they are copied, not recomputed."""
        chunk_vectors: dict[str, list[float]] = {}
        unit_vectors: dict[str, str] = {}
        hashes = sorted(chunk_hashes)
        for start in range(0, len(hashes), 500):
            where = {"chunk_hash": {"$in": hashes[start : start + 500]}}
            found = self.chunks.get(where=where, include=["metadatas", "embeddings"])
            chunk_vectors |= {m["chunk_hash"]: list(v) for m, v in zip(found["metadatas"], found["embeddings"])}
            found = self.units.get(where=where, include=["metadatas", "documents"])
            unit_vectors |= {m["chunk_hash"]: packed for m, packed in zip(found["metadatas"], packed_unit_vectors(found))
                             if packed is not None}
        return {h: Embedded(v, unit_vectors[h]) for h, v in chunk_vectors.items() if h in unit_vectors}


def _write(store: _Store, plans: list[PlannedArticle], settings: Settings, progress: bool) -> int:
    """Upsert every planned chunk (embedding only texts never seen before), then delete stale chunks.

    Writing overlaps encoding: a writer thread stores the articles of one window (Chroma upserts, deletes)
    while the next window is encoded, through a queue of at most `_WRITES_AHEAD` windows. It is the only
    thread that writes, in the same order as before, so a kill leaves what a kill always left."""
    chunks = [chunk for plan in plans for chunk in plan.chunks]
    embedded = store.known_vectors({chunk.metadata["chunk_hash"] for chunk in chunks})
    missing = {c.metadata["chunk_hash"]: c for c in chunks if c.metadata["chunk_hash"] not in embedded}
    bar = tqdm(total=len(chunks), desc="embedding", unit=" chunks", disable=not progress)
    bar.update(len(chunks) - len(missing))
    with _Writer(store) as writer:
        writer.put(_ready(plans, embedded), dict(embedded))  # articles whose every text is already stored
        pending, window_size = list(missing.items()), _WINDOW_BATCHES * settings.embed_batch_size
        for start in range(0, len(pending), window_size):
            window = sorted(pending[start : start + window_size], key=lambda item: len(embedding_text(item[1])))
            for batch_start in range(0, len(window), settings.embed_batch_size):
                batch = window[batch_start : batch_start + settings.embed_batch_size]
                embedded.update(zip((h for h, _ in batch), _embed([chunk for _, chunk in batch], settings.unit_vectors)))
                bar.update(len(batch))
            ready = _ready(plans, embedded)
            writer.put(ready, {h: embedded[h] for plan in ready for h in _hashes(plan)})
    bar.close()
    return len(missing)


_WRITES_AHEAD = 2  # windows encoded but not yet written: bounds the memory the queue holds


class _Writer:
    """One thread writing the ready articles handed to it, in order; its failure is raised in the caller at
    the next hand-over or at the end, and the caller's failure stops it after the writes already queued."""

    def __init__(self, store: _Store) -> None:
        self.store = store
        self.queue: queue.Queue[tuple[list[PlannedArticle], dict[str, Embedded]] | None] = queue.Queue(_WRITES_AHEAD)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def put(self, ready: list[PlannedArticle], embedded: dict[str, Embedded]) -> None:
        self._raise()
        if ready:
            self.queue.put((ready, embedded))

    def __exit__(self, *exc: object) -> None:
        self.queue.put(None)
        self.thread.join()
        if exc[0] is None:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while (job := self.queue.get()) is not None:
            if self.error is None:
                try:
                    _write_ready(self.store, *job)
                except BaseException as error:  # noqa: BLE001 - handed to the encoding thread
                    self.error = error


def _hashes(plan: PlannedArticle) -> list[str]:
    return [chunk.metadata["chunk_hash"] for chunk in plan.chunks]


def _embed(chunks: list[Document], mode: str = "late") -> list[Embedded]:
    """Chunk vectors and their units' vectors from one forward pass per chunk (late chunking: a unit's
    vector is the mean of the embeddings, in the chunk's pass, of its own tokens and those of its context,
    the heading path and a list item's introduction: what was embedded when units were encoded on their own).

    A unit the pass can't give a sound vector (past the model's window of 256 word pieces, when a chunk's
    text is that long; or not found verbatim in the chunk text) is embedded on its own with its context,
    as every unit was before, in one batch for all such units; with `mode="separate"` (CAREERBOT_UNIT_VECTORS) every unit is."""
    encoder = get_ingest_encoder()
    texts = [embedding_text(chunk) for chunk in chunks]
    units = [passage_units(chunk.page_content) for chunk in chunks]
    spans: list[list[list[tuple[int, int]]]] = [unit_spans(text, len(text) - len(chunk.page_content), chunk_units, chunk.metadata.get("heading_path"))
             if mode == "late" else [[] for _ in chunk_units] for chunk, chunk_units, text in zip(chunks, units, texts)]
    vectors, unit_vectors = encoder.encode_late(texts, spans)
    alone = [(i, j) for i, found in enumerate(unit_vectors) for j, vector in enumerate(found) if vector is None]
    if alone:
        contexts = [with_context(unit_context(chunks[i].metadata.get("heading_path"), units[i][j]), units[i][j].text)
                    for i, j in alone]
        for (i, j), vector in zip(alone, encoder.encode(contexts)):
            unit_vectors[i][j] = vector
    return [Embedded(vector.tolist(), pack_vectors(found if found else []))  # type: ignore[arg-type]  # every None was filled
            for vector, found in zip(vectors, unit_vectors)]


def unit_spans(text: str, start: int, units: list[Unit], heading: str | None) -> list[list[tuple[int, int]]]:
    """Per unit, the character ranges of the encoded `text` (whose passage starts at `start`) that make its
    vector: the heading path (in the title line before the passage), a list item's introduction, and the
    unit itself, found in order. A unit not found verbatim gets no range (so it is embedded on its own)."""
    def found(part: str | None, begin: int, end: int) -> tuple[int, int] | None:
        if not part:
            return None
        at = text.find(part, begin, end)
        return (at, at + len(part)) if at >= 0 else None

    context = found(heading, 0, start)
    spans: list[list[tuple[int, int]]] = []
    cursor = start
    for unit in units:
        own = found(unit.text, cursor, len(text))
        if own is None:
            spans.append([])
            continue
        cursor = own[1]
        intro = found(unit.intro, start, own[0]) if unit.intro else None
        spans.append([r for r in (context, intro, own) if r])
    return spans


def _ready(plans: list[PlannedArticle], embedded: Mapping[str, Embedded]) -> list[PlannedArticle]:
    """The planned articles, from the first, whose vectors are all known: taken off `plans`, in order."""
    ready: list[PlannedArticle] = []
    while plans and all(h in embedded for h in _hashes(plans[0])):
        ready.append(plans.pop(0))
    return ready


def _write_ready(store: _Store, ready: list[PlannedArticle], embedded: Mapping[str, Embedded]) -> None:
    """Write the ready articles; writes as soon as possible so a long run that is killed keeps most of its
    work.

    Ready articles are written together: Chroma's cost is mostly per call (a few ms), so one upsert per
    article would add ~10% to the ingest time. Stale chunks go only after the new ones are stored."""
    chunks = [chunk for plan in ready for chunk in plan.chunks]
    for start in range(0, len(chunks), _WRITE_BATCH):
        store.upsert(chunks[start : start + _WRITE_BATCH], embedded)
    stale = [chunk_id for plan in ready for chunk_id in plan.stale_ids]
    if stale:
        store.delete(stale)
