"""The summary a store keeps of its log (`records`, `totals`) always says what grouping the
log would say, after appends, repeats, a bulk load and a migration, on both engines; a
bulk load of rows not numbered 1, 2, … n is refused."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from carechain.entries import HLC
from carechain.errors import StoreError
from carechain.store import RecordSummary, SqliteStore, Store, open_store
from carechain.store.bulk import BulkStore
from carechain.store.postgres import create_schema, drop_schema
from carechain.store.sqlite import MIGRATIONS
from tests.store.engines import engine_url, fresh_pg_url, pg_url, store
from tests.store.test_contract import _record

__all__ = ["engine_url", "pg_url", "store"]


def _grouped(store: Store) -> tuple[list[RecordSummary], int, HLC | None]:
    """What grouping the whole log says: records newest activity first, count, latest HLC."""
    per: dict[bytes, list[int]] = defaultdict(list)
    last: dict[bytes, int] = {}
    newest: HLC | None = None
    for stored in store.since(0, 10_000):
        h = stored.entry.header
        per[h.record].append(h.hlc.ms)
        last[h.record] = stored.seq
        newest = h.hlc if newest is None or h.hlc > newest else newest
    order = sorted(per, key=lambda r: last[r], reverse=True)
    return [RecordSummary(r, len(per[r]), min(per[r]), max(per[r])) for r in order], len(per), \
        newest


def _summary(store: Store) -> tuple[list[RecordSummary], int, HLC | None]:
    return store.records(), store.record_count(), store.last_hlc()


def test_the_summary_follows_appends_and_repeats(store: Store) -> None:
    assert _summary(store) == ([], 0, None)
    a, b, c = _record(3), _record(1), _record(2)
    store.append(a[:2])
    assert _summary(store) == _grouped(store)
    store.append([b[0], a[2], b[1], a[1]])  # a[1] again: stored once, counted once
    assert _summary(store) == _grouped(store)
    store.append([*c, a[3]])
    assert _summary(store) == _grouped(store)
    assert store.record_count() == 3 and store.count() == 9
    assert store.last_hlc() == HLC(2002)


def test_a_bulk_load_fills_the_summary(engine_url: str, store: Store) -> None:
    store.append(_record(2) + _record(3))
    source = store.snapshot()
    try:
        rows = [r for page in source.entry_pages(100) for r in page]
    finally:
        source.close()
    with _fresh(engine_url, store) as fresh:
        assert isinstance(fresh, BulkStore)
        load = fresh.bulk_load()
        load.add_entries(rows)
        load.commit()
        assert _summary(fresh) == _grouped(fresh) == _summary(store)


def test_a_bulk_load_with_a_gap_in_its_seqs_is_refused(engine_url: str, store: Store) -> None:
    store.append(_record(2))
    source = store.snapshot()
    try:
        rows = [r for page in source.entry_pages(100) for r in page]
    finally:
        source.close()
    with _fresh(engine_url, store) as fresh:
        assert isinstance(fresh, BulkStore)
        load = fresh.bulk_load()
        load.add_entries([rows[0], rows[2]])  # seq 1 and 3
        with pytest.raises(StoreError, match="densely"):
            load.commit()
        assert fresh.count() == 0 and fresh.record_count() == 0


@contextlib.contextmanager
def _fresh(engine_url: str, store: Store) -> Iterator[Store]:
    """Yield a second, empty store on the same engine."""
    if engine_url.startswith("sqlite"):
        assert isinstance(store, SqliteStore)
        fresh = open_store(Path(store.path).with_name("fresh.db"))
        try:
            yield fresh
        finally:
            fresh.close()
        return
    url = fresh_pg_url()
    create_schema(url)
    fresh = open_store(url)
    try:
        yield fresh
    finally:
        fresh.close()
        drop_schema(url)


def test_postgres_keeps_the_summary_whoever_inserts(pg_url: str) -> None:
    store = open_store(pg_url)
    try:
        store.append(_record(1))
        # Another writer (an older hub process, say) inserting rows with plain SQL.
        extra = _record(2)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for seq, e in enumerate(extra, start=store.count() + 1):
                h = e.header
                conn.execute(
                    "INSERT INTO entries (seq, id, record, cls, author, hlc_ms, hlc_counter,"
                    " signed, signature, stored_ms) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
                    " %s, 0)",
                    (seq, e.id, h.record, h.cls, h.author, h.hlc.ms, h.hlc.counter, e.signed,
                     e.signature),
                )
        assert _summary(store) == _grouped(store)
        assert store.record_count() == 2
    finally:
        store.close()


def test_the_migration_summarises_a_log_written_before_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    # The schema as the version before the summary's migration left it.
    step = next(i for i, m in enumerate(MIGRATIONS) if any("TABLE totals" in s for s in m))
    for statements in MIGRATIONS[:step]:
        for sql in statements:
            db.execute(sql)
    db.execute(f"PRAGMA user_version={step}")
    entries = _record(2) + _record(1)
    for seq, e in enumerate(entries, start=1):
        h = e.header
        db.execute(
            "INSERT INTO entries (seq, id, record, cls, author, hlc_ms, hlc_counter, signed,"
            " signature, stored_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (seq, e.id, h.record, h.cls, h.author, h.hlc.ms, h.hlc.counter, e.signed,
             e.signature),
        )
    db.close()
    store = SqliteStore(path)
    try:
        assert _summary(store) == _grouped(store)
        assert store.record_count() == 2 and store.last_hlc() == HLC(2001)
    finally:
        store.close()
