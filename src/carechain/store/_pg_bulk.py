"""Bulk access to a PostgreSQL store: a REPEATABLE READ snapshot, and an exact-row load
into an empty store in one transaction with binary COPY.

Each runs on a connection of its own, so hub processes sharing the database carry on
appending while a snapshot is read. The load takes the store's append lock first: no
process can append between the emptiness check and the commit. It drops the primary key
of `entry_ids` (where ids are unique) and the `entries_by_record` index for the load,
fills `entry_ids` from the loaded rows and makes both again, with the same names, before
committing (all in the one transaction): building an index by sorting is much cheaper
than a million random insertions into it. Partitions of `entries` are made as the rows
ask for them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.rows import TupleRow

from carechain.errors import StoreError
from carechain.store._pg_partitions import PARTITION_ENTRIES, ensure_partitions
from carechain.store._pg_schema import lock_key
from carechain.store._pg_tiles import write_pg_tiles
from carechain.store._summary import DENSE, REBUILD
from carechain.store.bulk import ENTRY_COLUMNS

__all__ = ["PgBulkLoad", "PgSnapshot"]

_BESIDES = {"meta": " WHERE key <> 'log:unsealed'"}

_COPY_ENTRIES = f"COPY entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_ENTRY_TYPES = ["int8", "bytea", "bytea", "text", "bytea", "int8", "int8", "bytea", "bytea", "int8"]
_COPY_ACCESS = "COPY access (record, key, seq) FROM STDIN (FORMAT BINARY)"
_ACCESS_TYPES = ["bytea", "bytea", "int8"]
_COPY_POSITIONS = "COPY hub_positions (log, seq, id) FROM STDIN (FORMAT BINARY)"
_POSITION_TYPES = ["bytea", "int8", "bytea"]

Connection = psycopg.Connection[TupleRow]


def _connect(url: str, what: str) -> Connection:
    try:
        return psycopg.connect(url, autocommit=False)
    except psycopg.Error as exc:
        raise StoreError(f"{what}: cannot connect to PostgreSQL: {exc}") from exc


class PgSnapshot:
    """One REPEATABLE READ, read-only transaction: every read sees the same snapshot."""

    engine = "postgresql"

    def __init__(self, url: str) -> None:
        self._conn = _connect(url, "snapshot")
        try:
            self._conn.isolation_level = IsolationLevel.REPEATABLE_READ
            self._conn.read_only = True
            # The first statement of the transaction takes the snapshot.
            self._conn.execute("SELECT count(*) FROM meta").fetchone()
        except psycopg.Error as exc:
            self._conn.close()
            raise StoreError(f"cannot take a snapshot of the PostgreSQL store: {exc}") from exc

    def entry_pages(self, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """Yield every entry row in seq order, `size` rows at a time (a server-side cursor)."""
        try:
            with self._conn.cursor(name="carechain_backup", binary=True) as cur:
                cur.itersize = size
                cur.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries ORDER BY seq")
                while rows := cur.fetchmany(size):
                    yield rows
        except psycopg.Error as exc:
            raise StoreError(f"reading the snapshot failed: {exc}") from exc

    def access_rows(self) -> list[tuple[bytes, bytes, int]]:
        """Return every `access` row as (record, key, seq)."""
        rows = self._conn.execute(
            "SELECT record, key, seq FROM access ORDER BY seq, record, key", binary=True
        ).fetchall()
        return [(bytes(r), bytes(k), int(s)) for r, k, s in rows]

    def meta_rows(self) -> list[tuple[str, bytes]]:
        """Return every `meta` row as (key, value), in key order."""
        rows = self._conn.execute("SELECT key, value FROM meta ORDER BY key", binary=True)
        return [(str(k), bytes(v)) for k, v in rows.fetchall()]

    def position_rows(self) -> list[tuple[bytes, int, bytes]]:
        """Return every `hub_positions` row as (log, seq, id)."""
        rows = self._conn.execute(
            "SELECT log, seq, id FROM hub_positions ORDER BY log, seq", binary=True
        ).fetchall()
        return [(bytes(g), int(s), bytes(i)) for g, s, i in rows]

    def close(self) -> None:
        """End the transaction and the connection."""
        try:
            self._conn.rollback()
        finally:
            self._conn.close()


class PgBulkLoad:
    """One transaction that fills an empty store with exact rows (binary COPY)."""

    def __init__(self, url: str, schema: str) -> None:
        self._conn = _connect(url, "bulk load")
        self._open = True
        try:
            self._conn.isolation_level = IsolationLevel.READ_COMMITTED
            if self._scalar("SELECT current_setting('synchronous_commit')") == "off":
                self._conn.execute("SET synchronous_commit = on")  # durable on commit
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(schema, "append"),))
            # A new store's migration marks it "not sealed yet" (`store.sealed`): that row is
            # not data; the loaded meta overwrites it (or leaves it, to be sealed on open).
            used = [
                t
                for t in ("entries", "meta", "access", "tree_tiles")
                if self._scalar(f"SELECT EXISTS (SELECT 1 FROM {t}{_BESIDES.get(t, '')})")
            ]
            if used:
                raise StoreError(f"the store is not empty (its {', '.join(used)} hold rows)")
            # Index the loaded log once, by sorting, instead of row by row: a million
            # random ids go into the unique index about three times faster that way.
            self._conn.execute("ALTER TABLE entry_ids DROP CONSTRAINT entry_ids_pkey")
            self._conn.execute("DROP INDEX entries_by_record")
            self._bound = 0
            # The summary is made once from the loaded rows at commit, not per COPY.
            self._conn.execute("ALTER TABLE entries DISABLE TRIGGER entries_summarize")
        except psycopg.Error as exc:
            self.rollback()
            raise StoreError(f"bulk load failed: {exc}") from exc
        except BaseException:
            self.rollback()
            raise

    def _scalar(self, sql: str) -> Any:
        row = self._conn.execute(sql).fetchone()
        return row[0] if row else None

    def _copy(self, sql: str, types: list[str], rows: Sequence[Sequence[Any]]) -> None:
        if not self._open:
            raise StoreError("the bulk load is over")
        try:
            with self._conn.cursor() as cur, cur.copy(sql) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise StoreError(f"bulk load failed: {exc}") from exc

    def add_entries(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert entry rows exactly as given, seq included."""
        top = max((int(r[0]) for r in rows), default=0)
        if top >= self._bound:
            try:
                self._bound = ensure_partitions(
                    self._conn, top + PARTITION_ENTRIES // 2, PARTITION_ENTRIES
                )
            except psycopg.Error as exc:
                raise StoreError(f"bulk load failed: {exc}") from exc
        self._copy(_COPY_ENTRIES, _ENTRY_TYPES, rows)

    def add_access(self, rows: Sequence[tuple[bytes, bytes, int]]) -> None:
        """Insert `access` rows exactly as given."""
        self._copy(_COPY_ACCESS, _ACCESS_TYPES, rows)

    def add_positions(self, rows: Sequence[tuple[bytes, int, bytes]]) -> None:
        """Insert `hub_positions` rows (log, seq, id) exactly as given."""
        self._copy(_COPY_POSITIONS, _POSITION_TYPES, rows)

    def add_meta(self, rows: Sequence[tuple[str, bytes]]) -> None:
        """Insert or replace `meta` rows."""
        if not self._open:
            raise StoreError("the bulk load is over")
        try:
            with self._conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO meta (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    list(rows),
                )
        except psycopg.Error as exc:
            raise StoreError(f"bulk load failed: {exc}") from exc

    def commit(self) -> None:
        """Commit: everything added becomes visible, and durable, at once."""
        if not self._open:
            raise StoreError("the bulk load is over")
        try:
            # The same key and index as the migrations made; a repeated id fails here.
            self._conn.execute("INSERT INTO entry_ids (id, seq) SELECT id, seq FROM entries")
            self._conn.execute(
                "ALTER TABLE entry_ids ADD CONSTRAINT entry_ids_pkey PRIMARY KEY (id)"
            )
            self._conn.execute("CREATE INDEX entries_by_record ON entries (record, seq)")
            self._conn.execute("ALTER TABLE entries ENABLE TRIGGER entries_summarize")
            row = self._conn.execute(DENSE).fetchone()
            low, high, size = row if row else (None, None, 0)
            if size and (low != 1 or high != size):
                raise StoreError(f"the loaded entries are not numbered 1 to {size} densely")
            for statement in REBUILD:
                self._conn.execute(statement)
            write_pg_tiles(self._conn, size or 0)  # the loaded log's tree, once
            self._conn.commit()
        except StoreError:
            self.rollback()
            raise
        except psycopg.Error as exc:
            self.rollback()
            raise StoreError(f"bulk load commit failed: {exc}") from exc
        self._open = False
        self._conn.close()

    def rollback(self) -> None:
        """Discard everything added."""
        if self._open:
            self._open = False
            # If the connection is gone, the server rolls the transaction back itself.
            with contextlib.suppress(psycopg.Error):
                self._conn.rollback()
            self._conn.close()
