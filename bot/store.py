"""Chroma, embedded (a folder) or a server (`CAREERBOT_CHROMA_URL`), behind a few functions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
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


_live: dict[str, tuple[tuple, Collection]] = {}


def _store_stamp(store_dir: Path) -> tuple:
    """Changes whenever any process writes to an embedded store: every write goes through its SQLite file."""
    files = sorted(store_dir.glob("chroma.sqlite3*"))
    return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())


def live_collection(settings: Settings) -> Collection:
    """The collection as it is now, for long-running readers such as the app.

    An embedded Chroma client caches its index per process and does not see another process's writes (its
    queries then miss new chunks or even fail), so when the store's files changed since this process
    opened it, it is opened afresh. The old client is left to finish any query in flight. A Chroma server
    needs none of this."""
    if settings.chroma_url:
        return get_collection(settings)
    key = str(settings.store_dir)
    stamp = _store_stamp(settings.store_dir)
    opened = _live.get(key)
    if opened and opened[0] == stamp:
        return opened[1]
    if opened:
        log.info("the store at %s changed on disk: reopening it", key)
        _forget_client(settings)
    collection = get_collection(settings)
    _live[key] = (_store_stamp(settings.store_dir), collection)
    return collection


def revision(settings: Settings) -> Callable[[Collection], Hashable]:
    """How a reader tells that the collection may have changed: the embedded store's file stamp (any
    process's write touches it), or for a server its size plus a time bucket."""
    if settings.chroma_url:
        return lambda collection: count_revision(collection, settings.lexical_refresh_s)
    return lambda collection: _store_stamp(settings.store_dir)


def count_revision(collection: Collection, every_s: float) -> Hashable:
    """Its size, and a time bucket so that an update that keeps the size is seen within `every_s` seconds."""
    return collection.count(), int(time.monotonic() // every_s)


def _forget_client(settings: Settings) -> None:
    # Chroma shares one "system" per folder and process; dropping it from that cache (without stopping it)
    # makes the next client load the folder from disk.
    client = _cached_client(settings)
    SharedSystemClient._identifier_to_system.pop(getattr(client, "_identifier", str(settings.store_dir)), None)
    _client_for.cache_clear()


def reset_collection(settings: Settings) -> Collection:
    client = _cached_client(settings)
    if settings.collection in [c.name if hasattr(c, "name") else c for c in client.list_collections()]:
        client.delete_collection(settings.collection)
    return get_collection(settings)


def describe(settings: Settings) -> str:
    return settings.chroma_url or str(settings.store_dir)
