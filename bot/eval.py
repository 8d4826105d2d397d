"""Run a graded question file through the real chain: python -m bot.eval FILE.jsonl [--backend NAME]

Each line: {"id", "q" | "turns", "sources", "must_any", "must_all", "refuse", "kind"}. Prints, per case and
in total, phrase hit, correct-source hit and refusal correctness; exits 1 when any case fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import bot  # noqa: F401 - offline switches first
from bot.chain import Answer, CareerBot


@dataclass
class CaseResult:
    id: str
    kind: str
    phrase_hit: bool | None  # None: the case has no phrase to check
    source_hit: bool | None
    refusal_ok: bool
    answer: Answer
    seconds: float

    @property
    def passed(self) -> bool:
        return self.refusal_ok and self.phrase_hit is not False and self.source_hit is not False


def run_case(careerbot: CareerBot, case: dict) -> CaseResult:
    turns = case.get("turns") or [case["q"]]
    history: list[dict] = []
    for turn in turns[:-1]:
        earlier = careerbot.answer(turn, history)
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": earlier.text}]
    started = time.perf_counter()
    answer = careerbot.answer(turns[-1], history)
    seconds = time.perf_counter() - started
    return CaseResult(
        id=case.get("id", "?"), kind=case.get("kind", ""), phrase_hit=phrase_hit(case, answer.text),
        source_hit=source_hit(case, answer), refusal_ok=refusal_ok(case, answer), answer=answer, seconds=seconds,
    )


def phrase_hit(case: dict, text: str) -> bool | None:
    lowered = text.lower()
    checks = []
    if case.get("must_any"):
        checks.append(any(p.lower() in lowered for p in case["must_any"]))
    if case.get("must_all"):
        checks.append(all(p.lower() in lowered for p in case["must_all"]))
    return all(checks) if checks else None


def source_hit(case: dict, answer: Answer) -> bool | None:
    expected = case.get("sources") or []
    if not expected:
        return None
    cited = [Path(s.source).stem for s in answer.sources] + [s.source for s in answer.sources]
    return any(name.startswith(stem) or stem in name for stem in expected for name in cited)


def refusal_ok(case: dict, answer: Answer) -> bool:
    if case.get("refuse"):
        return answer.refused and not answer.sources
    return not answer.refused and bool(answer.sources)


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("ok" if value else "FAIL")


def main(argv: list[str] | None = None) -> int:
    from bot.backends import BACKEND_NAMES
    from bot.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, help="question file (.jsonl)")
    parser.add_argument("--backend", choices=BACKEND_NAMES, help="answer backend (default: CAREERBOT_BACKEND)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.backend:
        settings = settings.model_copy(update={"backend": args.backend})
    cases = [json.loads(line) for line in args.file.read_text().splitlines() if line.strip()]
    careerbot = CareerBot(settings)
    careerbot.answer("warm-up")

    results = [run_case(careerbot, case) for case in cases]
    print(f"{'case':<8}{'kind':<10}{'phrase':<8}{'source':<8}{'refusal':<9}{'ms':>6}  backend")
    for r in results:
        print(f"{r.id:<8}{r.kind:<10}{_mark(r.phrase_hit):<8}{_mark(r.source_hit):<8}{_mark(r.refusal_ok):<9}"
              f"{r.seconds * 1000:>6.0f}  {r.answer.backend}")
        if args.verbose or not r.passed:
            print(f"        {r.answer.text}\n        sources: {[s.source for s in r.answer.sources]}")

    def total(values: list[bool | None]) -> str:
        graded = [v for v in values if v is not None]
        return f"{sum(graded)}/{len(graded)}"

    passed = sum(r.passed for r in results)
    print(f"phrase {total([r.phrase_hit for r in results])}  source {total([r.source_hit for r in results])}  "
          f"refusal {total([r.refusal_ok for r in results])}  cases passed {passed}/{len(results)}")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
