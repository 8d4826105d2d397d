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

from bot.testing.apprunner import KNOWLEDGE, REPO
from bot.testing.pgserver import PostgresServer
from bot.testing.services import Nginx, RedisServer, Replica, chroma_server


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds so far) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def deployment_cpu(roots: list[int]) -> float:
    """CPU seconds used so far by these processes and all their descendants (threads included)."""
    stats = {int(p.name): _stat(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()}
    children: dict[int, list[int]] = {}
    for pid, stat in stats.items():
        if stat:
            children.setdefault(stat[0], []).append(pid)
    total, todo = 0.0, list(roots)
    while todo:
        pid = todo.pop()
        if stats.get(pid):
            total += stats[pid][1]
        todo += children.get(pid, [])
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, every job on it included."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


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
                       "CAREERBOT_STORE_DIR": str(root / "unused-store"),
                       "CAREERBOT_DATABASE_URL": postgres.new_database(),
                       "CAREERBOT_RATE_LIMIT": "1000000/minute", "CAREERBOT_RATE_LIMIT_STORAGE": redis_server.url,
                       "CAREERBOT_TRUSTED_PROXIES": "127.0.0.1"}
                subprocess.run([sys.executable, "ingest.py", "-q", str(KNOWLEDGE)], cwd=REPO, check=True,
                               env={**os.environ, **env})
                replicas = [Replica(root / f"replica-{n}", env) for n in (1, 2)]
                for replica in replicas:
                    replica.wait_healthy()
                proxies = [Nginx(root / "nginx-one", [replicas[0].address]),
                           Nginx(root / "nginx-two", [r.address for r in replicas])]
                # Everything this bench started (the load client too), and the PostgreSQL server it forked.
                roots = [os.getpid(), int((postgres.data / "postmaster.pid").read_text().split()[0])]
                rates = []
                for label, proxy in (("one replica", proxies[0]), ("two replicas", proxies[1])):
                    print(f"{label} behind nginx, {args.conversations} conversations, {args.duration:.0f} s",
                          flush=True)
                    cpu, (busy, total) = deployment_cpu(roots), machine_busy()
                    _, rate = load(proxy.url, env, args.conversations, args.duration)
                    used = deployment_cpu(roots) - cpu
                    busy, total = machine_busy()[0] - busy, machine_busy()[1] - total
                    answers = rate * args.duration
                    print(f"CPU: this deployment and its load client {used:.1f} s = {used / total * 100:.0f}% of the "
                          f"machine's {total:.0f} CPU-seconds ({1000 * used / max(answers, 1):.0f} ms per answer); "
                          f"the machine was busy {busy / total * 100:.0f}% (other jobs included)\n", flush=True)
                    rates.append(rate)
                print(f"answers/s: one replica {rates[0]:.1f}, two replicas {rates[1]:.1f}: {rates[1] / rates[0]:.2f}x "
                      f"on {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f})")
        finally:
            for process in (*proxies, *replicas, redis_server):
                process.stop()
            postgres.remove()


if __name__ == "__main__":
    main()
