"""Answer latency (server side), cold start to first answer, and memory.

    python -m bench.answer [--library DIR] [--questions FILE.jsonl] [--rounds N] [--backend NAME]

By default the development library (../shared/eval/library, ingested into a temporary store) and its
questions. Goals on the 2-core reference machine: p50 < 150 ms, cold start < 20 s, RSS < 1.5 GB. Prints
each figure with its ratio to the goal (< 1.0 meets it); the goals are the composer's, a generating backend
is reported against them too. Every question is measured cold, as a new reader's would be: the query and
passage embedding caches and the local model's prompt cache are emptied first, and each question is asked
once per round through CareerBot.stream(): time to first token is to its first text piece (for a generating
backend, its first checked sentence) or to the refusal; latency is to the final answer. Replaced answers
are counted out of the answers a model wrote (declines excluded).
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
SHARED = REPO.parent / "shared" / "eval"
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


def forget_caches(careerbot: object) -> None:
    """What a new reader's question would not find warm: its embedding and ranking, the passage units'
    embeddings, and the local model's prompt prefix."""
    from bot import embeddings

    embeddings._embed_query.cache_clear()
    embeddings._text_vectors.clear()
    careerbot.retriever.forget_rankings()
    if careerbot.backend.name == "local":
        from bot.answer.backends.local import load_model

        load_model().reset()


def timed_stream(careerbot: object, question: str, history: list[dict]) -> tuple[float, float, object]:
    """(ms to the first piece, ms to the final answer, the final Answer)."""
    started = time.perf_counter()
    pieces = careerbot.stream(question, history)
    first = next(pieces)
    first_ms = (time.perf_counter() - started) * 1000
    final = first
    for final in pieces:  # finish the answer, as a client would
        pass
    return first_ms, (time.perf_counter() - started) * 1000, final


def main() -> None:
    import tempfile

    from bot.answer.backends import BACKEND_NAMES
    from bot.eval import library_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", type=Path, default=SHARED / "library")
    parser.add_argument("--questions", type=Path, default=SHARED / "library.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=BACKEND_NAMES, help="answer backend (default: CAREERBOT_BACKEND)")
    args = parser.parse_args()
    from bot.settings import get_settings
    from bot.web.api import prepare

    with tempfile.TemporaryDirectory(prefix="careerbot-bench-") as folder:
        settings = library_settings(get_settings(), args.library, Path(folder))
        if args.backend:
            settings = settings.model_copy(update={"backend": args.backend})
        env = {**os.environ, "CAREERBOT_STORE_DIR": str(settings.store_dir), "CAREERBOT_KNOWLEDGE_DIR": str(args.library),
               "CAREERBOT_BACKEND": settings.backend}
        started = time.perf_counter()
        cold = subprocess.run([sys.executable, "-c", COLD_START], cwd=REPO, capture_output=True, text=True,
                              check=True, env=env)
        cold_seconds = float(cold.stdout.strip().splitlines()[-1])
        wall = time.perf_counter() - started
        careerbot = prepare(settings)
        report(careerbot, last_turns(args.questions), args.rounds, cold_seconds, wall)


def report(careerbot: object, cases: list[tuple[str, list[dict]]], rounds: int, cold_seconds: float,
           wall: float) -> None:
    latencies, first_tokens, written, replaced = [], [], 0, 0
    for _ in range(rounds):
        for question, history in cases:
            forget_caches(careerbot)
            first_ms, total_ms, answer = timed_stream(careerbot, question, history)
            first_tokens.append(first_ms)
            latencies.append(total_ms)
            if not answer.refused:
                written += 1
                replaced += answer.notice is not None
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(f"answers: {len(latencies)} ({len(cases)} questions x {rounds} rounds, cold caches), "
          f"backend {careerbot.backend.name}")
    print(f"latency p50 {p50:.1f} ms (goal 150 ms, ratio {p50 / 150:.2f})   p95 {p95:.1f} ms")
    print(f"time to first token p50 {percentile(first_tokens, 50):.1f} ms   p95 {percentile(first_tokens, 95):.1f} ms")
    if careerbot.backend.needs_check:
        print(f"answers replaced by the composer's after the check: {replaced}/{written} written (declines excluded)")
    print(f"cold start to first answer {cold_seconds:.1f} s in-process, {wall:.1f} s with interpreter "
          f"(goal 20 s, ratio {wall / 20:.2f})")
    print(f"peak RSS {rss_mb:.0f} MB (goal 1536 MB, ratio {rss_mb / 1536:.2f})")


if __name__ == "__main__":
    main()
