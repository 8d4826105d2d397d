"""Shared fixtures: real Chroma in temp folders, the real embedding model, a real app server, real chromium."""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot  # noqa: F401 - offline switches before anything else loads
from bot.answer.pipeline import CareerBot
from bot.owner.log import ConversationLog, Exchange, RecordedSource
from bot.embeddings import Encoder, get_encoder, get_ingest_encoder
from bot.ingest.indexing import ingest
from bot.settings import Settings
from bot.testing.apprunner import KNOWLEDGE, REPO, running_app

# One ONNX export of the model for the whole suite and every app or ingest.py it starts (each test's store
# lives in its own temp folder, beside which the export would otherwise be redone).
os.environ.setdefault("CAREERBOT_ENCODER_DIR", str(REPO / ".careerbot" / "encoder"))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def make_settings(**overrides: object) -> Settings:
    """Settings that ignore the developer's .env and environment, so tests see only what they set. In-process
    apps (TestClient) are called by the host name `testserver`; the Host check has tests of its own against
    real app processes (tests/test_hardening.py)."""
    return Settings(_env_file=None, **{"allowed_hosts": ["*"], **overrides})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """An empty store and an empty knowledge folder of the test's own."""
    (tmp_path / "knowledge").mkdir()
    return make_settings(knowledge_dir=tmp_path / "knowledge", store_dir=tmp_path / "store", data_dir=tmp_path / "data")


@pytest.fixture
def write_article(settings: Settings) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        path = settings.knowledge_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def embedded_texts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records every text the real model runs on, whichever encoder runs it (the model still runs)."""
    get_encoder(), get_ingest_encoder()  # loaded first: their checks at load run sample texts
    texts: list[str] = []
    original = Encoder._run

    def recording(self: Encoder, batch: Sequence[str], offsets: bool = False) -> list:
        texts.extend(batch)
        return original(self, batch, offsets)

    monkeypatch.setattr(Encoder, "_run", recording)
    yield texts


@pytest.fixture(scope="session")
def seeded_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A store holding the real knowledge/ folder, ingested once per test session."""
    root = tmp_path_factory.mktemp("seeded")
    settings = make_settings(knowledge_dir=KNOWLEDGE, store_dir=root / "store", data_dir=root / "data")
    report = ingest([str(KNOWLEDGE)], settings, progress=False)
    assert not report.failed and report.added
    return settings


@pytest.fixture(scope="session")
def careerbot(seeded_settings: Settings) -> CareerBot:
    return CareerBot(seeded_settings)


LIBRARY = Path(__file__).parent / "fixtures" / "library"


@pytest.fixture(scope="session")
def library_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A store holding tests/fixtures/library (articles written for the tests: HTML with page furniture and
    a table, Markdown with a list, plain text with bullets), ingested once per test session."""
    root = tmp_path_factory.mktemp("library")
    settings = make_settings(knowledge_dir=LIBRARY, store_dir=root / "store", data_dir=root / "data")
    report = ingest([str(LIBRARY)], settings, progress=False)
    assert not report.failed and len(report.added) == 4
    return settings


@pytest.fixture(scope="session")
def library_bot(library_settings: Settings) -> CareerBot:
    return CareerBot(library_settings)


@contextmanager
def api_client(careerbot: CareerBot, **overrides: object) -> Iterator[object]:
    """The JSON API (no UI) over `careerbot`, in process, with `overrides` of its settings. Many requests from
    one client: the rate limiter has its own tests (test_security.py)."""
    from fastapi.testclient import TestClient

    from bot.web.api import create_app

    unlimited = careerbot.settings.model_copy(update={"rate_limit": "off", **overrides})
    with TestClient(create_app(unlimited, careerbot=careerbot, with_ui=False)) as client:
        yield client


@pytest.fixture(scope="session")
def app_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`app_server`'s folder: its store, and its exchange log in data/."""
    return tmp_path_factory.mktemp("app")


@pytest.fixture(scope="session")
def app_server(app_root: Path) -> Iterator[str]:
    """`python app.py` for real, on a free port, starting from an empty store (so it ingests first)."""
    with running_app(app_root / "store", {"CAREERBOT_DATA_DIR": str(app_root / "data")}) as base_url:
        yield base_url


