"""Rate limits in a shared Redis (a real `redis-server` on a loopback port): counted once across replicas,
served from memory while Redis is down (one log line a minute, no error), shared again once it is back."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.web.ratelimit import LimitStorage, QuestionLimit, SlidingWindowLimiter
from bot.testing.services import RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_two_replicas_sharing_redis_count_one_limit(redis_server: RedisServer) -> None:
    # Two app processes = two storages and two limiters over the same Redis.
    one, two = (QuestionLimit.from_settings("3/minute", LimitStorage(redis_server.url)) for _ in range(2))
    assert [one.wait_seconds("203.0.113.7", None), two.wait_seconds("203.0.113.7", None),
            one.wait_seconds("203.0.113.7", None)] == [0, 0, 0]
    assert 55 <= two.wait_seconds("203.0.113.7", None) <= 60
    assert one.wait_seconds("203.0.113.8", None) == 0  # another client has its own count
    # A conversation's cap holds across replicas too, whatever address it comes from.
    assert [one.wait_seconds(f"198.51.100.{i}", "conversation-1") for i in range(3)] == [0, 0, 0]
    assert two.wait_seconds("198.51.100.9", "conversation-1") > 0


def test_limits_of_different_names_count_apart(redis_server: RedisServer) -> None:
    storage = LimitStorage(redis_server.url)
    questions = SlidingWindowLimiter(1, 60, storage)
    feedback = SlidingWindowLimiter(1, 60, storage, name="feedback")
    assert questions.acquire(["client:a"]) == 0 and feedback.acquire(["client:a"]) == 0
    assert questions.acquire(["client:a"]) > 0 and feedback.acquire(["client:a"]) > 0


def test_redis_down_counts_in_memory_logs_once_and_resumes(redis_server: RedisServer,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.web.ratelimit")
    storage, other_replica = LimitStorage(redis_server.url), LimitStorage(redis_server.url)
    storage.retry_s = other_replica.retry_s = 0.5
    limit = QuestionLimit.from_settings("2/minute", storage)
    elsewhere = QuestionLimit.from_settings("2/minute", other_replica)
    assert limit.wait_seconds("203.0.113.1", None) == 0  # counted in Redis

    redis_server.stop()
    started = time.perf_counter()
    answers = [limit.wait_seconds(f"203.0.113.{i}", None) for i in range(2, 40)]
    assert answers == [0] * 38 and time.perf_counter() - started < 2  # no error, no long waits
    assert limit.wait_seconds("203.0.113.2", None) == 0 and limit.wait_seconds("203.0.113.2", None) > 0  # in memory
    time.sleep(0.6)
    assert limit.wait_seconds("203.0.113.99", None) == 0  # tried Redis again: still down
    down = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(down) == 1 and "counting in this process" in down[0].getMessage()

    redis_server.start()  # same port, empty: the counts start again, shared
    time.sleep(0.6)
    assert limit.wait_seconds("203.0.113.50", None) == 0
    assert elsewhere.wait_seconds("203.0.113.50", None) == 0
    assert limit.wait_seconds("203.0.113.50", None) > 0  # the third, on either replica: refused
    assert elsewhere.wait_seconds("203.0.113.50", None) > 0
    back = f"rate limits: {redis_server.url} answers again; counting there"
    assert [r.getMessage() for r in caplog.records][-1] == back


def test_an_unknown_storage_names_the_setting() -> None:
    with pytest.raises(ValueError, match="CAREERBOT_RATE_LIMIT_STORAGE"):
        LimitStorage("nosuchstore://127.0.0.1:1")
