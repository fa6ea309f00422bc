"""The log's tree tiles in a PostgreSQL store (store/_tiles.py): read, written, caught up.

Tiles are written under the append lock (`pg_advisory_xact_lock`), so the processes
sharing one database extend one tree, one after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from carechain.store._pg_schema import Connection
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

__all__ = ["PgTiles", "write_pg_tiles"]

_MAX_SEQ = "SELECT coalesce(max(seq), 0) FROM entries"


def _ids(conn: Connection, after: int, limit: int) -> list[bytes]:
    rows = conn.execute(
        "SELECT id FROM entries WHERE seq > %s ORDER BY seq LIMIT %s", (after, limit), binary=True
    ).fetchall()
    return [bytes(r[0]) for r in rows]


def write_pg_tiles(conn: Connection, before: int, added: Sequence[bytes] = ()) -> int:
    """Write the tree's tiles for the entries after `before`, in the open transaction."""

    def write(rows: list[tuple[int, int, int, bytes]]) -> None:
        if rows:
            conn.cursor().executemany(upsert_sql("%s"), rows)

    return write_tiles(
        read_edge=lambda: conn.execute(EDGE, binary=True).fetchall(),
        read_ids=lambda after, limit: _ids(conn, after, limit),
        write=write,
        before=before,
        added=added,
    )


def _scalar(conn: Connection, query: str) -> int:
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


class PgTiles:
    """The tiles half of `PostgresStore` (its `_using` connection, its append lock key)."""

    schema: str
    _append_key: int
    _using: Callable[[str], AbstractContextManager[Connection]]

    def tree_size(self) -> int:
        """Return how many entries the tree's tiles cover (all of them, once caught up)."""
        with self._using("tree_size") as conn:
            return size_of(conn.execute(SIZE).fetchall())

    def tile(self, level: int, index: int) -> bytes:
        """Return the hashes of a tile of the log's tree (b"" if there is none)."""
        with self._using("tile") as conn:
            row = conn.execute(tile_sql("%s"), (level, index), binary=True).fetchone()
        return b"" if row is None else bytes(row[0])

    def _cover_backlog(self) -> None:
        """Cover entries the tiles do not (a store an older version filled, or entries an
        older process appended), a batch per transaction, saying how far it has got."""
        while True:
            with self._using("covering the log with tiles") as conn:
                tiled = size_of(conn.execute(SIZE).fetchall())
                count = _scalar(conn, _MAX_SEQ)
                if tiled >= count:
                    return
                covered(tiled, count, f"schema {self.schema}")
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._append_key,))
                    tiled = size_of(conn.execute(SIZE).fetchall())
                    write_pg_tiles(conn, min(_scalar(conn, _MAX_SEQ), tiled + BACKLOG_BATCH))
