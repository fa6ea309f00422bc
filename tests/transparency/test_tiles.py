"""The tiled tree (tlog-tiles layout) gives exactly `MerkleTree`'s roots and proofs."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.transparency import (
    MerkleTree,
    TiledTree,
    TileEdge,
    leaf_hash,
    node_hash,
    tiles_of,
    verify_consistency,
    verify_inclusion,
)


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(b"%d" % i).digest()) for i in range(n)]


def _store_batches(leaves: list[bytes], batches: list[int], height: int) -> dict:
    """Write the leaves in batches, resuming each time from the stored partial tiles only,
    as a store does; return every tile written."""
    stored: dict[tuple[int, int], bytes] = {}
    done = 0
    for size in batches:
        width = 1 << height
        partial = [(lv, i, h) for (lv, i), h in stored.items() if len(h) < 32 * width]
        edge = TileEdge.from_tiles(partial, height)
        assert edge.size == done
        edge.extend(leaves[done : done + size])
        done = min(len(leaves), done + size)
        for level, index, hashes in edge.take_changed():
            old = stored.get((level, index), b"")
            assert hashes.startswith(old)  # a tile only grows
            stored[(level, index)] = hashes
    return stored


@settings(max_examples=120, deadline=None)
@given(
    height=st.integers(1, 3),
    batches=st.lists(st.integers(1, 40), min_size=1, max_size=12),
    data=st.data(),
)
def test_tiles_written_in_any_batches_serve_merkletree_roots_and_proofs(
    height: int, batches: list[int], data: st.DataObject
) -> None:
    n = sum(batches)
    leaves = _leaves(n)
    stored = _store_batches(leaves, batches, height)
    assert stored == tiles_of(leaves, height)  # batching changes nothing
    reference = MerkleTree(leaves)
    tree = TiledTree(n, lambda lv, i: stored.get((lv, i), b""), height=height, cache=2)
    for _ in range(8):
        size = data.draw(st.integers(1, n))
        index = data.draw(st.integers(0, size - 1))
        old = data.draw(st.integers(1, size))
        assert tree.root(size) == reference.root(size)
        assert tree.frontier(size) == reference.frontier(size)
        proof = tree.inclusion_proof(index, size)
        assert proof == reference.inclusion_proof(index, size)
        verify_inclusion(leaves[index], index, size, proof, reference.root(size))
        consistency = tree.consistency_proof(old, size)
        assert consistency == reference.consistency_proof(old, size)
        verify_consistency(old, size, consistency, reference.root(old), reference.root(size))


@pytest.mark.parametrize("n", [1, 255, 256, 257, 65_535, 65_536, 65_537, 70_000])
def test_tiles_of_height_8_at_the_tile_boundaries(n: int) -> None:
    leaves = _leaves(n)
    tiles = tiles_of(leaves)
    # Level 0 holds the leaf hashes, 256 a tile; level 1 the roots of full level-0 tiles.
    assert b"".join(tiles[(0, i)] for i in range((n + 255) // 256)) == b"".join(leaves)
    full = n // 256
    assert len(tiles.get((1, 0), b"")) == 32 * min(full, 256)
    tree = TiledTree(n, lambda lv, i: tiles.get((lv, i), b""))
    reference = MerkleTree(leaves)
    assert tree.root() == reference.root()
    for index in {0, n // 2, n - 1}:
        assert tree.inclusion_proof(index) == reference.inclusion_proof(index)
    assert tree.consistency_proof(max(1, n // 3)) == reference.consistency_proof(max(1, n // 3))


def test_a_proof_reads_o_log_n_tiles() -> None:
    n = 70_000  # three levels of tiles
    tiles = tiles_of(_leaves(n))
    tree = TiledTree(n, lambda lv, i: tiles.get((lv, i), b""))
    tree.inclusion_proof(12_345)
    # One tile per level on the leaf's path and per sibling range at most.
    assert tree.reads <= 6
    before = tree.reads
    tree.inclusion_proof(12_346)  # the same tiles: served from the cache
    assert tree.reads == before


def test_a_full_tile_root_is_the_subtree_hash() -> None:
    leaves = _leaves(4)
    tiles = tiles_of(leaves, height=2)
    left, right = node_hash(leaves[0], leaves[1]), node_hash(leaves[2], leaves[3])
    assert tiles[(1, 0)] == node_hash(left, right)


@pytest.mark.parametrize(
    ("tiles", "why"),
    [
        ([(0, 1, b"\x00" * 32)], "not at the tree's edge"),  # 1 leaf cannot be in tile 1
        ([(0, 0, b"\x00" * 31)], "holds 31 bytes"),
        ([(0, 0, b"\x00" * 32 * 256)], "holds 8192 bytes"),  # a full tile is not partial
        ([(0, 0, b"\x00" * 32), (1, 1, b"\x00" * 32)], "not at the tree's edge"),
    ],
)
def test_a_damaged_edge_is_refused(tiles: list[tuple[int, int, bytes]], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        TileEdge.from_tiles(tiles)


def test_a_tile_narrower_than_the_tree_is_an_error() -> None:
    tiles = tiles_of(_leaves(10))
    tree = TiledTree(11, lambda lv, i: tiles.get((lv, i), b""))
    with pytest.raises(ValueError, match="holds 10 hashes, 11 needed"):
        tree.root()
    with pytest.raises(ValueError, match="cannot shrink"):
        tree.grow(3)
