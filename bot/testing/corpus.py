"""A generated corpus of Markdown articles, the same for every seed: for the ingest tests and benchmarks."""

from __future__ import annotations

import random
from pathlib import Path

TOPICS = ["data scientist", "machine learning engineer", "data analyst", "research scientist", "MLOps engineer",
          "data engineer", "AI product manager", "computer vision engineer", "NLP engineer", "analytics lead"]
_WORDS = ("model pipeline deploy feature dataset training evaluation metric python statistics cloud team "
          "production monitoring experiment notebook dashboard stakeholder salary interview portfolio "
          "regression classification clustering embedding latency batch streaming warehouse schema "
          "career mentor promotion certificate degree bootcamp project review testing version drift "
          "fairness privacy gradient optimizer tensor inference serving container cluster budget").split()


def sentence(rng: random.Random, topic: str) -> str:
    words = rng.sample(_WORDS, rng.randint(8, 16))
    words.insert(rng.randrange(len(words)), topic)
    return " ".join(words).capitalize() + "."


def article_text(index: int, words: int = 500, seed: int = 0) -> str:
    """A Markdown article of about `words` words: front matter, sections, paragraphs of varied sentences."""
    rng = random.Random(f"{seed}-{index}")
    topic = TOPICS[index % len(TOPICS)]
    lines = ["---", f"title: Notes on the {topic} role, part {index}", "author: Bench Writer",
             f"date: 2024-01-{index % 28 + 1:02d}", f"url: https://example.com/articles/{index}", "---", ""]
    written = 0
    while written < words:
        lines += [f"## {rng.choice(_WORDS).capitalize()} for a {topic}", ""]
        for _ in range(rng.randint(2, 4)):
            paragraph = " ".join(sentence(rng, topic) for _ in range(rng.randint(3, 6)))
            written += len(paragraph.split())
            lines += [paragraph, ""]
    return "\n".join(lines)


def write_corpus(folder: Path, docs: int, words: int = 500, seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"article-{i:04d}.md" for i in range(docs)]
    for i, path in enumerate(paths):
        path.write_text(article_text(i, words, seed), encoding="utf-8")
    return paths
