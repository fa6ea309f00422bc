"""Signed tree heads: encoding, signatures, rollback, fork and gossip checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from carechain.transparency import (
    HEAD_ENCODING_SIZE,
    GossipResult,
    HeadSignatureError,
    LogForked,
    LogMisbehaviour,
    LogRolledBack,
    MerkleTree,
    SignedTreeHead,
    TransparencyError,
    TreeHead,
    check_extension,
    compare_gossip,
    empty_root,
    leaf_hash,
    log_id_from_key,
    sign_head,
    verify_head,
)

SEED = bytes(range(32))
KEY = SigningKey(SEED)
LOG_ID = log_id_from_key(KEY.verify_key)


def history(n: int, fork_at: int | None = None) -> MerkleTree:
    """Return a log of n entries; a fork rewrites entry `fork_at` and all after it."""
    return MerkleTree(
        leaf_hash(f"{'B' if fork_at is not None and i >= fork_at else 'A'}{i}".encode())
        for i in range(n)
    )


HONEST = history(64)
FORKED = history(64, fork_at=20)


def head_of(tree: MerkleTree, size: int, timestamp_ms: int = 1_700_000_000_000) -> SignedTreeHead:
    """Return the log's signed head of `tree` at `size`."""
    head = TreeHead(size=size, root=tree.root(size), timestamp_ms=timestamp_ms, log_id=LOG_ID)
    return sign_head(head, KEY)


def test_encoding_is_the_documented_layout() -> None:
    """Encode magic, log id, u64 size, root, u64 timestamp, big-endian, 96 bytes."""
    head = TreeHead(size=0x0102, root=b"\xaa" * 32, timestamp_ms=0x0A0B, log_id=b"\x11" * 32)
    encoded = head.to_bytes()
    assert len(encoded) == HEAD_ENCODING_SIZE == 96
    assert encoded == (
        b"carechain-sth-v1"
        + b"\x11" * 32
        + bytes.fromhex("0000000000000102")
        + b"\xaa" * 32
        + bytes.fromhex("0000000000000a0b")
    )
    assert TreeHead.from_bytes(encoded) == head
    with pytest.raises(ValueError):
        TreeHead.from_bytes(encoded[:-1])
    with pytest.raises(ValueError):
        TreeHead.from_bytes(b"carechain-sth-v2" + encoded[16:])


@pytest.mark.parametrize(
    "changes",
    [{"size": -1}, {"size": 2**64}, {"timestamp_ms": -5}, {"root": b"\x00" * 31},
     {"log_id": b""}, {"size": True}],
)  # fmt: skip
def test_tree_head_refuses_out_of_range_fields(changes: dict[str, object]) -> None:
    """Refuse fields that do not fit the fixed layout."""
    fields: dict[str, object] = {
        "size": 1, "root": b"\x00" * 32, "timestamp_ms": 0, "log_id": b"\x00" * 32
    }  # fmt: skip
    with pytest.raises(ValueError):
        TreeHead(**{**fields, **changes})  # type: ignore[arg-type]


def test_sign_and_verify_with_keys_or_raw_bytes() -> None:
    """Sign with a SigningKey or its seed; verify with a VerifyKey or its raw bytes."""
    head = head_of(HONEST, 10).head
    from_key, from_seed = sign_head(head, KEY), sign_head(head, SEED)
    assert from_key == from_seed  # Ed25519 is deterministic
    verify_head(from_key, KEY.verify_key)
    verify_head(from_key, bytes(KEY.verify_key))
    assert len(LOG_ID) == 32 and log_id_from_key(bytes(KEY.verify_key)) == LOG_ID


@pytest.mark.parametrize(
    "tamper",
    [
        {"size": 11},
        {"root": HONEST.root(11)},
        {"timestamp_ms": 1_700_000_000_001},
        {"log_id": b"\x00" * 32},
    ],
    ids=["size", "root", "timestamp", "log_id"],
)
def test_tampered_head_fails(tamper: dict[str, object]) -> None:
    """Reject a head whose size, root, timestamp or log id changed after signing."""
    signed = head_of(HONEST, 10)
    forged = dataclasses.replace(signed, head=dataclasses.replace(signed.head, **tamper))  # type: ignore[arg-type]
    with pytest.raises(HeadSignatureError):
        verify_head(forged, KEY.verify_key)


def test_bad_signature_or_key_fails() -> None:
    """Reject a flipped or truncated signature and a signature by another key."""
    signed = head_of(HONEST, 10)
    flipped = bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
    for bad in (flipped, signed.signature[:-1], b""):
        with pytest.raises(HeadSignatureError):
            verify_head(dataclasses.replace(signed, signature=bad), KEY.verify_key)
    with pytest.raises(HeadSignatureError):
        verify_head(signed, SigningKey(b"\x07" * 32).verify_key)


def test_extension_accepted() -> None:
    """Accept a larger head with a valid proof, and the same head again."""
    old, new = head_of(HONEST, 13), head_of(HONEST, 50)
    check_extension(old, new, HONEST.consistency_proof(13, 50))
    check_extension(old, head_of(HONEST, 13, timestamp_ms=1_800_000_000_000), [])
    empty = sign_head(TreeHead(0, empty_root(), 1, LOG_ID), KEY)
    check_extension(empty, new, [])
    check_extension(empty, empty, [])


