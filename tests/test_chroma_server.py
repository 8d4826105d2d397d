"""careerbot against a real `chroma run` server (CAREERBOT_CHROMA_URL): ingest, answer, and a running bot
answering from articles ingested after it started."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.answer.pipeline import CareerBot
from bot.ingest.indexing import ingest
from bot.testing.apprunner import free_port
from tests.conftest import make_settings
from tests.test_indexing import ROBOTICS

CHROMA = Path(sys.executable).with_name("chroma")

VET = """---
title: Becoming a veterinary nurse
url: https://example.com/vet-nurse
---

# Veterinary nurses

Veterinary nurses care for sick animals in clinics: they monitor anaesthesia during surgery, give
medication, take blood samples and teach pet owners how to look after animals recovering at home.
"""


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, folder = free_port(), tmp_path_factory.mktemp("chroma-server")
    # The server logs every request: into a file, as a pipe nobody reads would fill up and stall it.
    with (folder / "server.log").open("w") as log:
        process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, process, folder / "server.log")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"chroma run exited: {log.read_text()}"
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"chroma run did not start at {url}")


def test_ingest_and_answer_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "robots.md").write_text(ROBOTICS, encoding="utf-8")
    settings = make_settings(chroma_url=chroma_url, knowledge_dir=tmp_path / "knowledge",
                             store_dir=tmp_path / "unused-store", collection="server-test")
    report = ingest([str(settings.knowledge_dir)], settings, progress=False)
    assert report.added == ["robots.md"] and not report.failed
    assert ingest([str(settings.knowledge_dir)], settings, progress=False).unchanged == ["robots.md"]
    assert not (tmp_path / "unused-store").exists()  # nothing went to an embedded store

    answer = CareerBot(settings).answer("What do robotics engineers do?")
    assert not answer.refused and answer.sources[0].url == "https://example.com/robotics"


def test_a_running_bot_answers_from_articles_ingested_after_it_started(chroma_url: str, tmp_path: Path) -> None:
    settings = make_settings(chroma_url=chroma_url, knowledge_dir=tmp_path, collection="live-test")
    (tmp_path / "robots.md").write_text(ROBOTICS, encoding="utf-8")
    ingest([str(tmp_path / "robots.md")], settings, progress=False)
    running = CareerBot(settings)
    question = "What do veterinary nurses do during surgery?"
    assert running.answer(question).refused

    # Another process ingests, as an operator would while the app keeps serving.
    (tmp_path / "vet.md").write_text(VET, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "ingest.py", "-q", str(tmp_path / "vet.md")], cwd=Path(__file__).parent.parent,
        env={**os.environ, "CAREERBOT_CHROMA_URL": chroma_url, "CAREERBOT_COLLECTION": "live-test",
             "CAREERBOT_KNOWLEDGE_DIR": str(tmp_path)}, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answer = running.answer(question)
    assert not answer.refused and answer.sources[0].title == "Becoming a veterinary nurse"


def test_the_library_index_follows_a_server_collection_through_same_size_updates(chroma_url: str, tmp_path: Path) -> None:
    from bot.retrieval.index import tokens

    settings = make_settings(chroma_url=chroma_url, knowledge_dir=tmp_path, collection="lexical-test",
                             lexical_refresh_s=0.5)
    article = tmp_path / "a.md"
    article.write_text("# Quokka careers\n\nQuokka wranglers earn a modest salary in Perth.\n", encoding="utf-8")
    ingest([str(tmp_path)], settings, progress=False)
    running = CareerBot(settings)
    assert running.retriever.search("quokka wranglers")
    # The same number of chunks, other words: only the periodic id check can notice.
    article.write_text("# Wombat careers\n\nWombat keepers earn a modest salary in Perth.\n", encoding="utf-8")
    ingest([str(tmp_path)], settings, progress=False)
    time.sleep(0.6)
    # The next query asks for a look in the background (listing a large collection's ids takes a while) and
    # is answered from the index as it was; the ones after it find the new passage.
    deadline = time.monotonic() + 10
    while not running.retriever.search("wombat keepers") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running.retriever.search("wombat keepers")[0].page_content.startswith("Wombat keepers")
    assert running.retriever.index.document_frequency(tokens("quokka")[0]) == 0
    assert running.retriever.index.document_frequency(tokens("wombat")[0]) == 1
