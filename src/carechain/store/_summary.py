"""What a store keeps about its log so that no read has to count, scan or group it.

Two small tables, the same on both engines, written in the append's own transaction (so
a crash keeps them exactly in step with the entries they describe): on PostgreSQL by a
statement trigger on `entries` (`entries_summarize`, over the statement's new rows), so
that every hub process sharing the database keeps them whatever version it runs; on
SQLite by the store's `append` (`add_sqlite`: a row trigger would cost about 8 µs an
entry, and one SQLite file is written by one installation):

- `records`: one row per record: how many entries it has, the first and last HLC
  milliseconds among them and the seq of its newest entry (index `records_by_activity`
  on that seq: the record list, newest activity first, is read from the index);
- `totals`: one row: how many records the log holds and the latest HLC reading of any
  stored entry (what a node reads at start-up to keep its clock ahead of its log).

The size of the log needs no row of its own: entries are numbered densely from 1 (appends
number them under the write lock; a bulk load is refused unless its rows are), so the size
is the largest seq, read from the primary key. A migration fills both tables once from
the entries already stored; a bulk load fills them again from the rows it loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["DENSE", "REBUILD", "SUMMARIZE_PG", "UPSERT", "Batch", "add_sqlite", "summarize"]

_IDS_PER_QUERY = 500  # host parameters in one SQLite `IN (…)` lookup

# Fill both tables from the entries (a migration, or the end of a bulk load): the only
# statements of the store that group the whole log, and neither runs on a request.
REBUILD = [
    "DELETE FROM records",
    "DELETE FROM totals",
    "INSERT INTO records (record, entries, first_ms, last_ms, last_seq) "
    "SELECT record, count(*), min(hlc_ms), max(hlc_ms), max(seq) FROM entries GROUP BY record",
    "INSERT INTO totals (one, records, hlc_ms, hlc_counter) SELECT 1, "
    "(SELECT count(*) FROM records), "
    "(SELECT hlc_ms FROM entries ORDER BY hlc_ms DESC, hlc_counter DESC LIMIT 1), "
    "(SELECT hlc_counter FROM entries ORDER BY hlc_ms DESC, hlc_counter DESC LIMIT 1)",
]

# Whether loaded rows are numbered 1, 2, … n: lowest seq, highest seq, number of rows.
DENSE = "SELECT min(seq), max(seq), count(*) FROM entries"

# PostgreSQL: what the `entries_summarize` statement trigger runs, over the statement's
# new rows (`new_entries`): one upsert per record, then the totals.
SUMMARIZE_PG = """
    WITH batch AS (
        SELECT record, count(*) AS n, min(hlc_ms) AS lo, max(hlc_ms) AS hi, max(seq) AS top
        FROM new_entries GROUP BY record
    ), upserted AS (
        INSERT INTO records (record, entries, first_ms, last_ms, last_seq)
        SELECT record, n, lo, hi, top FROM batch
        ON CONFLICT (record) DO UPDATE SET entries = records.entries + excluded.entries,
            first_ms = least(records.first_ms, excluded.first_ms),
            last_ms = greatest(records.last_ms, excluded.last_ms),
            last_seq = greatest(records.last_seq, excluded.last_seq)
        RETURNING (xmax = 0) AS inserted
    ), newest AS (
        SELECT hlc_ms, hlc_counter FROM new_entries
        ORDER BY hlc_ms DESC, hlc_counter DESC LIMIT 1
    )
    UPDATE totals SET
        records = totals.records + (SELECT count(*) FROM upserted WHERE inserted),
        hlc_ms = CASE WHEN totals.hlc_ms IS NULL
            OR (newest.hlc_ms, newest.hlc_counter) > (totals.hlc_ms, totals.hlc_counter)
            THEN newest.hlc_ms ELSE totals.hlc_ms END,
        hlc_counter = CASE WHEN totals.hlc_ms IS NULL
            OR (newest.hlc_ms, newest.hlc_counter) > (totals.hlc_ms, totals.hlc_counter)
            THEN newest.hlc_counter ELSE totals.hlc_counter END
    FROM newest WHERE totals.one = 1;"""

# SQLite: one row per record, what one append adds to it.
UPSERT = (
    "INSERT INTO records (record, entries, first_ms, last_ms, last_seq) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (record) DO UPDATE SET entries = records.entries + excluded.entries, "
    "first_ms = min(records.first_ms, excluded.first_ms), "
    "last_ms = max(records.last_ms, excluded.last_ms), last_seq = excluded.last_seq"
)


class Batch:
    """What one append's new rows add to `records` and `totals`."""

    def __init__(self) -> None:
        self.per_record: dict[bytes, list[int]] = {}  # record → [entries, first, last, seq]
        self.hlc: tuple[int, int] | None = None

    def rows(self) -> list[tuple[bytes, int, int, int, int]]:
        """Return the `records` rows to upsert: (record, entries, first_ms, last_ms, seq)."""
        return [(r, n, a, b, s) for r, (n, a, b, s) in self.per_record.items()]

    def totals(self, held: Sequence[Any] | None, known: int) -> tuple[int, int | None, int | None]:
        """Return the new `totals` (records, hlc_ms, hlc_counter) from the stored row and
        how many of this batch's records the store already had."""
        records = int(held[0]) if held else 0
        ms = None if not held or held[1] is None else int(held[1])
        counter = None if not held or held[2] is None else int(held[2])
        records += len(self.per_record) - known
        if self.hlc is not None and (ms is None or counter is None or self.hlc > (ms, counter)):
            ms, counter = self.hlc
        return records, ms, counter


def summarize(rows: Sequence[Sequence[Any]]) -> Batch:
    """Summarise new entry rows (seq, id, record, cls, author, hlc_ms, hlc_counter, …)."""
    batch = Batch()
    for row in rows:
        seq, record, ms, counter = int(row[0]), bytes(row[2]), int(row[5]), int(row[6])
        held = batch.per_record.get(record)
        if held is None:
            batch.per_record[record] = [1, ms, ms, seq]
        else:
            held[0] += 1
            held[1] = min(held[1], ms)
            held[2] = max(held[2], ms)
            held[3] = max(held[3], seq)
        if batch.hlc is None or (ms, counter) > batch.hlc:
            batch.hlc = (ms, counter)
    return batch


def add_sqlite(db: Any, rows: Sequence[Sequence[Any]]) -> None:
    """Add new entry rows to `records` and `totals` (in the append's transaction)."""
    batch = summarize(rows)
    wanted = list(batch.per_record)
    known = 0
    for i in range(0, len(wanted), _IDS_PER_QUERY):
        chunk = wanted[i : i + _IDS_PER_QUERY]
        marks = ",".join("?" * len(chunk))
        row = db.execute(f"SELECT count(*) FROM records WHERE record IN ({marks})", chunk)
        known += int(row.fetchone()[0])
    held = db.execute("SELECT records, hlc_ms, hlc_counter FROM totals WHERE one = 1").fetchone()
    db.executemany(UPSERT, batch.rows())
    db.execute(
        "INSERT INTO totals (one, records, hlc_ms, hlc_counter) VALUES (1, ?, ?, ?) "
        "ON CONFLICT (one) DO UPDATE SET records = excluded.records, "
        "hlc_ms = excluded.hlc_ms, hlc_counter = excluded.hlc_counter",
        batch.totals(held, known),
    )

