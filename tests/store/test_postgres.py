"""The PostgreSQL engine, for real: several processes, migrations, triggers, LISTEN/NOTIFY."""

from __future__ import annotations

import multiprocessing
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from carechain.entries import HLC, Draft, Entry, crypto, make_encrypted, make_grant, new_record_id
from carechain.errors import StoreError
from carechain.store import SqliteStore, Store, open_store
from carechain.store._pg_schema import first_schema, migrate
from carechain.store.postgres import (
    CHANNEL,
    MIGRATIONS,
    PgListener,
    PostgresStore,
    channel_for,
    create_schema,
    drop_schema,
)
from carechain.trust import NodeKeys
from tests.store.engines import PG_URL, engine_url, fresh_pg_url, pg_url, store

__all__ = ["engine_url", "pg_url", "store"]

KEYS = NodeKeys.generate()
WAIT = 5.0  # seconds: the bound on every wait for another process or a notification


def _record(n: int) -> list[Entry]:
    """Return a grant to KEYS and n notes of one new record."""
    record, key = new_record_id(), crypto.random_bytes(32)
    grant = make_grant(
        Draft(record, "grant", "P1", HLC(1000), (), ()),
        KEYS,
        key,
        {KEYS.box_key_id: KEYS.box_public},
    )
    out = [grant]
    for i in range(n):
        draft = Draft(record, "clinical", "P1", HLC(2000 + i), (out[-1].id,), (KEYS.box_key_id,))
        out.append(
            make_encrypted(
                draft, KEYS, key, {"kind": "note.added", "v": 1, "data": {"text": f"n{i}"}}
            )
        )
    return out


@pytest.fixture
def pg(pg_url: str) -> Iterator[PostgresStore]:
    """Yield an open PostgresStore on a fresh schema."""
    s = PostgresStore(pg_url)
    try:
        yield s
    finally:
        s.close()


def _sql(url: str, query: str, *args: object) -> list[tuple[Any, ...]]:
    """Run one statement on a connection of its own and return its rows."""
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query.encode(), args or None)
        return cur.fetchall() if cur.description else []


# --- several processes --------------------------------------------------------------


def _append_worker(url: str, batches: list[list[Entry]], start: Any, out: Any) -> None:
    """Open the store, wait for the others, append every batch; report (id, seq, new)."""
    s = open_store(url)
    try:
        start.wait(60)
        results = []
        for batch in batches:
            results += [
                (e.id, seq, new) for e, (seq, new) in zip(batch, s.append(batch), strict=True)
            ]
        out.put(results)
    finally:
        s.close()


def _spawn(target: Any, args_per_process: list[tuple[Any, ...]]) -> list[Any]:
    """Run target in spawned processes started together; return what each put on the queue."""
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(len(args_per_process)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, start, out)) for args in args_per_process]
    for p in procs:
        p.start()
    results: list[Any] = []
    deadline = time.monotonic() + 120
    try:
        while len(results) < len(procs) and time.monotonic() < deadline:
            try:
                results.append(out.get(timeout=0.2))
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    break  # a worker died: its traceback is on stderr
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
    assert [p.exitcode for p in procs] == [0] * len(procs)
    assert len(results) == len(procs)
    return results


def test_processes_appending_at_once_number_densely(pg_url: str) -> None:
    shared = _record(4)  # pushed by every process: stored once, whoever wins
    own = [[e for _ in range(6) for e in _record(3)] for _ in range(4)]
    plans = []
    for n, entries in enumerate(own):
        # Batches of different sizes, the shared record in the middle, repeats included.
        batches = [
            entries[: 1 + n],
            shared,
            entries[1 + n : 10],
            entries[:3],
            entries[10:] + entries[10:12],
        ]
        plans.append((pg_url, batches))
    results = [r for rs in _spawn(_append_worker, plans) for r in rs]

    expected = {e.id for e in shared} | {e.id for es in own for e in es}
    rows = _sql(pg_url, "SELECT seq, id FROM entries ORDER BY seq")
    assert [seq for seq, _ in rows] == list(range(1, len(expected) + 1))
    assert {bytes(i) for _, i in rows} == expected
    stored_at = {bytes(i): seq for seq, i in rows}
    assert all(stored_at[i] == seq for i, seq, _ in results)
    newly = [i for i, _, new in results if new]
    assert sorted(newly) == sorted(expected)  # each entry reported new exactly once
    assert _sql(pg_url, "SELECT count(*) FROM access") == [(1 + 4 * 6,)]


