"""bench.typos mistypes the way hands slip: never the first letter, one slip per chosen word."""

from __future__ import annotations

import random

from rapidfuzz.distance import OSA

from bench.typos import mistyped, with_slips


def test_a_slip_keeps_the_first_letter_and_is_one_edit_away():
    chooser = random.Random(3)
    for word in ("certification", "Singapore", "salary", "retention") * 10:
        typed = mistyped(word, chooser)
        assert typed[0] == word[0] and OSA.distance(typed.lower(), word.lower()) <= 1, (word, typed)


def test_two_longer_words_are_mistyped_and_acronyms_kept():
    question = "What does an MLOps engineer earn in Singapore?"
    typed = with_slips(question, random.Random(5))
    assert typed is not None and typed != question and "MLOps" in typed
    assert sum(a != b for a, b in zip(typed.split(), question.split())) <= 2
    assert with_slips("Is SQL hard?", random.Random(5)) is None
