"""Incremental ingest on real Chroma and the real model: idempotence, updates, prune, dry run, rebuild,
duplicates, bad inputs, and citations carrying the article's metadata."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.testing.corpus import article_text
from bot.answer.pipeline import CareerBot
from bot.ingest.indexing import ingest
from bot.retrieval.retriever import ArticleRetriever
from bot.settings import Settings
from bot.store import get_collection, get_unit_collection

ROBOTICS = """---
title: Working as a robotics engineer
author: Rosa Lind
date: 2024-02-10
url: https://example.com/robotics
---

# Robotics engineers

Robotics engineers design, build and test robots for warehouses, farms and hospitals. They combine mechanical
design, electronics and control software, and spend much of their time debugging sensors on real machines.
"""


def snapshot(settings: Settings) -> dict[str, dict]:
    """Every stored chunk: id -> metadata and text, the state two runs must agree on. Every chunk, and
    only a stored chunk, has its units' vectors in the unit collection (vectors vary in their last bits with
    the batch they were computed in: only their presence counts)."""
    stored = get_collection(settings).get(include=["metadatas", "documents"])
    assert set(get_unit_collection(settings).get(include=[])["ids"]) == set(stored["ids"])
    return {i: {**m, "text": d} for i, m, d in zip(stored["ids"], stored["metadatas"], stored["documents"])}


def chunk_texts(embedded: list[str]) -> list[str]:
    """The chunk texts among what was embedded: a chunk's text starts with its title/heading line, while its
    units (sentences, items, embedded for the composer) are single lines."""
    return [text for text in embedded if "\n" in text]


def corpus(write_article: Callable[[str, str], Path], count: int = 3) -> list[Path]:
    return [write_article(f"a{i}.md", article_text(i, words=250)) for i in range(count)]


def test_rerun_on_unchanged_input_embeds_nothing_and_changes_nothing(
    settings: Settings, write_article, embedded_texts: list[str]
) -> None:
    paths = corpus(write_article)
    # A file named on its own and inside its folder is still one article.
    first = ingest([str(settings.knowledge_dir), str(paths[0])], settings, progress=False)
    assert len(first.added) == 3 and first.chunks_embedded == len(chunk_texts(embedded_texts)) > 0
    before = snapshot(settings)
    embedded_texts.clear()
    again = ingest([str(settings.knowledge_dir)], settings, progress=False)
    assert (again.added, again.updated, again.unchanged) == ([], [], ["a0.md", "a1.md", "a2.md"])
    assert again.chunks_written == again.chunks_embedded == 0 and embedded_texts == []
    assert snapshot(settings) == before


def test_changed_article_replaces_all_its_old_chunks(settings: Settings, write_article, embedded_texts) -> None:
    long_version = article_text(0, words=500)
    path = write_article("a.md", long_version)
    ingest([str(path)], settings, progress=False)
    old = snapshot(settings)
    # A shorter rewrite: fewer chunks, so stale ones must be deleted, not just overwritten.
    short_version = long_version[: len(long_version) // 2] + "\n\nA brand new closing paragraph about mentors.\n"
    path.write_text(short_version, encoding="utf-8")
    embedded_texts.clear()
    report = ingest([str(path)], settings, progress=False)
    new = snapshot(settings)
    assert report.updated == ["a.md"] and report.chunks_deleted > 0
    assert len({m["doc_hash"] for m in new.values()}) == 1 and len(new) < len(old)
    assert any("brand new closing paragraph" in m["text"] for m in new.values())
    # Unchanged passages kept their vectors: only the new texts went through the model.
    assert 0 < len(chunk_texts(embedded_texts)) < len(new)
    assert snapshot(settings) == snapshot(fresh_copy(settings, [str(path)]))


def fresh_copy(settings: Settings, targets: list[str]) -> Settings:
    """The same inputs ingested once into a new store, for comparison."""
    other = settings.model_copy(update={"store_dir": settings.store_dir.with_name("clean-store")})
    ingest(targets, other, progress=False)
    return other


def test_prune_removes_articles_whose_files_are_gone(settings: Settings, write_article) -> None:
    paths = corpus(write_article)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    paths[1].unlink()
    kept = ingest([str(settings.knowledge_dir)], settings, progress=False)
    assert kept.removed == [] and "a1.md" in {m["source"] for m in snapshot(settings).values()}
    pruned = ingest([str(settings.knowledge_dir)], settings, prune=True, progress=False)
    assert pruned.removed == ["a1.md"] and pruned.chunks_deleted > 0
    assert {m["source"] for m in snapshot(settings).values()} == {"a0.md", "a2.md"}


def test_dry_run_reports_changes_without_making_them(settings: Settings, write_article) -> None:
    paths = corpus(write_article)
    ingest([str(paths[0]), str(paths[1])], settings, progress=False)
    before = snapshot(settings)
    paths[0].write_text(article_text(0, words=250) + "\nOne more line about interviews.\n", encoding="utf-8")
    paths[1].unlink()
    report = ingest([str(settings.knowledge_dir)], settings, prune=True, dry_run=True, progress=False)
    assert (report.added, report.updated, report.removed) == (["a2.md"], ["a0.md"], ["a1.md"])
    assert report.chunks_embedded == 0 and "[dry run]" in report.summary()
    assert snapshot(settings) == before


def test_rebuild_starts_afresh_with_the_same_ids(settings: Settings, write_article) -> None:
    paths = corpus(write_article)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    before = snapshot(settings)
    paths[2].unlink()
    report = ingest([str(settings.knowledge_dir)], settings, rebuild=True, progress=False)
    assert report.added == ["a0.md", "a1.md"] and report.unchanged == []
    after = snapshot(settings)
    assert after == {i: m for i, m in before.items() if m["source"] != "a2.md"}


def test_identical_files_are_embedded_once_and_answered_once(
    settings: Settings, write_article, embedded_texts: list[str]
) -> None:
    write_article("robots.md", ROBOTICS)
    write_article("copy/robots-again.md", ROBOTICS)
    report = ingest([str(settings.knowledge_dir)], settings, progress=False)
    assert len(report.added) == 2 and report.chunks_written == 2 * report.chunks_embedded
    assert len(chunk_texts(embedded_texts)) == len(set(embedded_texts) & set(chunk_texts(embedded_texts))) \
        == report.chunks_embedded
    retriever = ArticleRetriever(collection=get_collection(settings), k=4, threshold=0.2)
    passages = retriever.invoke("What do robotics engineers build and test?")
    assert passages and len({p.page_content for p in passages}) == len(passages)


def test_bad_inputs_are_skipped_and_nothing_stored_is_lost(settings: Settings, write_article) -> None:
    good = write_article("robots.md", ROBOTICS)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    before = snapshot(settings)
    good.write_bytes(ROBOTICS.encode("utf-8") + b"\xff\xfe broken bytes")  # now unreadable: keep what is stored
    write_article("new.md", article_text(5, words=200))
    write_article("empty.txt", "")
    (settings.knowledge_dir / "bin.md").write_bytes(b"\x00\x01\x02" * 100)
    report = ingest([str(settings.knowledge_dir), str(settings.knowledge_dir / "nope.md")], settings,
                    prune=True, progress=False)
    assert dict(report.failed) == {"robots.md": "not valid UTF-8 text", "empty.txt": "empty file",
                                   "bin.md": "binary file, not text",
                                   str(settings.knowledge_dir / "nope.md"): "no such file or folder"}
    assert report.added == ["new.md"] and report.removed == []
    after = snapshot(settings)
    assert {i: m for i, m in after.items() if m["source"] == "robots.md"} == before


def test_moving_the_knowledge_folder_setting_does_not_duplicate_articles(settings: Settings, write_article) -> None:
    path = write_article("robots.md", ROBOTICS)
    elsewhere = settings.model_copy(update={"knowledge_dir": settings.knowledge_dir.parent / "other"})
    ingest([str(path)], elsewhere, progress=False)  # stored under its absolute path
    report = ingest([str(path)], settings, progress=False)  # now the same file is "robots.md"
    assert report.updated == ["robots.md"] and report.chunks_embedded == 0
    assert {m["source"] for m in snapshot(settings).values()} == {"robots.md"}


def test_citations_show_the_articles_metadata(settings: Settings, write_article) -> None:
    write_article("robots.md", ROBOTICS)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    answer = CareerBot(settings).answer("What do robotics engineers do?")
    assert not answer.refused and answer.sources
    source = answer.sources[0]
    assert (source.title, source.url, source.source) == (
        "Working as a robotics engineer", "https://example.com/robotics", "robots.md")
    stored = next(iter(snapshot(settings).values()))
    assert (stored["author"], stored["date"]) == ("Rosa Lind", "2024-02-10")


def test_chunks_are_written_while_the_next_batch_is_encoded(settings: Settings, write_article, monkeypatch) -> None:
    """The writer thread stores one window's chunks while the encoder runs on the next window."""
    import threading
    import time

    import bot.ingest.indexing
    from bot.embeddings import Encoder

    corpus(write_article, count=6)
    events: list[tuple[str, str, float, float]] = []
    run, upsert = Encoder._run, bot.ingest.indexing._Store.upsert

    def timed(record: str, call, *args, **kwargs):
        started = time.monotonic()
        try:
            return call(*args, **kwargs)
        finally:
            events.append((record, threading.current_thread().name, started, time.monotonic()))

    monkeypatch.setattr(Encoder, "_run", lambda self, *a, **k: timed("encode", run, self, *a, **k))
    monkeypatch.setattr(bot.ingest.indexing._Store, "upsert", lambda self, *a: timed("write", upsert, self, *a))
    monkeypatch.setattr(bot.ingest.indexing, "_WINDOW_BATCHES", 1)
    report = ingest([str(settings.knowledge_dir)], settings.model_copy(update={"embed_batch_size": 4}),
                    progress=False)
    assert report.chunks_written > 12 and not report.failed
    writes = [e for e in events if e[0] == "write"]
    encodes = [e for e in events if e[0] == "encode"]
    assert {thread for _, thread, _, _ in writes} == {"ingest-writer"}
    assert any(w[2] < e[3] and e[2] < w[3] for w in writes for e in encodes), "no write overlapped an encode"
    assert snapshot(settings) == snapshot(fresh_copy(settings, [str(settings.knowledge_dir)]))