def _open_worker(url: str, start: Any, out: Any) -> None:
    """Wait for the others, then open (and so migrate) the store."""
    start.wait(60)
    PostgresStore(url).close()
    out.put("ok")


def test_processes_opening_a_fresh_schema_migrate_it_once(pg_url: str) -> None:
    assert _spawn(_open_worker, [(pg_url,)] * 3) == ["ok"] * 3
    versions = _sql(pg_url, "SELECT version FROM schema_migrations ORDER BY version")
    assert versions == [(v,) for v in range(1, len(MIGRATIONS) + 1)]


def test_each_migration_is_applied_by_exactly_one_of_several_openers(pg_url: str) -> None:
    n = 6
    conns = [psycopg.connect(pg_url, autocommit=True) for _ in range(n)]
    start = threading.Barrier(n)
    applied: list[int] = []
    errors: list[Exception] = []
    schema = _sql(pg_url, "SELECT current_schema()")[0][0]

    def run(conn: psycopg.Connection[Any]) -> None:
        try:
            start.wait(WAIT)
            applied.extend(migrate(conn, schema))
        except Exception as exc:  # reported below, so a failure names its cause
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for c in conns:
        c.close()
    assert errors == []
    assert sorted(applied) == list(range(1, len(MIGRATIONS) + 1))
    later = PostgresStore(pg_url)  # and a later open finds nothing left to do
    assert later.count() == 0
    later.close()


def test_the_schema_matches_sqlite(pg: PostgresStore, pg_url: str, tmp_path: Path) -> None:
    SqliteStore(tmp_path / "s.db").close()
    lite = sqlite3.connect(tmp_path / "s.db")
    tables = ("entries", "meta", "access", "hub_positions", "records", "totals", "tree_tiles")
    lite_columns = {t: [r[1] for r in lite.execute(f"PRAGMA table_info({t})")] for t in tables}
    lite_keys = {
        t: sorted(r[1] for r in lite.execute(f"PRAGMA table_info({t})") if r[5]) for t in tables
    }
    lite_indexes = {
        r[0]
        for r in lite.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
        )
    }
    lite.close()
    pg_columns = {
        t: [
            r[0]
            for r in _sql(
                pg_url,
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = %s ORDER BY ordinal_position",
                pg.schema,
                t,
            )
        ]
        for t in tables
    }
    pg_keys = {
        t: sorted(
            r[0]
            for r in _sql(
                pg_url,
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indisprimary AND i.indrelid = %s::regclass",
                f"{pg.schema}.{t}",
            )
        )
        for t in tables
    }
    pg_indexes = {
        r[0]
        for r in _sql(
            pg_url,
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE connamespace = %s::regnamespace) "
            "AND indexname NOT IN (SELECT relname FROM pg_class WHERE relispartition "
            "AND relnamespace = %s::regnamespace)",
            pg.schema,
            pg.schema,
            pg.schema,
        )
    }
    tables_in_pg = {
        r[0]
        for r in _sql(
            pg_url,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition "
            "AND relnamespace = %s::regnamespace)",
            pg.schema,
            pg.schema,
        )
    }
    assert (pg_columns, pg_keys, pg_indexes) == (lite_columns, lite_keys, lite_indexes)
    # Partitions aside, PostgreSQL has one table more: a partitioned table cannot enforce a
    # key without its partition key, so ids are unique in `entry_ids` (_pg_partitions.py).
    assert tables_in_pg == {*tables, "schema_migrations", "entry_ids"}


# --- append-only, durable, dense -----------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE entries SET cls = 'audit'",
        "UPDATE entries SET seq = seq + 100 WHERE seq = 1",
        "DELETE FROM entries WHERE seq = 2",
        "TRUNCATE entries",
    ],
)
def test_the_database_refuses_to_change_or_remove_entries(
    pg: PostgresStore, pg_url: str, statement: str
) -> None:
    entries = _record(1)
    pg.append(entries)
    with pytest.raises(psycopg.errors.RaiseException, match="entries are append-only"):
        _sql(pg_url, statement)
    assert [s.entry for s in pg.since(0, 10)] == entries


