"""The composer alone, over every answerable case of the development files and the team's sets, in seconds:

    python -m bench.composer_cases --save cases.pkl                    # retrieve once: ingests each library (minutes)
    python -m bench.composer_cases --cases cases.pkl --write base.json # score the composer on the saved passages
    python -m bench.composer_cases --cases cases.pkl --baseline base.json

Retrieval does not depend on the composer, so it runs once and is saved (a change to loading, chunking or retrieval
needs a new save); each later run composes every saved case again, as the app does, and prints the cases answered
with the right phrase from the right article on each half of the calibration split (bench.calibrate's), and, against
a baseline written by an earlier run, the cases gained and lost. Written for developing the composer: a change is
measured on some 1,800 cases in the time one team set takes to run end to end.
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
from pathlib import Path

import bot  # noqa: F401
from bench.calibrate import CASE_FILES, SHARED, TEAM_SETS, Quotable, answered_right, quotable
from bot.answer.backends.composer import Composer
from bot.answer.pipeline import CareerBot
from bot.eval import library_settings, load_cases
from bot.settings import get_settings

Sets = list[tuple[Path, list[Path]]]
DEVELOPMENT = [(SHARED / "library", [SHARED / name for name in CASE_FILES])]


def retrieved_cases(sets: Sets, folder: Path) -> list[Quotable]:
    """Every answerable case of the sets with the passages retrieval hands the composer, each library ingested
    into a fresh store under `folder`. A case is known by its file's folder and name and its id (`key`): ids
    repeat across files."""
    found = []
    for library, files in sets:
        careerbot = CareerBot(library_settings(get_settings(), library, folder / library.parent.name))
        for path in files:
            for case in load_cases(path):
                if not case.get("refuse"):
                    found.append(quotable(careerbot, {**case, "key": f"{path.parent.name}/{path.name}:{case.get('id')}"}))
    return found


def scores(cases: list[Quotable]) -> dict[str, bool]:
    composer = Composer()
    return {case.case["key"]: answered_right(composer, case) for case in cases}


def report(cases: list[Quotable], now: dict[str, bool], baseline: dict[str, bool] | None) -> None:
    for name, held in (("calibration", False), ("held-out", True)):
        part = [case.case["key"] for case in cases if case.held_out is held]
        print(f"{name:<12} {sum(now[i] for i in part)}/{len(part)} right phrase and source")
    if baseline is not None:
        gained = [i for i in now if now[i] and baseline.get(i) is False]
        lost = [i for i in now if not now[i] and baseline.get(i)]
        right, before = sum(now.values()), sum(v for i, v in baseline.items() if i in now)
        print(f"against the baseline: {right} vs {before} right (ratio {right / max(before, 1):.3f})")
        print(f"gained {len(gained)}: {' '.join(gained)}")
        print(f"lost {len(lost)}: {' '.join(lost)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--save", type=Path, help="retrieve every case and save the passages here")
    parser.add_argument("--cases", type=Path, help="score the composer on passages saved by --save")
    parser.add_argument("--write", type=Path, help="write this run's scores (a baseline for later runs)")
    parser.add_argument("--baseline", type=Path, help="scores written by an earlier run, to compare with")
    args = parser.parse_args(argv)
    if args.save:
        with tempfile.TemporaryDirectory() as folder:
            cases = retrieved_cases(DEVELOPMENT + TEAM_SETS, Path(folder))
        args.save.write_bytes(pickle.dumps(cases))
        print(f"saved {len(cases)} answerable cases to {args.save}")
    if not args.cases:
        return
    cases = pickle.loads(args.cases.read_bytes())  # a file this command wrote: never load one from elsewhere
    now = scores(cases)
    report(cases, now, json.loads(args.baseline.read_text()) if args.baseline else None)
    if args.write:
        args.write.write_text(json.dumps(now))


if __name__ == "__main__":
    main()
