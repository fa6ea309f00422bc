"""A real PostgreSQL streaming replica of the test server, made with PostgreSQL's own tools.

`Standby.start()` lets the test server take replication connections from loopback (a
`host replication` line in its pg_hba.conf, then a reload: the same idempotent change
`.ci/run` makes), copies it with `pg_basebackup -R` into a temporary directory and starts
that copy as a hot standby on a free port with the server's own `pg_ctl`. As root the
copy is owned and run by the `postgres` user (PostgreSQL refuses to run as root). `stop()`
stops it (immediately, as a crash would) and removes the directory.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPLICATION_LINE = "host replication all 127.0.0.1/32 trust"


def allow_replication(url: str) -> None:
    """Have the server at `url` accept replication connections from 127.0.0.1 (idempotent)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rules = conn.execute(
            "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
            "AND (type = 'local' OR address = '127.0.0.1' OR address = 'all')"
        ).fetchone()
        if rules and rules[0]:
            return
        row = conn.execute("SHOW hba_file").fetchone()
        assert row is not None
        hba = Path(str(row[0]))
        text = hba.read_text()
        if REPLICATION_LINE not in text.splitlines():
            hba.write_text(text.rstrip("\n") + "\n" + REPLICATION_LINE + "\n")
        conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.3)


def _bin(url: str) -> Path:
    """Return the directory of the server's own programs (pg_ctl, pg_basebackup), as the
    server itself reports it."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT setting FROM pg_config WHERE name = 'BINDIR'").fetchone()
    assert row is not None
    return Path(str(row[0]))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Standby:
    """A hot standby of the server at `primary_url`, on a port of its own."""

    def __init__(self, primary_url: str) -> None:
        self.primary_url = primary_url
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cc-standby-"))
        self.data = self.dir / "data"
        self._as: list[str] = []
        self.running = False

    def url(self, url: str) -> str:
        """Return `url` (a URL of the primary) pointed at this standby instead."""
        parts = urlsplit(url)
        netloc = f"{parts.username}@127.0.0.1:{self.port}" if parts.username else (
            f"127.0.0.1:{self.port}")
        return urlunsplit(parts._replace(netloc=netloc))

    def _run(self, *args: str, timeout: float = 120) -> None:
        subprocess.run([*self._as, *args], check=True, timeout=timeout, capture_output=True)

    def start(self) -> Standby:
        """Copy the primary with pg_basebackup -R and start the copy as a hot standby."""
        allow_replication(self.primary_url)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        binaries = _bin(self.primary_url)
        primary = urlsplit(self.primary_url)
        self._run(
            str(binaries / "pg_basebackup"),
            "-h", primary.hostname or "127.0.0.1",
            "-p", str(primary.port or 5432),
            "-U", primary.username or "postgres",
            "-D", str(self.data),
            "-R", "-X", "stream", "-c", "fast",
        )
        # Debian keeps the configuration outside the data directory: give the copy its own.
        with psycopg.connect(self.primary_url) as conn:
            settings = {
                name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
                for name in (
                    "max_connections",
                    "max_worker_processes",
                    "max_wal_senders",
                    "max_prepared_transactions",
                    "max_locks_per_transaction",
                )
            }
        conf = "".join(f"{k} = {v}\n" for k, v in settings.items())
        conf += "hot_standby = on\nshared_buffers = 32MB\nfsync = off\n"
        for name, text in (
            ("postgresql.conf", conf),
            ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
        ):
            path = self.data / name
            path.write_text(text)
            if self._as:
                owner = pwd.getpwnam("postgres")
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(
            str(binaries / "pg_ctl"),
            "-D", str(self.data),
            "-l", str(self.dir / "log"),
            "-w", "-t", "60",
            "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "start",
        )
        self.running = True
        return self

    def wait_for(self, url: str, query: str, timeout: float = 30) -> None:
        """Wait until `query` answers true on the standby (at `url`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(url, connect_timeout=2) as conn:
                    row = conn.execute(query).fetchone()
                    if row and row[0]:
                        return
            except psycopg.Error:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the standby never answered true to {query!r}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the standby at once (as a crash would); the directory stays until `remove`."""
        if self.running:
            self._run(
                str(_bin(self.primary_url) / "pg_ctl"), "-D", str(self.data),
                "-m", "immediate", "-w", "stop", timeout=60,
            )
            self.running = False

    def remove(self) -> None:
        """Stop the standby if it runs and remove its directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
