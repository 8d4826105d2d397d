"""Load through nginx: one careerbot replica vs two, in the same run, with the deployment of the README's
"Several replicas behind nginx" (deploy/nginx.conf, Redis rate limits, a Chroma server, PostgreSQL), all on
loopback ports in temp folders.

    python -m bench.replicas [--conversations 50] [--duration 30]

Runs `python -m bench.load --url` against nginx in front of one replica, then against nginx in front of both
(the same two processes throughout), and prints both reports and the ratio of answers per second.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.apprunner import KNOWLEDGE, REPO
from tests.pgserver import PostgresServer
from tests.services import Nginx, RedisServer, Replica, chroma_server


def load(url: str, env: dict[str, str], conversations: int, duration: float) -> tuple[str, float]:
    done = subprocess.run([sys.executable, "-m", "bench.load", "--url", url, "--conversations", str(conversations),
                           "--duration", str(duration)], cwd=REPO, env={**os.environ, **env},
                          capture_output=True, text=True)
    print(done.stdout, done.stderr, sep="", flush=True)
    rate = re.search(r"answers: \d+ \(([\d.]+)/s\)", done.stdout)
    return done.stdout, float(rate.group(1)) if rate else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="careerbot-replicas-") as tmp:
        root = Path(tmp)
        redis_server, postgres = RedisServer(root), PostgresServer()
        redis_server.start()
        postgres.start()
        replicas: list[Replica] = []
        proxies: list[Nginx] = []
        try:
            with chroma_server(root) as chroma_url:
                env = {"CAREERBOT_CHROMA_URL": chroma_url, "CAREERBOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
                       "CAREERBOT_STORE_DIR": str(root / "unused-store"), "CAREERBOT_DATABASE_URL": postgres.new_database(),
                       "CAREERBOT_RATE_LIMIT": "1000000/minute", "CAREERBOT_RATE_LIMIT_STORAGE": redis_server.url,
                       "CAREERBOT_TRUSTED_PROXIES": "127.0.0.1"}
                subprocess.run([sys.executable, "ingest.py", "-q", str(KNOWLEDGE)], cwd=REPO, check=True,
                               env={**os.environ, **env})
                replicas = [Replica(root / f"replica-{n}", env) for n in (1, 2)]
                for replica in replicas:
                    replica.wait_healthy()
                proxies = [Nginx(root / "nginx-one", [replicas[0].address]),
                           Nginx(root / "nginx-two", [r.address for r in replicas])]
                print(f"one replica behind nginx, {args.conversations} conversations, {args.duration:.0f} s", flush=True)
                _, one = load(proxies[0].url, env, args.conversations, args.duration)
                print(f"two replicas behind nginx, {args.conversations} conversations, {args.duration:.0f} s", flush=True)
                _, two = load(proxies[1].url, env, args.conversations, args.duration)
                print(f"answers/s: one replica {one:.1f}, two replicas {two:.1f}: {two / one:.2f}x on "
                      f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f})")
        finally:
            for process in (*proxies, *replicas, redis_server):
                process.stop()
            postgres.remove()


if __name__ == "__main__":
    main()
