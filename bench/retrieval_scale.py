"""Retrieval latency on a 100k-chunk collection: a raw nearest-neighbour query (Chroma's HNSW index, the
baseline) and careerbot's hybrid retriever (query embedding, never cached between queries + a wide, exact dense
search over the vectors kept in memory + BM25 + fusion + the decline check), with ratios to the baseline. One
Chroma `$contains` word-filtered query is timed too: the retriever used one per question word once, and this is
why it no longer does. The exact dense search alone is timed beside Chroma's HNSW query for as many candidates,
which it replaced, and the library index's first build from the collection (what an app does at start: every
chunk's words and vector read) as well.

    python -m bench.retrieval_scale [--chunks 100000] [--queries 50]

The collection holds random unit vectors (inserted directly, no model) with short synthetic passages, so
the word filter and re-rank have text to match; latency does not depend on what the vectors mean. Each
chunk also gets seven random unit vectors in the unit collection, which the retriever reads for the
passages it returns, as in the app; the decline check is set to let every question through, so every
query pays for that read.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import bot  # noqa: F401 - offline switches first
from bot.testing.corpus import TOPICS, sentence
from bot.embeddings import get_embeddings, get_encoder, load_encoder, pack_vectors
from bot.retrieval.retriever import ArticleRetriever
from bot.settings import Settings, get_settings
from bot.store import get_collection, get_unit_collection, revision

QUESTIONS = [
    "What does a machine learning engineer do?", "How much do data scientists earn?",
    "Which skills should a data analyst learn first?", "Is a degree required for MLOps roles?",
    "How do I prepare a portfolio for an interview?", "What tools do data engineers use?",
]


def fill(settings: Settings, chunks: int, batch: int = 5000) -> float:
    collection, units = get_collection(settings), get_unit_collection(settings)
    rng, vectors_rng = random.Random(0), np.random.default_rng(0)
    started = time.perf_counter()
    for start in range(0, chunks, batch):
        size = min(batch, chunks - start)
        vectors = vectors_rng.standard_normal((size, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = [f"c{start + i}" for i in range(size)]
        unit_vectors = vectors_rng.standard_normal((size, 7, 384)).astype(np.float32)
        units.add(ids=ids, embeddings=vectors, documents=[pack_vectors(v.tolist()) for v in unit_vectors],
                  metadatas=[{"chunk_hash": chunk_id} for chunk_id in ids])
        collection.add(
            ids=ids, embeddings=vectors,
            documents=[passage(rng) for _ in ids],
            metadatas=[{"source": f"a{(start + i) // 8}.md", "title": f"Article {(start + i) // 8}",
                        "chunk_hash": chunk_id} for i, chunk_id in enumerate(ids)],
        )
    return time.perf_counter() - started


def passage(rng: random.Random) -> str:
    """Two sentences of career words and a figure of pay, about a role named as readers write it: every question
    asked is then covered, so each one pays for the whole decline check and the read of its passages' units."""
    topic = rng.choice(TOPICS)
    return f"{sentence(rng, topic)} {sentence(rng, rng.choice(TOPICS))} The {topic} role pays ${rng.randint(60, 200)},000."


def latencies(run: Callable[[str], object], queries: int) -> tuple[float, float]:
    times = []
    for i in range(queries):
        started = time.perf_counter()
        run(QUESTIONS[i % len(QUESTIONS)])
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=20)
    return statistics.median(times), cuts[18]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="careerbot-retrieval-"))
    try:
        settings = Settings(_env_file=None, store_dir=work / "store", knowledge_dir=work)
        print(f"inserted {args.chunks} chunks in {fill(settings, args.chunks):.0f}s")
        collection = get_collection(settings)
        embeddings = get_embeddings()
        vectors = {q: embeddings.embed_query(q) for q in QUESTIONS}  # also loads the model before timing
        retriever = ArticleRetriever.from_settings(
            settings, collection=collection, units=get_unit_collection(settings), revision=revision(settings),
            threshold=-1.0, min_coverage=0.0, min_evidence=-1.0,
        )
        started = time.perf_counter()
        retriever.invoke(QUESTIONS[0])  # first query reads the chunks' words and vectors into the library index
        print(f"first query, building the library index (BM25 and vectors) of {retriever.index.size} chunks: "
              f"{time.perf_counter() - started:.1f}s")

        def cold_invoke(question: str) -> object:
            from bot.embeddings import _embed_query

            _embed_query.cache_clear()  # a new question each time, as in use
            retriever.forget_rankings()
            passages = retriever.invoke(question)
            assert passages and all(p.metadata.get("unit_vectors") for p in passages)
            return passages

        raw = latencies(lambda q: collection.query(query_embeddings=[vectors[q]], n_results=8), args.queries)
        filtered = latencies(lambda q: collection.query(
            query_embeddings=[vectors[q]], n_results=4, where_document={"$contains": "salary"}), args.queries)
        embed = latencies(embeddings.embed_query, args.queries)
        per_encoder = {kind: load_encoder(kind, get_settings().encoder_cache_dir()) for kind in ("torch", "onnx")}
        for encoder in per_encoder.values():
            encoder.encode(QUESTIONS)  # warm
        encoders = {f"query embedding, {kind} (on {e.name})": latencies(lambda q, e=e: e.encode([q]), args.queries)
                    for kind, e in per_encoder.items()}
        lexical = latencies(lambda q: retriever.index.search(q, retriever.candidates), args.queries)
        dense = latencies(lambda q: retriever.index.nearest(vectors[q], retriever.candidates), args.queries)
        hnsw = latencies(lambda q: collection.query(query_embeddings=[vectors[q]], n_results=retriever.candidates),
                         args.queries)  # what the dense search cost before it was exact
        full = latencies(cold_invoke, args.queries)
        print(f"careerbot's encoder: {get_encoder().name} (CAREERBOT_ENCODER)")
        for name, (p50, p95) in [("raw collection.query (k=8)", raw), ("one word-filtered query", filtered),
                                 ("query embedding alone", embed), *encoders.items(), ("BM25 search alone", lexical),
                                 ("exact dense search alone", dense), ("HNSW query for as many", hnsw),
                                 ("ArticleRetriever.invoke", full)]:
            print(f"{name:40s} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({p50 / raw[0]:.1f}x the raw query's p50)")
        print("goal: p50 <= 20 ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
