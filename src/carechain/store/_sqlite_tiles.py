"""The log's tree tiles in a SQLite store (store/_tiles.py): read, written, caught up."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence

from carechain.store._tiles import (
    BACKLOG_BATCH,
    EDGE,
    SIZE,
    covered,
    size_of,
    tile_sql,
    upsert_sql,
    write_tiles,
)

__all__ = ["SqliteTiles", "write_sqlite_tiles"]


def _ids(db: sqlite3.Connection, after: int, limit: int) -> list[bytes]:
    rows = db.execute(
        "SELECT id FROM entries WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
    ).fetchall()
    return [bytes(r[0]) for r in rows]


def write_sqlite_tiles(db: sqlite3.Connection, before: int, added: Sequence[bytes] = ()) -> int:
    """Write the tree's tiles for the entries after `before`, in the open transaction."""

    def write(rows: list[tuple[int, int, int, bytes]]) -> None:
        db.executemany(upsert_sql("?"), rows)

    return write_tiles(
        read_edge=lambda: db.execute(EDGE).fetchall(),
        read_ids=lambda after, limit: _ids(db, after, limit),
        write=write,
        before=before,
        added=added,
    )


class SqliteTiles:
    """The tiles half of `SqliteStore` (its connection `_db`, its lock `_lock`)."""

    path: str
    _db: sqlite3.Connection
    _lock: threading.RLock

    def count(self) -> int:
        """Return the number of entries: the largest seq (they are numbered densely)."""
        with self._lock:
            return int(self._db.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0])

    def _write_tiles(self, before: int, added: Sequence[bytes]) -> int:
        """Write the tree's tiles for entries after `before` (caller holds the write lock)."""
        return write_sqlite_tiles(self._db, before, added)

    def _cover_backlog(self) -> None:
        """Cover entries the tiles do not (a store an older version filled), a batch per
        transaction, saying how far it has got."""
        while (tiled := self.tree_size()) < (count := self.count()):
            covered(tiled, count, f"{self.path}")
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    tiled = size_of(self._db.execute(SIZE).fetchall())
                    self._write_tiles(min(self.count(), tiled + BACKLOG_BATCH), ())
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise

    def tree_size(self) -> int:
        """Return how many entries the tree's tiles cover (all of them, once caught up)."""
        with self._lock:
            return size_of(self._db.execute(SIZE).fetchall())

    def tile(self, level: int, index: int) -> bytes:
        """Return the hashes of a tile of the log's tree (b"" if there is none)."""
        with self._lock:
            row = self._db.execute(tile_sql("?"), (level, index)).fetchone()
        return b"" if row is None else bytes(row[0])
