"""Ingest speed, side by side on one generated corpus: the raw encoders (sentence-transformers on torch, and
careerbot's ONNX Runtime encoder), careerbot's ingest, LangChain's naive `Chroma.from_documents`, and a
re-ingest of the unchanged corpus; then, optionally, the peak memory of `python ingest.py` on a larger corpus.

    python -m bench.ingest [--docs 300] [--words 500] [--rss-docs 1000]

Every path embeds the same texts: careerbot's chunks as careerbot embeds them (`embedding_text`: the title and
heading path, then the chunk), so the ratios compare the pipelines around the same model, not different
amounts of text. The naive path gets Documents whose page_content is that text (and the chunk's metadata),
which is also what it stores. The model's forward pass is ~90% of every first
ingest, and the naive path is little more than that pass (on torch) plus one bulk write. careerbot's ingest
also stores every chunk's unit vectors (sentences, list items, table rows), taken from the same pass (late
chunking), runs the model on ONNX Runtime (`CAREERBOT_ENCODER`, default onnx) and writes one window of
chunks while the next is encoded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bot  # noqa: F401 - offline switches first
from bot.ingest.chunking import embedding_text, split_document
from bot.embeddings import model_path
from bot.ingest.loaders import iter_files, parse, read_file
from bot.settings import Settings, get_settings
from bot.testing.corpus import write_corpus

def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--rss-docs", type=int, default=0,
                        help="then ingest this many articles with `python ingest.py` and report its peak RSS")
    args = parser.parse_args(argv)

    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from sentence_transformers import SentenceTransformer

    from bot.embeddings import get_encoder, get_ingest_encoder, load_encoder
    from bot.ingest.indexing import IngestReport, ingest

    work = Path(tempfile.mkdtemp(prefix="careerbot-bench-"))
    try:
        corpus = work / "corpus"
        write_corpus(corpus, args.docs, args.words)
        settings = Settings(_env_file=None, knowledge_dir=corpus, store_dir=work / "store")
        chunks = [c for f in iter_files(corpus) for c in split_document(
            parse(read_file(f, settings)), settings.chunk_words, settings.chunk_overlap_words)]
        texts = [embedding_text(c) for c in chunks]
        # The naive path embeds its page_content: give it the very texts careerbot embeds.
        naive_docs = [Document(page_content=text, metadata=c.metadata) for c, text in zip(chunks, texts)]
        words = sum(len(t.split()) for t in texts)
        print(f"corpus: {args.docs} articles, {len(chunks)} chunks, {words / len(chunks):.0f} words/chunk")

        # Models loaded and warmed before timing: start-up cost is not throughput.
        encoder = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
        naive_embeddings = HuggingFaceEmbeddings(model_name=model_path(), model_kwargs={"device": "cpu"})
        onnx = load_encoder("onnx", get_settings().encoder_cache_dir())  # the export get_encoder() uses
        print(f"careerbot's encoders: ingest {get_ingest_encoder().name} (CAREERBOT_INGEST_ENCODER), questions "
              f"{get_encoder().name} (CAREERBOT_ENCODER); ONNX encoder: {onnx.name}")
        for warm in (encoder.encode, naive_embeddings.embed_documents, onnx.encode, get_ingest_encoder().encode):
            warm(texts[:64])
        reports: list[IngestReport] = []

        # Best of two, interleaved: the machine is shared, and a burst of other load hits one pass, not all.
        raw = raw_onnx = ours = naive = float("inf")
        for attempt in range(2):
            raw = min(raw, _timed(lambda: encoder.encode(texts, batch_size=32, normalize_embeddings=True)))
            raw_onnx = min(raw_onnx, _timed(lambda: onnx.encode(texts)))
            fresh = settings.model_copy(update={"store_dir": work / f"store-{attempt}"})
            ours = min(ours, _timed(lambda: reports.append(ingest([str(corpus)], fresh, progress=False))))
            naive = min(naive, _timed(lambda: Chroma.from_documents(
                naive_docs, naive_embeddings, persist_directory=str(work / f"naive-{attempt}"), collection_name="naive")))
        assert all(r.chunks_written == len(chunks) and not r.failed for r in reports), reports[-1].summary()
        again = _timed(lambda: reports.append(ingest([str(corpus)], fresh, progress=False)))
        assert reports[-1].chunks_written == 0 and len(reports[-1].unchanged) == args.docs

        names = {"raw": "raw SentenceTransformer.encode", "onnx": f"raw {onnx.name} encoder .encode",
                 "ours": "careerbot ingest (+ unit vectors)", "naive": "LangChain Chroma.from_documents"}
        rate = {key: len(chunks) / seconds for key, seconds in
                [("raw", raw), ("onnx", raw_onnx), ("ours", ours), ("naive", naive)]}
        for key, value in rate.items():
            print(f"{names[key]:36s} {value:7.1f} chunks/s")
        print(f"careerbot / naive LangChain         {rate['ours'] / rate['naive']:.2f}x (goal >= 1.2x)")
        print(f"careerbot / raw torch encode        {rate['ours'] / rate['raw']:.2f}x")
        print(f"careerbot / raw ONNX encode         {rate['ours'] / rate['onnx']:.2f}x")
        print(f"raw ONNX / raw torch encode         {rate['onnx'] / rate['raw']:.2f}x")
        print(f"unchanged re-ingest                 {again:.2f} s for {args.docs} articles, "
              f"{reports[-1].chunks_embedded} embedded (goal < 2 s, 0)")
        if args.rss_docs:
            peak_rss(work, args.rss_docs, args.words)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def peak_rss(work: Path, docs: int, words: int) -> None:
    """`python ingest.py -q` on `docs` new articles into a new store, in a child process: its peak RSS."""
    corpus = work / f"corpus-{docs}"
    write_corpus(corpus, docs, words, seed=1)
    env = {**os.environ, "CAREERBOT_STORE_DIR": str(work / f"rss-store-{docs}"),
           "CAREERBOT_ENCODER_DIR": str(get_settings().encoder_cache_dir().resolve())}
    started = time.perf_counter()
    # Through a small interpreter that reports its child's peak: a child forked straight from this process (which
    # holds three models) is charged this process's memory before it execs.
    done = subprocess.run([sys.executable, "-c", _REPORT_CHILD_PEAK, sys.executable,
                           str(Path(__file__).resolve().parent.parent / "ingest.py"), "-q", str(corpus)],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    *output, peak_kb = done.stdout.strip().splitlines()
    print(f"ingest.py of {docs} articles: {seconds:.0f} s, peak RSS {int(peak_kb) / 1024:.0f} MB (goal <= 1536 MB); "
          f"{output[-1]}")


_REPORT_CHILD_PEAK = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
                      "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")


if __name__ == "__main__":
    main()