def test_a_failed_append_stores_nothing_and_leaves_no_gap(pg: PostgresStore) -> None:
    good, other = _record(1), _record(0)
    bad = replace(other[0], header=replace(other[0].header, cls="nul\x00"))  # text refuses NUL
    with pytest.raises(StoreError, match="append failed"):
        pg.append([*good, bad])
    assert pg.count() == 0
    assert pg.append(good) == [(1, True), (2, True)]
    assert pg.granted_between(KEYS.box_key_id, 0, 10) == [good[0].header.record]


def test_a_large_batch_is_numbered_densely_and_found_again(pg: PostgresStore) -> None:
    entries = [e for _ in range(50) for e in _record(9)]
    assert pg.append(entries) == [(n, True) for n in range(1, 501)]
    assert pg.has([e.id for e in entries]) == {e.id for e in entries}
    assert [r.seq for r in pg.raw()] == list(range(1, 501))
    assert pg.ids(498, 10) == [entries[498].id, entries[499].id]


def test_commits_are_durable_even_if_the_server_default_is_not(pg_url: str) -> None:
    s = PostgresStore(pg_url + "%20-csynchronous_commit%3Doff")
    try:
        with s._using("test") as conn:  # the store's own session
            assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)
    finally:
        s.close()


def test_a_lost_connection_fails_one_call_and_is_reopened(pg: PostgresStore, pg_url: str) -> None:
    pg.append(_record(1))
    with pg._using("test") as conn:
        pid = conn.info.backend_pid
    _sql(pg_url, "SELECT pg_terminate_backend(%s, 5000)", pid)
    with pytest.raises(StoreError):
        pg.count()
    assert pg.count() == 2


def test_a_missing_schema_or_a_closed_store_is_a_store_error(pg: PostgresStore) -> None:
    with pytest.raises(StoreError, match="create it first"):
        PostgresStore(fresh_pg_url())
    pg.close()
    with pytest.raises(StoreError, match="closed"):
        pg.count()


def test_open_store_opens_postgres_for_both_url_spellings(pg_url: str) -> None:
    for url in (pg_url, pg_url.replace("postgresql://", "postgres://", 1)):
        s = open_store(url)
        try:
            assert isinstance(s, PostgresStore)
            assert s.append(_record(0))[0][1] is True
        finally:
            s.close()
    assert _sql(pg_url, "SELECT seq FROM entries ORDER BY seq") == [(1,), (2,)]


# --- both engines keep the same finer points ------------------------------------------


def test_a_batch_with_a_repeat_stores_it_once(store: Store) -> None:
    entries = _record(1)
    assert store.append([entries[0], entries[0], entries[1]]) == [(1, True), (1, False), (2, True)]
    assert store.append([]) == []
    assert store.records_of([entries[1].id, b"z" * 32]) == {entries[1].id: entries[1].header.record}
    assert store.has([]) == set() and store.records_of([]) == {}


def test_a_batch_larger_than_one_lookup_numbers_new_entries_after_held_ones(
    store: Store,
) -> None:
    held = [e for _ in range(120) for e in _record(9)]  # 1,200 entries: several id lookups
    assert store.append(held[:700]) == [(n, True) for n in range(1, 701)]
    mixed = held[650:] + held[:10]  # 50 held, 500 new, 10 held again
    assert store.append(mixed) == (
        [(n, False) for n in range(651, 701)]
        + [(n, True) for n in range(701, 1201)]
        + [(n, False) for n in range(1, 11)]
    )
    assert [r.seq for r in store.raw()] == list(range(1, 1201))
    assert store.granted_between(KEYS.box_key_id, 0, 1200) == [
        held[n].header.record for n in range(0, 1200, 10)
    ]


def test_the_first_grant_of_a_record_to_a_key_counts(store: Store) -> None:
    first = _record(0)[0]
    again = make_grant(
        Draft(first.header.record, "grant", "P1", HLC(3000), (first.id,), ()),
        KEYS,
        crypto.random_bytes(32),
        {KEYS.box_key_id: KEYS.box_public},
    )
    store.append([first])
    store.append([again])
    assert store.granted_between(KEYS.box_key_id, 0, 1) == [first.header.record]
    assert store.granted_between(KEYS.box_key_id, 1, 2) == []


