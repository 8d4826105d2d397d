"""`python app.py` as a real subprocess on a free port, for the tests and the load benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]  # the checkout: app.py, knowledge/, deploy/
KNOWLEDGE = REPO / "knowledge"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base_url: str, process: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited with {process.returncode}:\n{_output(process)}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"app not healthy after {timeout}s:\n{_output(process)}")


def _output(process: subprocess.Popen) -> str:
    return process.stdout.read() if process.stdout else ""


@contextmanager
def running_app(store_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """The app's base URL while it runs with its own store (ingesting knowledge/ first when empty). Its output
    goes to app.log beside the store: a pipe nobody reads fills up (~64 KB of access log, some 700 requests)
    and then blocks the app mid-request."""
    port = free_port()
    env = {**os.environ, "CAREERBOT_STORE_DIR": str(store_dir), "CAREERBOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
           **(extra_env or {})}
    log_path = store_dir.parent / "app.log"
    with open(log_path, "w", encoding="utf-8") as log, open(log_path, encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port)],
            cwd=store_dir.parent, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )
        process.stdout = output  # what wait_healthy reports if the app fails to start
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base_url, process)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