def test_a_failed_write_stops_the_ingest_and_a_rerun_repairs_it(settings: Settings, write_article, monkeypatch) -> None:
    import pytest

    import bot.ingest.indexing

    corpus(write_article, count=6)
    upsert, calls = bot.ingest.indexing._Store.upsert, []

    def failing(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return upsert(self, *args)

    monkeypatch.setattr(bot.ingest.indexing._Store, "upsert", failing)
    monkeypatch.setattr(bot.ingest.indexing, "_WINDOW_BATCHES", 1)
    small = settings.model_copy(update={"embed_batch_size": 4})
    with pytest.raises(RuntimeError, match="disk full"):
        ingest([str(settings.knowledge_dir)], small, progress=False)
    monkeypatch.setattr(bot.ingest.indexing._Store, "upsert", upsert)
    assert not ingest([str(settings.knowledge_dir)], small, progress=False).failed
    assert snapshot(settings) == snapshot(fresh_copy(settings, [str(settings.knowledge_dir)]))



def test_unit_vectors_are_stored_outside_the_full_text_indexed_document(settings: Settings, write_article) -> None:
    """Chroma indexes every document for full-text search: the packed vectors (~6 KB of base64 a chunk) go in
    the units record's metadata, with no document, and answers still read them."""
    from bot.embeddings import unpack_vectors
    from bot.store import UNIT_VECTORS

    write_article("robots.md", ROBOTICS)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    units = get_unit_collection(settings).get(include=["metadatas", "documents"])
    assert units["ids"] and all(d is None for d in units["documents"])
    assert all(len(unpack_vectors(m[UNIT_VECTORS])) > 1 for m in units["metadatas"])
    retriever = ArticleRetriever(collection=get_collection(settings), units=get_unit_collection(settings), k=2,
                                 threshold=0.2)
    passages = retriever.invoke("What do robotics engineers build and test?")
    assert passages and all(p.metadata["unit_vectors"] == units["metadatas"][units["ids"].index(p.id)][UNIT_VECTORS]
                            for p in passages)


def test_a_store_with_unit_vectors_in_documents_keeps_serving_and_copying_them(
    settings: Settings, write_article, embedded_texts: list[str]
) -> None:
    """Stores written before kept the packed vectors as the units record's document: answers read them there,
    and a new article with an already stored text copies them instead of embedding again."""
    from bot.store import UNIT_VECTORS

    write_article("robots.md", ROBOTICS)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    units = get_unit_collection(settings)
    stored = units.get(include=["metadatas", "embeddings"])
    packed = [m[UNIT_VECTORS] for m in stored["metadatas"]]
    units.delete(ids=stored["ids"])  # the old layout: vectors in the document, only the hash in the metadata
    units.add(ids=stored["ids"], embeddings=stored["embeddings"], documents=packed,
              metadatas=[{"chunk_hash": m["chunk_hash"]} for m in stored["metadatas"]])
    retriever = ArticleRetriever(collection=get_collection(settings), units=units, k=2, threshold=0.2)
    passages = retriever.invoke("What do robotics engineers build and test?")
    assert passages and all(p.metadata["unit_vectors"] in packed for p in passages)
    embedded_texts.clear()
    write_article("copy/robots-again.md", ROBOTICS)
    report = ingest([str(settings.knowledge_dir)], settings, progress=False)
    assert report.added == ["copy/robots-again.md"] and report.chunks_embedded == 0 and embedded_texts == []
