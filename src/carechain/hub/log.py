"""The hub's transparency log: a Merkle tree over its entry log, in log order.

Leaf i is `leaf_hash(id of the entry with seq i + 1)`. The tree lives on disk, as tiles
the store writes with the entries they cover (`store/_tiles.py`); this class reads the
tiles it needs for a root or a proof (O(log n) of them, the recent ones kept in an LRU)
and learns the tree's size from the store, so entries appended by other hub processes
sharing the database are seen as soon as they commit. Start-up reads the tree's size and
checks the tiles against the node's own signed head of its log: nothing grows with the
log. Heads are signed with the hub's node key.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from carechain.entries import Clock
from carechain.errors import StoreError
from carechain.store import Store
from carechain.store.sealed import read_head
from carechain.transparency import (
    SignedTreeHead,
    TileDamaged,
    TiledTree,
    TreeHead,
    log_id_from_key,
    sign_head,
)
from carechain.trust import NodeKeys

__all__ = ["TransparencyLog"]


@contextmanager
def _tiles() -> Iterator[None]:
    """Report a damaged tile as the store's failure, not the caller's bad argument."""
    try:
        yield
    except TileDamaged as exc:
        raise StoreError(f"the log's tree tiles are damaged: {exc}") from exc


class TransparencyLog:
    """A Merkle tree over a store's log, with signed tree heads and proofs."""

    def __init__(self, store: Store, keys: NodeKeys, clock: Clock) -> None:
        self._store = store
        self._keys = keys
        self._clock = clock
        self._lock = threading.Lock()
        self._tree = TiledTree(store.tree_size(), store.tile)
        self._head: SignedTreeHead | None = None
        self.log_id = log_id_from_key(keys.sign_public)
        self._check_against_seal()

    def _check_against_seal(self) -> None:
        """Refuse to serve from tiles that disagree with the node's signed head of its log:
        both are written in one transaction, so a difference is damage, not lag."""
        sealed = read_head(self._store)
        if sealed is None or not 0 < sealed.head.size <= self._tree.size:
            return
        with _tiles():
            root = self._tree.root(sealed.head.size)
        if root != sealed.head.root:
            raise StoreError(
                f"the log's tree tiles disagree with the node's signed head at size "
                f"{sealed.head.size}: the tiles are damaged (see docs/transparency.md)"
            )

    @property
    def size(self) -> int:
        """Return the number of leaves."""
        return self._tree.size

    def catch_up(self) -> int:
        """Take in every entry the store's tiles cover beyond the tree; return the new size."""
        size = self._store.tree_size()
        with self._lock:
            if size > self._tree.size:
                self._tree.grow(size)
            return self._tree.size

    def head(self) -> SignedTreeHead:
        """Return a signed head of the current tree (re-signed only when it grew)."""
        self.catch_up()
        with self._lock:
            size = self._tree.size
            if self._head is None or self._head.size != size:
                with _tiles():
                    root = self._tree.root(size)
                head = TreeHead(
                    size=size,
                    root=root,
                    timestamp_ms=self._clock.now_ms(),
                    log_id=self.log_id,
                )
                self._head = sign_head(head, self._keys.signing_key)
            return self._head

    def inclusion(self, seq: int, size: int) -> list[bytes]:
        """Return the inclusion proof of the entry at `seq` in the tree of `size` leaves."""
        with self._lock, _tiles():
            return self._tree.inclusion_proof(seq - 1, size)

    def frontier(self, size: int) -> list[bytes]:
        """Return the full-subtree hashes of the first `size` leaves (for a range proof)."""
        with self._lock, _tiles():
            return self._tree.frontier(size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof between two sizes of the tree."""
        if second > self._tree.size:
            self.catch_up()  # only for a size this process has not seen yet
        with self._lock, _tiles():
            if not 0 <= first <= second <= self._tree.size:
                raise ValueError(
                    f"sizes must satisfy 0 <= {first} <= {second} <= {self._tree.size}"
                )
            return self._tree.consistency_proof(first, second)
