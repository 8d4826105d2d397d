"""Answer latency (server side), cold start to first answer, and memory.

    python -m bench.answer [--questions FILE.jsonl] [--rounds N] [--backend composer|openai|local]

Goals on the 2-core reference machine: p50 < 150 ms, cold start < 20 s, RSS < 1.5 GB. Prints each
figure with its ratio to the goal (< 1.0 meets it); the goals are the composer's, a generating backend
is reported against them too. Time to first token: from the question to the first text piece of
CareerBot.stream() (for a generating backend, its first checked sentence), or to the refusal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import bot  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = REPO.parent / "shared" / "eval" / "questions.jsonl"
COLD_START = (
    "import time; t=time.perf_counter(); import bot; from bot.settings import get_settings; "
    "from bot.web.api import prepare; b=prepare(get_settings()); b.answer('What does a machine learning engineer do?'); "
    "print(time.perf_counter()-t)"
)


def last_turns(path: Path) -> list[tuple[str, list[dict]]]:
    """(question, history) per case; earlier turns of a conversation become history."""
    cases = []
    for line in path.read_text().splitlines():
        case = json.loads(line)
        turns = case.get("turns") or [case["q"]]
        history = [{"role": "user", "content": turn} for turn in turns[:-1]]
        cases.append((turns[-1], history))
    return cases


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def first_token_ms(careerbot: object, question: str, history: list[dict]) -> float:
    started = time.perf_counter()
    pieces = careerbot.stream(question, history)
    next(pieces)
    seconds = time.perf_counter() - started
    for _ in pieces:  # finish the answer, as a client would, before the next question
        pass
    return seconds * 1000


def main() -> None:
    from bot.backends import BACKEND_NAMES

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", choices=BACKEND_NAMES, help="answer backend (default: CAREERBOT_BACKEND)")
    args = parser.parse_args()
    env = {**os.environ, **({"CAREERBOT_BACKEND": args.backend} if args.backend else {})}

    started = time.perf_counter()
    cold = subprocess.run([sys.executable, "-c", COLD_START], cwd=REPO, capture_output=True, text=True, check=True,
                          env=env)
    cold_seconds = float(cold.stdout.strip().splitlines()[-1])
    wall = time.perf_counter() - started

    from bot.settings import get_settings
    from bot.web.api import prepare

    settings = get_settings()
    if args.backend:
        settings = settings.model_copy(update={"backend": args.backend})
    careerbot = prepare(settings)
    cases = last_turns(args.questions)
    latencies, first_tokens, fallbacks = [], [], 0
    for _ in range(args.rounds):
        for question, history in cases:
            t = time.perf_counter()
            answer = careerbot.answer(question, history)
            latencies.append((time.perf_counter() - t) * 1000)
            fallbacks += answer.notice is not None
            first_tokens.append(first_token_ms(careerbot, question, history))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(f"answers: {len(latencies)} ({len(cases)} questions x {args.rounds} rounds), backend {careerbot.backend.name}")
    print(f"latency p50 {p50:.1f} ms (goal 150 ms, ratio {p50 / 150:.2f})   p95 {p95:.1f} ms")
    print(f"time to first token p50 {percentile(first_tokens, 50):.1f} ms   p95 {percentile(first_tokens, 95):.1f} ms")
    if careerbot.backend.needs_check:
        print(f"answers replaced by the composer's after the check: {fallbacks}/{len(latencies)}")
    print(f"cold start to first answer {cold_seconds:.1f} s in-process, {wall:.1f} s with interpreter "
          f"(goal 20 s, ratio {wall / 20:.2f})")
    print(f"peak RSS {rss_mb:.0f} MB (goal 1536 MB, ratio {rss_mb / 1536:.2f})")


if __name__ == "__main__":
    main()
