"""The embedded engine: SQLite in WAL mode with `synchronous=FULL`.

An append returns only after its transaction is committed and the WAL is fsync'd, so an
acknowledged entry survives a crash or power loss. Triggers make the log append-only in
the database itself: UPDATE and DELETE of an entry are refused whoever asks.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from carechain.entries import HLC, Entry, decode_signed
from carechain.errors import StoreError
from carechain.store._sqlite_bulk import SqliteBulkLoad, SqliteSnapshot, copy_database
from carechain.store._sqlite_schema import MIGRATIONS
from carechain.store._sqlite_tiles import SqliteTiles
from carechain.store._summary import add_sqlite
from carechain.store.base import (
    _JOINED,
    Positioned,
    RawRow,
    RecordSummary,
    Seal,
    Stored,
    positioned_row,
)

__all__ = ["MIGRATIONS", "SqliteSnapshot", "SqliteStore", "connect_sqlite"]

_RAW = "SELECT seq, id, record, signed, signature, cls FROM entries"
_IDS_PER_QUERY = 500  # host parameters in one `IN (…)` lookup, well under SQLite's limit

def _once(ids: list[bytes]) -> list[bytes]:
    """Return ids in order, each once (a batch may hold an entry twice; it is stored once)."""
    return list(dict.fromkeys(ids))


def connect_sqlite(path: Path | str) -> sqlite3.Connection:
    """Open a SQLite file in WAL mode with `synchronous=FULL` and foreign keys on.

    Switching a new file to WAL needs it to itself for a moment and does not wait like
    other statements do: when another process opens the same new file at that moment
    (two hub processes starting together), the switch is tried again for up to 10 s.
    """
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    deadline = time.monotonic() + 10
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                db.close()
                raise
            time.sleep(0.02)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


class SqliteStore(SqliteTiles):
    """An append-only entry log in one SQLite file (or in memory, for tests)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._db: sqlite3.Connection = connect_sqlite(path)
        self._seal: Seal | None = None
        self._migrate()
        self._cover_backlog()

    def set_sealer(self, seal: Seal | None) -> None:
        """Have every append also write what `seal` returns, in the same transaction."""
        self._seal = seal

    def _meta_in_transaction(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def _migrate(self) -> None:
        # The version is read inside each write transaction: two processes opening one file
        # at once (two hub processes sharing a data directory) run each migration once.
        with self._lock:
            while True:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
                    if version >= len(MIGRATIONS):
                        self._db.execute("COMMIT")
                        return
                    for sql in MIGRATIONS[version]:
                        self._db.execute(sql)
                    self._db.execute(f"PRAGMA user_version={version + 1}")
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise

    def append(
        self, entries: Sequence[Entry], meta: Sequence[tuple[str, bytes]] = ()
    ) -> list[tuple[int, bool]]:
        """Store entries, and set the bookkeeping values `meta`, in one durable transaction;
        return (seq, newly stored) for each entry.

        One lookup of the ids already held and one multi-row insert, whatever the batch
        size: the write lock is taken first (`BEGIN IMMEDIATE`), so the new entries take
        the positions after the largest one, densely, as AUTOINCREMENT would give them.
        """
        if not entries:
            return []
        now = time.time_ns() // 1_000_000
        out: list[tuple[int, bool]] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seqs = self._held({e.id for e in entries})
                top = int(
                    self._db.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0]
                )
                before = top
                rows: list[tuple[object, ...]] = []
                grants: list[tuple[bytes, bytes, int]] = []
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
                        grants += [(h.record, k, top) for k in h.recipients]
                    out.append((top, True))
                self._db.executemany(
                    "INSERT INTO entries (seq, id, record, cls, author, hlc_ms, hlc_counter,"
                    " signed, signature, stored_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                if grants:
                    self._db.executemany(
                        "INSERT OR IGNORE INTO access (record, key, seq) VALUES (?, ?, ?)",
                        grants,
                    )
                if rows:
                    add_sqlite(self._db, rows)
                    added = _once([e.id for e in entries if seqs[e.id] > before])
                    self._write_tiles(before, added)
                if self._seal is not None and rows:
                    sealed = self._seal(self._meta_in_transaction, before, added)
                    self._db.executemany(
                        "INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        sealed,
                    )
                if meta:  # what the unit of work keeps beside its entries (a dispatch offer)
                    self._db.executemany(
                        "INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        meta,
                    )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"append failed: {exc}") from exc
            except BaseException:  # the seal failed: nothing of the append is kept
                self._db.execute("ROLLBACK")
                raise
        return out

    def _held(self, ids: set[bytes]) -> dict[bytes, int]:
        """Return the seq of each of these ids the log holds (caller holds the lock)."""
        held: dict[bytes, int] = {}
        wanted = list(ids)
        for i in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[i : i + _IDS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            for id_, seq in self._db.execute(
                f"SELECT id, seq FROM entries WHERE id IN ({marks})", chunk
            ):
                held[bytes(id_)] = int(seq)
        return held

    def _rows(self, sql: str, args: tuple[object, ...]) -> list[Stored]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [Stored(int(seq), decode_signed(signed, sig)) for seq, signed, sig in rows]

    def get(self, entry_id: bytes) -> Stored | None:
        """Return an entry by id."""
        found = self._rows("SELECT seq, signed, signature FROM entries WHERE id = ?", (entry_id,))
        return found[0] if found else None

    def record(self, record: bytes) -> list[Stored]:
        """Return every entry of a record in log order."""
        return self._rows(
            "SELECT seq, signed, signature FROM entries WHERE record = ? ORDER BY seq", (record,)
        )

    def records(self) -> list[RecordSummary]:
        """Return every record in the log, newest activity first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT record, entries, first_ms, last_ms FROM records ORDER BY last_seq DESC"
            ).fetchall()
        return [RecordSummary(bytes(r), int(n), int(a), int(b)) for r, n, a, b in rows]

    def since(self, seq: int, limit: int) -> list[Stored]:
        """Return up to `limit` entries with a sequence number above `seq`."""
        return self._rows(
            "SELECT seq, signed, signature FROM entries WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit),
        )

    def raw_since(self, seq: int, limit: int) -> list[RawRow]:
        """Return up to `limit` rows after `seq` as stored, undecoded (to send on as is)."""
        return self._raw(f"{_RAW} WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))

    def raw_record(self, record: bytes) -> list[RawRow]:
        """Return every row of a record in log order, undecoded (to send on as is)."""
        return self._raw(f"{_RAW} WHERE record = ? ORDER BY seq", (record,))

    def _raw(self, sql: str, args: tuple[object, ...]) -> list[RawRow]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [
            RawRow(int(q), bytes(i), bytes(r), bytes(s), bytes(g), str(c))
            for q, i, r, s, g, c in rows
        ]

    def has(self, ids: Sequence[bytes]) -> set[bytes]:
        """Return which of the ids are stored."""
        return set(self.records_of(ids))

    def records_of(self, ids: Sequence[bytes]) -> dict[bytes, bytes]:
        """Return the record of each stored entry among the ids."""
        found: dict[bytes, bytes] = {}
        with self._lock:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT id, record FROM entries WHERE id IN ({marks})", chunk
                )
                found.update((bytes(r[0]), bytes(r[1])) for r in rows)
        return found

    def since_for(self, key_id: bytes, seq: int, limit: int, upto: int) -> list[RawRow]:
        """Return up to `limit` rows with seq in (seq, upto] of the directory and of records
        granted to the receiving key `key_id`, undecoded (to send on as is).

        The rows of that range are read by seq, each checked against the `access` key:
        the cost is the range's, not the log's nor the number of records granted."""
        return self._raw(
            f"{_RAW} WHERE seq > ? AND seq <= ? AND (record = ? OR EXISTS"
            " (SELECT 1 FROM access WHERE access.record = entries.record AND access.key = ?))"
            " ORDER BY seq LIMIT ?",
            (seq, upto, bytes(16), key_id, limit),
        )

    def granted_between(self, key_id: bytes, after: int, upto: int) -> list[bytes]:
        """Return records first granted to `key_id` by an entry with seq in (after, upto]."""
        with self._lock:
            rows = self._db.execute(
                "SELECT record FROM access WHERE key = ? AND seq > ? AND seq <= ? ORDER BY seq",
                (key_id, after, upto),
            ).fetchall()
        return [bytes(r[0]) for r in rows]

    def ids(self, after: int, limit: int) -> list[bytes]:
        """Return the ids of up to `limit` entries after `after`, in log order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM entries WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
            ).fetchall()
        return [bytes(r[0]) for r in rows]

    def raw(self) -> Iterator[RawRow]:
        """Yield every row as stored, in log order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, id, record, signed, signature FROM entries ORDER BY seq"
            ).fetchall()
        for seq, id_, record, signed, sig in rows:
            yield RawRow(int(seq), bytes(id_), bytes(record), bytes(signed), bytes(sig))

    def record_count(self) -> int:
        """Return the number of records in the log."""
        with self._lock:
            row = self._db.execute("SELECT records FROM totals WHERE one = 1").fetchone()
        return 0 if row is None else int(row[0])

    def last_hlc(self) -> HLC | None:
        """Return the latest HLC reading of any stored entry."""
        with self._lock:
            row = self._db.execute(
                "SELECT hlc_ms, hlc_counter FROM totals WHERE one = 1"
            ).fetchone()
        if row is None or row[0] is None:
            return None
        return HLC(int(row[0]), int(row[1]))

    def get_meta(self, key: str) -> bytes | None:
        """Return a value of node-local bookkeeping."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_meta(self, key: str, value: bytes) -> None:
        """Durably set a value of node-local bookkeeping."""
        with self._lock:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def set_meta_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Durably set several bookkeeping values in one transaction."""
        if not items:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    list(items),
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"set_meta_many failed: {exc}") from exc

    def seqs_of(self, ids: Sequence[bytes]) -> dict[bytes, int]:
        """Return the log position of each stored entry among the ids (no decoding)."""
        found: dict[bytes, int] = {}
        with self._lock:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT id, seq FROM entries WHERE id IN ({marks})", chunk)
                found.update((bytes(r[0]), int(r[1])) for r in rows)
        return found

    def note_positions(self, log: bytes, placed: Sequence[tuple[int, bytes]]) -> None:
        """Note where a hub's log holds entries: (hub log position, entry id). Without an
        fsync of its own: the next durable commit (the cursor's) makes it durable too."""
        rows, sql = [(log, s, i) for s, i in placed], "INSERT OR IGNORE INTO hub_positions"
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: no fsync at this commit
            try:
                with self._db:  # one transaction (`with` on a connection commits)
                    self._db.execute("BEGIN IMMEDIATE")
                    self._db.executemany(f"{sql} VALUES (?, ?, ?)", rows)
            finally:
                self._db.execute("PRAGMA synchronous=FULL")

    def positioned(self, log: bytes, after: int, limit: int) -> list[Positioned]:
        """Return up to `limit` noted positions of a hub's log after `after`, in order,
        each with its entry's row when this store holds it."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT p.seq, p.id, {_JOINED} FROM hub_positions p LEFT JOIN entries e"
                " ON e.id = p.id WHERE p.log = ? AND p.seq > ? ORDER BY p.seq LIMIT ?",
                (log, after, limit),
            ).fetchall()
        return [positioned_row(r) for r in rows]

    def meta_items(self, prefix: str) -> list[tuple[str, bytes]]:
        """Return every bookkeeping value whose key starts with prefix, in key order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key",
                (len(prefix), prefix),
            ).fetchall()
        return [(str(k), bytes(v)) for k, v in rows]

    def snapshot(self) -> SqliteSnapshot:
        """Return a consistent read-only view of the whole store (close it when done)."""
        if self.path == ":memory:":
            raise StoreError("an in-memory store has no snapshot")
        return SqliteSnapshot(self.path)

    def copy_to(self, path: Path) -> None:
        """Write a consistent copy of the whole database file to `path` (SQLite's online
        backup API, in one step: the log as it was at one instant, while appends go on)."""
        if self.path == ":memory:":
            raise StoreError("an in-memory store has no file to copy")
        copy_database(self.path, path)

    def bulk_load(self, *, exclusive: bool = False) -> SqliteBulkLoad:
        """Start filling this empty store with exact rows, in one transaction.

        `exclusive`: no other connection has the file (a new file being restored), so the
        load runs with a rollback journal instead of the WAL: a new file's pages are then
        written once, not to the WAL and again at the checkpoint. WAL is back after it.
        """
        return SqliteBulkLoad(self._db, self._lock, exclusive=exclusive)

    def close(self) -> None:
        """Checkpoint and close the database."""
        with self._lock:
            self._db.close()
