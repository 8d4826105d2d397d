"""Ingest speed, side by side on one generated corpus: the raw encoder, careerbot's ingest, LangChain's
naive `Chroma.from_documents`, and a re-ingest of the unchanged corpus.

    python -m bench.ingest [--docs 300] [--words 500]

Every path embeds the same chunk texts (careerbot's chunker), so the ratios compare the pipelines
around the same model, not different amounts of text. The model's forward pass is ~90% of every first
ingest, and the naive path is little more than that pass plus one bulk write, so on a corpus without
repeated passages no pipeline can be 1.5x faster with the same vectors; careerbot's gains are in what it
does not redo (the unchanged re-ingest; repeated passages embedded once).
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bot  # noqa: F401 - offline switches first
from bot.chunking import embedding_text, split_document
from bot.embeddings import model_path
from bot.loaders import iter_files, parse, read_file
from bot.settings import Settings

_TOPICS = ["data scientist", "machine learning engineer", "data analyst", "research scientist", "MLOps engineer",
           "data engineer", "AI product manager", "computer vision engineer", "NLP engineer", "analytics lead"]
_WORDS = ("model pipeline deploy feature dataset training evaluation metric python statistics cloud team "
          "production monitoring experiment notebook dashboard stakeholder salary interview portfolio "
          "regression classification clustering embedding latency batch streaming warehouse schema "
          "career mentor promotion certificate degree bootcamp project review testing version drift "
          "fairness privacy gradient optimizer tensor inference serving container cluster budget").split()


def _sentence(rng: random.Random, topic: str) -> str:
    words = rng.sample(_WORDS, rng.randint(8, 16))
    words.insert(rng.randrange(len(words)), topic)
    return " ".join(words).capitalize() + "."


def article_text(index: int, words: int = 500, seed: int = 0) -> str:
    """A Markdown article of about `words` words: front matter, sections, paragraphs of varied sentences."""
    rng = random.Random(f"{seed}-{index}")
    topic = _TOPICS[index % len(_TOPICS)]
    lines = ["---", f"title: Notes on the {topic} role, part {index}", "author: Bench Writer",
             f"date: 2024-01-{index % 28 + 1:02d}", f"url: https://example.com/articles/{index}", "---", ""]
    written = 0
    while written < words:
        lines += [f"## {rng.choice(_WORDS).capitalize()} for a {topic}", ""]
        for _ in range(rng.randint(2, 4)):
            paragraph = " ".join(_sentence(rng, topic) for _ in range(rng.randint(3, 6)))
            written += len(paragraph.split())
            lines += [paragraph, ""]
    return "\n".join(lines)


def write_corpus(folder: Path, docs: int, words: int = 500, seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"article-{i:04d}.md" for i in range(docs)]
    for i, path in enumerate(paths):
        path.write_text(article_text(i, words, seed), encoding="utf-8")
    return paths


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--words", type=int, default=500)
    args = parser.parse_args(argv)

    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from sentence_transformers import SentenceTransformer

    from bot.embeddings import get_embeddings
    from bot.indexing import IngestReport, ingest

    work = Path(tempfile.mkdtemp(prefix="careerbot-bench-"))
    try:
        corpus = work / "corpus"
        write_corpus(corpus, args.docs, args.words)
        settings = Settings(_env_file=None, knowledge_dir=corpus, store_dir=work / "store")
        chunks = [c for f in iter_files(corpus) for c in split_document(
            parse(read_file(f, settings)), settings.chunk_words, settings.chunk_overlap_words)]
        texts = [embedding_text(c) for c in chunks]
        words = sum(len(t.split()) for t in texts)
        print(f"corpus: {args.docs} articles, {len(chunks)} chunks, {words / len(chunks):.0f} words/chunk")

        # Models loaded and warmed before timing: start-up cost is not throughput.
        encoder = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
        naive_embeddings = HuggingFaceEmbeddings(model_name=model_path(), model_kwargs={"device": "cpu"})
        for warm in (encoder.encode, naive_embeddings.embed_documents, get_embeddings().embed_documents):
            warm(texts[:64])
        reports: list[IngestReport] = []

        # Best of two, interleaved: the machine is shared, and a burst of other load hits one pass, not all.
        raw = ours = naive = float("inf")
        for attempt in range(2):
            raw = min(raw, _timed(lambda: encoder.encode(texts, batch_size=32, normalize_embeddings=True)))
            fresh = settings.model_copy(update={"store_dir": work / f"store-{attempt}"})
            ours = min(ours, _timed(lambda: reports.append(ingest([str(corpus)], fresh, progress=False))))
            naive = min(naive, _timed(lambda: Chroma.from_documents(
                chunks, naive_embeddings, persist_directory=str(work / f"naive-{attempt}"), collection_name="naive")))
        assert all(r.chunks_written == len(chunks) and not r.failed for r in reports), reports[-1].summary()
        again = _timed(lambda: reports.append(ingest([str(corpus)], fresh, progress=False)))
        assert reports[-1].chunks_written == 0 and len(reports[-1].unchanged) == args.docs

        rate = {name: len(chunks) / seconds for name, seconds in
                [("raw SentenceTransformer.encode", raw), ("careerbot ingest", ours), ("LangChain Chroma.from_documents", naive)]}
        for name, value in rate.items():
            print(f"{name:34s} {value:7.1f} chunks/s")
        print(f"careerbot / raw encoder           {rate['careerbot ingest'] / rate['raw SentenceTransformer.encode']:.2f}x (goal >= 0.9x)")
        print(f"careerbot / naive LangChain       {rate['careerbot ingest'] / rate['LangChain Chroma.from_documents']:.2f}x (goal >= 1.5x)")
        print(f"unchanged re-ingest               {again:.2f} s for {args.docs} articles (goal < 2 s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
