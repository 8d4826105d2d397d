"""A throwaway PostgreSQL server (Debian's `postgresql` package) in a temp folder, for the exchange log's tests.

PostgreSQL refuses to run as root, so when the tests run as root (CI does) the server runs as the `postgres`
user the package creates (or `nobody`), in a folder handed to that user. It listens only on a Unix socket in
that folder, with trust authentication: nothing outside this machine can reach it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

PORT = 5432  # only names the socket file (.s.PGSQL.5432) in our own folder: no TCP listener


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql (scripts/test.sh does)")
    return found[-1].parent


def _server_user() -> str | None:
    """The account the server runs as; None: this one (we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("no non-root account (postgres or nobody) to run PostgreSQL as")


class PostgresServer:
    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.user = _server_user()
        # Not under pytest's tmp_path: its parents are private to root, and the server user must reach the folder.
        self.dir = Path(tempfile.mkdtemp(prefix="careerbot-pg-"))
        self.data = self.dir / "data"
        if self.user:
            account = pwd.getpwnam(self.user)
            os.chown(self.dir, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "--auth=trust", "--username=postgres", "--encoding=UTF8",
                  "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, cwd=self.dir, capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        options = f"-k {self.dir} -p {PORT} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"), "-w",
                  "-t", "60", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        """A CAREERBOT_DATABASE_URL for `database` on this server."""
        return f"postgresql://postgres@/{database}?host={self.dir}&port={PORT}"

    def new_database(self) -> str:
        """The URL of a new, empty database of its own."""
        import psycopg

        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=str(self.dir), port=PORT, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass  # not running
        shutil.rmtree(self.dir, ignore_errors=True)
