"""The exchange log on a real SQLite file and a real PostgreSQL server: recording, feedback, retention,
migrations, and a database that is down."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.answer.pipeline import Answer, CareerBot, Source
from bot.owner.log import (
    SCHEMA_VERSION, ConversationLog, Exchange, UnknownExchange, current_version, exchange_sources, exchanges,
    feedback, metadata, schema_version,
)
from bot.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def conversations(log_settings: Settings) -> Iterator[ConversationLog]:
    log = ConversationLog(log_settings)
    yield log
    log.close()


def sample(question: str = "What does a data engineer do?", **changes: object) -> Exchange:
    answer = Answer(text="They build pipelines [1].", backend="composer", notice="an extract",
                    sources=[Source(n=1, title="Data engineering", source="data.md", text="Pipelines move data.",
                                    url="https://example.com/data")])
    exchange = Exchange.of(answer, question, "api", "conversation-1", latency_ms=42)
    for name, value in changes.items():
        setattr(exchange, name, value)
    return exchange


def count(log: ConversationLog, table: object) -> int:
    with log.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_records_a_real_answer_with_its_sources(conversations: ConversationLog, careerbot: CareerBot):
    question = "What does a machine learning engineer do all day?"
    answer = careerbot.answer(question)
    assert answer.sources
    exchange = Exchange.of(answer, question, "widget", "conversation-7", latency_ms=123)
    conversations.record(exchange)
    conversations.flush()
    with conversations.engine.connect() as conn:
        row = conn.execute(select(exchanges)).one()
        cited = conn.execute(select(exchange_sources).order_by(exchange_sources.c.n)).all()
    assert row.id == exchange.id and len(row.id) == 36
    assert (row.question, row.answer, row.channel, row.conversation_id) == (question, answer.text, "widget",
                                                                           "conversation-7")
    assert (row.kind, row.declined, row.backend, row.latency_ms) == ("answer", False, "composer", 123)
    assert row.created_at.tzinfo is not None and abs(row.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    # Each cited article with every passage the answer quoted from it, in order of use.
    assert [(s.n, s.title, s.source, s.url, s.passage) for s in cited] == [
        (s.n, s.title, s.source, s.url, "\n\n".join(q.text for q in s.quotes)) for s in answer.sources]


def test_a_decline_is_recorded_as_one(conversations: ConversationLog, careerbot: CareerBot):
    answer = careerbot.answer("How do I bake sourdough bread?")
    conversations.record(Exchange.of(answer, "How do I bake sourdough bread?", "web", None, latency_ms=5))
    conversations.flush()
    with conversations.engine.connect() as conn:
        row = conn.execute(select(exchanges)).one()
    assert (row.kind, row.declined, row.conversation_id, row.notice) == ("decline", True, None, None)
    assert count(conversations, exchange_sources) == 0


def test_many_threads_lose_no_record(conversations: ConversationLog):
    def ask(n: int) -> None:
        for i in range(25):
            conversations.record(sample(f"question {n}-{i}"))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conversations.flush(timeout=30)
    assert count(conversations, exchanges) == 500
    assert count(conversations, exchange_sources) == 500


def test_rating_again_replaces_the_rating(conversations: ConversationLog):
    exchange = sample()
    conversations.record(exchange)
    conversations.rate(exchange.id, "up", None)  # right after recording: rate() waits for the writer
    conversations.rate(exchange.id, "down", "It's about data scientists")
    with conversations.engine.connect() as conn:
        rows = conn.execute(select(feedback)).all()
    assert [(r.exchange_id, r.rating, r.reason) for r in rows] == [(exchange.id, "down", "It's about data scientists")]


def test_rating_an_unknown_exchange_is_refused(conversations: ConversationLog):
    conversations.record(sample())
    with pytest.raises(UnknownExchange):
        conversations.rate("00000000-0000-4000-8000-000000000000", "up", None)
    assert count(conversations, feedback) == 0


def test_purge_deletes_old_exchanges_with_their_sources_and_feedback(conversations: ConversationLog):
    now = datetime.now(UTC)
    old = sample("old", created_at=now - timedelta(days=91))
    recent = sample("recent", created_at=now - timedelta(days=89))
    for exchange in (old, recent):
        conversations.record(exchange)
        conversations.rate(exchange.id, "down", None)
    assert conversations.purge(now) == 1
    with conversations.engine.connect() as conn:
        assert conn.execute(select(exchanges.c.question)).scalars().all() == ["recent"]
        assert conn.execute(select(exchange_sources.c.exchange_id)).scalars().all() == [recent.id]
        assert conn.execute(select(feedback.c.exchange_id)).scalars().all() == [recent.id]
    assert conversations.purge(now + timedelta(days=2)) == 1
    assert count(conversations, exchanges) == count(conversations, exchange_sources) == 0


def test_the_writer_purges_when_it_starts(log_settings: Settings):
    first = ConversationLog(log_settings)
    first.record(sample("expired", created_at=datetime.now(UTC) - timedelta(days=400)))
    first.record(sample("kept"))
    first.close()
    second = ConversationLog(log_settings)
    try:
        second.flush()
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while count(second, exchanges) != 1 and datetime.now(UTC) < deadline:
            threading.Event().wait(0.1)
        with second.engine.connect() as conn:
            assert conn.execute(select(exchanges.c.question)).scalars().all() == ["kept"]
    finally:
        second.close()


def test_an_older_schema_is_migrated_keeping_its_exchanges(log_settings: Settings):
    """A version-1 log (exchanges and sources, no feedback table) is upgraded in place on first use."""
    log = ConversationLog(log_settings.model_copy(update={"log_conversations": False}))  # no writer: nothing migrates
    old = sample()
    with log.engine.begin() as conn:
        metadata.create_all(conn, tables=[exchanges, exchange_sources, schema_version])
        conn.execute(insert(schema_version).values(version=1))
        conn.execute(insert(exchanges).values(old.row()))
    log.close()

    upgraded = ConversationLog(log_settings)
    try:
        upgraded.rate(old.id, "up", "clear")
        with upgraded.engine.connect() as conn:
            assert current_version(conn) == SCHEMA_VERSION == 3
            assert conn.execute(select(feedback.c.rating)).scalars().all() == ["up"]
            assert conn.execute(select(exchanges.c.question)).scalars().all() == [old.question]
    finally:
        upgraded.close()


def test_a_newer_schema_is_refused_with_what_to_do(tmp_path: Path):
    log = ConversationLog(make_settings(data_dir=tmp_path, log_conversations=False))
    with log.engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(insert(schema_version).values(version=SCHEMA_VERSION + 1))
    with pytest.raises(RuntimeError, match="upgrade careerbot"):
        log.ensure_schema()
    log.close()


def test_sqlite_log_is_a_wal_file_in_the_data_folder(tmp_path: Path):
    log = ConversationLog(make_settings(data_dir=tmp_path / "nested" / "data"))
    log.record(sample())
    log.flush()
    with log.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    log.close()
    assert (tmp_path / "nested" / "data" / "careerbot.db").is_file()


def test_turned_off_it_records_nothing_and_creates_nothing(tmp_path: Path):
    log = ConversationLog(make_settings(data_dir=tmp_path / "data", log_conversations=False))
    log.record(sample())
    log.flush()
    log.close()
    assert not log.enabled and not (tmp_path / "data").exists()


# --- never in the way ---------------------------------------------------------------------------------

def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.owner.log" and r.levelno >= logging.ERROR]


def test_an_unwritable_sqlite_path_is_logged_once_a_minute(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    log = ConversationLog(make_settings(data_dir=blocker / "data"))
    with caplog.at_level(logging.ERROR, logger="bot.owner.log"):
        for n in range(10):
            log.record(sample(f"question {n}"))
            log.flush()  # one write attempt, and one failure, per exchange
    log.close()
    errors = errors_logged(caplog)
    assert len(errors) == 1 and "exchange log" in errors[0] and "readers still get their answers" in errors[0]


def test_postgresql_stopped_mid_run_costs_no_answer_and_one_log_line(
        tmp_path: Path, careerbot: CareerBot, caplog: pytest.LogCaptureFixture):
    from fastapi.testclient import TestClient

    from bot.web.api import create_app
    from bot.testing.pgserver import PostgresServer

    server = PostgresServer()
    try:
        server.start()
        settings = careerbot.settings.model_copy(update={"rate_limit": "off", "database_url": server.new_database()})
        with TestClient(create_app(settings, careerbot=careerbot, with_ui=False)) as client:
            before = client.post("/api/chat", json={"message": "What does a data scientist do?"}).json()
            assert client.post("/api/feedback", json={"exchange_id": before["exchange_id"], "rating": "up"}
                               ).status_code == 204
            server.stop()
            with caplog.at_level(logging.ERROR, logger="bot.owner.log"):
                replies = [client.post("/api/chat", json={"message": f"What does a data scientist do? ({n})"})
                           for n in range(5)]
                for reply in replies:
                    client.post("/api/feedback", json={"exchange_id": reply.json()["exchange_id"], "rating": "down"})
            assert [r.status_code for r in replies] == [200] * 5
            assert all("[1]" in r.json()["answer"] and r.json()["sources"] for r in replies)
            feedback_replies = client.post("/api/feedback", json={"exchange_id": before["exchange_id"], "rating": "up"})
            assert feedback_replies.status_code == 503 and "try again later" in feedback_replies.json()["error"]
        errors = errors_logged(caplog)
        assert len(errors) == 1, errors
    finally:
        server.remove()
