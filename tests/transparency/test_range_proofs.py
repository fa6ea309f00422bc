"""Range proofs: a tree's frontier, resuming a compact range from it, and `verify_range`.

Honest range proofs verify for every (tree size, run); any altered hash, a missing or extra
left hash, a run moved by one place, two leaves of the run swapped, and every malformed
argument is refused with `ProofError` (never another exception).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carechain.transparency import (
    HASH_SIZE,
    CompactRange,
    MerkleTree,
    ProofError,
    empty_root,
    leaf_hash,
    verify_range,
)

from . import rfc9162

MAX_LEAVES = 200


@lru_cache(maxsize=8)
def tree_of(salt: int) -> MerkleTree:
    """Return a 200-leaf tree; smaller trees are its prefixes, read with an explicit size."""
    return MerkleTree(leaf_hash(f"range:{salt}:{i}".encode()) for i in range(MAX_LEAVES))


def leaves_of(tree: MerkleTree, first: int, end: int) -> list[bytes]:
    """Return the leaf hashes first..end-1 of the tree."""
    return [tree.leaf_hash(i) for i in range(first, end)]


def range_proof(
    tree: MerkleTree, first: int, count: int, size: int
) -> tuple[list[bytes], list[bytes], list[bytes], bytes]:
    """Return the run, its left hashes, its consistency proof and the root of `size`."""
    end = first + count
    consistency = [] if end == size else tree.consistency_proof(end, size)
    return leaves_of(tree, first, end), tree.frontier(first), consistency, tree.root(size)


def frontier_oracle(hashes: list[bytes]) -> list[bytes]:
    """Return MTH of each full subtree of the leaves, largest first, from the RFC definition."""
    pieces: list[bytes] = []
    position, size = 0, len(hashes)
    for height in reversed(range(size.bit_length())):
        if (size >> height) & 1:
            pieces.append(rfc9162.mth(hashes[position : position + (1 << height)]))
            position += 1 << height
    return pieces


def rejects(*args: object) -> bool:
    """Return whether verify_range(*args) raised ProofError."""
    try:
        verify_range(*args)  # type: ignore[arg-type]
    except ProofError:
        return True
    return False


def with_byte_flipped(values: Sequence[bytes], position: int, byte: int, mask: int) -> list[bytes]:
    """Return a copy of values with one byte of values[position] XORed with mask (non-zero)."""
    mutable = bytearray(values[position])
    mutable[byte % len(mutable)] ^= mask
    return [*values[:position], bytes(mutable), *values[position + 1 :]]


salts = st.integers(min_value=0, max_value=3)
sizes = st.integers(min_value=1, max_value=MAX_LEAVES)
bytes_ = st.integers(min_value=0, max_value=HASH_SIZE - 1)
masks = st.integers(min_value=1, max_value=255)
hashes32 = st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE)


@st.composite
def runs(draw: st.DrawFn, max_size: int = MAX_LEAVES) -> tuple[int, int, int, int]:
    """Draw (salt, size, first, count) with 0 <= first < first + count <= size."""
    salt = draw(salts)
    size = draw(st.integers(min_value=1, max_value=max_size))
    first = draw(st.integers(min_value=0, max_value=size - 1))
    count = draw(st.integers(min_value=1, max_value=size - first))
    return salt, size, first, count


# --- MerkleTree.frontier and CompactRange.resume -------------------------------------------


@pytest.mark.parametrize("size", range(0, 70))
def test_frontier_matches_definition(size: int) -> None:
    """Give one MTH per set bit of the size, largest first, and resume to the same root."""
    tree = tree_of(0)
    hashes = leaves_of(tree, 0, size)
    frontier = tree.frontier(size)
    assert frontier == frontier_oracle(hashes)
    assert len(frontier) == size.bit_count()
    assert all(len(h) == HASH_SIZE for h in frontier)
    resumed = CompactRange.resume(size, frontier)
    assert resumed.size == size
    assert resumed.root() == tree.root(size) == rfc9162.mth(hashes)


@pytest.mark.parametrize(
    ("size", "want"),
    [
        (0, []),
        (1, [(0, 1)]),
        (2, [(0, 2)]),
        (3, [(0, 2), (2, 3)]),
        (5, [(0, 4), (4, 5)]),
        (6, [(0, 4), (4, 6)]),
        (7, [(0, 4), (4, 6), (6, 7)]),
        (8, [(0, 8)]),
        (13, [(0, 8), (8, 12), (12, 13)]),
    ],
)
def test_frontier_pieces_by_hand(size: int, want: list[tuple[int, int]]) -> None:
    """Split the first `size` leaves into the aligned full subtrees written out here."""
    tree = MerkleTree(leaf_hash(bytes([i])) for i in range(16))
    hashes = leaves_of(tree, 0, 16)
    assert tree.frontier(size) == [rfc9162.mth(hashes[lo:hi]) for lo, hi in want]


def test_frontier_of_an_empty_tree_and_of_a_power_of_two() -> None:
    """An empty tree has no subtrees; a power-of-two tree is one subtree, its root."""
    assert MerkleTree().frontier(0) == []
    assert CompactRange.resume(0, []).root() == empty_root()
    tree = tree_of(1)
    for size in (1, 2, 4, 8, 16, 32, 64, 128):
        assert tree.frontier(size) == [tree.root(size)]


@pytest.mark.parametrize("size", [-1, 6, 100])
def test_frontier_outside_the_tree_raises_value_error(size: int) -> None:
    """Refuse a size below zero or past the tree's end."""
    tree = MerkleTree(leaf_hash(bytes([i])) for i in range(5))
    with pytest.raises(ValueError):
        tree.frontier(size)


