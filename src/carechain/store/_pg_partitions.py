"""The entries table partitioned by ranges of seq, and the migration that converts it.

Why seq ranges: a hub's log is append-only and numbered in arrival order, so a range of
seq is a span of time, and everything that reads the log in bulk (a pull page, live
delivery, a Merkle-tree catch-up, a backup) reads it by seq: each such read touches only
the partitions its range falls in, decided from the query alone. The primary key stays
`seq` (a partitioned table's keys must include the partition key). A partition is created
empty, ahead of the rows that will fill it, by the append that first comes within half a
partition of the last one's end, under the append lock: creating it touches no row and
waits on no reader (`CREATE TABLE … LIKE` then `ATTACH PARTITION`, which takes only a
`SHARE UPDATE EXCLUSIVE` lock on `entries`). Boundaries placed on a wall-clock instant
instead would need the future's seq or a rescan of a closed partition, under a lock.

What a partitioned table cannot do is enforce a key without the partition key, so an
entry's id is unique in `entry_ids (id primary key, seq)`, written by the same append:
looking an entry up by id is one probe there and one in the partition its seq names,
however many partitions there are.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

__all__ = [
    "PARTITION_ENTRIES",
    "ensure_partitions",
    "partition_bound",
    "partition_entries",
]

PARTITION_ENTRIES = 1 << 26  # 67,108,864 entries a partition: see docs/deployment.md
MOVE_BATCH = 50_000  # rows moved per statement when an existing table is converted
_BOUND = re.compile(r"TO \('?(\d+)'?\)")

Connection = psycopg.Connection[TupleRow]

# The partitioned table: the same columns, key and check as migration 1 made.
_CREATE = """CREATE TABLE entries (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    id bytea NOT NULL,
    record bytea NOT NULL,
    cls text NOT NULL,
    author bytea NOT NULL,
    hlc_ms bigint NOT NULL,
    hlc_counter bigint NOT NULL,
    signed bytea NOT NULL,
    signature bytea NOT NULL,
    stored_ms bigint NOT NULL
) PARTITION BY RANGE (seq)"""
_COLUMNS = "seq, id, record, cls, author, hlc_ms, hlc_counter, signed, signature, stored_ms"
# Row triggers on the partitioned table are cloned onto every partition; the statement
# trigger against TRUNCATE is not, so each partition gets its own (`ensure_partitions`).
_TRIGGERS = [
    """CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
       FOR EACH ROW EXECUTE FUNCTION entries_append_only()""",
    """CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
       FOR EACH ROW EXECUTE FUNCTION entries_append_only()""",
    """CREATE TRIGGER entries_append_only_truncate BEFORE TRUNCATE ON entries
       FOR EACH STATEMENT EXECUTE FUNCTION entries_append_only()""",
    """CREATE TRIGGER entries_summarize AFTER INSERT ON entries
       REFERENCING NEW TABLE AS new_entries
       FOR EACH STATEMENT EXECUTE FUNCTION entries_summarize()""",
]


def partition_bound(conn: Connection) -> int:
    """Return the first seq no partition of `entries` holds yet (1: none)."""
    rows = conn.execute(
        "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'entries'::regclass"
    ).fetchall()
    ends = [int(m.group(1)) for (expr,) in rows if (m := _BOUND.search(str(expr)))]
    return max(ends, default=1)


def ensure_partitions(conn: Connection, upto: int, size: int = PARTITION_ENTRIES) -> int:
    """Create partitions of `size` seqs until one holds `upto`; return the new bound.

    The caller holds the append lock (or the migration's), so no other process creates
    the same partition at once."""
    bound = partition_bound(conn)
    while bound <= upto:
        name = f"entries_p{bound}"
        conn.execute(
            sql.SQL("CREATE TABLE {} (LIKE entries INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            .format(sql.Identifier(name))
        )
        conn.execute(
            sql.SQL("CREATE TRIGGER entries_append_only_truncate BEFORE TRUNCATE ON {} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION entries_append_only()")
            .format(sql.Identifier(name))
        )
        conn.execute(
            sql.SQL("ALTER TABLE entries ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})")
            .format(sql.Identifier(name), sql.Literal(bound), sql.Literal(bound + size))
        )
        bound += size
    return bound


def partition_entries(conn: Connection, append_key: int, size: int = PARTITION_ENTRIES) -> None:
    """Convert an unpartitioned `entries` (migrations 1–5) to the partitioned one, in the
    caller's transaction: make the new table and `entry_ids`, move the rows across in
    batches of `MOVE_BATCH` seqs, check every row arrived, drop the old table, then make
    the index and the triggers. Appends wait on the append lock meanwhile; a failure
    rolls everything back and leaves the old table as it was."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (append_key,))
    row = conn.execute("SELECT coalesce(max(seq), 0), count(*) FROM entries").fetchone()
    top, count = (int(row[0]), int(row[1])) if row else (0, 0)
    conn.execute("ALTER TABLE entries RENAME TO entries_unpartitioned")
    conn.execute("ALTER INDEX entries_by_record RENAME TO entries_unpartitioned_by_record")
    conn.execute("ALTER INDEX entries_pkey RENAME TO entries_unpartitioned_pkey")
    conn.execute(_CREATE)
    conn.execute("CREATE TABLE entry_ids (id bytea PRIMARY KEY, seq bigint NOT NULL)")
    ensure_partitions(conn, top + size // 2, size)
    for low in range(0, top, MOVE_BATCH):
        conn.execute(
            f"INSERT INTO entries ({_COLUMNS}) SELECT {_COLUMNS} FROM entries_unpartitioned "
            "WHERE seq > %s AND seq <= %s ORDER BY seq",
            (low, low + MOVE_BATCH),
        )
        conn.execute(
            "INSERT INTO entry_ids (id, seq) SELECT id, seq FROM entries_unpartitioned "
            "WHERE seq > %s AND seq <= %s",
            (low, low + MOVE_BATCH),
        )
    moved = conn.execute("SELECT count(*) FROM entries").fetchone()
    if moved is None or int(moved[0]) != count:
        raise psycopg.DataError(f"partitioning moved {moved} of {count} entries")
    conn.execute("DROP TABLE entries_unpartitioned")
    conn.execute("CREATE INDEX entries_by_record ON entries (record, seq)")
    for statement in _TRIGGERS:
        conn.execute(statement)
