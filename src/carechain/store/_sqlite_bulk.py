"""Bulk access to a SQLite store: a snapshot on a connection of its own, and an exact-row
load into an empty store.

The snapshot is one read transaction on its own connection: in WAL mode it sees the log as
it was at its first read, while the node goes on appending through its own connection.
The load runs on the store's connection in one `BEGIN IMMEDIATE` transaction with a large
page cache; nothing is visible to other connections until `commit`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from carechain.errors import StoreError
from carechain.store._sqlite_tiles import write_sqlite_tiles
from carechain.store._summary import DENSE, REBUILD
from carechain.store.bulk import ENTRY_COLUMNS

__all__ = ["SqliteBulkLoad", "SqliteSnapshot", "copy_database"]

_BESIDES = {"meta": " WHERE key <> 'log:unsealed'"}

_SELECT = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries ORDER BY seq"
_INSERT = (
    f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})"
)
# Pages of cache for a bulk load (negative: KiB): the id and record indexes of a log of
# millions of entries stay in memory while rows arrive in seq order.
_LOAD_CACHE_KIB = 262_144


def copy_database(source: str, target: Path) -> None:
    """Copy a live SQLite database into a new file, consistently, and make it durable."""
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        # One step (pages=-1): the copy holds one read transaction, so it is one instant.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
    except sqlite3.Error as exc:
        raise StoreError(f"copying the SQLite store failed: {exc}") from exc
    finally:
        src.close()
        dst.close()


class SqliteSnapshot:
    """A read transaction on a connection of its own: every read sees one instant."""

    engine = "sqlite"

    def __init__(self, path: str) -> None:
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA query_only=ON")
            self._db.execute("BEGIN")
            # The first read fixes the snapshot (WAL: the commits visible now, and no later).
            self._db.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot take a snapshot of the SQLite store: {exc}") from exc

    def entry_pages(self, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """Yield every entry row in seq order, `size` rows at a time."""
        try:
            cursor = self._db.execute(_SELECT)
            while rows := cursor.fetchmany(size):
                yield rows
        except sqlite3.Error as exc:
            raise StoreError(f"reading the snapshot failed: {exc}") from exc

    def access_rows(self) -> list[tuple[bytes, bytes, int]]:
        """Return every `access` row as (record, key, seq)."""
        rows = self._db.execute("SELECT record, key, seq FROM access ORDER BY seq, record, key")
        return [(bytes(r), bytes(k), int(s)) for r, k, s in rows]

    def meta_rows(self) -> list[tuple[str, bytes]]:
        """Return every `meta` row as (key, value), in key order."""
        rows = self._db.execute("SELECT key, value FROM meta ORDER BY key")
        return [(str(k), bytes(v)) for k, v in rows]

    def position_rows(self) -> list[tuple[bytes, int, bytes]]:
        """Return every `hub_positions` row as (log, seq, id) (none in an older file)."""
        try:
            rows = self._db.execute("SELECT log, seq, id FROM hub_positions ORDER BY log, seq")
            return [(bytes(g), int(s), bytes(i)) for g, s, i in rows]
        except sqlite3.OperationalError:
            return []  # a database file from before the table

    def close(self) -> None:
        """End the read transaction."""
        try:
            self._db.execute("ROLLBACK")
        finally:
            self._db.close()


class SqliteBulkLoad:
    """One write transaction that fills an empty store with exact rows."""

    def __init__(
        self, db: sqlite3.Connection, lock: threading.RLock, *, exclusive: bool = False
    ) -> None:
        self._db = db
        self._lock = lock
        self._lock.acquire()
        self._held = True
        self._open = False
        self._exclusive = exclusive
        try:
            self._db.execute(f"PRAGMA cache_size=-{_LOAD_CACHE_KIB}")
            if exclusive:
                self._db.execute("PRAGMA journal_mode=DELETE")
            self._db.execute("BEGIN IMMEDIATE")
            self._open = True
            # A new store's migration marks it "not sealed yet" (`store.sealed`): that row is
            # not data; the loaded meta overwrites it (or leaves it, to be sealed on open).
            used = [
                t
                for t in ("entries", "meta", "access", "tree_tiles")
                if self._db.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {t}{_BESIDES.get(t, '')})"
                ).fetchone()[0]
            ]
            if used:
                raise StoreError(f"the store is not empty (its {', '.join(used)} hold rows)")
        except BaseException:
            self.rollback()
            raise

    def add_entries(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert entry rows exactly as given, seq included."""
        self._run(_INSERT, rows)

    def add_access(self, rows: Sequence[tuple[bytes, bytes, int]]) -> None:
        """Insert `access` rows exactly as given."""
        self._run("INSERT INTO access (record, key, seq) VALUES (?, ?, ?)", rows)

    def add_meta(self, rows: Sequence[tuple[str, bytes]]) -> None:
        """Insert or replace `meta` rows."""
        self._run(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            rows,
        )

    def add_positions(self, rows: Sequence[tuple[bytes, int, bytes]]) -> None:
        """Insert `hub_positions` rows (log, seq, id) exactly as given."""
        self._run("INSERT INTO hub_positions (log, seq, id) VALUES (?, ?, ?)", rows)

    def _run(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not self._open:
            raise StoreError("the bulk load is over")
        try:
            self._db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"bulk load failed: {exc}") from exc

    def commit(self) -> None:
        """Commit (durably: the store runs with synchronous=FULL)."""
        if not self._open:
            raise StoreError("the bulk load is over")
        try:
            low, high, size = self._db.execute(DENSE).fetchone()
            if size and (low != 1 or high != size):
                raise StoreError(f"the loaded entries are not numbered 1 to {size} densely")
            for statement in REBUILD:
                self._db.execute(statement)
            write_sqlite_tiles(self._db, size or 0)  # the loaded log's tree, once
            self._db.execute("COMMIT")
        except StoreError:
            self.rollback()
            raise
        except sqlite3.Error as exc:
            self.rollback()
            raise StoreError(f"bulk load commit failed: {exc}") from exc
        self._open = False
        self._release()

    def rollback(self) -> None:
        """Discard everything added."""
        if self._open:
            self._open = False
            # A failed COMMIT may have ended the transaction already.
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
        self._release()

    def _release(self) -> None:
        if self._held:
            self._held = False
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA cache_size=-2000")  # SQLite's default again
                if self._exclusive:
                    self._db.execute("PRAGMA journal_mode=WAL")
            self._lock.release()
