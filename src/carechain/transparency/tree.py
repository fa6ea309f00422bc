"""Merkle tree hashes and proofs (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1).

`MerkleTree` stores, level by level, the hash of every *full* subtree: level 0 holds the
leaf hashes, level h holds the hash of each aligned run of 2**h leaves. That is under
2n hashes for n leaves, packed 32 bytes apiece in one `bytearray` per level. Any subtree
the RFC algorithms need is either one stored node or, at the right edge of a tree that is
not a power of two, a right fold of at most log2(n) stored nodes, so `root`,
`inclusion_proof` and `consistency_proof` cost O(log n) hash operations at any size up to
the current one, however large the log.

`CompactRange` keeps only the O(log n) full-subtree hashes on the right frontier: enough
to append leaves and read the current root, not to serve proofs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from carechain.transparency.hashing import HASH_SIZE, empty_root, node_hash

__all__ = ["CompactRange", "MerkleTree", "SubtreeHashes", "root_from_leaf_hashes"]


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """Return the MTH of adjacent full subtrees listed left to right, largest first."""
    if not hashes:
        return empty_root()
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _split(n: int) -> int:
    """Return the largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The right frontier of a growing tree: append leaf hashes, read the root, O(log n) memory."""

    def __init__(self) -> None:
        self._size = 0
        # One hash per set bit of size, largest (leftmost) subtree first.
        self._frontier: list[bytes] = []

    @classmethod
    def resume(cls, size: int, frontier: Sequence[bytes]) -> CompactRange:
        """Continue a tree of `size` leaves from its full-subtree hashes, largest first.

        That is one hash per set bit of `size` (what `MerkleTree.frontier` gives).
        """
        if size < 0 or len(frontier) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {max(size, 0).bit_count()} subtrees")
        for value in frontier:
            _check_hash(value, "frontier hash")
        compact = cls()
        compact._size = size
        compact._frontier = list(frontier)
        return compact

    @property
    def size(self) -> int:
        """Return the number of leaves appended so far."""
        return self._size

    @property
    def frontier(self) -> list[bytes]:
        """Return the full-subtree hashes of the leaves so far, largest first (what
        `resume` takes back)."""
        return list(self._frontier)

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash, merging completed subtrees."""
        _check_hash(leaf_hash, "leaf hash")
        merged = leaf_hash
        size = self._size
        # Each trailing 1-bit of the old size is a full subtree the new leaf completes.
        while size & 1:
            merged = node_hash(self._frontier.pop(), merged)
            size >>= 1
        self._frontier.append(merged)
        self._size += 1

    def root(self) -> bytes:
        """Return the Merkle tree hash of all leaves appended so far."""
        return _fold_right(self._frontier)


def root_from_leaf_hashes(hashes: Iterable[bytes]) -> bytes:
    """Return MTH(D[n]) of RFC 9162 §2.1.1 for the given leaf hashes."""
    compact = CompactRange()
    for value in hashes:
        compact.append(value)
    return compact.root()


