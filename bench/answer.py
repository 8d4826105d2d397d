"""Answer latency (server side), cold start to first answer, and memory.

    python -m bench.answer [--questions FILE.jsonl] [--rounds N]

Goals on the 2-core reference machine: p50 < 150 ms, cold start < 20 s, RSS < 1.5 GB. Prints each
figure with its ratio to the goal (< 1.0 meets it).
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    cold = subprocess.run([sys.executable, "-c", COLD_START], cwd=REPO, capture_output=True, text=True, check=True)
    cold_seconds = float(cold.stdout.strip().splitlines()[-1])
    wall = time.perf_counter() - started

    from bot.settings import get_settings
    from bot.web.api import prepare

    careerbot = prepare(get_settings())
    cases = last_turns(args.questions)
    latencies = []
    for _ in range(args.rounds):
        for question, history in cases:
            t = time.perf_counter()
            careerbot.answer(question, history)
            latencies.append((time.perf_counter() - t) * 1000)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(f"answers: {len(latencies)} ({len(cases)} questions x {args.rounds} rounds), backend {careerbot.backend.name}")
    print(f"latency p50 {p50:.1f} ms (goal 150 ms, ratio {p50 / 150:.2f})   p95 {p95:.1f} ms")
    print(f"cold start to first answer {cold_seconds:.1f} s in-process, {wall:.1f} s with interpreter "
          f"(goal 20 s, ratio {wall / 20:.2f})")
    print(f"peak RSS {rss_mb:.0f} MB (goal 1536 MB, ratio {rss_mb / 1536:.2f})")


if __name__ == "__main__":
    main()
