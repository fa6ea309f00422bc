"""SIGKILL while a store writes entries and their tree tiles: nothing acknowledged is lost,
and the tiles are exactly the tree of the entries present (both engines)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from carechain.store import open_store
from carechain.transparency import MerkleTree, TiledTree, leaf_hash, tiles_of
from tests.store.engines import engine_url, pg_url

__all__ = ["engine_url", "pg_url"]

KILLS = 12


def test_sigkill_during_tile_writes_leaves_a_tree_that_verifies(engine_url: str) -> None:
    open_store(engine_url).close()  # migrated before the first kill
    rnd = random.Random(20261203)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    acknowledged = 0
    for kill in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store.tile_writer", engine_url, str(kill)],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert proc.stdout is not None
        assert proc.stdout.readline(), "the writer died before it opened the store"
        time.sleep(rnd.uniform(0.05, 0.6))  # somewhere inside a batch and its tiles
        proc.send_signal(signal.SIGKILL)
        lines = proc.stdout.read().split("\n")[:-1]  # a line cut off was not acknowledged
        proc.wait()
        acknowledged = max([acknowledged, *(int(n) for n in lines)])
        store = open_store(engine_url)
        try:
            ids: list[bytes] = []
            while page := store.ids(len(ids), 10_000):
                ids += page
            assert len(ids) >= acknowledged
            leaves = [leaf_hash(i) for i in ids]
            assert store.tree_size() == len(ids)
            tree, reference = TiledTree(len(ids), store.tile), MerkleTree(leaves)
            assert tree.root() == reference.root()
            expected = tiles_of(leaves)
            assert {k: store.tile(*k) for k in expected} == expected
            assert store.tile(0, (len(ids) + 255) // 256) == b""  # nothing past the end
        finally:
            store.close()
    assert acknowledged > 0
