"""The PostgreSQL entries table partitioned by ranges of seq, on a real schema: partitions
made ahead as the log grows, reads pruned to the partitions they need, an existing
unpartitioned table converted with every row, its order and every read kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from carechain.errors import StoreError
from carechain.store import _pg_partitions, _pg_schema
from carechain.store.base import RawRow
from carechain.store.postgres import PostgresStore, create_schema, drop_schema
from tests.store.engines import fresh_pg_url, pg_url
from tests.store.test_contract import KEYS, OTHER, _record

__all__ = ["pg_url"]


def _sql(url: str, query: str, *args: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query.encode(), args or None)
        return cur.fetchall() if cur.description else []


def _partitions(url: str) -> list[tuple[str, str]]:
    """Return (name, bound) of every partition of entries, in seq order."""
    rows = _sql(
        url,
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'entries'::regclass",
    )
    return sorted(((str(n), str(b)) for n, b in rows), key=lambda r: int(r[0][9:]))


def _where(url: str) -> dict[int, str]:
    """Return the partition holding each seq."""
    return {int(s): str(t) for s, t in _sql(url, "SELECT seq, tableoid::regclass FROM entries")}


@pytest.fixture
def small(pg_url: str) -> Iterator[PostgresStore]:
    """A store whose partitions hold 10 seqs each."""
    s = PostgresStore(pg_url, partition_entries=10)
    try:
        yield s
    finally:
        s.close()


def test_partitions_are_made_ahead_as_the_log_grows(small: PostgresStore, pg_url: str) -> None:
    # Migration 7 on an empty log makes the first partition (and half of one ahead).
    assert [b for _, b in _partitions(pg_url)] == ["FOR VALUES FROM ('1') TO ('67108865')"]
    _sql(pg_url, "DROP TABLE entries_p1")  # start this test's log with 10-seq partitions
    seen: list[int] = []
    for n in (3, 4, 9, 12):
        small.append(_record(n))  # 1 grant + n notes per record
        seen.append(len(_partitions(pg_url)))
        top = small.count()
        ends = [int(b.split("TO ('")[1].rstrip("')")) for _, b in _partitions(pg_url)]
        # Always half a partition (5 seqs) or more ahead of the last entry, none missing.
        assert max(ends) > top + 5 - 1 and ends == list(range(11, max(ends) + 1, 10))
    assert seen == [1, 2, 3, 4] and small.count() == 32
    where = _where(pg_url)
    assert all(where[s] == f"entries_p{(s - 1) // 10 * 10 + 1}" for s in where)
    assert [r.seq for r in small.raw_since(0, 100)] == list(range(1, 33))


def test_a_pull_page_reads_only_the_partitions_of_its_range(
    small: PostgresStore, pg_url: str
) -> None:
    _sql(pg_url, "DROP TABLE entries_p1")
    for _ in range(5):
        small.append(_record(9))  # 50 entries: partitions p1 … p41, and p51 ahead
    plan = "\n".join(
        str(r[0])
        for r in _sql(
            pg_url,
            "EXPLAIN SELECT seq, id, record, signed, signature, cls FROM entries "
            "WHERE seq > 22 AND seq <= 28 ORDER BY seq LIMIT 10",
        )
    )
    assert "entries_p21" in plan
    assert not any(f"entries_p{p} " in plan for p in (1, 11, 31, 41, 51))
    rows = small.since_for(KEYS.box_key_id, 22, 100, 28)
    assert [r.seq for r in rows] == [23, 24, 25, 26, 27, 28]


def test_ids_stay_unique_and_entries_append_only_in_every_partition(
    small: PostgresStore, pg_url: str
) -> None:
    entries = _record(4)
    small.append(entries)
    assert small.append(entries) == [(s, False) for s in range(1, 6)]
    assert small.get(entries[2].id) is not None and small.get(entries[2].id).seq == 3  # type: ignore[union-attr]
    assert small.records_of([entries[0].id]) == {entries[0].id: entries[0].header.record}
    with pytest.raises(psycopg.errors.UniqueViolation):
        _sql(pg_url, "INSERT INTO entry_ids (id, seq) VALUES (%s, 99)", entries[0].id)
    for statement in (
        "UPDATE entries SET cls = 'audit' WHERE seq = 1",
        "DELETE FROM entries WHERE seq = 2",
        "TRUNCATE entries",
        "TRUNCATE entries_p1",  # a partition on its own: its own trigger refuses it
        "UPDATE entries_p1 SET cls = 'audit'",
    ):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            _sql(pg_url, statement)
    assert small.count() == 5


@pytest.fixture
def source() -> Iterator[PostgresStore]:
    """A store in a schema of its own, filled with four records and two noted positions."""
    url = fresh_pg_url()
    create_schema(url)
    s = PostgresStore(url)
    try:
        batches = [_record(n, grant_to=OTHER if n % 2 else KEYS) for n in (6, 13, 2, 20)]
        for batch in batches:
            s.append(batch)
        s.note_positions(b"L" * 32, [(7, batches[1][0].id), (9, b"\x01" * 32)])
        yield s
    finally:
        s.close()
        drop_schema(url)


def _unpartitioned(url: str, source: PostgresStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a store as migrations 1–6 left it (unpartitioned), holding `source`'s rows."""
    with monkeypatch.context() as m:
        m.setattr(_pg_schema, "MIGRATIONS", _pg_schema.MIGRATIONS[:6])
        PostgresStore(url).close()
    other = source.schema
    for table in ("entries", "access", "hub_positions"):  # entries: the summary trigger runs
        _sql(url, f"INSERT INTO {table} SELECT * FROM {other}.{table} ORDER BY 1, 2")
    assert _sql(url, "SELECT relkind FROM pg_class WHERE relname = 'entries' "
                "AND relnamespace = current_schema()::regnamespace") == [("r",)]


