import gc
import subprocess
import sys
import weakref

from bot import store

from bot.answer.pipeline import CareerBot
from bot.ingest.indexing import ingest
from bot.settings import Settings
from bot.testing.apprunner import KNOWLEDGE, REPO

KAGGLE = """---
title: Kaggle competitions for beginners
---

Kaggle competitions teach beginners to build models quickly. Competing on Kaggle is a practical way to
build a machine learning portfolio and to meet other practitioners.
"""


def test_running_bot_answers_from_articles_another_process_ingests_into_the_embedded_store(settings: Settings):
    for article in KNOWLEDGE.glob("*.md"):
        (settings.knowledge_dir / article.name).write_text(article.read_text())
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    question = "Are Kaggle competitions useful for beginners?"
    assert careerbot.answer(question).refused  # nothing about Kaggle yet; the store is open and queried

    (settings.knowledge_dir / "kaggle.md").write_text(KAGGLE)
    env = {"CAREERBOT_STORE_DIR": str(settings.store_dir), "CAREERBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
           "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, str(REPO / "ingest.py"), "-q", str(settings.knowledge_dir / "kaggle.md")],
                   cwd=settings.knowledge_dir.parent, env=env, check=True, capture_output=True)

    answer = careerbot.answer(question)
    assert not answer.refused and [s.source for s in answer.sources] == ["kaggle.md"]
    assert careerbot.chunk_count() == len(careerbot.collection.get(include=[])["ids"])


def test_a_replaced_store_opening_serves_its_holders_and_is_freed_with_the_last_of_them(settings: Settings) -> None:
    first = store.live_collection(settings)
    first.add(ids=["a"], documents=["Kaggle competitions teach beginners."])
    second = store.live_collection(settings)  # the write changed the folder: it is opened afresh
    assert second is not first and second.count() == 1
    assert first.count() == 1  # a reader still holding the old opening (a query in flight) is served

    opened_first = weakref.ref(first._client)  # Chroma's server API object of that opening: its SQLite and indexes
    del first
    gc.collect()
    assert opened_first() is None
    assert store.live_collection(settings).count() == 1
