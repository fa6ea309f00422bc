"""Where a node's accounts live: an SQLite file beside the node, or the node's PostgreSQL.

`Database` is the seam the account functions use: `tx()` is one durable unit of work,
`read()` a query, `IntegrityError` what a broken uniqueness rule raises. Both engines run
the same SQL (`?` placeholders; the PostgreSQL engine translates them) against the same
tables, brought up to date by each engine's own list of migrations.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar, Protocol

from carechain.errors import StoreError

__all__ = ["MIGRATIONS", "Cursor", "Database", "SqliteDatabase", "Tx", "open_database"]

# Each migration moves the schema one version up; `PRAGMA user_version` records where it is.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE people (
            staff_id TEXT PRIMARY KEY,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL,
            secret_kind TEXT NOT NULL CHECK (secret_kind IN ('pin', 'password')),
            secret_hash TEXT NOT NULL,
            totp_secret BLOB,
            totp_last_step INTEGER NOT NULL DEFAULT 0,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until_ms INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_ms INTEGER NOT NULL
        )""",
        """CREATE TABLE sessions (
            token_hash BLOB PRIMARY KEY,
            staff_id TEXT NOT NULL REFERENCES people (staff_id),
            csrf_token TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            last_seen_ms INTEGER NOT NULL,
            idle_ms INTEGER NOT NULL,
            absolute_expires_ms INTEGER NOT NULL
        )""",
        "CREATE INDEX sessions_by_person ON sessions (staff_id)",
        """CREATE TABLE break_glass (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            staff_id TEXT NOT NULL REFERENCES people (staff_id),
            record TEXT NOT NULL,
            reason TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        )""",
        "CREATE INDEX break_glass_by_person ON break_glass (staff_id, record, at_ms)",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
    [
        # API clients: bearer tokens issued by an admin (only the token's SHA-256 is kept).
        """CREATE TABLE clients (
            client_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            staff_id TEXT REFERENCES people (staff_id),
            token_hash BLOB NOT NULL UNIQUE,
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL,
            revoked_ms INTEGER,
            issued_by TEXT NOT NULL,
            last_used_ms INTEGER
        )""",
        "CREATE INDEX clients_by_name ON clients (name)",
    ],
]

FAILED_LOGINS_REMEMBERED = 10_000


class Cursor(Protocol):
    """What a statement gives back, on either engine."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Tx(Protocol):
    """One open transaction: run statements with `?` placeholders."""

    def execute(self, sql: str, args: tuple[object, ...] = ...) -> Cursor: ...


class Database:
    """An accounts database behind a lock; `tx()` is the unit of work."""

    IntegrityError: ClassVar[type[Exception]] = sqlite3.IntegrityError
    engine: ClassVar[str] = ""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.unknown_failures: dict[str, tuple[int, int]] = {}
        """Failed logins of staff ids with no account: (count, locked_until_ms), in memory."""

    def tx(self) -> AbstractContextManager[Tx]:
        """Hold the lock and run one durable transaction; roll back on any error."""
        raise NotImplementedError

    def read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Return every row of a query."""
        raise NotImplementedError

    def remember_unknown(self, staff_id: str, value: tuple[int, int]) -> None:
        """Keep a failure count for a staff id that has no account, forgetting the oldest."""
        with self.lock:
            self.unknown_failures.pop(staff_id, None)
            self.unknown_failures[staff_id] = value
            while len(self.unknown_failures) > FAILED_LOGINS_REMEMBERED:
                del self.unknown_failures[next(iter(self.unknown_failures))]

    def close(self) -> None:
        """Close the connection."""
        raise NotImplementedError


def _wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, trying again for up to 10 s while another process opening the same
    new file holds it (the switch does not wait as other statements do)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class SqliteDatabase(Database):
    """One accounts file (or `":memory:"`)."""

    engine = "sqlite"

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        if str(path) != ":memory:" and not Path(path).exists():
            # Owner-only from the first byte: the file holds hashes and sealed secrets.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.conn = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=30
        )
        _wal(self.conn)
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        # Zero deleted rows so an ended session or replaced hash leaves nothing behind.
        self.conn.execute("PRAGMA secure_delete=ON")
        self._migrate()

    def _migrate(self) -> None:
        # The version is read inside each write transaction: two processes sharing a data
        # directory may start at once, and only one of them must run each migration.
        while True:
            with self.tx() as conn:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                if version > len(MIGRATIONS):
                    raise StoreError(f"accounts file is schema v{version}, newer than this code")
                if version == len(MIGRATIONS):
                    return
                for sql in MIGRATIONS[version]:
                    conn.execute(sql)
                conn.execute(f"PRAGMA user_version={version + 1}")

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run one durable transaction; roll back on any error."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Return every row of a query, under the lock."""
        with self.lock:
            return list(self.conn.execute(sql, args).fetchall())

    def close(self) -> None:
        """Close the file."""
        with self.lock:
            self.conn.close()


def open_database(where: Path | str) -> Database:
    """Open accounts in an SQLite file (a path, `":memory:"`) or PostgreSQL (a URL)."""
    text = str(where)
    if text.startswith(("postgresql://", "postgres://")):
        from carechain.accounts._pg import PostgresDatabase

        return PostgresDatabase(text)
    return SqliteDatabase(where)