H = leaf_hash(b"h")


@pytest.mark.parametrize(
    ("size", "frontier", "match"),
    [
        (1, [], "1 subtrees"),
        (0, [H], "0 subtrees"),
        (3, [H], "2 subtrees"),
        (3, [H, H, H], "2 subtrees"),
        (4, [H, H], "1 subtrees"),
        (-1, [], "subtrees"),
        (-2, [H], "subtrees"),
        (1, [b""], "32 bytes"),
        (1, [H[:31]], "32 bytes"),
        (1, [H + b"\x00"], "32 bytes"),
        (3, [H, H[:-1]], "32 bytes"),
    ],
)
def test_resume_refuses_a_wrong_frontier(size: int, frontier: list[bytes], match: str) -> None:
    """Refuse a frontier with the wrong number of hashes or a hash that is not 32 bytes."""
    with pytest.raises(ValueError, match=match):
        CompactRange.resume(size, frontier)


def test_resume_copies_the_frontier() -> None:
    """Appending to a resumed range leaves the caller's list as it was."""
    tree = tree_of(2)
    frontier = tree.frontier(7)
    before = list(frontier)
    resumed = CompactRange.resume(7, frontier)
    resumed.append(tree.leaf_hash(7))
    assert frontier == before
    assert resumed.root() == tree.root(8)


@given(hashes=st.lists(hashes32, max_size=80), data=st.data())
def test_resume_then_append_gives_the_longer_root(hashes: list[bytes], data: st.DataObject) -> None:
    """From tree.frontier(m), appending leaves m..n-1 gives tree.root(k) for every k >= m."""
    tree = MerkleTree(hashes)
    n = len(hashes)
    m = data.draw(st.integers(min_value=0, max_value=n))
    compact = CompactRange.resume(m, tree.frontier(m))
    assert compact.root() == tree.root(m)
    for k in range(m, n):
        compact.append(hashes[k])
        assert compact.size == k + 1
        assert compact.root() == tree.root(k + 1)
    assert compact.root() == tree.root(n) == rfc9162.mth(hashes)


# --- verify_range: honest proofs -----------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 34))
def test_every_range_verifies_exhaustively(size: int) -> None:
    """Verify every run of every tree of 1..33 leaves."""
    tree = tree_of(0)
    root = tree.root(size)
    for first in range(size):
        left = tree.frontier(first)
        for end in range(first + 1, size + 1):
            consistency = [] if end == size else tree.consistency_proof(end, size)
            verify_range(first, leaves_of(tree, first, end), left, consistency, size, root)


@given(run=runs())
def test_range_proofs_verify(run: tuple[int, int, int, int]) -> None:
    """Verify any run of any tree of 1..200 leaves."""
    salt, size, first, count = run
    tree = tree_of(salt)
    verify_range(first, *range_proof(tree, first, count, size)[:3], size, tree.root(size))


