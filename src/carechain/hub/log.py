"""The hub's transparency log: a Merkle tree over its entry log, in log order.

Leaf i is `leaf_hash(id of the entry with seq i + 1)`. The tree is rebuilt from the store
at start and extended after every append, also with entries appended by other hub
processes sharing the database. Heads are signed with the hub's node key.
"""

from __future__ import annotations

import threading

from carechain.entries import Clock
from carechain.store import Store
from carechain.transparency import (
    MerkleTree,
    SignedTreeHead,
    TreeHead,
    leaf_hash,
    log_id_from_key,
    sign_head,
)
from carechain.trust import NodeKeys

__all__ = ["TransparencyLog"]

CATCH_UP_PAGE = 10_000


class TransparencyLog:
    """A Merkle tree over a store's log, with signed tree heads and proofs."""

    def __init__(self, store: Store, keys: NodeKeys, clock: Clock) -> None:
        self._store = store
        self._keys = keys
        self._clock = clock
        self._tree = MerkleTree()
        self._lock = threading.Lock()
        self._head: SignedTreeHead | None = None
        self.log_id = log_id_from_key(keys.sign_public)
        self.catch_up()

    @property
    def size(self) -> int:
        """Return the number of leaves."""
        return self._tree.size

    def catch_up(self) -> int:
        """Add every entry the store holds beyond the tree; return the new size."""
        with self._lock:
            while True:
                ids = self._store.ids(self._tree.size, CATCH_UP_PAGE)
                if not ids:
                    return self._tree.size
                self._tree.extend(leaf_hash(i) for i in ids)

    def head(self) -> SignedTreeHead:
        """Return a signed head of the current tree (re-signed only when it grew)."""
        self.catch_up()
        with self._lock:
            size = self._tree.size
            if self._head is None or self._head.size != size:
                head = TreeHead(
                    size=size,
                    root=self._tree.root(size),
                    timestamp_ms=self._clock.now_ms(),
                    log_id=self.log_id,
                )
                self._head = sign_head(head, self._keys.signing_key)
            return self._head

    def inclusion(self, seq: int, size: int) -> list[bytes]:
        """Return the inclusion proof of the entry at `seq` in the tree of `size` leaves."""
        with self._lock:
            return self._tree.inclusion_proof(seq - 1, size)

    def frontier(self, size: int) -> list[bytes]:
        """Return the full-subtree hashes of the first `size` leaves (for a range proof)."""
        with self._lock:
            return self._tree.frontier(size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof between two sizes of the tree."""
        if second > self._tree.size:
            self.catch_up()  # only for a size this process has not seen yet
        with self._lock:
            if not 0 <= first <= second <= self._tree.size:
                raise ValueError(
                    f"sizes must satisfy 0 <= {first} <= {second} <= {self._tree.size}"
                )
            return self._tree.consistency_proof(first, second)
