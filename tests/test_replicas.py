"""Two careerbot replicas behind nginx (deploy/nginx.conf), sharing Redis (rate limits), a Chroma server (the
library) and PostgreSQL (the exchange log), every one a real process on loopback in temp folders.

The tests run in file order on one deployment: the kill and the Redis stop come last. The test client poses
as many visitors by connecting from different loopback addresses (127.0.x.y), so nginx passes each its own
address and the replicas, which trust only nginx (127.0.0.1), count each visitor apart.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.ingest.indexing import ingest
from bot.testing.apprunner import KNOWLEDGE, REPO
from tests.conftest import make_settings
from bot.testing.pgserver import PostgresServer
from bot.testing.services import Nginx, RedisServer, Replica, chroma_server
from tests.test_chroma_server import VET

pytestmark = pytest.mark.replicas

QUESTION = "What does a machine learning engineer do?"
VET_QUESTION = "What do veterinary nurses do during surgery?"
LEXICAL_REFRESH_S = 3.0
_addresses = (f"127.0.{n // 250 + 1}.{n % 250 + 2}" for n in itertools.count())


@dataclass
class Deployment:
    redis: RedisServer
    replicas: list[Replica]
    nginx: Nginx
    env: dict[str, str]
    postgres: PostgresServer
    answered: dict[str, str] = field(default_factory=dict)  # conversation id -> exchange id, every 200 answer


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("replicas")
    knowledge = root / "knowledge"
    knowledge.mkdir()
    for article in KNOWLEDGE.glob("*.md"):
        (knowledge / article.name).write_bytes(article.read_bytes())
    redis_server, postgres = RedisServer(root), PostgresServer()
    redis_server.start()
    postgres.start()
    replicas: list[Replica] = []
    nginx = None
    try:
        with chroma_server(root) as chroma_url:
            env = {"CAREERBOT_CHROMA_URL": chroma_url, "CAREERBOT_KNOWLEDGE_DIR": str(knowledge),
                   "CAREERBOT_STORE_DIR": str(root / "unused-store"), "CAREERBOT_DATABASE_URL": postgres.new_database(),
                   "CAREERBOT_RATE_LIMIT": "5/minute", "CAREERBOT_RATE_LIMIT_STORAGE": redis_server.url,
                   "CAREERBOT_TRUSTED_PROXIES": "127.0.0.1", "CAREERBOT_LEXICAL_REFRESH_S": str(LEXICAL_REFRESH_S)}
            # Before the replicas start, so neither ingests on its own (in this process: the suite has the model).
            report = ingest([str(knowledge)], make_settings(chroma_url=chroma_url, knowledge_dir=knowledge),
                            progress=False)
            assert report.added and not report.failed
            replicas = [Replica(root / f"replica-{n}", env) for n in (1, 2)]
            for replica in replicas:
                replica.wait_healthy()
            nginx = Nginx(root / "nginx", [replica.address for replica in replicas])
            yield Deployment(redis_server, replicas, nginx, env, postgres)
    finally:
        for process in (nginx, *replicas, redis_server):
            if process:
                process.stop()
        postgres.remove()


def ingest_into_server(env: dict[str, str], path: Path) -> None:
    done = subprocess.run([sys.executable, "ingest.py", "-q", str(path)], cwd=REPO, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def ask(base_url: str, deployment: Deployment, question: str = QUESTION, address: str | None = None) -> httpx.Response:
    """POST /api/chat from a loopback address of its own (a new visitor unless `address` is given)."""
    conversation = uuid.uuid4().hex
    transport = httpx.HTTPTransport(local_address=address or next(_addresses))
    with httpx.Client(transport=transport, timeout=60) as client:
        response = client.post(f"{base_url}/api/chat", json={"message": question},
                               headers={"X-Conversation-Id": conversation})
    if response.status_code == 200:
        deployment.answered[conversation] = response.json()["exchange_id"]
    return response


def test_a_limit_holds_across_replicas(deployment: Deployment) -> None:
    """5 questions a minute: the 6th and later are refused whichever replica nginx hands them to."""
    visitor = next(_addresses)
    statuses = [ask(deployment.nginx.url, deployment, address=visitor).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    served = deployment.nginx.upstreams("/api/chat")[-8:]
    assert {served[i] for i in range(5, 8)} == {r.address for r in deployment.replicas}  # refused by both
    # nginx passed the visitor's address: another visitor (same proxy, same replicas) is not limited.
    assert ask(deployment.nginx.url, deployment).status_code == 200


def test_an_ingested_article_is_answered_by_both_replicas(deployment: Deployment) -> None:
    for replica in deployment.replicas:
        assert ask(replica.url, deployment, VET_QUESTION).json()["refused"]
    article = Path(deployment.env["CAREERBOT_KNOWLEDGE_DIR"]) / "vet-nurse.md"
    article.write_text(VET, encoding="utf-8")
    ingest_into_server(deployment.env, article)
    ingested = time.monotonic()
    waiting = list(deployment.replicas)
    while waiting and time.monotonic() - ingested <= LEXICAL_REFRESH_S:
        for replica in list(waiting):
            body = ask(replica.url, deployment, VET_QUESTION).json()
            if not body["refused"] and body["sources"][0]["title"] == "Becoming a veterinary nurse":
                waiting.remove(replica)
        time.sleep(0.2)
    assert not waiting, f"not answered within {LEXICAL_REFRESH_S} s by {[r.address for r in waiting]}"


def test_every_answered_exchange_is_logged_once(deployment: Deployment) -> None:
    from sqlalchemy import create_engine, func, select

    from bot.owner.log import exchanges

    engine = create_engine(deployment.env["CAREERBOT_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    query = (select(exchanges.c.conversation_id, exchanges.c.id, func.count())
             .where(exchanges.c.conversation_id.in_(deployment.answered))
             .group_by(exchanges.c.conversation_id, exchanges.c.id))
    try:
        deadline = time.monotonic() + 15
        while True:  # each replica's writer thread records a moment after the answer
            with engine.connect() as conn:
                rows = conn.execute(query).all()
            if len(rows) >= len(deployment.answered) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
    finally:
        engine.dispose()
    assert len(deployment.answered) >= 8
    assert {conversation: exchange for conversation, exchange, _ in rows} == deployment.answered
    assert {count for *_, count in rows} == {1}


@pytest.mark.browser
def test_a_replica_killed_under_load_fails_over(deployment: Deployment, page: object) -> None:
    from tests.test_ui import ask as ask_in_chat

    # The chat page (chromium connects from 127.0.0.1) sticks to one replica: kill that one.
    assert httpx.get(deployment.nginx.url + "/", timeout=30).status_code == 200
    chat_replica = deployment.nginx.upstreams("/")[-1]
    doomed = next(r for r in deployment.replicas if r.address == chat_replica)
    survivor = next(r for r in deployment.replicas if r is not doomed)
    results: list[tuple[float, int | str]] = []  # (when sent, status or error)
    stop = threading.Event()

    def visitor() -> None:
        while not stop.is_set():
            sent = time.monotonic()
            try:
                results.append((sent, ask(deployment.nginx.url, deployment).status_code))
            except httpx.HTTPError as exc:
                results.append((sent, type(exc).__name__))

    threads = [threading.Thread(target=visitor) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    doomed.kill()
    killed = time.monotonic()
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    before = [status for sent, status in results if sent < killed]
    after = [status for sent, status in results if sent >= killed]
    assert before and len(after) >= 5, (len(before), len(after))
    assert set(after) == {200}, after  # no request sent after the kill failed
    assert set(deployment.nginx.upstreams("/api/chat")[-3:]) == {survivor.address}

    page.goto(deployment.nginx.url, wait_until="domcontentloaded")  # a new page load: on the survivor
    ask_in_chat(page, QUESTION)
    answer = page.locator(".message.bot, [data-testid='bot']").last
    answer.get_by_text("Sources").wait_for(timeout=60_000)
    assert "[1]" in answer.inner_text()
    assert deployment.nginx.upstreams("/gradio_api/queue/join")[-1] == survivor.address


def test_with_redis_stopped_answers_are_still_served(deployment: Deployment) -> None:
    deployment.redis.stop()
    visitor = next(_addresses)
    statuses = [ask(deployment.nginx.url, deployment).status_code for _ in range(4)]
    statuses += [ask(deployment.nginx.url, deployment, address=visitor).status_code for _ in range(3)]
    assert statuses == [200] * 7
    for replica in deployment.replicas:
        if replica.process.poll() is None:  # the survivor of the kill above, or both when run alone
            log = replica.log.read_text(errors="replace")
            assert log.count("rate limits: redis://") == 1  # one line a minute, not one per question
            assert "Traceback" not in log.split("rate limits: redis://", 1)[1]
