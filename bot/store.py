"""Chroma, embedded (a folder) or a server (`CAREERBOT_CHROMA_URL`), behind a few functions."""

from __future__ import annotations

import logging
from functools import lru_cache
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from bot.embeddings import ChromaEmbeddingFunction
from bot.settings import Settings

log = logging.getLogger(__name__)


def make_client(settings: Settings) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"CAREERBOT_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}")
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https", settings=chroma_settings,
        )
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)


@lru_cache(maxsize=8)
def _client_for(chroma_url: str | None, store_dir: str) -> ClientAPI:
    return make_client(Settings(chroma_url=chroma_url, store_dir=store_dir))


def _cached_client(settings: Settings) -> ClientAPI:
    """One client per store: Chroma wants a single client per persistent folder in a process."""
    return _client_for(settings.chroma_url, str(settings.store_dir))


def get_collection(settings: Settings) -> Collection:
    """The article collection (created on first use), cosine distance, with our own embedding function."""
    return _cached_client(settings).get_or_create_collection(
        settings.collection,
        embedding_function=ChromaEmbeddingFunction(),
        metadata={"hnsw:space": "cosine"},
    )


def reset_collection(settings: Settings) -> Collection:
    client = _cached_client(settings)
    if settings.collection in [c.name if hasattr(c, "name") else c for c in client.list_collections()]:
        client.delete_collection(settings.collection)
    return get_collection(settings)


def describe(settings: Settings) -> str:
    return settings.chroma_url or str(settings.store_dir)
