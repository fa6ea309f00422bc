"""Property tests: honest proofs verify, and any single flipped bit is rejected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carechain.transparency import (
    HASH_SIZE,
    MerkleTree,
    ProofError,
    empty_root,
    leaf_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 300


@lru_cache(maxsize=8)
def tree_of(salt: int) -> MerkleTree:
    """Return a 300-leaf tree; smaller trees are its prefixes, read with an explicit size."""
    return MerkleTree(leaf_hash(f"{salt}:{i}".encode()) for i in range(MAX_LEAVES))


def flip(value: bytes, bit: int) -> bytes:
    """Return value with one bit inverted."""
    bit %= len(value) * 8
    mutable = bytearray(value)
    mutable[bit // 8] ^= 1 << (bit % 8)
    return bytes(mutable)


def rejects(verify: Callable[..., None], *args: object) -> bool:
    """Return whether verify(*args) raised ProofError."""
    try:
        verify(*args)
    except ProofError:
        return True
    return False


sizes = st.integers(min_value=1, max_value=MAX_LEAVES)
salts = st.integers(min_value=0, max_value=3)
bits = st.integers(min_value=0, max_value=HASH_SIZE * 8 - 1)


@pytest.mark.parametrize("size", range(1, 65))
def test_every_proof_verifies_exhaustively(size: int) -> None:
    """Verify every inclusion proof and every consistency proof up to 64 leaves."""
    tree = tree_of(0)
    root = tree.root(size)
    for index in range(size):
        proof = tree.inclusion_proof(index, size)
        verify_inclusion(tree.leaf_hash(index), index, size, proof, root)
    for old in range(1, size + 1):
        proof = tree.consistency_proof(old, size)
        verify_consistency(old, size, proof, tree.root(old), root)


@given(salt=salts, size=sizes, data=st.data())
def test_inclusion_proofs_verify(salt: int, size: int, data: st.DataObject) -> None:
    """Verify the inclusion proof of any leaf in any tree of 1..300 leaves."""
    tree = tree_of(salt)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = tree.inclusion_proof(index, size)
    root = tree.root(size)
    verify_inclusion(tree.leaf_hash(index), index, size, proof, root)
    assert root_from_inclusion_proof(tree.leaf_hash(index), index, size, proof) == root


@given(salt=salts, size2=sizes, data=st.data())
def test_consistency_proofs_verify(salt: int, size2: int, data: st.DataObject) -> None:
    """Verify the consistency proof between any two sizes of a tree of 1..300 leaves."""
    tree = tree_of(salt)
    size1 = data.draw(st.integers(min_value=1, max_value=size2))
    proof = tree.consistency_proof(size1, size2)
    verify_consistency(size1, size2, proof, tree.root(size1), tree.root(size2))


@given(salt=salts, size=sizes, data=st.data(), bit=bits)
def test_inclusion_rejects_any_flipped_bit(
    salt: int, size: int, data: st.DataObject, bit: int
) -> None:
    """Reject an inclusion proof with one bit flipped in the proof, root or leaf hash."""
    tree = tree_of(salt)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaf, proof, root = tree.leaf_hash(index), tree.inclusion_proof(index, size), tree.root(size)
    assert rejects(verify_inclusion, flip(leaf, bit), index, size, proof, root)
    assert rejects(verify_inclusion, leaf, index, size, proof, flip(root, bit))
    for position in range(len(proof)):
        bad = [*proof[:position], flip(proof[position], bit), *proof[position + 1 :]]
        assert rejects(verify_inclusion, leaf, index, size, bad, root)


@given(salt=salts, size2=sizes, data=st.data(), bit=bits)
def test_consistency_rejects_any_flipped_bit(
    salt: int, size2: int, data: st.DataObject, bit: int
) -> None:
    """Reject a consistency proof with one bit flipped in the proof or either root."""
    tree = tree_of(salt)
    size1 = data.draw(st.integers(min_value=1, max_value=size2))
    proof = tree.consistency_proof(size1, size2)
    root1, root2 = tree.root(size1), tree.root(size2)
    assert rejects(verify_consistency, size1, size2, proof, flip(root1, bit), root2)
    assert rejects(verify_consistency, size1, size2, proof, root1, flip(root2, bit))
    for position in range(len(proof)):
        bad = [*proof[:position], flip(proof[position], bit), *proof[position + 1 :]]
        assert rejects(verify_consistency, size1, size2, bad, root1, root2)


def _mangled(proof: Sequence[bytes], extra: bytes) -> list[list[bytes]]:
    """Return the proof with a component dropped, inserted, prepended or appended."""
    out = [[extra, *proof], [*proof, extra]]
    if proof:
        out.append(list(proof[1:]))
        out.append(list(proof[:-1]))
        out.append([proof[0], extra, *proof[1:]])
    return out


@given(salt=salts, size=sizes, data=st.data())
def test_wrong_shape_or_position_is_rejected(salt: int, size: int, data: st.DataObject) -> None:
    """Reject proofs with a component added or removed, and proofs for another size or index."""
    tree = tree_of(salt)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaf, root = tree.leaf_hash(index), tree.root(size)
    proof = tree.inclusion_proof(index, size)
    for extra in (root, empty_root(), b"", b"\x00" * 33):
        for bad in _mangled(proof, extra):
            assert rejects(verify_inclusion, leaf, index, size, bad, root)
    assert rejects(verify_inclusion, leaf, size, size, proof, root)
    assert rejects(verify_inclusion, leaf, -1, size, proof, root)
    if size < MAX_LEAVES:
        # Only the signed root binds the size: this proof does verify against size + 1
        # with the old root in some shapes, which is fine, but never against the new root.
        bigger = tree.root(size + 1)
        assert rejects(verify_inclusion, leaf, index, size + 1, proof, bigger)

    size1 = data.draw(st.integers(min_value=1, max_value=size))
    cproof = tree.consistency_proof(size1, size)
    root1 = tree.root(size1)
    for extra in (root1, root, b"", b"\x01" * 31):
        for bad in _mangled(cproof, extra):
            assert rejects(verify_consistency, size1, size, bad, root1, root)
    assert rejects(verify_consistency, size, size1 - 1, cproof, root, root1)
    if size1 < size:
        assert rejects(verify_consistency, size1, size, cproof, root, root1)
        assert rejects(verify_consistency, size1, size, [], root1, root)


def test_edge_cases_named_by_rfc() -> None:
    """Apply the size rules: equal sizes need an empty proof, size 0 proves nothing."""
    tree = tree_of(1)
    r1, r2 = tree.root(1), tree.root(2)
    verify_consistency(5, 5, [], tree.root(5), tree.root(5))
    with pytest.raises(ProofError, match="not empty"):
        verify_consistency(5, 5, [r1], tree.root(5), tree.root(5))
    with pytest.raises(ProofError, match="roots differ"):
        verify_consistency(1, 1, [], r1, r2)
    with pytest.raises(ProofError, match="greater"):
        verify_consistency(2, 1, [], r2, r1)
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 0, [], empty_root(), empty_root())
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 2, [], empty_root(), r2)
    with pytest.raises(ProofError, match="negative"):
        verify_consistency(-1, 2, [], r1, r2)
    with pytest.raises(ProofError, match="not below"):
        verify_inclusion(r1, 1, 1, [], r1)
    with pytest.raises(ProofError, match="no leaf"):
        verify_inclusion(empty_root(), 0, 0, [], empty_root())
    verify_inclusion(tree.leaf_hash(0), 0, 1, [], r1)


def test_proof_length_is_checked_by_the_rfc_loop() -> None:
    """Stop as soon as the path is longer than the sizes allow, as the RFC loop says."""
    tree = tree_of(2)
    proof = tree.inclusion_proof(3, 8)
    with pytest.raises(ProofError, match="more than"):
        verify_inclusion(tree.leaf_hash(3), 3, 8, [*proof, proof[0]], tree.root(8))
    with pytest.raises(ProofError, match="fewer than"):
        verify_inclusion(tree.leaf_hash(3), 3, 8, proof[:-1], tree.root(8))
    cproof = tree.consistency_proof(3, 8)
    with pytest.raises(ProofError, match="more than"):
        verify_consistency(3, 8, [*cproof, cproof[0]], tree.root(3), tree.root(8))
    with pytest.raises(ProofError, match="fewer than"):
        verify_consistency(3, 8, cproof[:-1], tree.root(3), tree.root(8))