def test_records_are_newest_first_and_meta_keys_in_byte_order(store: Store) -> None:
    a, b = _record(1), _record(1)
    store.append([a[0], b[0], a[1]])
    assert [r.record for r in store.records()] == [a[0].header.record, b[0].header.record]
    for key in ("k:b", "k:B", "k:é", "k:a", "k_"):
        store.set_meta(key, key.encode())
    assert [k for k, _ in store.meta_items("k:")] == ["k:B", "k:a", "k:b", "k:é"]


# --- LISTEN/NOTIFY ---------------------------------------------------------------------


class _Seen:
    """Collect callback seqs; wait until one of them reaches a value."""

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self._cond = threading.Condition()

    def __call__(self, seq: int) -> None:
        with self._cond:
            self.seqs.append(seq)
            self._cond.notify_all()

    def wait_for(self, seq: int, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: seq in self.seqs, timeout)


@pytest.fixture
def listener(pg_url: str) -> Iterator[tuple[PgListener, _Seen]]:
    """Yield a started listener on the fresh schema and what it has seen."""
    seen, lst = _Seen(), PgListener(pg_url, poll=0.1)
    lst.start(seen)
    try:
        yield lst, seen
    finally:
        lst.stop()


def test_an_append_wakes_a_listener_on_another_connection(
    pg: PostgresStore, listener: tuple[PgListener, _Seen]
) -> None:
    lst, seen = listener
    entries = _record(2)
    pg.append(entries)
    assert seen.wait_for(3)
    assert lst.channel == pg.channel == channel_for(pg.schema)
    pg.append(entries)  # nothing new: no notification
    pg.append(_record(0))
    assert seen.wait_for(4)
    # Notifications arrive in commit order, so a notice for the repeat would come before 4.
    assert seen.seqs == [3, 4]


def test_an_append_to_another_schema_does_not_wake_the_listener(
    pg: PostgresStore, listener: tuple[PgListener, _Seen]
) -> None:
    _, seen = listener
    other_url = fresh_pg_url()
    create_schema(other_url)
    try:
        other = open_store(other_url)
        other.append(_record(5))
        other.close()
        pg.append(_record(0))
        assert seen.wait_for(1)
        assert seen.seqs == [1]
    finally:
        drop_schema(other_url)


def test_a_listener_reconnects_and_catches_up(
    pg: PostgresStore, pg_url: str, listener: tuple[PgListener, _Seen]
) -> None:
    lst, seen = listener
    _sql(pg_url, "SELECT pg_terminate_backend(%s, 5000)", lst.backend_pid)
    pg.append(_record(1))  # its notice may be lost; the catch-up after reconnecting is not
    assert seen.wait_for(2)
    pg.append(_record(0))
    assert seen.wait_for(3)
    assert lst.reconnects >= 1


def test_a_failing_callback_does_not_stop_the_listener(pg: PostgresStore, pg_url: str) -> None:
    seen = _Seen()

    def callback(seq: int) -> None:
        seen(seq)
        raise RuntimeError("boom")

    lst = PgListener(pg_url, poll=0.1)
    lst.start(callback)
    try:
        pg.append(_record(0))
        pg.append(_record(0))
        assert seen.wait_for(2)
    finally:
        lst.stop()
    with pytest.raises(StoreError):
        PgListener(fresh_pg_url()).start(seen)  # its schema does not exist


# --- URLs and schemas --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search_path", "schema"),
    [
        ("cc_abc", "cc_abc"),
        ("Hub, public", "hub"),
        ('"$user", public', "public"),
        ('"My ""Hub""", public', 'My "Hub"'),
        ("  spaced  ,x", "spaced"),
        ('"$user"', None),
        ("", None),
    ],
)
def test_the_schema_is_the_first_of_the_search_path(search_path: str, schema: str | None) -> None:
    assert first_schema(search_path) == schema


def test_channels_and_schema_helpers() -> None:
    assert channel_for("public") == CHANNEL == "carechain_entries"
    assert channel_for("cc_1") == "carechain_entries.cc_1"
    assert len(channel_for("x" * 63).encode()) <= 63
    with pytest.raises(ValueError, match="refusing"):
        drop_schema(PG_URL)