def test_a_run_that_is_the_whole_tree_or_one_leaf() -> None:
    """A whole tree needs no left hashes and no consistency; one leaf is a run too."""
    tree = tree_of(1)
    verify_range(0, leaves_of(tree, 0, 9), [], [], 9, tree.root(9))
    verify_range(8, [tree.leaf_hash(8)], tree.frontier(8), [], 9, tree.root(9))
    verify_range(0, [tree.leaf_hash(0)], [], tree.consistency_proof(1, 9), 9, tree.root(9))


# --- verify_range: altered proofs ----------------------------------------------------------


@given(run=runs(max_size=120), byte=bytes_, mask=masks)
def test_any_flipped_byte_is_rejected(run: tuple[int, int, int, int], byte: int, mask: int) -> None:
    """Reject a proof with one byte changed in any left hash, consistency hash, leaf or root."""
    salt, size, first, count = run
    tree = tree_of(salt)
    leaves, left, consistency, root = range_proof(tree, first, count, size)
    args = (first, leaves, left, consistency, size, root)
    assert not rejects(*args)
    assert rejects(
        first, leaves, left, consistency, size, with_byte_flipped([root], 0, byte, mask)[0]
    )
    for i in range(len(left)):
        assert rejects(
            first, leaves, with_byte_flipped(left, i, byte, mask), consistency, size, root
        )
    for i in range(len(consistency)):
        bad = with_byte_flipped(consistency, i, byte, mask)
        assert rejects(first, leaves, left, bad, size, root)
    for i in range(len(leaves)):
        assert rejects(
            first, with_byte_flipped(leaves, i, byte, mask), left, consistency, size, root
        )


@given(run=runs(), data=st.data())
def test_a_dropped_or_added_left_hash_is_rejected(
    run: tuple[int, int, int, int], data: st.DataObject
) -> None:
    """Reject left hashes with one dropped, or one added anywhere (even an honest hash)."""
    salt, size, first, count = run
    tree = tree_of(salt)
    leaves, left, consistency, root = range_proof(tree, first, count, size)
    extra = data.draw(st.sampled_from([root, empty_root(), tree.leaf_hash(0), *left]))
    for i in range(len(left)):
        assert rejects(first, leaves, [*left[:i], *left[i + 1 :]], consistency, size, root)
    for i in range(len(left) + 1):
        assert rejects(first, leaves, [*left[:i], extra, *left[i:]], consistency, size, root)


@given(run=runs(), data=st.data())
def test_a_dropped_or_added_consistency_hash_is_rejected(
    run: tuple[int, int, int, int], data: st.DataObject
) -> None:
    """Reject a consistency proof with one hash dropped or one added anywhere."""
    salt, size, first, count = run
    tree = tree_of(salt)
    leaves, left, consistency, root = range_proof(tree, first, count, size)
    extra = data.draw(st.sampled_from([root, empty_root(), tree.leaf_hash(0), *consistency]))
    for i in range(len(consistency)):
        bad = [*consistency[:i], *consistency[i + 1 :]]
        assert rejects(first, leaves, left, bad, size, root)
    for i in range(len(consistency) + 1):
        bad = [*consistency[:i], extra, *consistency[i:]]
        assert rejects(first, leaves, left, bad, size, root)


@given(run=runs(), shift=st.sampled_from([-1, 1]))
def test_a_run_moved_by_one_place_is_rejected(run: tuple[int, int, int, int], shift: int) -> None:
    """Reject the run claimed one place earlier or later, with its own or honest proof hashes."""
    salt, size, first, count = run
    tree = tree_of(salt)
    leaves, left, consistency, root = range_proof(tree, first, count, size)
    moved = first + shift
    assert rejects(moved, leaves, left, consistency, size, root)
    if moved >= 0 and moved + count <= size:
        # Left hashes and consistency proof that are honest for the moved position: only
        # the leaves are wrong there (every leaf of the tree is distinct).
        _, moved_left, moved_consistency, _ = range_proof(tree, moved, count, size)
        assert rejects(moved, leaves, moved_left, moved_consistency, size, root)


@given(run=runs(), data=st.data())
def test_two_swapped_leaves_are_rejected(
    run: tuple[int, int, int, int], data: st.DataObject
) -> None:
    """Reject a run with two of its (distinct) leaves swapped."""
    salt, size, first, count = run
    if count < 2:
        return
    tree = tree_of(salt)
    leaves, left, consistency, root = range_proof(tree, first, count, size)
    i = data.draw(st.integers(min_value=0, max_value=count - 2))
    j = data.draw(st.integers(min_value=i + 1, max_value=count - 1))
    swapped = list(leaves)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert swapped[i] != swapped[j]
    assert rejects(first, swapped, left, consistency, size, root)


