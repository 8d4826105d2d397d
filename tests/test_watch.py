"""`python ingest.py --watch DIR` for real: a Markdown file dropped into the folder is answerable by the bot
within seconds, and a removed one leaves the library."""

from __future__ import annotations

import signal
import time

from bot.testing.corpus import article_text
from bot.answer.pipeline import CareerBot
from bot.settings import Settings
from bot.store import live_collection
from bot.ingest.watch import is_article
from tests.test_indexing import ROBOTICS
from tests.test_ingest_cli import finish, run_cli

QUESTION = "What do robotics engineers do all day?"


def _wait_for(condition, seconds: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"{what} not within {seconds:g} s"
        time.sleep(0.2)
    return time.monotonic() - started


def _cites_robotics(bot: CareerBot) -> bool:
    return any(source.source == "robotics.md" for source in bot.answer(QUESTION).sources)


def test_dropped_markdown_file_is_answerable_within_seconds(settings: Settings, write_article) -> None:
    write_article("first.md", article_text(0, words=150))
    process = run_cli(settings, "--watch", str(settings.knowledge_dir), "-q")
    try:
        # The first pass (model loading included) stores the folder as it is.
        _wait_for(lambda: live_collection(settings).count() > 0, 120, "the first pass")
        bot = CareerBot(settings)
        assert not _cites_robotics(bot)

        write_article("robotics.md", ROBOTICS)
        took = _wait_for(lambda: _cites_robotics(bot), 15, "the new article answering")
        assert took < 10, took

        (settings.knowledge_dir / "robotics.md").unlink()
        _wait_for(lambda: not _cites_robotics(bot), 15, "the removed article leaving")
    finally:
        process.send_signal(signal.SIGINT)
    status, out, err = finish(process)
    assert status == 0, err
    assert out.startswith(f"watching {settings.knowledge_dir}")
    assert "documents: 1 added" in out and "documents: 0 added, 0 updated, 1 unchanged, 1 removed" in out


def test_only_article_files_trigger_a_pass() -> None:
    assert is_article(None, "/k/new.md") and is_article(None, "/k/sub/Paper.PDF")
    assert not is_article(None, "/k/.new.md.swp") and not is_article(None, "/k/.#new.md")
    assert not is_article(None, "/k/notes.docx") and not is_article(None, "/k/4913")


def test_ctrl_c_during_a_pass_lets_it_finish_and_exits_cleanly(settings: Settings, write_article) -> None:
    write_article("first.md", article_text(0, words=150))
    process = run_cli(settings, "--watch", str(settings.knowledge_dir), "-q")
    try:
        _wait_for(lambda: live_collection(settings).count() > 0, 120, "the first pass")
        first = live_collection(settings).count()
        for n in range(1, 81):  # a pass of more chunks than one write holds: the first write comes half way
            write_article(f"more-{n}.md", article_text(n, words=400))
        _wait_for(lambda: live_collection(settings).count() > first, 60, "the second pass writing")
        at_signal = live_collection(settings).count()
    finally:
        process.send_signal(signal.SIGINT)
    status, out, err = finish(process)
    assert status == 0, err
    # The pass under way when Ctrl-C came was finished, not cut short.
    assert "documents: 80 added" in out and live_collection(settings).count() > at_signal, out
