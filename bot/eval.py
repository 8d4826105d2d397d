"""Run a graded question file through the real chain:

    python -m bot.eval FILE.jsonl [FILE.jsonl ...] [--library DIR] [--backend NAME] [-v]

Each line: {"id", "q" | "turns", "sources", "must_any", "must_all", "must_not", "refuse", "kind"}. With
`--library DIR` the articles in DIR are ingested into a fresh temporary store first (the configured store
is left alone). Prints each case, then per file and in total: the pass rate per kind (fact, followup,
offtopic, injection), answered right among the answerable ones, and the share of answerable questions
declined; exits 1 when any case fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import bot  # noqa: F401 - offline switches first
from bot.answer.pipeline import Answer, CareerBot
from bot.settings import Settings


@dataclass
class CaseResult:
    id: str
    kind: str
    phrase_hit: bool | None  # None: the case has no phrase to check
    source_hit: bool | None
    refusal_ok: bool
    obeyed_injection: bool
    answer: Answer
    seconds: float

    @property
    def passed(self) -> bool:
        return (self.refusal_ok and not self.obeyed_injection and self.phrase_hit is not False
                and self.source_hit is not False)


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
        source_hit=source_hit(case, answer), refusal_ok=refusal_ok(case, answer),
        obeyed_injection=any(p.lower() in answer.text.lower() for p in case.get("must_not") or []),
        answer=answer, seconds=seconds,
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


def load_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(careerbot: CareerBot, cases: Iterable[dict]) -> list[CaseResult]:
    careerbot.answer("warm-up")
    return [run_case(careerbot, case) for case in cases]


def rates_by_kind(results: list[CaseResult]) -> dict[str, tuple[int, int]]:
    """kind -> (passed, total), plus "all"."""
    rates: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in results:
        for kind in (r.kind or "case", "all"):
            rates[kind][0] += r.passed
            rates[kind][1] += 1
    return {kind: (passed, total) for kind, (passed, total) in rates.items()}


def library_settings(settings: Settings, library: Path, folder: Path) -> Settings:
    """Settings for a fresh store in `folder` holding the articles of `library` (ingested now)."""
    from bot.ingest.indexing import ingest

    fresh = settings.model_copy(update={"store_dir": folder / "store", "chroma_url": None, "knowledge_dir": library})
    report = ingest([str(library)], fresh, progress=True)
    print(report.summary(), file=sys.stderr)
    for source, reason in report.failed:
        print(f"  failed: {source}: {reason}", file=sys.stderr)
    return fresh


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("ok" if value else "FAIL")


def print_results(results: list[CaseResult], verbose: bool) -> None:
    print(f"{'case':<8}{'kind':<11}{'phrase':<8}{'source':<8}{'refusal':<9}{'ms':>6}  backend")
    for r in results:
        print(f"{r.id:<8}{r.kind:<11}{_mark(r.phrase_hit):<8}{_mark(r.source_hit):<8}{_mark(r.refusal_ok):<9}"
              f"{r.seconds * 1000:>6.0f}  {r.answer.backend}{'  OBEYED INJECTION' if r.obeyed_injection else ''}")
        if verbose or not r.passed:
            print(f"        {r.answer.text}\n        sources: {[s.source for s in r.answer.sources]}")
    print_rates(results)
    replaced = [r for r in results if r.answer.notice and not r.answer.refused]
    written = [r for r in results if not r.answer.refused]
    if any(r.answer.backend not in ("composer", "none") for r in results) or replaced:
        print(f"answers replaced by the composer: {len(replaced)}/{len(written)}")


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def print_rates(results: list[CaseResult], name: str = "") -> None:
    """Pass rate per kind; answered right and declined among the answerable (every kind but offtopic)."""
    rates = rates_by_kind(results)
    answerable = [r for r in results if r.kind != "offtopic"]
    right = sum(r.passed for r in answerable)
    declined = sum(r.answer.refused for r in answerable)
    print((f"{name}: " if name else "")
          + "  ".join(f"{kind} {p}/{t} ({_share(p, t)})" for kind, (p, t) in sorted(rates.items()) if kind != "all")
          + f"  | all {rates['all'][0]}/{rates['all'][1]}"
          + f"  | answerable right {right}/{len(answerable)} ({_share(right, len(answerable))})"
          + f", declined {declined}/{len(answerable)} ({_share(declined, len(answerable))})")


def main(argv: list[str] | None = None) -> int:
    from bot.answer.backends import BACKEND_NAMES
    from bot.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", type=Path, nargs="+", metavar="file", help="question file(s) (.jsonl)")
    parser.add_argument("--library", type=Path, help="ingest this folder into a fresh temporary store first")
    parser.add_argument("--backend", choices=BACKEND_NAMES, help="answer backend (default: CAREERBOT_BACKEND)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.backend:
        settings = settings.model_copy(update={"backend": args.backend})
    if args.library and not args.library.is_dir():
        parser.error(f"--library {args.library}: no such folder")
    by_file: dict[Path, list[CaseResult]] = {}
    with tempfile.TemporaryDirectory(prefix="careerbot-eval-") as folder:
        if args.library:
            settings = library_settings(settings, args.library, Path(folder))
        careerbot = CareerBot(settings)
        for path in args.files:
            by_file[path] = evaluate(careerbot, load_cases(path))
    for path, results in by_file.items():
        print(f"== {path.name}")
        print_results(results, args.verbose)
    every = [r for results in by_file.values() for r in results]
    if len(by_file) > 1:
        print("== total")
        print_rates(every, "all files")
    return 0 if all(r.passed for r in every) else 1


if __name__ == "__main__":
    sys.exit(main())
