"""The store keeps the log's Merkle tree as tiles, written with the entries (both engines)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carechain.entries import Entry
from carechain.errors import StoreError
from carechain.store import Store, open_store
from carechain.transparency import MerkleTree, TiledTree, leaf_hash, tiles_of
from tests.store.engines import engine_url, fresh_pg_url, pg_url, store
from tests.store.test_contract import _record

__all__ = ["engine_url", "pg_url", "store"]

POOL = _record(699)  # 700 entries: three level-0 tiles and a level-1 tile


def _stored_tiles(store: Store) -> dict[tuple[int, int], bytes]:
    out: dict[tuple[int, int], bytes] = {}
    for level in range(3):
        index = 0
        while hashes := store.tile(level, index):
            out[(level, index)] = hashes
            index += 1
    return out


def _check(store: Store, entries: list[Entry]) -> None:
    leaves = [leaf_hash(e.id) for e in entries]
    assert store.tree_size() == store.count() == len(entries)
    assert _stored_tiles(store) == tiles_of(leaves)
    tree, reference = TiledTree(store.tree_size(), store.tile), MerkleTree(leaves)
    for size in {1, len(leaves) // 2 + 1, len(leaves)}:
        assert tree.root(size) == reference.root(size)
        assert tree.inclusion_proof(size - 1, size) == reference.inclusion_proof(size - 1, size)
        assert tree.consistency_proof(1, size) == reference.consistency_proof(1, size)


def _open_fresh(engine: str, tmp_path: Path) -> Store:
    if engine == "sqlite":  # a new file per example: tmp_path is shared by all of them
        return open_store(tmp_path / f"s{uuid.uuid4().hex}.db")
    from carechain.store.postgres import create_schema

    url = fresh_pg_url()
    create_schema(url)
    return open_store(url)


def _drop(engine: str, store: Store) -> None:
    store.close()
    if engine == "postgresql":
        from carechain.store.postgres import PostgresStore, drop_schema

        assert isinstance(store, PostgresStore)
        drop_schema(store.url)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.integers(1, 300), min_size=1, max_size=6), data=st.data())
def test_appends_in_any_batches_keep_tiles_equal_to_the_tree_of_the_entries(
    engine: str, tmp_path: Path, batches: list[int], data: st.DataObject
) -> None:
    s = _open_fresh(engine, tmp_path)
    try:
        done = 0
        for size in batches:
            batch = POOL[done : done + size]
            if done and data.draw(st.booleans()):
                batch = [POOL[0], *batch]  # an entry already stored takes no leaf
            s.append(batch)
            done = min(len(POOL), done + size)
        _check(s, POOL[:done])
    finally:
        _drop(engine, s)


def test_a_store_without_tiles_is_covered_when_it_opens(
    engine_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = open_store(engine_url)
    s.append(POOL[:600])
    s.close()
    _forget_tiles(engine_url)  # as an older version left it
    s = open_store(engine_url)
    try:
        assert "building the log's tree tiles: 0 of 600 entries so far" in caplog.text
        _check(s, POOL[:600])
    finally:
        s.close()


def test_entries_appended_without_tiles_are_covered_by_the_next_append(engine_url: str) -> None:
    s = open_store(engine_url)
    try:
        s.append(POOL[:300])
        _forget_tiles(engine_url)  # an older process appended; nobody wrote tiles
        assert s.tree_size() == 0
        s.append(POOL[300:310])
        _check(s, POOL[:310])
    finally:
        s.close()


def test_the_database_refuses_to_shrink_or_rewrite_a_tile(engine_url: str) -> None:
    s = open_store(engine_url)
    try:
        s.append(POOL[:300])  # tile 0/0 full, 0/1 partial
    finally:
        s.close()
    for statement in (
        "UPDATE tree_tiles SET hashes = substr(hashes, 1, 32), width = 1 WHERE idx = 1",
        "UPDATE tree_tiles SET width = 256 WHERE level = 0 AND idx = 0",
        "DELETE FROM tree_tiles",
    ):
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="tree tiles only grow"):
            _run(engine_url, statement)
    s = open_store(engine_url)
    try:
        _check(s, POOL[:300])
    finally:
        s.close()


def test_damaged_tiles_are_refused_not_served(engine_url: str) -> None:
    s = open_store(engine_url)
    s.append(POOL[:10])
    s.close()
    _forget_tiles(engine_url)
    _run(engine_url, "INSERT INTO tree_tiles VALUES (0, 3, 1, ?)", leaf_hash(b"x"))
    with pytest.raises(StoreError, match="the tree's tiles are damaged"):
        open_store(engine_url)


def _run(url: str, statement: str, *args: object) -> None:
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url[len("sqlite:///") :])
        try:
            with db:
                db.execute(statement, args)
        finally:
            db.close()
        return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement.replace("?", "%s"), args)


def _forget_tiles(url: str) -> None:
    """Empty `tree_tiles` past its guard, as a store from before migration 6 would be."""
    if url.startswith("sqlite:///"):
        _run(url, "DROP TRIGGER tree_tiles_no_delete")
        _run(url, "DELETE FROM tree_tiles")
        _run(
            url,
            "CREATE TRIGGER tree_tiles_no_delete BEFORE DELETE ON tree_tiles "
            "BEGIN SELECT RAISE(ABORT, 'tree tiles only grow'); END",
        )
        return
    _run(url, "ALTER TABLE tree_tiles DISABLE TRIGGER USER")
    _run(url, "DELETE FROM tree_tiles")
    _run(url, "ALTER TABLE tree_tiles ENABLE TRIGGER USER")
