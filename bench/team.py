"""Answer the team's question sets, each on its library, through the real chain, and say what changed:

    python -m bench.team [--graded] [--stores DIR] [--save FILE] [--against FILE] [--jobs N] [--only NAME ...]

Prints answerable right, declined and offtopic declined per set and over the team's sets (the graded files,
with --graded, are printed apart and not counted in the team's total). --save writes every case's answer as JSON
lines; --against compares with such a file and lists the ids gained and lost. --stores keeps each library's store
between runs, keyed by the ingest code and the articles, so a rerun ingests nothing that did not change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.calibrate import CASE_FILES, SHARED, TEAM_SETS

ROOT = Path(__file__).resolve().parents[1]
# What a store is built by: a change to any of these rebuilds a kept store.
INGEST_CODE = ["bot/ingest", "bot/embeddings.py", "bot/store.py", "bot/text.py", "bot/settings.py"]


def set_name(path: Path) -> str:
    return path.parent.name if path.name == "questions.jsonl" else path.stem


def store_key(library: Path, settings: str = "") -> str:
    """A store's folder name: the library's, with a digest of its articles (each by its path in the library), the
    ingest code and the settings (`settings`: their JSON) that built it."""
    digest = hashlib.sha1(settings.encode())
    code = [p for name in INGEST_CODE for p in sorted((ROOT / name).rglob("*.py")) or [ROOT / name]]
    for folder, files in ((ROOT, code), (library, sorted(p for p in library.rglob("*") if p.is_file()))):
        for path in files:
            content = path.read_bytes()
            digest.update(f"{path.relative_to(folder).as_posix()}\0{len(content)}\0".encode() + content)
    return f"{library.parent.name}-{library.name}-{digest.hexdigest()[:12]}"


def answer_sets(library: Path, files: list[Path], stores: Path) -> list[dict]:
    """Every case of `files` answered on a store of `library` (in a worker process: the model loads there)."""
    import bot  # noqa: F401 - offline switches first
    from bot.answer.pipeline import CareerBot
    from bot.eval import evaluate, library_settings, load_cases
    from bot.settings import get_settings

    settings = get_settings()
    careerbot = CareerBot(library_settings(settings, library, stores / store_key(library, settings.model_dump_json())))
    records = []
    for path in files:
        cases = load_cases(path)
        for case, result in zip(cases, evaluate(careerbot, cases)):
            records.append({"set": set_name(path), "id": result.id, "kind": result.kind, "style": case.get("style", ""),
                            "passed": result.passed, "refused": result.answer.refused, "text": result.answer.text,
                            "sources": [s.source for s in result.answer.sources]})
    return records


def tally(records: list[dict]) -> str:
    answerable = [r for r in records if r["kind"] != "offtopic"]
    offtopic = [r for r in records if r["kind"] == "offtopic"]
    right = sum(r["passed"] for r in answerable)
    declined = sum(r["refused"] for r in answerable)
    return (f"answerable right {right}/{len(answerable)} ({100 * right / max(len(answerable), 1):.0f}%), "
            f"declined {declined}, offtopic declined {sum(r['passed'] for r in offtopic)}/{len(offtopic)}")


def report(records: list[dict], graded: set[str]) -> None:
    by_set: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_set[r["set"]].append(r)
    def in_order(name: str) -> tuple[bool, str, int]:  # the graded files first, then unseen2 before unseen10
        stem = name.rstrip("0123456789")
        return name not in graded, stem, int(name[len(stem):] or 0)

    for name in sorted(by_set, key=in_order):
        print(f"{name:<22} {tally(by_set[name])}")
    print(f"{'team (graded apart)':<22} {tally([r for r in records if r['set'] not in graded])}")


def compare(records: list[dict], earlier: list[dict]) -> None:
    """The cases answered right now and not before (gained), the other way round (lost), and those only one run
    has (a set added or left out)."""
    before = {(r["set"], r["id"]): r["passed"] for r in earlier}
    now = {(r["set"], r["id"]): r["passed"] for r in records}
    common = before.keys() & now.keys()
    for label, cases in (("gained", [c for c in common if now[c] and not before[c]]),
                         ("lost", [c for c in common if before[c] and not now[c]]),
                         ("only now", now.keys() - before.keys()), ("only before", before.keys() - now.keys())):
        if cases or label in ("gained", "lost"):
            print(f"{label} {len(cases)}:" + "".join(f" {s}:{i}" for s, i in sorted(cases)))


def groups(graded: bool, only: list[str]) -> list[tuple[Path, list[Path]]]:
    """(library, question files) to answer: the team's sets, the graded files first on theirs with `graded`; only
    the sets named in `only`, if any (ValueError for a name no set has)."""
    def graded_files(library: Path) -> list[Path]:
        return [SHARED / name for name in CASE_FILES] if graded and library == SHARED / "library" else []

    every = [(library, graded_files(library) + files) for library, files in TEAM_SETS]
    unknown = set(only) - {set_name(f) for _, files in every for f in files}
    if unknown:
        raise ValueError(f"no such set: {', '.join(sorted(unknown))}")
    chosen = [(library, [f for f in files if not only or set_name(f) in only]) for library, files in every]
    return [(library, files) for library, files in chosen if files]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graded", action="store_true", help="also answer the graded files (printed apart)")
    parser.add_argument("--stores", type=Path, help="keep each library's store in this folder between runs")
    parser.add_argument("--save", type=Path, help="write every case's answer here (JSON lines)")
    parser.add_argument("--against", type=Path, help="a file --save wrote earlier: list the cases gained and lost")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME",
                        help="only these sets (e.g. unseen5, casual_questions3, paraphrase with --graded)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        work = groups(args.graded, args.only)
    except ValueError as error:
        parser.error(str(error))
    earlier = [json.loads(line) for line in args.against.read_text(encoding="utf-8").splitlines()] \
        if args.against else None  # read first: a wrong path fails now, and --save may overwrite it
    # The graded library's group is the largest: it goes first so the others fill the second worker meanwhile.
    with tempfile.TemporaryDirectory(prefix="careerbot-team-") as folder, ProcessPoolExecutor(
            args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        stores = args.stores or Path(folder)
        futures = [pool.submit(answer_sets, library, files, stores) for library, files in work]
        records = [record for future in futures for record in future.result()]
    if args.save:
        args.save.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    report(records, {name.removesuffix(".jsonl") for name in CASE_FILES})
    if earlier is not None:
        compare(records, earlier)
    return 0


if __name__ == "__main__":
    sys.exit(main())