def _reads(s: PostgresStore) -> tuple[object, ...]:
    """Everything the store answers about its log, for a before-and-after comparison."""
    rows: list[RawRow] = list(s.raw())
    return (
        rows,
        s.raw_since(3, 1000),
        s.since_for(KEYS.box_key_id, 0, 1000, 1000),
        s.since_for(OTHER.box_key_id, 5, 7, 30),
        s.granted_between(OTHER.box_key_id, 0, 1000),
        s.records(),
        s.record_count(),
        s.last_hlc(),
        s.count(),
        s.positioned(b"L" * 32, 0, 10),
        s.seqs_of([r.id for r in rows]),
        [s.get(r.id) for r in rows[:5]],
    )


def test_an_unpartitioned_table_is_converted_with_every_row_in_order(
    pg_url: str, source: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unpartitioned(pg_url, source, monkeypatch)
    # Small partitions and batches, so rows cross several of each.
    monkeypatch.setattr(_pg_partitions, "PARTITION_ENTRIES", 8)
    monkeypatch.setattr(_pg_partitions, "MOVE_BATCH", 7)
    new = PostgresStore(pg_url, partition_entries=8)
    try:
        assert _reads(new) == _reads(source)
        where = _where(pg_url)
        assert len(where) == 45 and len(set(where.values())) == 6
        assert all(where[s] == f"entries_p{(s - 1) // 8 * 8 + 1}" for s in where)
        assert _sql(pg_url, "SELECT count(*) FROM entry_ids") == [(45,)]
        assert _sql(pg_url, "SELECT to_regclass('entries_unpartitioned')") == [(None,)]
        # Appends carry on densely, summaries carry on, old ids are still known.
        first = source.since(0, 3)
        assert new.append([s.entry for s in first] + _record(3)) == [
            (1, False), (2, False), (3, False), (46, True), (47, True), (48, True), (49, True),
        ]
        assert new.record_count() == 5
        assert _sql(pg_url, "SELECT max(version) FROM schema_migrations") == [(7,)]
    finally:
        new.close()


def test_a_failed_conversion_leaves_the_old_table_as_it_was(
    pg_url: str, source: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unpartitioned(pg_url, source, monkeypatch)
    # A repeated id could only come from a damaged table: the conversion stops at it.
    _sql(pg_url, "ALTER TABLE entries DISABLE TRIGGER USER")
    _sql(pg_url, "ALTER TABLE entries DROP CONSTRAINT entries_id_key")
    _sql(pg_url, "UPDATE entries SET id = (SELECT id FROM entries WHERE seq = 1) WHERE seq = 2")
    with pytest.raises(StoreError, match="migrating"):
        PostgresStore(pg_url)
    assert _sql(pg_url, "SELECT relkind, (SELECT count(*) FROM entries) FROM pg_class "
                "WHERE relname = 'entries' AND relnamespace = current_schema()::regnamespace"
                ) == [("r", 45)]
