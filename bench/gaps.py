"""Calibrate the content-gap grouping (bot/owner/insights.py group_by_meaning) on questions grouped by hand:

    python -m bench.gaps [--questions bench/gap_questions.jsonl]

The questions are our own (the kind a career site's library often lacks: visas, equity, burnout, ...), a few
alone in their group; the library is the one in CAREERBOT_KNOWLEDGE_DIR (ingested into a temporary store).
For each threshold it prints the adjusted Rand index against the hand grouping, and pairwise precision (of
the pairs put together, the share that belong together) and recall, with and without the library's common
direction projected out. Settings.gap_distance is the threshold with the best index.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from itertools import combinations
from pathlib import Path

import bot  # noqa: F401
from bot.answer.pipeline import CareerBot
from bot.eval import library_settings
from bot.owner.insights import group_by_meaning, library_texts
from bot.settings import get_settings

QUESTIONS = Path(__file__).resolve().parent / "gap_questions.jsonl"
THRESHOLDS = [round(0.40 + 0.02 * i, 2) for i in range(21)]


def pairwise(truth: list[str], groups: list[list[int]]) -> tuple[float, float]:
    found = {frozenset(pair) for members in groups for pair in combinations(members, 2)}
    wanted = {frozenset((i, j)) for i, j in combinations(range(len(truth)), 2) if truth[i] == truth[j]}
    precision = len(found & wanted) / len(found) if found else 1.0
    return precision, len(found & wanted) / len(wanted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    args = parser.parse_args()
    from sklearn.metrics import adjusted_rand_score

    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts, truth = [row["q"] for row in rows], [row["group"] for row in rows]
    settings = get_settings()
    with tempfile.TemporaryDirectory() as folder:
        articles = CareerBot(library_settings(settings, settings.knowledge_dir, Path(folder))).catalog.articles()
        library = library_texts(articles)
        print(f"{len(texts)} questions in {len(set(truth))} groups; library: {len(articles)} articles, "
              f"{len(library)} titles and headings; current gap_distance {settings.gap_distance}")
        print("threshold  projected: ARI  precision  recall  groups | raw: ARI  precision  recall  groups")
        for threshold in THRESHOLDS:
            cells = []
            for common in (library, ()):
                groups = group_by_meaning(texts, threshold, common)
                labels = [next(g for g, members in enumerate(groups) if i in members) for i in range(len(texts))]
                precision, recall = pairwise(truth, groups)
                cells.append(f"{adjusted_rand_score(truth, labels):.3f}  {precision:.2f}  {recall:.2f}  {len(groups):3d}")
            print(f"{threshold:.2f}       {cells[0]}      |      {cells[1]}")


if __name__ == "__main__":
    main()
