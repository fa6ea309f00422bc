"""The hub engine: PostgreSQL, shared by several hub processes on several hosts.

Same contract and schema as the SQLite engine (see docs/storage.md). What differs:

- **Dense seq across processes.** Each append transaction first takes a transaction-level
  advisory lock for the store's schema, then reads `max(seq)` and numbers the new entries
  from there. Appends from every process are serialised on that lock and commit in seq
  order, so the log is 1, 2, 3, … with no gap (a rollback consumes nothing, unlike a
  sequence) and a reader never sees seq n + 1 without n.
- **Durable on return.** An append returns after COMMIT, which with `synchronous_commit`
  on (the default, and forced on for this store's session if the server turned it off)
  returns only once the commit record is flushed to disk.
- **Live fan-out.** An append that stored anything notifies the store's channel
  (`carechain_entries`, schema-qualified outside `public`) with the highest new seq, in
  the same transaction, so the notice goes out on commit. `PgListener` receives it.
- **Append-only in the database.** Triggers refuse UPDATE, DELETE and TRUNCATE of entries.
- **Partitioned by seq.** `entries` is range-partitioned by seq; an append creates the next
  partition ahead of need, and ids are unique in `entry_ids` (store/_pg_partitions.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg

from carechain.entries import HLC, Entry, decode_signed
from carechain.errors import StoreError
from carechain.store._pg_bulk import PgBulkLoad, PgSnapshot
from carechain.store._pg_listener import PgListener
from carechain.store._pg_meta import PgMeta
from carechain.store._pg_partitions import PARTITION_ENTRIES, ensure_partitions
from carechain.store._pg_schema import (
    CHANNEL,
    MIGRATIONS,
    Connection,
    channel_for,
    connect,
    create_schema,
    drop_schema,
    lock_key,
    migrate,
)
from carechain.store._pg_tiles import PgTiles, write_pg_tiles
from carechain.store.base import (
    RawRow,
    RecordSummary,
    Seal,
    Stored,
)

__all__ = [
    "CHANNEL",
    "MIGRATIONS",
    "PgListener",
    "PostgresStore",
    "channel_for",
    "create_schema",
    "drop_schema",
]

_COLUMNS = "seq, id, record, cls, author, hlc_ms, hlc_counter, signed, signature, stored_ms"
_RAW = "SELECT seq, id, record, signed, signature, cls FROM entries"
_COPY = f"COPY entries ({_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_COPY_TYPES = ["int8", "bytea", "bytea", "text", "bytea", "int8", "int8", "bytea", "bytea", "int8"]
_COPY_IDS = "COPY entry_ids (id, seq) FROM STDIN (FORMAT BINARY)"
# An entry by id: its seq from `entry_ids`, then its row from the one partition holding it.
_BY_ID = "entry_ids i JOIN entries e ON e.seq = i.seq"
_RAW_PAGE = 1000

class PostgresStore(PgTiles, PgMeta):
    """An append-only entry log in one schema of a PostgreSQL database.

    One connection guarded by a re-entrant lock, like the SQLite engine; a lost connection
    is reopened by the next call (the call that met the loss fails with StoreError).
    """

    def __init__(self, url: str, *, partition_entries: int = PARTITION_ENTRIES) -> None:
        self._url = url
        self._partition = partition_entries
        self._bound = 0  # the first seq no partition holds, as last seen (it only grows)
        self._lock = threading.RLock()
        self._closed = False
        try:
            self._conn, self.schema = connect(url)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the PostgreSQL store: {exc}") from exc
        self.channel = channel_for(self.schema)
        self._append_key = lock_key(self.schema, "append")
        self._seal: Seal | None = None
        try:
            with self._lock:
                migrate(self._conn, self.schema)
        except psycopg.Error as exc:
            self._conn.close()
            raise StoreError(f"migrating the PostgreSQL store failed: {exc}") from exc
        self._cover_backlog()

    @contextmanager
    def _using(self, what: str) -> Iterator[Connection]:
        """Hold the lock and the live connection; report database errors as StoreError."""
        with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            try:
                if self._conn.closed:
                    self._conn, _ = connect(self._url)
                yield self._conn
            except psycopg.Error as exc:
                raise StoreError(f"{what} failed: {exc}") from exc

    def set_sealer(self, seal: Seal | None) -> None:
        """Have every append also write what `seal` returns, in the same transaction."""
        self._seal = seal

    def append(
        self, entries: Sequence[Entry], meta: Sequence[tuple[str, bytes]] = ()
    ) -> list[tuple[int, bool]]:
        """Store entries, and set the bookkeeping values `meta`, in one durable transaction;
        return (seq, newly stored) for each entry."""
        if not entries:
            return []
        now = time.time_ns() // 1_000_000
        out: list[tuple[int, bool]] = []
        with self._using("append") as conn, conn.transaction():
            # Lock first, then read in later statements: under READ COMMITTED each of them
            # sees every append committed before the lock was granted.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._append_key,))
            seqs: dict[bytes, int] = {}
            top = 0
            for id_, seq in conn.execute(
                "SELECT id, seq FROM entry_ids WHERE id = ANY(%s) "
                "UNION ALL SELECT NULL, coalesce(max(seq), 0) FROM entries",
                (list({e.id for e in entries}),),
                binary=True,
            ):
                if id_ is None:
                    top = int(seq)
                else:
                    seqs[bytes(id_)] = int(seq)
            before = top
            rows: list[tuple[object, ...]] = []
            grants: dict[tuple[bytes, bytes], int] = {}
            for e in entries:
                known = seqs.get(e.id)
                if known is not None:
                    out.append((known, False))
                    continue
                top += 1
                seqs[e.id] = top
                h = e.header
                rows.append(
                    (
                        top,
                        e.id,
                        h.record,
                        h.cls,
                        h.author,
                        h.hlc.ms,
                        h.hlc.counter,
                        e.signed,
                        e.signature,
                        now,
                    )
                )
                if h.cls == "grant":
                    for key in h.recipients:
                        grants.setdefault((h.record, key), top)  # the first grant counts
                out.append((top, True))
            if meta:  # what the unit of work keeps beside its entries (a dispatch offer)
                conn.cursor().executemany(
                    "INSERT INTO meta (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    list(meta),
                )
            if rows:
                # The maintenance step: keep half a partition ahead of the log.
                if top + self._partition // 2 >= self._bound:
                    self._bound = ensure_partitions(conn, top + self._partition // 2,
                                                    self._partition)
                with conn.cursor() as cur:
                    with cur.copy(_COPY) as copy:
                        copy.set_types(_COPY_TYPES)
                        for row in rows:
                            copy.write_row(row)
                    with cur.copy(_COPY_IDS) as copy:
                        copy.set_types(["bytea", "int8"])
                        for row in rows:
                            copy.write_row((row[1], row[0]))
                if grants:
                    conn.execute(
                        "INSERT INTO access (record, key, seq) SELECT * FROM "
                        "unnest(%s::bytea[], %s::bytea[], %s::int8[]) ON CONFLICT DO NOTHING",
                        ([r for r, _ in grants], [k for _, k in grants], list(grants.values())),
                    )
                added = list(dict.fromkeys(e.id for e in entries if seqs[e.id] > before))
                write_pg_tiles(conn, before, added)
                if self._seal is not None:
                    self._write_seal(conn, before, added)
                conn.execute("SELECT pg_notify(%s, %s)", (self.channel, str(top)))
        return out

    def _write_seal(self, conn: Connection, before: int, added: list[bytes]) -> None:
        """Write what the sealer returns for this append, in its transaction (the append
        lock is held, so every process extends the same head)."""
        assert self._seal is not None

        def read(key: str) -> bytes | None:
            row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
            return None if row is None else bytes(row[0])

        sealed = self._seal(read, before, added)
        if sealed:
            conn.cursor().executemany(
                "INSERT INTO meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                sealed,
            )

    def _rows(self, what: str, query: str, args: tuple[object, ...]) -> list[Stored]:
        with self._using(what) as conn:
            rows = conn.execute(query, args, binary=True).fetchall()
        return [
            Stored(int(seq), decode_signed(bytes(signed), bytes(sig))) for seq, signed, sig in rows
        ]

    def get(self, entry_id: bytes) -> Stored | None:
        """Return an entry by id."""
        found = self._rows(
            "get", f"SELECT e.seq, e.signed, e.signature FROM {_BY_ID} WHERE i.id = %s",
            (entry_id,),
        )
        return found[0] if found else None

    def record(self, record: bytes) -> list[Stored]:
        """Return every entry of a record in log order."""
        return self._rows(
            "record",
            "SELECT seq, signed, signature FROM entries WHERE record = %s ORDER BY seq",
            (record,),
        )

    def records(self) -> list[RecordSummary]:
        """Return every record in the log, newest activity first."""
        with self._using("records") as conn:
            rows = conn.execute(
                "SELECT record, entries, first_ms, last_ms FROM records ORDER BY last_seq DESC",
                binary=True,
            ).fetchall()
        return [RecordSummary(bytes(r), int(n), int(a), int(b)) for r, n, a, b in rows]

    def since(self, seq: int, limit: int) -> list[Stored]:
        """Return up to `limit` entries with a sequence number above `seq`."""
        return self._rows(
            "since",
            "SELECT seq, signed, signature FROM entries WHERE seq > %s ORDER BY seq LIMIT %s",
            (seq, limit),
        )

    def raw_since(self, seq: int, limit: int) -> list[RawRow]:
        """Return up to `limit` rows after `seq` as stored, undecoded (to send on as is)."""
        return self._raw("raw_since", f"{_RAW} WHERE seq > %s ORDER BY seq LIMIT %s", (seq, limit))

    def raw_record(self, record: bytes) -> list[RawRow]:
        """Return every row of a record in log order, undecoded (to send on as is)."""
        return self._raw("raw_record", f"{_RAW} WHERE record = %s ORDER BY seq", (record,))

    def _raw(self, what: str, query: str, args: tuple[object, ...]) -> list[RawRow]:
        with self._using(what) as conn:
            rows = conn.execute(query, args, binary=True).fetchall()
        return [
            RawRow(int(q), bytes(i), bytes(r), bytes(s), bytes(g), str(c))
            for q, i, r, s, g, c in rows
        ]

    def has(self, ids: Sequence[bytes]) -> set[bytes]:
        """Return which of the ids are stored."""
        return set(self.seqs_of(ids))

    def records_of(self, ids: Sequence[bytes]) -> dict[bytes, bytes]:
        """Return the record of each stored entry among the ids."""
        if not ids:
            return {}
        with self._using("records_of") as conn:
            rows = conn.execute(
                f"SELECT i.id, e.record FROM {_BY_ID} WHERE i.id = ANY(%s)",
                (list(ids),),
                binary=True,
            ).fetchall()
        return {bytes(i): bytes(r) for i, r in rows}

    def since_for(self, key_id: bytes, seq: int, limit: int, upto: int) -> list[RawRow]:
        """Return up to `limit` rows with seq in (seq, upto] of the directory and of records
        granted to the receiving key `key_id`, undecoded (to send on as is)."""
        return self._raw(
            "since_for",
            f"{_RAW} WHERE seq > %s AND seq <= %s AND (record = %s OR EXISTS (SELECT 1 FROM "
            "access WHERE access.record = entries.record AND access.key = %s)) "
            "ORDER BY seq LIMIT %s",
            (seq, upto, bytes(16), key_id, limit),
        )

    def granted_between(self, key_id: bytes, after: int, upto: int) -> list[bytes]:
        """Return records first granted to `key_id` by an entry with seq in (after, upto]."""
        with self._using("granted_between") as conn:
            rows = conn.execute(
                "SELECT record FROM access WHERE key = %s AND seq > %s AND seq <= %s ORDER BY seq",
                (key_id, after, upto),
                binary=True,
            ).fetchall()
        return [bytes(r[0]) for r in rows]

    def ids(self, after: int, limit: int) -> list[bytes]:
        """Return the ids of up to `limit` entries after `after`, in log order."""
        with self._using("ids") as conn:
            rows = conn.execute(
                "SELECT id FROM entries WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, limit),
                binary=True,
            ).fetchall()
        return [bytes(r[0]) for r in rows]

    def raw(self) -> Iterator[RawRow]:
        """Yield every row as stored, in log order (the log as it was at the first row)."""
        end: int | None = None
        after = 0
        while end is None or after < end:
            with self._using("raw") as conn:
                if end is None:
                    row = conn.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()
                    end = int(row[0]) if row else 0
                # Pages by seq, so a long log is neither held in memory nor under the lock.
                rows = conn.execute(
                    "SELECT seq, id, record, signed, signature FROM entries "
                    "WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s",
                    (after, end, _RAW_PAGE),
                    binary=True,
                ).fetchall()
            if not rows:
                return
            for seq, id_, record, signed, sig in rows:
                yield RawRow(int(seq), bytes(id_), bytes(record), bytes(signed), bytes(sig))
            after = int(rows[-1][0])

    def count(self) -> int:
        """Return the number of entries: the largest seq (they are numbered densely)."""
        with self._using("count") as conn:
            row = conn.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()
        return int(row[0]) if row else 0

    def record_count(self) -> int:
        """Return the number of records in the log."""
        with self._using("record_count") as conn:
            row = conn.execute("SELECT records FROM totals WHERE one = 1").fetchone()
        return int(row[0]) if row else 0

    def last_hlc(self) -> HLC | None:
        """Return the latest HLC reading of any stored entry."""
        with self._using("last_hlc") as conn:
            row = conn.execute("SELECT hlc_ms, hlc_counter FROM totals WHERE one = 1").fetchone()
        if row is None or row[0] is None:
            return None
        return HLC(int(row[0]), int(row[1]))

    def seqs_of(self, ids: Sequence[bytes]) -> dict[bytes, int]:
        """Return the log position of each stored entry among the ids (no decoding)."""
        if not ids:
            return {}
        with self._using("seqs_of") as conn:
            rows = conn.execute(
                "SELECT id, seq FROM entry_ids WHERE id = ANY(%s)", (list(ids),), binary=True
            ).fetchall()
        return {bytes(i): int(s) for i, s in rows}

    def snapshot(self) -> PgSnapshot:
        """Return a consistent read-only view of the whole store (close it when done)."""
        return PgSnapshot(self._url)

    @property
    def url(self) -> str:
        """Return the URL the store was opened with (its database and schema)."""
        return self._url

    def bulk_load(self) -> PgBulkLoad:
        """Start filling this empty store with exact rows, in one transaction."""
        return PgBulkLoad(self._url, self.schema)

    def close(self) -> None:
        """Close the connection; later calls fail with StoreError."""
        with self._lock:
            self._closed = True
            self._conn.close()
