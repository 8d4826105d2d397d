"""Load bench for the streaming chat API: N concurrent conversations against POST /api/chat/stream.

    python -m bench.load                      # starts its own app (temp store, high rate limit)
    python -m bench.load --url http://127.0.0.1:7860 --conversations 50 --duration 30

Each simulated visitor asks a short conversation (a few questions, each with the history so far), then
starts a new one, until the time is up. Reports time to first token (TTFT: request sent -> first `token`
event, or the `sources` event of an answer with no tokens, e.g. a refusal), total answer time, and errors
(non-200 statuses, `error` events, streams without `sources`/`done`, transport failures).

Then it checks the exchange log: every answer received must be recorded (found by the bench's conversation
ids, in the app's database: its own app's, or with --url the one CAREERBOT_DATABASE_URL / CAREERBOT_DATA_DIR
name). It exits with status 1 if a record is missing.

With `--think 0` every visitor asks again the moment an answer ends, so 50 visitors keep 50 questions in
flight: that measures capacity, and TTFT is then about visitors / answers-per-second (Little's law), whatever
the per-question cost. `--think 2` (a pause of 1-3 s, still far quicker than people read and type) measures
the latency visitors would see at that load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CONVERSATIONS = [
    ["What does a machine learning engineer do?", "What skills do they need?", "How much do they earn?"],
    ["What is the difference between a machine learning engineer and a data scientist?", "Which one codes more?",
     "Which programming languages should I learn?"],
    ["How do I become a machine learning engineer?", "Do I need a degree?", "What math should I know?"],
    ["What does a typical day look like for an ML engineer?", "Do they work in teams?",
     "How do I bake sourdough bread?"],  # an off-topic turn: the refusal path counts too
]


@dataclass
class Results:
    ttft: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conversation_ids: set[str] = field(default_factory=set)


async def ask(client: httpx.AsyncClient, url: str, question: str, history: list[dict], conversation: str,
              results: Results) -> str | None:
    """One streamed answer; records its timings or its error; returns the final answer text."""
    started = time.perf_counter()
    first: float | None = None
    answer: str | None = None
    done = False
    try:
        async with client.stream("POST", f"{url}/api/chat/stream", json={"message": question, "history": history},
                                 headers={"X-Conversation-Id": conversation}) as response:
            if response.status_code != 200:
                results.errors.append(f"HTTP {response.status_code}: {(await response.aread())[:200]!r}")
                return None
            event = None
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                    if first is None and event in ("token", "sources"):
                        first = time.perf_counter() - started
                elif line.startswith("data:") and event == "sources":
                    answer = json.loads(line[5:])["answer"]
                elif line.startswith("data:") and event == "error":
                    results.errors.append(f"error event: {line[5:].strip()}")
                    return None
                elif event == "done":
                    done = True
    except httpx.HTTPError as exc:
        results.errors.append(f"{type(exc).__name__}: {exc}")
        return None
    if answer is None or not done or first is None:
        results.errors.append("stream ended without sources/done")
        return None
    results.ttft.append(first)
    results.total.append(time.perf_counter() - started)
    return answer


async def visitor(client: httpx.AsyncClient, url: str, deadline: float, think_s: float, results: Results,
                  rng: random.Random) -> None:
    while time.monotonic() < deadline:
        questions = rng.choice(CONVERSATIONS)
        conversation, history = uuid.uuid4().hex, []
        results.conversation_ids.add(conversation)
        for question in questions:
            if time.monotonic() >= deadline:
                return
            answer = await ask(client, url, question, history, conversation, results)
            if answer is None:
                break
            history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
            if think_s:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)


async def run(url: str, conversations: int, duration: float, think_s: float, seed: int) -> Results:
    results = Results()
    limits = httpx.Limits(max_connections=conversations + 10, max_keepalive_connections=conversations + 10)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0), limits=limits) as client:
        deadline = time.monotonic() + duration
        # Staggered over the first second, as real visitors would be, rather than one synchronized burst.
        rngs = [random.Random(seed + i) for i in range(conversations)]

        async def start(i: int) -> None:
            await asyncio.sleep(i / conversations)
            await visitor(client, url, deadline, think_s, results, rngs[i])

        await asyncio.gather(*(start(i) for i in range(conversations)))
    return results


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(results: Results, conversations: int, duration: float, think_s: float) -> str:
    answered = len(results.ttft)
    lines = [
        f"concurrent conversations: {conversations}, duration: {duration:.0f} s, think time: {think_s:g} s",
        f"conversations started: {len(results.conversation_ids)}, answers: {answered} ({answered / duration:.1f}/s), "
        f"errors: {len(results.errors)}",
        f"time to first token: p50 {percentile(results.ttft, 50) * 1000:.0f} ms, "
        f"p95 {percentile(results.ttft, 95) * 1000:.0f} ms, max {max(results.ttft, default=0) * 1000:.0f} ms",
        f"full answer:         p50 {percentile(results.total, 50) * 1000:.0f} ms, "
        f"p95 {percentile(results.total, 95) * 1000:.0f} ms",
    ]
    for error in sorted(set(results.errors))[:10]:
        lines.append(f"  error x{results.errors.count(error)}: {error}")
    return "\n".join(lines)


def recorded_count(settings: object, conversation_ids: set[str], expected: int, timeout: float = 30.0) -> int:
    """Exchanges the log holds for these conversations, waiting (up to `timeout`) for the app's writer."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from bot.owner.log import exchanges, open_engine

    engine = open_engine(settings)
    query = select(func.count()).where(exchanges.c.conversation_id.in_(conversation_ids))
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as conn:
                    count, problem = conn.execute(query).scalar_one(), None
            except SQLAlchemyError as exc:  # no log there (yet): the app's tables are not created, or wrong settings
                count, problem = 0, exc
            if count >= expected or time.monotonic() > deadline:
                if problem:
                    print(f"exchange log at {engine.url!r} unreadable: {getattr(problem, 'orig', None) or problem}",
                          file=sys.stderr)
                return count
            time.sleep(0.5)
    finally:
        engine.dispose()