def recorded(data_dir: Path, table: object, exchange_id: str, until: Callable[[object], bool] = bool,
             timeout: float = 20.0) -> object:
    """The row of `table` (exchanges, feedback) about an exchange in the log under `data_dir`, once the app
    has written it (and it satisfies `until`)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from bot.owner.log import exchanges, open_engine

    key = table.c.id if table is exchanges else table.c.exchange_id
    engine = open_engine(make_settings(data_dir=data_dir))
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as conn:
                    row = conn.execute(select(table).where(key == exchange_id)).first()
            except SQLAlchemyError:  # the app has not created the tables yet
                row = None
            if row is not None and until(row):
                return row
            assert time.monotonic() < deadline, f"no matching {table.name} row for exchange {exchange_id}: {row}"
            time.sleep(0.1)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Per module: sync Playwright keeps an asyncio loop running in the main thread while it is open, and
    async tests in later modules (LangChain's standard suites) cannot start their own loop beside it."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


# --- widget and open-web security (tests/test_widget.py, tests/test_security.py) ---------------------

XSS_ARTICLE = """---
title: "Quantum gardening <img src=x onerror=\\"window.__xss='article-title'\\"> careers"
url: "javascript:window.__xss='article-url'"
---

A quantum gardener grows qubit orchids in cold greenhouses <img src=x onerror="window.__xss='article-img'"> every single day.
Quantum gardeners prune entangled vines <script>window.__xss='article-script'</script> with great care.
The quantum gardening trade pays in moonbeams and requires a steady hand.
"""


def _serve_dir(directory: Path) -> tuple[str, object]:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


@pytest.fixture(scope="session")
def host_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Two 'customer' web sites on their own origins (other ports), serving the same folder of pages:
    `allowed` is in the widget app's allow-list, `foreign` is not. Tests write their pages into `dir`."""
    directory = tmp_path_factory.mktemp("host_site")
    allowed, allowed_server = _serve_dir(directory)
    foreign, foreign_server = _serve_dir(directory)
    yield {"dir": directory, "allowed": allowed, "foreign": foreign}
    for server in (allowed_server, foreign_server):
        server.shutdown()
        server.server_close()


def knowledge_with(root: Path, name: str, text: str) -> Path:
    """A knowledge folder under `root`: the articles of knowledge/ plus one more, `name` holding `text`."""
    knowledge = root / "knowledge"
    knowledge.mkdir()
    for article in KNOWLEDGE.glob("*.md"):
        (knowledge / article.name).write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    (knowledge / name).write_text(text, encoding="utf-8")
    return knowledge


@pytest.fixture(scope="session")
def widget_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`widget_app`'s folder: its knowledge, store, and its exchange log in data/."""
    return tmp_path_factory.mktemp("widget_app")


@pytest.fixture(scope="session")
def widget_app(widget_root: Path, host_sites: dict[str, object]) -> Iterator[str]:
    """An app that lets `host_sites["allowed"]` embed it, with a generous rate limit, whose knowledge folder
    also holds an article carrying HTML/script payloads in its title, url and text."""
    root = widget_root
    knowledge = knowledge_with(root, "quantum-gardening.md", XSS_ARTICLE)
    with running_app(root / "store", {
        "CAREERBOT_KNOWLEDGE_DIR": str(knowledge), "CAREERBOT_ALLOWED_ORIGINS": str(host_sites["allowed"]),
        "CAREERBOT_RATE_LIMIT": "1000/minute", "CAREERBOT_DATA_DIR": str(root / "data"),
    }) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def limited_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app with default origins (its own only) and a rate limit of 3 requests a minute."""
    with running_app(tmp_path_factory.mktemp("limited_app") / "store", {
        "CAREERBOT_RATE_LIMIT": "3/minute", "CAREERBOT_ALLOWED_ORIGINS": "",
    }) as base_url:
        yield base_url


# --- every route under one policy (tests/test_gradio_security.py, tests/test_openai_api.py) ----------

class Tracker:
    """A loopback web server standing in for a tracker: every request it gets is recorded."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        hits = self.hits = []

        class Record(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Record)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def tracker() -> Iterator[Tracker]:
    instance = Tracker()
    yield instance
    instance.close()


def markdown_article(tracker_url: str) -> str:
    """An article whose title, url and text carry Markdown that would load or link the tracker."""
    return f"""---
title: "Studio pottery ![t]({tracker_url}/title.png) careers"
url: "https://pottery.example/guide)![u]({tracker_url}/url.png)"
---

A studio potter throws stoneware bowls on the wheel and glazes them ![t]({tracker_url}/body.png) before firing.
The official data on studio pottery wages is [here]({tracker_url}/link), and <{tracker_url}/autolink> too.
A studio pottery apprenticeship lasts about three years; `kiln safety` training comes first.
"""


OUTSIDE_ARTICLE = """---
title: Beekeeping as a career
---

A commercial beekeeper looks after hundreds of hives, harvests honey and rents colonies to orchards for pollination.
Beekeepers learn their trade through apprenticeships with experienced apiarists.
"""
MARKDOWN_SOURCE_NAME = "studio`pottery ![s](s.png).md"


