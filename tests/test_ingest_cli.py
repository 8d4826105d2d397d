"""`python ingest.py` as a user runs it: exit status, one line per skipped input, summary, and crash safety
under SIGKILL (a real subprocess killed mid-run, then run again)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


from bot.testing.corpus import write_corpus
from bot.ingest.indexing import ingest
from bot.settings import Settings
from bot.testing.apprunner import REPO, free_port
from tests.test_indexing import snapshot


def run_cli(settings: Settings, *args: str, embed_batch_size: int | None = None,
            env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "CAREERBOT_STORE_DIR": str(settings.store_dir),
           "CAREERBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir), **(env or {})}
    env.pop("CAREERBOT_CHROMA_URL", None)
    if embed_batch_size:
        env["CAREERBOT_EMBED_BATCH_SIZE"] = str(embed_batch_size)
    return subprocess.Popen([sys.executable, str(REPO / "ingest.py"), *args], cwd=settings.store_dir.parent,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def test_bad_inputs_are_reported_one_line_each_and_fail_the_run(settings: Settings, write_article) -> None:
    write_corpus(settings.knowledge_dir, docs=2, words=150)
    write_article("empty.md", "")
    (settings.knowledge_dir / "latin.txt").write_bytes("Ingénieur de données très expérimenté".encode("latin-1"))
    url = f"http://127.0.0.1:{free_port()}/article"
    status, out, err = finish(run_cli(settings, "-q", str(settings.knowledge_dir), url))
    assert status == 1, err
    skipped = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert sorted(skipped) == sorted([
        "skipped empty.md: empty file", "skipped latin.txt: not valid UTF-8 text",
        f"skipped {url}: robots.txt unreachable: could not fetch: ConnectError [Errno 111] Connection refused",
    ])
    assert "documents: 2 added, 0 updated, 0 unchanged, 0 removed, 3 failed" in out

    (settings.knowledge_dir / "empty.md").unlink()
    (settings.knowledge_dir / "latin.txt").unlink()
    status, out, err = finish(run_cli(settings, "-q", "--dry-run", "--prune"))
    assert status == 0, err
    assert out.startswith("[dry run] documents: 0 would be added, 0 would be updated, 2 unchanged")


def _stored_rows(store: Path) -> int:
    """Chunks committed to the store so far, read from Chroma's SQLite file without opening Chroma."""
    try:
        with sqlite3.connect(f"file:{store / 'chroma.sqlite3'}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    except sqlite3.Error:  # not created yet, or busy: ask again
        return 0


def _kill_once_stored(process: subprocess.Popen, store: Path, more_than: int) -> int:
    deadline = time.monotonic() + 240
    while (rows := _stored_rows(store)) <= more_than:
        assert process.poll() is None, f"ingest finished before it could be killed: {process.communicate()}"
        assert time.monotonic() < deadline, "ingest wrote nothing"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return rows


def test_sigkill_mid_run_then_rerun_equals_one_clean_run(settings: Settings) -> None:
    write_corpus(settings.knowledge_dir, docs=40, words=250)
    # Small batches: writes start early and come often, so the kills land between and during writes.
    first = _kill_once_stored(run_cli(settings, "-q", embed_batch_size=4), settings.store_dir, more_than=0)
    second = _kill_once_stored(run_cli(settings, "-q", embed_batch_size=4), settings.store_dir, more_than=first)
    status, out, err = finish(run_cli(settings, "-q", embed_batch_size=4))
    assert status == 0, err
    assert " 0 failed" in out

    clean = settings.model_copy(update={"store_dir": settings.store_dir.with_name("clean")})
    assert not ingest([str(settings.knowledge_dir)], clean, progress=False).failed
    recovered, expected = snapshot(settings), snapshot(clean)
    assert first < second < len(expected)
    assert recovered == expected
    # Once more: the recovered store is recognised as complete.
    again = ingest([str(settings.knowledge_dir)], settings, progress=False)
    assert len(again.unchanged) == 40 and again.chunks_written == 0