@contextmanager
def own_app() -> Iterator[tuple[str, Path]]:
    """`python app.py` on a free port with a temp store, a rate limit no bench can reach, and its exchange log in
    a temp folder; (its URL, that folder)."""
    from bot.testing.apprunner import running_app

    with tempfile.TemporaryDirectory(prefix="careerbot-bench-") as tmp:
        data = Path(tmp) / "data"
        with running_app(Path(tmp) / "store", {"CAREERBOT_RATE_LIMIT": "1000000/minute",
                                               "CAREERBOT_DATA_DIR": str(data)}) as url:
            yield url, data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running app (its rate limit must allow the load); default: start one")
    parser.add_argument("--conversations", type=int, default=50, help="concurrent conversations (default 50)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a visitor pauses between questions (default 0: back to back)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    def bench(url: str, log_settings: object) -> bool:
        asyncio.run(run(url, 2, 2.0, 0.0, args.seed))  # warm-up: connections, caches, first-call costs
        print(f"load: {args.conversations} conversations for {args.duration:.0f} s against {url}/api/chat/stream")
        results = asyncio.run(run(url, args.conversations, args.duration, args.think, args.seed))
        print(report(results, args.conversations, args.duration, args.think))
        answers = len(results.ttft)
        stored = recorded_count(log_settings, results.conversation_ids, answers)
        print(f"exchange log: {stored} of {answers} answers recorded" + ("" if stored == answers else " (MISSING)"))
        return stored == answers

    from bot.settings import Settings

    if args.url:
        complete = bench(args.url.rstrip("/"), Settings())
    else:
        with own_app() as (url, data):
            complete = bench(url, Settings(_env_file=None, data_dir=data))
    sys.exit(0 if complete else 1)


if __name__ == "__main__":
    main()
