"""The bookkeeping half of a PostgreSQL store: node-local values (`meta`) and where a hub's
log holds entries (`hub_positions`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from carechain.store._pg_schema import Connection
from carechain.store.base import _JOINED, Positioned, positioned_row

__all__ = ["PgMeta"]


class PgMeta:
    """Bookkeeping on `PostgresStore`'s connection (`_using`)."""

    _using: Callable[[str], AbstractContextManager[Connection]]

    def get_meta(self, key: str) -> bytes | None:
        """Return a value of node-local bookkeeping."""
        with self._using("get_meta") as conn:
            row = conn.execute(
                "SELECT value FROM meta WHERE key = %s", (key,), binary=True
            ).fetchone()
        return None if row is None else bytes(row[0])

    def set_meta(self, key: str, value: bytes) -> None:
        """Durably set a value of node-local bookkeeping."""
        with self._using("set_meta") as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def set_meta_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Durably set several bookkeeping values in one transaction."""
        if not items:
            return
        with self._using("set_meta_many") as conn, conn.transaction():
            conn.cursor().executemany(
                "INSERT INTO meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(items),
            )

    def note_positions(self, log: bytes, placed: Sequence[tuple[int, bytes]]) -> None:
        """Note where a hub's log holds entries: (hub log position, entry id). Without a
        WAL flush of its own: the next durable commit (the cursor's) makes it durable too."""
        with self._using("note_positions") as conn, conn.transaction():
            conn.execute("SET LOCAL synchronous_commit = off")
            conn.cursor().executemany(
                "INSERT INTO hub_positions (log, seq, id) VALUES (%s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                [(log, seq, i) for seq, i in placed],
            )

    def positioned(self, log: bytes, after: int, limit: int) -> list[Positioned]:
        """Return up to `limit` noted positions of a hub's log after `after`, in order,
        each with its entry's row when this store holds it."""
        with self._using("positioned") as conn:
            rows = conn.execute(
                f"SELECT p.seq, p.id, {_JOINED} FROM hub_positions p LEFT JOIN entry_ids i"
                " ON i.id = p.id LEFT JOIN entries e ON e.seq = i.seq"
                " WHERE p.log = %s AND p.seq > %s ORDER BY p.seq LIMIT %s",
                (log, after, limit),
                binary=True,
            ).fetchall()
        return [positioned_row(r) for r in rows]

    def meta_items(self, prefix: str) -> list[tuple[str, bytes]]:
        """Return every bookkeeping value whose key starts with prefix, in key order."""
        with self._using("meta_items") as conn:
            rows = conn.execute(
                "SELECT key, value FROM meta WHERE starts_with(key, %s) ORDER BY key",
                (prefix,),
                binary=True,
            ).fetchall()
        return [(str(k), bytes(v)) for k, v in rows]
