"""The services of a replicated deployment, each a real process on a loopback port in a temp folder, for the
tests and `bench.replicas`: Debian's `redis-server` and `nginx` (with deploy/nginx.conf), a `chroma run`
server, and careerbot replicas (`python app.py`). PostgreSQL is tests/pgserver.py. Nothing here touches the
system's own services or configuration."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.testing.apprunner import REPO, free_port, wait_healthy

NGINX_SITE = REPO / "deploy" / "nginx.conf"
# The addresses deploy/nginx.conf names, replaced by the test's own ports.
SITE_LISTEN = "listen 80;"
SITE_REPLICAS = ("127.0.0.1:7861", "127.0.0.1:7862")
CHROMA = Path(sys.executable).with_name("chroma")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(check: Callable[[], object], what: str, process: subprocess.Popen, log: Path,
          timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start in {timeout} s:\n{log.read_text(errors='replace')}")


class RedisServer:
    """`redis-server` on 127.0.0.1:port, nothing saved to disk; stop() and start() again on the same port."""

    def __init__(self, folder: Path) -> None:
        if not shutil.which("redis-server"):
            raise RuntimeError("Redis is not installed: apt-get install -y redis-server (scripts/test.sh does)")
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.folder / "redis.log"
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--logfile", str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            _wait(client.ping, "redis-server", self.process, log)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process:
            _stop(self.process)


@contextmanager
def chroma_server(folder: Path) -> Iterator[str]:
    """A `chroma run` server's URL while it runs, its data and log in `folder`."""
    port = free_port()
    log = folder / "chroma.log"
    # The server logs every request: into a file, as a pipe nobody reads would fill up and stall it.
    with log.open("w") as output:
        process = subprocess.Popen([str(CHROMA), "run", "--path", str(folder / "chroma"), "--host", "127.0.0.1",
                                    "--port", str(port)], stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200, "chroma run", process, log)
        yield url
    finally:
        _stop(process)


class Replica:
    """One careerbot replica, `python app.py` on its own port with the shared services in `env`."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = f"127.0.0.1:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "app.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, str(REPO / "app.py"), "--port", str(self.port)], cwd=folder,
                env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT, text=True)

    def wait_healthy(self) -> None:
        with self.log.open() as output:
            self.process.stdout = output  # what wait_healthy reports if the app fails to start
            wait_healthy(self.url, self.process)
            self.process.stdout = None

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbye to nginx."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        _stop(self.process)


class Nginx:
    """Debian's nginx running deploy/nginx.conf, with the test's ports put in place of 80, 7861 and 7862, as a
    non-daemon master process with its pid, logs and temp files in `folder`."""

    def __init__(self, folder: Path, replicas: list[str]) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx is not installed: apt-get install -y nginx (scripts/test.sh does)")
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = folder / "access.log"
        folder.mkdir(parents=True, exist_ok=True)
        site = NGINX_SITE.read_text(encoding="utf-8")
        for needle in (SITE_LISTEN, *SITE_REPLICAS, "/var/log/nginx/careerbot.access.log"):
            assert needle in site, f"deploy/nginx.conf no longer has {needle!r}: update tests/services.py"
        site = site.replace(SITE_LISTEN, f"listen 127.0.0.1:{self.port};")
        site = site.replace("/var/log/nginx/careerbot.access.log", str(self.access_log))
        if len(replicas) == 1:  # one replica: drop the second server line of each upstream
            site = "\n".join(line for line in site.splitlines() if SITE_REPLICAS[1] not in line)
        for placeholder, address in zip(SITE_REPLICAS, replicas):
            site = site.replace(placeholder, address)
        (folder / "careerbot.conf").write_text(site, encoding="utf-8")
        temp = {name: folder / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
        main = [
            "daemon off;", "user root;", "worker_processes 1;", f"pid {folder / 'nginx.pid'};",
            f"error_log {folder / 'error.log'} warn;", "events { worker_connections 1024; }", "http {",
            *(f"  {name}_temp_path {path};" for name, path in temp.items()),
            "  include /etc/nginx/mime.types;", f"  include {folder / 'careerbot.conf'};", "}",
        ]
        (folder / "nginx.conf").write_text("\n".join(main) + "\n", encoding="utf-8")
        self.command = [binary, "-c", str(folder / "nginx.conf"), "-p", str(folder), "-e",
                        str(folder / "error.log")]
        checked = subprocess.run([*self.command, "-t"], capture_output=True, text=True)
        if checked.returncode:
            raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait(lambda: httpx.get(f"{self.url}/health", timeout=5).status_code == 200, "nginx", self.process,
              folder / "error.log")

    def upstreams(self, path_prefix: str) -> list[str]:
        """The replica (host:port) that served each logged request whose path starts with `path_prefix`, in order."""
        served = []
        for line in self.access_log.read_text(encoding="utf-8").splitlines():
            request = line.split('"')[1] if line.count('"') >= 2 else ""
            if request.split(" ")[1:2] and request.split(" ")[1].startswith(path_prefix):
                served.append(line.rsplit("upstream=", 1)[1].split(" ")[0])
        return served

    def stop(self) -> None:
        _stop(self.process)