def _names_both(exc: LogMisbehaviour, a: SignedTreeHead, b: SignedTreeHead) -> None:
    text = str(exc)
    for head in (a, b):
        assert f"size {head.head.size} " in text
        assert head.head.root.hex()[:16] in text
    assert LOG_ID.hex()[:16] in text
    assert (exc.old, exc.new) == (a, b)


def test_rollback_detected_and_names_both_heads() -> None:
    """Raise LogRolledBack when a later head is smaller than an accepted one."""
    old, new = head_of(HONEST, 40), head_of(HONEST, 39)
    with pytest.raises(LogRolledBack, match="rolled back") as caught:
        check_extension(old, new, [])
    _names_both(caught.value, old, new)


def test_equivocation_detected_and_names_both_heads() -> None:
    """Raise LogForked with evidence when two heads of one size have different roots."""
    old, new = head_of(HONEST, 30), head_of(FORKED, 30)
    with pytest.raises(LogForked, match="forked") as caught:
        check_extension(old, new, [])
    assert caught.value.equivocation
    _names_both(caught.value, old, new)


@pytest.mark.parametrize("proof_source", ["honest", "forked", "empty", "flipped"])
def test_unprovable_extension_is_a_fork(proof_source: str) -> None:
    """Raise LogForked when no valid consistency proof links the old head to the new."""
    old, new = head_of(HONEST, 25), head_of(FORKED, 40)
    proofs: dict[str, Sequence[bytes]] = {
        "honest": HONEST.consistency_proof(25, 40),
        "forked": FORKED.consistency_proof(25, 40),
        "empty": [],
        "flipped": [bytes([p[0] ^ 1]) + p[1:] for p in HONEST.consistency_proof(25, 40)],
    }
    with pytest.raises(LogForked) as caught:
        check_extension(old, new, proofs[proof_source])
    assert not caught.value.equivocation
    _names_both(caught.value, old, new)
    honest_new = head_of(HONEST, 40)
    if proof_source == "flipped":
        with pytest.raises(LogForked, match="no valid consistency proof"):
            check_extension(old, honest_new, proofs["flipped"])


def test_bad_empty_head_and_foreign_log() -> None:
    """Refuse a size-0 head with a non-empty root, and heads of two different logs."""
    bad_empty = sign_head(TreeHead(0, HONEST.root(1), 1, LOG_ID), KEY)
    with pytest.raises(LogForked, match="size 0"):
        check_extension(bad_empty, head_of(HONEST, 5), [])
    other_log = sign_head(dataclasses.replace(head_of(HONEST, 5).head, log_id=b"\x01" * 32), KEY)
    with pytest.raises(ValueError, match="different logs"):
        check_extension(head_of(HONEST, 5), other_log, [])
    with pytest.raises(ValueError, match="different logs"):
        compare_gossip(head_of(HONEST, 5), other_log)
    assert issubclass(LogForked, TransparencyError)


def test_gossip_outcomes() -> None:
    """Report same, consistent or unchecked, and raise on a fork in either order."""
    mine, theirs = head_of(HONEST, 30), head_of(HONEST, 45)
    asked: list[tuple[int, int]] = []

    def fetch(size1: int, size2: int) -> list[bytes]:
        asked.append((size1, size2))
        return HONEST.consistency_proof(size1, size2)

    assert compare_gossip(mine, head_of(HONEST, 30, timestamp_ms=5)) is GossipResult.SAME
    assert compare_gossip(mine, theirs) is GossipResult.UNCHECKED
    assert compare_gossip(mine, theirs, fetch) is GossipResult.CONSISTENT
    # A peer with an older head is not a rollback: gossip heads are not ordered in time.
    assert compare_gossip(theirs, mine, fetch) is GossipResult.CONSISTENT
    assert asked == [(30, 45), (30, 45)]
    with pytest.raises(LogForked) as caught:
        compare_gossip(mine, head_of(FORKED, 30))
    assert caught.value.equivocation
    with pytest.raises(LogForked):
        compare_gossip(head_of(FORKED, 45), mine, fetch)


@given(
    size1=st.integers(min_value=0, max_value=64),
    size2=st.integers(min_value=0, max_value=64),
    fork_at=st.integers(min_value=0, max_value=63),
)
def test_check_extension_property(size1: int, size2: int, fork_at: int) -> None:
    """Accept exactly the honest extensions; a divergent history is always caught."""
    old = head_of(HONEST, size1)
    forked = history(64, fork_at=fork_at)
    honest_new, forked_new = head_of(HONEST, size2), head_of(forked, size2)
    if size2 < size1:
        with pytest.raises(LogRolledBack):
            check_extension(old, honest_new, [])
        return
    proof = HONEST.consistency_proof(size1, size2) if size1 else []
    check_extension(old, honest_new, proof)
    forked_proof = forked.consistency_proof(size1, size2) if size1 else []
    if fork_at >= size1:  # the "fork" only rewrote entries the old head never covered
        check_extension(old, forked_new, forked_proof)
        return
    for candidate in (proof, forked_proof):
        with pytest.raises(LogForked):
            check_extension(old, forked_new, candidate)