_client_numbers = itertools.count(1)
API_KEYS = ("test-key-1", "test-key-2")


def new_client() -> str:
    """A fresh client address, for `hardened_app`, which trusts 127.0.0.1 as its proxy: X-Forwarded-For
    names the client, so each test gets rate-limit buckets of its own."""
    n = next(_client_numbers)
    return f"10.14.{n // 250}.{n % 250 + 1}"


@pytest.fixture(scope="session")
def hardened_app(tmp_path_factory: pytest.TempPathFactory, tracker: Tracker) -> Iterator[str]:
    """An app that trusts 127.0.0.1 as its proxy (so tests pose as different clients with X-Forwarded-For),
    allows https://shop.example.com, answers 3 questions a minute per client, lets 2 wait in the chat's
    queue and wants API_KEYS on /v1/. Its store holds knowledge/, the Markdown-payload article, and an
    article ingested from a folder outside the knowledge folder."""
    root = tmp_path_factory.mktemp("gradio_app")
    knowledge = knowledge_with(root, MARKDOWN_SOURCE_NAME, markdown_article(tracker.url))
    outside = root / "server-private" / "beekeeping.md"
    outside.parent.mkdir()
    outside.write_text(OUTSIDE_ARTICLE, encoding="utf-8")
    report = ingest([str(knowledge), str(outside)],
                    make_settings(knowledge_dir=knowledge, store_dir=root / "store"), progress=False)
    assert not report.failed
    with running_app(root / "store", {
        "CAREERBOT_KNOWLEDGE_DIR": str(knowledge), "CAREERBOT_RATE_LIMIT": "3/minute",
        "CAREERBOT_TRUSTED_PROXIES": "127.0.0.1", "CAREERBOT_ALLOWED_ORIGINS": "https://shop.example.com",
        "CAREERBOT_UI_QUEUE_SIZE": "2", "CAREERBOT_API_KEYS": ",".join(API_KEYS),
    }) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def closed_api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app with CAREERBOT_GRADIO_API=false."""
    with running_app(tmp_path_factory.mktemp("closed_api_app") / "store", {"CAREERBOT_GRADIO_API": "false"}) as url:
        yield url


# --- the exchange log on both databases (tests/test_conversations.py, tests/test_feedback.py) --------

@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A real PostgreSQL server for the session. If it can't start, the tests that need it fail, never skip."""
    from bot.testing.pgserver import PostgresServer

    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(params=["sqlite", "postgresql"])
def log_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings whose exchange log is empty: a SQLite file in a temp folder, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return make_settings(data_dir=tmp_path / "data")
    return make_settings(data_dir=tmp_path / "unused", database_url=request.getfixturevalue("postgres").new_database())


# --- the owner's page and the report (tests/test_insights.py, tests/test_report.py, tests/test_admin.py) ---

def made_exchange(question: str, kind: str = "answer", conversation_id: str | None = None,
                  at: datetime | None = None, sources: Sequence[tuple[str, str, str | None, str]] = (),
                  answer: str | None = None, notice: str | None = None, channel: str = "web",
                  client: str | None = None) -> Exchange:
    """An exchange as the app records it; `sources` are (title, source, url, passage), numbered from 1;
    `client` is the asker's address key (the log stores a keyed hash of it)."""
    return Exchange(
        id=str(uuid.uuid4()), conversation_id=conversation_id, channel=channel, question=question,
        answer=answer or "Here is what the articles say about it [1].", kind=kind, declined=kind == "decline",
        backend="composer" if kind == "answer" else "none", notice=notice, latency_ms=40,
        created_at=at or datetime.now(UTC),
        sources=[RecordedSource(n, *source) for n, source in enumerate(sources, 1)], client=client,
    )


def seed_log(settings: Settings, recorded: Sequence[Exchange],
             ratings: Sequence[tuple[Exchange, str, str | None]] = ()) -> None:
    """Writes `recorded` (and the ratings of some) to the exchange log of `settings`, as the app would."""
    log = ConversationLog(settings)
    try:
        for exchange in recorded:
            log.record(exchange)
        log.flush(timeout=30)
        for exchange, rating, reason in ratings:
            log.rate(exchange.id, rating, reason)
    finally:
        log.close()


def queue_completion(base: str, session: str, headers: dict[str, str], what: str) -> dict:
    """The `process_completed` message of a Gradio queue session, read from its event stream."""
    import httpx

    with httpx.stream("GET", f"{base}/gradio_api/queue/data?session_hash={session}", headers=headers,
                      timeout=60) as stream:
        for line in stream.iter_lines():
            message = json.loads(line.removeprefix("data:")) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed":
                return message
    pytest.fail(f"the queue never completed {what}")
