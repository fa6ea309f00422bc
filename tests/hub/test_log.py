"""The hub's transparency log serves heads and proofs from the store's tiles."""

from __future__ import annotations

import pytest

from carechain.entries import SystemClock
from carechain.errors import StoreError
from carechain.hub import TransparencyLog
from carechain.store import open_store
from carechain.store.sealed import log_sealer, read_head
from carechain.transparency import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from carechain.trust import NodeKeys
from tests.store.engines import engine_url, pg_url
from tests.store.test_contract import _record
from tests.store.test_tiles import _run

__all__ = ["engine_url", "pg_url"]

KEYS = NodeKeys.generate()
POOL = _record(599)


def test_a_hub_process_sees_and_proves_what_another_process_appended(pg_url: str) -> None:
    mine, other = open_store(pg_url), open_store(pg_url)  # two hub processes, one database
    try:
        log = TransparencyLog(mine, KEYS, SystemClock())
        mine.append(POOL[:100])
        assert log.head().head.size == 100
        other.append(POOL[100:400])  # written by the other process only
        head = log.head().head
        reference = MerkleTree(leaf_hash(e.id) for e in POOL[:400])
        assert (head.size, head.root) == (400, reference.root())
        proof = log.inclusion(350, 400)  # seq 350, a leaf this process never wrote
        verify_inclusion(leaf_hash(POOL[349].id), 349, 400, proof, head.root)
        verify_consistency(100, 400, log.consistency(100, 400), reference.root(100), head.root)
    finally:
        mine.close()
        other.close()


def test_a_hub_starts_without_reading_the_log(engine_url: str) -> None:
    store = open_store(engine_url)
    try:
        store.append(POOL)
        reads: list[tuple[int, int]] = []
        tile = store.tile

        def read(level: int, index: int) -> bytes:
            reads.append((level, index))
            return tile(level, index)

        store.tile = read  # type: ignore[method-assign]
        store.ids = lambda after, limit: pytest.fail("start-up read the log")  # type: ignore[method-assign]
        log = TransparencyLog(store, KEYS, SystemClock())
        head = log.head().head
        assert head.root == MerkleTree(leaf_hash(e.id) for e in POOL).root()
        assert len(reads) <= 3  # the right edge: one tile a level
    finally:
        store.close()


def test_tiles_that_disagree_with_the_node_s_signed_head_are_refused(engine_url: str) -> None:
    store = open_store(engine_url)
    store.set_sealer(log_sealer(KEYS.signing_key, lambda: 1_000))
    store.append(POOL[:300])  # tiles 0/0 (full), 0/1 and 1/0 (partial)
    sealed = read_head(store)
    assert sealed is not None and sealed.head.size == 300
    TransparencyLog(store, KEYS, SystemClock())  # as written: accepted
    store.close()
    if engine_url.startswith("sqlite:///"):
        _run(engine_url, "DROP TRIGGER tree_tiles_grow_only")
    else:
        _run(engine_url, "ALTER TABLE tree_tiles DISABLE TRIGGER USER")
    # Below the right edge: found when a proof reads the tile, and never served.
    _run(engine_url, "UPDATE tree_tiles SET hashes = ? WHERE level = 0 AND idx = 0", bytes(8192))
    store = open_store(engine_url)
    try:
        log = TransparencyLog(store, KEYS, SystemClock())
        assert log.inclusion(290, 300)  # its tiles are intact
        with pytest.raises(StoreError, match="tile 0/0 does not hash to its node above"):
            log.inclusion(5, 300)
    finally:
        store.close()
    # On the right edge: found at start, against the node's signed head.
    _run(engine_url, "UPDATE tree_tiles SET hashes = ? WHERE level = 1 AND idx = 0", bytes(32))
    store = open_store(engine_url)  # the edge's shape is intact, so the store opens
    try:
        with pytest.raises(StoreError, match="disagree with the node's signed head at size 300"):
            TransparencyLog(store, KEYS, SystemClock())
    finally:
        store.close()