@given(run=runs(max_size=MAX_LEAVES - 1), data=st.data())
def test_another_size_or_tree_is_rejected(
    run: tuple[int, int, int, int], data: st.DataObject
) -> None:
    """Reject an honest proof checked against another tree size or another tree's root."""
    salt, size, first, count = run
    tree = tree_of(salt)
    leaves, left, consistency, root = range_proof(tree, first, count, size)
    # Only the signed root binds the size (as for RFC 9162 proofs, the same hashes can
    # verify against the same root under another size), so pair each size with its root.
    assert rejects(first, leaves, left, consistency, size + 1, tree.root(size + 1))
    if first + count < size:
        assert rejects(first, leaves, left, consistency, size - 1, tree.root(size - 1))
    other = tree_of((salt + 1) % 4)
    assert rejects(first, leaves, left, consistency, size, other.root(size))
    # A run dropped from the end, or one more leaf appended, does not fit the proof.
    if count > 1:
        assert rejects(first, leaves[:-1], left, consistency, size, root)
    assert rejects(
        first,
        [*leaves, data.draw(st.sampled_from([root, leaves[0]]))],
        left,
        consistency,
        size,
        root,
    )


# --- verify_range: malformed arguments -----------------------------------------------------


def test_malformed_ranges_raise_proof_error() -> None:
    """Refuse an empty run, a negative start, a run past the end and wrong-length hashes."""
    tree = tree_of(3)
    leaves, left, consistency, root = range_proof(tree, 5, 3, 20)
    cases: list[tuple[str, tuple[object, ...]]] = [
        ("at least one leaf", (5, [], left, consistency, 20, root)),
        ("at least one leaf", (0, [], [], [], 0, empty_root())),
        ("not within", (-1, leaves, left, consistency, 20, root)),
        ("not within", (-3, leaves, [], consistency, 20, root)),
        ("not within", (18, leaves, tree.frontier(18), [], 20, root)),
        ("not within", (5, leaves, left, consistency, 7, tree.root(7))),
        ("not within", (0, [tree.leaf_hash(0)], [], [], 0, empty_root())),
        ("not within", (0, [tree.leaf_hash(0)], [], [], -1, root)),
        (
            "leaf hash 1 is 31 bytes",
            (5, [leaves[0], leaves[1][:31], leaves[2]], left, consistency, 20, root),
        ),
        ("leaf hash 0 is 0 bytes", (5, [b"", *leaves[1:]], left, consistency, 20, root)),
        ("left subtrees", (5, leaves, [left[0], left[1] + b"\x00"], consistency, 20, root)),
        ("left subtrees", (5, leaves, [], consistency, 20, root)),
        ("left subtrees", (0, leaves, [root], consistency, 20, root)),
        (
            "proof\\[0\\] is 33 bytes",
            (5, leaves, left, [consistency[0] + b"!", *consistency[1:]], 20, root),
        ),
        ("empty proof", (5, leaves, left, [], 20, root)),
        ("not empty", (17, leaves, tree.frontier(17), [root], 20, root)),
    ]
    for match, args in cases:
        with pytest.raises(ProofError, match=match):
            verify_range(*args)  # type: ignore[arg-type]


lengths = st.sampled_from([0, 1, 31, 32, 32, 32, 33])


@given(
    first=st.integers(min_value=-3, max_value=40),
    leaves=st.lists(lengths.flatmap(lambda n: st.binary(min_size=n, max_size=n)), max_size=6),
    left=st.lists(lengths.flatmap(lambda n: st.binary(min_size=n, max_size=n)), max_size=6),
    consistency=st.lists(lengths.flatmap(lambda n: st.binary(min_size=n, max_size=n)), max_size=8),
    size=st.integers(min_value=-3, max_value=50),
    root=st.binary(max_size=33),
)
def test_garbage_only_ever_raises_proof_error(
    first: int,
    leaves: list[bytes],
    left: list[bytes],
    consistency: list[bytes],
    size: int,
    root: bytes,
) -> None:
    """Answer arbitrary arguments with ProofError, never ValueError or another exception."""
    with pytest.raises(ProofError):
        verify_range(first, leaves, left, consistency, size, root)
