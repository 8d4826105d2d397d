"""How answers hold up when readers mistype: the same questions with two slips each.

    python -m bench.typos [--library DIR] [--cases FILE.jsonl ...] [--seed S]

Every single-turn fact question is answered as written (the baseline, measured in the same run); each one answered
right is then asked again with two of its longer words mistyped the way hands slip (a letter dropped, doubled,
swapped with the next, or a vowel typed for another, never the first letter). Prints how many stay right, how
many are then declined, and the ratio (1.0: typos cost nothing). The slips are drawn by a seeded generator, not
written by hand, so they fit no question file.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
from pathlib import Path

import bot  # noqa: F401
from bench.topic_switch import CASE_FILES, SHARED, right
from bot.answer.pipeline import CareerBot
from bot.eval import library_settings, load_cases
from bot.settings import get_settings

_LONG_WORD = re.compile(r"\b[A-Za-z]{6,}\b")  # a slip in a short word often makes another word, not a typo
_VOWELS = "aeiou"
_SLIPS_PER_QUESTION = 2


def mistyped(word: str, chooser: random.Random) -> str:
    """The word with one slip somewhere after its first letter."""
    at = chooser.randrange(1, len(word) - 1)
    slip = chooser.choice(["drop", "double", "swap", "vowel"])
    if slip == "drop":
        return word[:at] + word[at + 1:]
    if slip == "double":
        return word[:at + 1] + word[at:]
    if slip == "swap":
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    vowel = next((i for i in range(1, len(word)) if word[i] in _VOWELS), at)
    return word[:vowel] + chooser.choice([v for v in _VOWELS if v != word[vowel]]) + word[vowel + 1:]


def with_slips(question: str, chooser: random.Random) -> str | None:
    """The question with two of its longer words (not acronyms) mistyped, or None if it has none."""
    words = [m for m in _LONG_WORD.finditer(question) if not m.group(0).isupper()]
    if not words:
        return None
    text = question
    for match in sorted(chooser.sample(words, min(_SLIPS_PER_QUESTION, len(words))), key=lambda m: -m.start()):
        text = text[:match.start()] + mistyped(match.group(0), chooser) + text[match.end():]
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", type=Path, default=SHARED / "library")
    parser.add_argument("--cases", type=Path, nargs="+", default=[SHARED / name for name in CASE_FILES])
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    cases = [c for path in args.cases for c in load_cases(path) if c.get("kind") == "fact" and c.get("q")]
    chooser = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="careerbot-typos-") as folder:
        careerbot = CareerBot(library_settings(get_settings(), args.library, Path(folder)))
        baseline = [case for case in cases if right(case, careerbot.answer(case["q"]))]
        still = declined = tried = 0
        for case in baseline:
            typed = with_slips(case["q"], chooser)
            if typed is None:
                continue
            answer = careerbot.answer(typed)
            tried += 1
            still += right(case, answer)
            declined += answer.refused
        print(f"{len(cases)} fact questions: right as written {len(baseline)}; with two slips each ({tried} with "
              f"words long enough): right {still} (ratio {still / max(tried, 1):.2f}), declined {declined}")


if __name__ == "__main__":
    main()