class SubtreeHashes(ABC):
    """Roots and proofs at any past size, over a store of full-subtree hashes.

    A subclass says where the hash of the full subtree at (height, index) is kept
    (`_node`): in memory (`MerkleTree`) or in tiles on disk (`tiles.TiledTree`). Everything
    the RFC algorithms need is one such node or a fold of at most log2(n) of them.
    """

    _size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def size(self) -> int:
        """Return the number of leaves in the tree."""
        return self._size

    @abstractmethod
    def _node(self, height: int, index: int) -> bytes:
        """Return the hash of the full subtree of 2**height leaves at `index`."""

    def leaf_hash(self, index: int) -> bytes:
        """Return the stored hash of leaf `index`."""
        if not 0 <= index < self._size:
            raise ValueError(f"leaf index {index} outside a tree of size {self._size}")
        return self._node(0, index)

    def root(self, size: int | None = None) -> bytes:
        """Return the Merkle tree hash of the first `size` leaves (default: all)."""
        size = self._resolve_size(size)
        return self._range_hash(0, size)

    def frontier(self, size: int) -> list[bytes]:
        """Return the hashes of the full subtrees that make up the first `size` leaves.

        Largest first, one per set bit of `size`: with `CompactRange.resume` a verifier
        appends the leaves that follow and gets the root of the longer tree.
        """
        size = self._resolve_size(size)
        pieces: list[bytes] = []
        position = 0
        for height in reversed(range(size.bit_length())):
            if (size >> height) & 1:
                pieces.append(self._node(height, position >> height))
                position += 1 << height
        return pieces

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the RFC 9162 §2.1.3.1 inclusion path of leaf `index` in the tree of `size`."""
        size = self._resolve_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} outside a tree of size {size}")
        # Walk PATH(m, D[lo:hi]) from the root down; the proof lists siblings leaf first.
        siblings: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                siblings.append(self._range_hash(lo + k, hi))
                hi = lo + k
            else:
                siblings.append(self._range_hash(lo, lo + k))
                lo += k
        siblings.reverse()
        return siblings

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Return the RFC 9162 §2.1.4.1 proof that tree `old_size` is a prefix of `new_size`."""
        new_size = self._resolve_size(new_size)
        if not 0 < old_size <= new_size:
            raise ValueError(f"need 0 < old_size <= new_size, got {old_size} and {new_size}")
        # Walk SUBPROOF(m, D[lo:hi], b) from the root down, collecting the sibling hashes
        # that the recursion appends on the way back up, until m is the whole range.
        siblings: list[bytes] = []
        lo, hi = 0, new_size
        m = old_size
        complete = True  # b: the old tree is the whole of D[0:lo + m]
        while m != hi - lo:
            k = _split(hi - lo)
            if m <= k:
                siblings.append(self._range_hash(lo + k, hi))
                hi = lo + k
            else:
                siblings.append(self._range_hash(lo, lo + k))
                lo += k
                m -= k
                complete = False
        proof = [] if complete else [self._range_hash(lo, hi)]
        proof.extend(reversed(siblings))
        return proof

    def _resolve_size(self, size: int | None) -> int:
        if size is None:
            return self._size
        if not 0 <= size <= self._size:
            raise ValueError(f"size {size} outside 0..{self._size}")
        return size

    def _range_hash(self, lo: int, hi: int) -> bytes:
        """Return MTH(D[lo:hi]) for a range that starts on a boundary of its own size class."""
        # D[lo:hi] splits into full subtrees of decreasing size, one per set bit of hi - lo;
        # each is aligned because lo is a multiple of the largest of them in every caller.
        count = hi - lo
        if count & (count - 1) == 0 and count:  # one full subtree: one stored node
            height = count.bit_length() - 1
            if lo % count:
                raise AssertionError(f"unaligned subtree at {lo}, height {height}")
            return self._node(height, lo >> height)
        pieces: list[bytes] = []
        position = lo
        while count:  # one piece per set bit, largest first
            height = count.bit_length() - 1
            if position % (1 << height):
                raise AssertionError(f"unaligned subtree at {position}, height {height}")
            pieces.append(self._node(height, position >> height))
            position += 1 << height
            count -= 1 << height
        return _fold_right(pieces)


class MerkleTree(SubtreeHashes):
    """An append-only Merkle tree that serves roots and proofs at any past size in O(log n)."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._size = 0
        self._levels: list[bytearray] = [bytearray()]
        self.extend(leaf_hashes)

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash and return its index."""
        _check_hash(leaf_hash, "leaf hash")
        levels = self._levels
        levels[0] += leaf_hash
        size = self._size + 1
        height = 0
        # Level `height` holds size >> height nodes; when that count becomes even the last
        # two nodes there have just become a full pair, so their parent is now known.
        while (size >> height) & 1 == 0:
            level = levels[height]
            parent = node_hash(bytes(level[-2 * HASH_SIZE : -HASH_SIZE]), bytes(level[-HASH_SIZE:]))
            if height + 1 == len(levels):
                levels.append(bytearray())
            levels[height + 1] += parent
            height += 1
        self._size = size
        return size - 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append several leaf hashes in order."""
        for value in leaf_hashes:
            self.append(value)

    def _node(self, height: int, index: int) -> bytes:
        start = index * HASH_SIZE
        return bytes(self._levels[height][start : start + HASH_SIZE])
