"""bench/load.py, short: 50 concurrent conversations against its own app lose no record of an answer."""

from __future__ import annotations

import re
import subprocess
import sys

from bot.testing.apprunner import REPO


def test_fifty_concurrent_conversations_lose_no_record():
    run = subprocess.run([sys.executable, "-m", "bench.load", "--conversations", "50", "--duration", "5"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    answers = int(re.search(r"answers: (\d+)", run.stdout).group(1))
    assert "errors: 0" in run.stdout and answers >= 50
    assert f"exchange log: {answers} of {answers} answers recorded" in run.stdout
