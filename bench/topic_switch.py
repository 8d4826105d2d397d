"""How a new subject fares after an unrelated question: readers switch topics in one chat.

    python -m bench.topic_switch [--library DIR] [--cases FILE.jsonl ...] [--pairs N] [--seed S]

Pairs of fact questions about different articles are drawn from the graded files. The second question of
each pair is answered alone (the baseline, measured in the same run) and then after the first question and
its answer, as a reader would ask it. Prints both right counts, their ratio (1.0: a topic switch costs
nothing) and how often the second question was taken for a follow-up and searched with the first. Then the
same for every single-turn offtopic case, each asked after a fact question drawn at random: declined alone and
after (a near-miss taken for a follow-up is judged with the question before it, and may then be answered).
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import bot  # noqa: F401
from bot.answer.pipeline import Answer, CareerBot
from bot.eval import library_settings, load_cases, phrase_hit, refusal_ok, source_hit
from bot.settings import get_settings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval"
CASE_FILES = ["library.jsonl", "paraphrase.jsonl", "library2.jsonl"]


def unrelated_pairs(cases: list[dict], count: int, seed: int) -> list[tuple[dict, dict]]:
    """`count` pairs of single-turn fact questions whose expected articles differ."""
    facts = [c for c in cases if c.get("kind") == "fact" and c.get("q")]
    chooser, pairs = random.Random(seed), list[tuple[dict, dict]]()
    while len(pairs) < count:
        first, second = chooser.sample(facts, 2)
        if not set(first.get("sources") or []) & set(second.get("sources") or []):
            pairs.append((first, second))
    return pairs


def offtopic_pairs(cases: list[dict], seed: int) -> list[tuple[dict, dict]]:
    """Every single-turn offtopic case, each after a fact question drawn at random."""
    facts = [c for c in cases if c.get("kind") == "fact" and c.get("q")]
    chooser = random.Random(seed)
    return [(chooser.choice(facts), case) for case in cases if case.get("refuse") and case.get("q")]


def right(case: dict, answer: Answer) -> bool:
    return bool(phrase_hit(case, answer.text)) and source_hit(case, answer) is not False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", type=Path, default=SHARED / "library")
    parser.add_argument("--cases", type=Path, nargs="+", default=[SHARED / name for name in CASE_FILES])
    parser.add_argument("--pairs", type=int, default=80)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    cases = [case for path in args.cases for case in load_cases(path)]
    with tempfile.TemporaryDirectory(prefix="careerbot-topic-switch-") as folder:
        careerbot = CareerBot(library_settings(get_settings(), args.library, Path(folder)))
        alone, after, joined = asked_after(careerbot, unrelated_pairs(cases, args.pairs, args.seed), right)
        print(f"{args.pairs} pairs: second question right alone {alone}, after an unrelated question {after} "
              f"(ratio {after / max(alone, 1):.2f}); taken for a follow-up {joined}")
        pairs = offtopic_pairs(cases, args.seed)
        alone, after, joined = asked_after(careerbot, pairs, refusal_ok)
        print(f"{len(pairs)} offtopic questions: declined alone {alone}, after an unrelated question {after}; "
              f"taken for a follow-up {joined}")


def asked_after(careerbot: CareerBot, pairs: list[tuple[dict, dict]],
                passes: Callable[[dict, Answer], bool]) -> tuple[int, int, int]:
    """How many second questions pass alone, how many after the first question and its answer, and how many
    were searched with the first."""
    alone = after = joined = 0
    for first, second in pairs:
        history = [{"role": "user", "content": first["q"]},
                   {"role": "assistant", "content": careerbot.answer(first["q"]).text}]
        alone += passes(second, careerbot.answer(second["q"]))
        after += passes(second, careerbot.answer(second["q"], history))
        joined += careerbot.search_query(second["q"], history) != careerbot.search_query(second["q"])
    return alone, after, joined


if __name__ == "__main__":
    main()
