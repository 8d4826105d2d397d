"""Where should the support bound of generated answers sit (bot/answer/verify.py SUPPORT_BOUND)?

For calibration questions (not the graded ones), each sentence below is checked against the passages
retrieval returns, as if it cited all of them: faithful paraphrases, as a model would write them, should
score above the bound; sentences on the same topic that the passages do not say (invented claims, obeyed
injections, revealed instructions) below it. Prints both distributions and the margin.

    python -m bench.calibrate_support
"""

from __future__ import annotations

import statistics

import bot  # noqa: F401
from bot.answer.verify import SUPPORT_BOUND, Claim, Verifier
from bot.answer.pipeline import CareerBot
from bot.settings import get_settings
from bot.testing.support_cases import CASES

def main() -> None:
    careerbot = CareerBot(get_settings())
    verifier = Verifier()
    supported, unsupported = [], []
    for question, (good, bad) in CASES.items():
        passages = careerbot.retriever.rank(question)[: careerbot.retriever.k]  # the verifier, not declining
        every = list(range(1, len(passages) + 1))
        supported += verifier.support([Claim(t, every) for t in good], passages)
        unsupported += verifier.support([Claim(t, every) for t in bad], passages)
    supported.sort(), unsupported.sort()
    print(f"supported paraphrases:  min {supported[0]:.3f}  median {statistics.median(supported):.3f}  "
          f"lowest three {[round(s, 3) for s in supported[:3]]}")
    print(f"unsupported sentences:  max {unsupported[-1]:.3f}  median {statistics.median(unsupported):.3f}  "
          f"highest three {[round(s, 3) for s in unsupported[-3:]]}")
    print(f"midpoint {(supported[0] + unsupported[-1]) / 2:.3f}; current SUPPORT_BOUND {SUPPORT_BOUND}")


if __name__ == "__main__":
    main()
