"""A throwaway PostgreSQL 15 cluster for the test session (shared fixture module).

`postgres_cluster` (session scope) runs initdb into a temporary folder and starts a server on a
free loopback port with trust authentication; durability is switched off for speed. PostgreSQL
refuses to run as root, so as root the server runs as the `postgres` system user. The cluster is
stopped and its folder removed at the end of the session. With no server binaries the fixture
skips, with the reason. Use `cluster.create_database()` for a fresh, empty database URL.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from needs import missing

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin",)


def find_pg_bin() -> Path | None:
    for d in (*PG_BIN_DIRS, *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)):
        if (Path(d) / "initdb").exists():
            return Path(d)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresCluster:
    bin_dir: Path
    data_dir: Path
    port: int
    as_user: list[str]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run_sql(self, sql: str, database: str = "postgres") -> None:
        """Run one statement in autocommit (CREATE DATABASE cannot run in a transaction)."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={database}",
                             autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`); returns its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        tmpl = f" TEMPLATE {template}" if template else ""
        self.run_sql(f"CREATE DATABASE {name}{tmpl}")
        return self.url(name)


def _run(cmd: list[str], as_user: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(as_user + cmd, check=True, capture_output=True, text=True)


def start_cluster() -> PostgresCluster:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        missing("no PostgreSQL server binaries (initdb) on this machine")
    root = Path(tempfile.mkdtemp(prefix="paygo-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync",
          "-E", "UTF8"], as_user)
    opts = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off")
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "start"], as_user)
    isready = shutil.which("pg_isready") or str(bin_dir / "pg_isready")
    deadline = time.monotonic() + 30
    while True:
        ok = subprocess.run([isready, "-h", "127.0.0.1", "-p", str(port)], capture_output=True)
        if ok.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL did not start; see {root / 'log'}")
        time.sleep(0.1)  # readiness poll of an external process, bounded by the deadline
    return PostgresCluster(bin_dir, data, port, as_user)


def stop_cluster(cluster: PostgresCluster) -> None:
    subprocess.run(cluster.as_user + [str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.data_dir),
                                      "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(cluster.data_dir.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
