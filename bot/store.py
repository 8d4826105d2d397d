"""Chroma, embedded (a folder) or a server (`CAREERBOT_CHROMA_URL`), behind a few functions: the only module
that imports chromadb. Both collections (chunks and their unit vectors), reading in pages, the revision
readers watch, and the embedding function every collection is opened with live here; the rest of careerbot
names the `Collection` type through this module."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb import Documents, EmbeddingFunction, Embeddings as ChromaVectors
from chromadb.api import ClientAPI, ServerAPI
from chromadb.api.client import Client
from chromadb.api.models.Collection import Collection  # re-exported: the type the other modules name
from chromadb.api.types import GetResult
from chromadb.config import Settings as ChromaSettings, System

from bot.embeddings import get_encoder
from bot.settings import Settings
from bot.text import http_url_problem

log = logging.getLogger(__name__)

# Records per Chroma read when a whole collection is read (ids, metadata, documents): few round trips at 100k
# chunks, each read well within what one request or one SQLite query takes.
PAGE = 5000


class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's own default embedding function downloads a model, so every collection gets this one."""

    def __init__(self) -> None:  # no config to store: the model is fixed
        pass

    def __call__(self, input: Documents) -> ChromaVectors:  # noqa: A002 - Chroma's parameter name
        return list(get_encoder().encode(list(input)))

    @staticmethod
    def name() -> str:
        return "careerbot-minilm"

    def get_config(self) -> dict:
        return {}

    @staticmethod
    def build_from_config(config: dict) -> "ChromaEmbeddingFunction":
        return ChromaEmbeddingFunction()


def make_client(settings: Settings) -> ClientAPI:
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if http_url_problem(settings.chroma_url):
            raise ValueError(f"CAREERBOT_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}")
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https", settings=ChromaSettings(anonymized_telemetry=False),
        )
    return _open_folder(settings.store_dir)


# The embedded store's openings, one per folder.
_clients: dict[str, ClientAPI] = {}
_clients_lock = threading.RLock()


def _open_folder(store_dir: Path) -> ClientAPI:
    """A client on a Chroma system of its own that loads the folder from disk.

    chromadb.PersistentClient shares one system per folder and process, so after another process wrote to
    the folder it would hand back the stale one; Client.from_system installs this fresh system as the
    folder's shared one instead. The previous system keeps serving whoever still holds one of its collections
    (a query in flight, an ingest under way) and is freed with the last of them."""
    store_dir.mkdir(parents=True, exist_ok=True)
    system = System(ChromaSettings(anonymized_telemetry=False, is_persistent=True, persist_directory=str(store_dir)))
    system.instance(ServerAPI)
    system.start()
    with _clients_lock:
        client = _clients[str(store_dir)] = Client.from_system(system)
    return client


@lru_cache(maxsize=8)
def _server_client(chroma_url: str) -> ClientAPI:
    return make_client(Settings(chroma_url=chroma_url))


def _cached_client(settings: Settings) -> ClientAPI:
    """One client per store: Chroma wants a single client per persistent folder in a process."""
    if settings.chroma_url:
        return _server_client(settings.chroma_url)
    with _clients_lock:  # two first readers at once open the folder once
        return _clients.get(str(settings.store_dir)) or make_client(settings)


def get_collection(settings: Settings) -> Collection:
    """The article collection (created on first use), cosine distance, with our own embedding function."""
    return _open(_cached_client(settings), settings.collection)


def get_unit_collection(settings: Settings) -> Collection:
    """The article collection's sibling: per chunk id, the vectors of the chunk's units (sentences, list
    items, table rows) packed in its metadata (`UNIT_VECTORS`), for the composer. Kept apart so that the many
    reads of chunk metadata (each query's candidates, the catalog, ingest's look at what is stored) don't
    carry ~6 KB of vectors per chunk; read only for the few passages an answer quotes. Its records' embedding
    is the chunk's own (Chroma needs one), its metadata also the chunk's `chunk_hash`."""
    return _open(_cached_client(settings), units_name(settings.collection))


# The units record's metadata key for its packed vectors. Not its document: Chroma indexes every document
# for full-text search, which for ~6 KB of base64 per chunk was 80% of an ingest's writing time (Chroma's
# Schema option to drop that index is not honoured by the embedded store).
UNIT_VECTORS = "unit_vectors"


def unit_metadata(chunk_hash: str, packed: str) -> dict[str, str]:
    return {"chunk_hash": chunk_hash, UNIT_VECTORS: packed}


def packed_unit_vectors(found: GetResult) -> list[str | None]:
    """Per record of a units read (include metadatas and documents), its packed vectors: from the metadata,
    else the document, where stores written before kept them."""
    metadatas = found["metadatas"] or [None] * len(found["ids"])
    documents = found["documents"] or [None] * len(found["ids"])
    return [str(m[UNIT_VECTORS]) if m and UNIT_VECTORS in m else d for m, d in zip(metadatas, documents)]


def units_name(collection: str) -> str:
    return f"{collection}-units"


def _open(client: ClientAPI, name: str) -> Collection:
    return client.get_or_create_collection(
        name, embedding_function=ChromaEmbeddingFunction(), metadata={"hnsw:space": "cosine"}
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
    opened it, it is opened afresh (see _open_folder). A Chroma server needs none of this."""
    if settings.chroma_url:
        return get_collection(settings)
    key = str(settings.store_dir)
    stamp = _store_stamp(settings.store_dir)
    opened = _live.get(key)
    if opened and opened[0] == stamp:
        return opened[1]
    if opened:
        log.info("the store at %s changed on disk: reopening it", key)
        _open_folder(settings.store_dir)
    collection = get_collection(settings)
    _live[key] = (_store_stamp(settings.store_dir), collection)
    return collection


_live_units: dict[str, tuple[Collection, Collection]] = {}


def live_unit_collection(settings: Settings) -> Collection:
    """The unit vectors' collection of `live_collection`'s client, opened once per opening of the article
    collection (every answer reads it; opening costs a metadata lookup)."""
    collection = live_collection(settings)
    if settings.chroma_url:
        return get_unit_collection(settings)
    key = str(settings.store_dir)
    opened = _live_units.get(key)
    if opened is None or opened[0] is not collection:
        opened = _live_units[key] = (collection, get_unit_collection(settings))
    return opened[1]


Revision = tuple[Hashable, int | None]


def revision(settings: Settings) -> Callable[[Collection], Revision]:
    """How a reader tells that the collection may have changed: (a signal that moves with every write, a
    time bucket or None). The embedded store's file stamp moves with any process's write; a server offers
    only its size, so a time bucket also asks for a look at the ids now and then."""
    if settings.chroma_url:
        return lambda collection: count_revision(collection, settings.lexical_refresh_s)
    return lambda collection: (_store_stamp(settings.store_dir), None)


def count_revision(collection: Collection, every_s: float) -> Revision:
    """Its size, and a time bucket so that an update that keeps the size is seen within `every_s` seconds."""
    return collection.count(), int(time.monotonic() // every_s)


def reset_collection(settings: Settings) -> Collection:
    """An empty article collection (and unit collection) in place of the stored ones."""
    client = _cached_client(settings)
    stored = {c.name if hasattr(c, "name") else c for c in client.list_collections()}
    for name in (settings.collection, units_name(settings.collection)):
        if name in stored:
            client.delete_collection(name)
    return get_collection(settings)


def describe(settings: Settings) -> str:
    return settings.chroma_url or str(settings.store_dir)
