"""`python -m bot.owner.report` as a real subprocess over a real SQLite exchange log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.testing.apprunner import REPO
from tests.conftest import made_exchange, make_settings, seed_log


def run_report(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CAREERBOT_DATA_DIR": str(tmp_path / "data"),
                   "CAREERBOT_STORE_DIR": str(tmp_path / "no-store"), **env}
    return subprocess.run([sys.executable, "-m", "bot.owner.report", *args], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=180)


def test_prints_the_content_gaps_largest_first(tmp_path: Path):
    visa = ["Will an AI company sponsor my work visa?", "do ML startups sponsor visas for engineers",
            "Will an AI company sponsor my work visa?"]
    disliked = made_exchange("How do I find a mentor in data science?")
    seed_log(make_settings(data_dir=tmp_path / "data"),
             [*(made_exchange(q, "decline") for q in visa), disliked,
              made_exchange("\x1b[2J\x1b]0;owned\x07Which GPU should I buy?", "decline"),
              made_exchange("What does an ML engineer do?")],
             ratings=[(disliked, "down", "only general advice")])

    result = run_report(tmp_path)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "5 of 6 questions were declined or rated down" in out and "3 topics" in out
    first, second, third = out.split("\n\n")[1:4]
    assert first.startswith(" 1. ") and "asked by 3 readers (3 declined)" in first
    assert {"Will an AI company sponsor my work visa?", "do ML startups sponsor visas for engineers"} == {
        first.splitlines()[0][4:], first.splitlines()[2].removeprefix("    also: ")}
    assert "How do I find a mentor in data science?" in out and "reader: only general advice" in out
    assert "Which GPU should I buy?" in out and "\x1b" not in out and "\x07" not in out  # no terminal escapes
    assert "What does an ML engineer do?" not in out  # answered and not disliked: no gap

    limited = run_report(tmp_path, "--limit", "1", "--days", "7")
    assert "(top 1 shown)" in limited.stdout and " 2. " not in limited.stdout
    assert "last 7 days" in limited.stdout


def test_says_so_when_there_is_nothing_to_report(tmp_path: Path):
    missing = run_report(tmp_path)
    assert missing.returncode == 0 and "No exchange log yet" in missing.stdout
    assert not (tmp_path / "data").exists()  # looking created nothing

    seed_log(make_settings(data_dir=tmp_path / "data"), [made_exchange("What does an ML engineer do?")])
    answered = run_report(tmp_path)
    assert answered.returncode == 0
    assert "No content gaps in the last 30 days" in answered.stdout and "of 1 question logged" in answered.stdout


def test_says_recording_is_off(tmp_path: Path):
    result = run_report(tmp_path, CAREERBOT_LOG_CONVERSATIONS="false")
    assert result.returncode == 1
    assert "Recording is off (CAREERBOT_LOG_CONVERSATIONS=false)" in result.stdout


def test_help_names_its_options(tmp_path: Path):
    result = run_report(tmp_path, "--help")
    assert result.returncode == 0
    assert "--days" in result.stdout and "--limit" in result.stdout and "content gaps" in result.stdout.lower()
