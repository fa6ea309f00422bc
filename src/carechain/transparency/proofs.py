"""Verify inclusion and consistency proofs exactly as RFC 9162 §2.1.3.2 and §2.1.4.2 say.

Every failure raises `ProofError` with a reason; success returns None. Both verifiers
check sizes before touching a hash, and reject any proof element that is not a 32-byte
SHA-256 value, so a proof with a component spliced in, dropped, or padded never verifies.
"""

from __future__ import annotations

from collections.abc import Sequence

from carechain.transparency.errors import ProofError
from carechain.transparency.hashing import HASH_SIZE, node_hash
from carechain.transparency.tree import CompactRange

__all__ = ["root_from_inclusion_proof", "verify_consistency", "verify_inclusion", "verify_range"]


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        if len(value) != HASH_SIZE:
            raise ProofError(f"proof[{position}] is {len(value)} bytes, not {HASH_SIZE}")


def _shift_until_lsb_set(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift fn and sn equally until fn's lowest bit is set or fn is 0."""
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root that an inclusion proof implies (RFC 9162 §2.1.3.2 steps 1-4)."""
    if size <= 0 or index < 0:
        raise ProofError(f"no leaf {index} in a tree of size {size}")
    if index >= size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"leaf hash is {len(leaf_hash)} bytes, not {HASH_SIZE}")
    _check_proof_hashes(proof)
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError(f"proof has {len(proof)} hashes, more than the path needs")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_until_lsb_set(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"proof has {len(proof)} hashes, fewer than the path needs")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf_hash` is leaf `index` of the tree of `size` with `root`."""
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if computed != root:
        raise ProofError(
            f"inclusion proof gives root {computed.hex()[:16]}…, not {root.hex()[:16]}…"
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of `size1` with `root1` is a prefix of the tree of `size2`."""
    if size1 < 0 or size2 < 0:
        raise ProofError(f"tree sizes must not be negative, got {size1} and {size2}")
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}")
    if size1 == 0:
        # RFC 9162 defines the proof only for 0 < first; every tree extends the empty one,
        # so a "proof" from size 0 would prove nothing. Compare root1 with empty_root().
        raise ProofError("consistency from an empty tree proves nothing; check its root")
    if size1 == size2:
        if proof:
            raise ProofError(f"sizes are equal ({size1}) but the proof is not empty")
        if root1 != root2:
            raise ProofError(f"sizes are equal ({size1}) but the roots differ")
        return
    if not proof:
        raise ProofError(f"empty proof between different sizes {size1} and {size2}")
    _check_proof_hashes(proof)

    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is a node of tree 2
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"proof has {len(proof)} hashes, more than the sizes need")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_until_lsb_set(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"proof has {len(proof)} hashes, fewer than the sizes need")
    if fr != root1:
        raise ProofError(f"proof gives old root {fr.hex()[:16]}…, not {root1.hex()[:16]}…")
    if sr != root2:
        raise ProofError(f"proof gives new root {sr.hex()[:16]}…, not {root2.hex()[:16]}…")


def verify_range(
    first: int,
    leaf_hashes: Sequence[bytes],
    left: Sequence[bytes],
    consistency: Sequence[bytes],
    size: int,
    root: bytes,
) -> None:
    """Check that `leaf_hashes` are leaves `first`, `first + 1`, … of the tree of `size`.

    One proof for a run of consecutive leaves (a pushed batch): `left` holds the hashes of
    the full subtrees of the first `first` leaves (one per set bit of `first`, largest
    first); appending the run to them gives the root of the tree that ends with the run,
    and `consistency` is the RFC 9162 consistency proof from that tree to the tree of
    `size` with `root` (empty when the run ends the tree). O(run + log size) hashes
    instead of an inclusion proof per leaf.
    """
    if not leaf_hashes:
        raise ProofError("a range proof needs at least one leaf")
    end = first + len(leaf_hashes)
    if first < 0 or end > size:
        raise ProofError(f"leaves {first}..{end - 1} are not within a tree of size {size}")
    for position, value in enumerate(leaf_hashes):
        if len(value) != HASH_SIZE:
            raise ProofError(f"leaf hash {position} is {len(value)} bytes, not {HASH_SIZE}")
    try:
        compact = CompactRange.resume(first, left)
    except ValueError as exc:
        raise ProofError(f"left subtrees: {exc}") from None
    for value in leaf_hashes:
        compact.append(value)
    verify_consistency(end, size, consistency, compact.root(), root)
