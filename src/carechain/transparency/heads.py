"""Signed tree heads, and the checks a node runs on each new head it sees.

A tree head is signed over a fixed 96-byte layout, all integers big-endian:

    offset  length  field
    0       16      b"carechain-sth-v1"  (domain separation and format version)
    16      32      log_id               (recommended: SHA-256 of the log's Ed25519 key)
    48      8       size                 (u64, number of leaves)
    56      32      root                 (SHA-256 Merkle tree hash, RFC 9162 §2.1.1)
    88      8       timestamp_ms         (u64, milliseconds since the Unix epoch, UTC)

The signature is Ed25519 (PyNaCl) over exactly those 96 bytes. `check_extension` and
`compare_gossip` assume both heads' signatures were already checked with `verify_head`:
they judge what two authentic heads say about the log, not who wrote them.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

from carechain.transparency.errors import (
    HeadSignatureError,
    LogForked,
    LogRolledBack,
    ProofError,
)
from carechain.transparency.hashing import HASH_SIZE, empty_root
from carechain.transparency.proofs import verify_consistency

__all__ = [
    "HEAD_ENCODING_SIZE",
    "HEAD_MAGIC",
    "SIGNATURE_SIZE",
    "GossipResult",
    "ProofFetcher",
    "SignedTreeHead",
    "TreeHead",
    "check_extension",
    "compare_gossip",
    "log_id_from_key",
    "sign_head",
    "verify_head",
]

HEAD_MAGIC = b"carechain-sth-v1"
HEAD_ENCODING_SIZE = len(HEAD_MAGIC) + 32 + 8 + HASH_SIZE + 8
SIGNATURE_SIZE = 64
_U64_MAX = 2**64 - 1

ProofFetcher = Callable[[int, int], Sequence[bytes]]
"""Given (smaller size, larger size), return the log's consistency proof between them."""


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The state of a log at one size: its root, when it was issued, and which log."""

    size: int
    root: bytes
    timestamp_ms: int
    log_id: bytes

    def __post_init__(self) -> None:
        for name, value in (("size", self.size), ("timestamp_ms", self.timestamp_ms)):
            if isinstance(value, bool) or not 0 <= value <= _U64_MAX:
                raise ValueError(f"{name} must be an unsigned 64-bit integer, got {value!r}")
        if len(self.root) != HASH_SIZE:
            raise ValueError(f"root must be {HASH_SIZE} bytes, got {len(self.root)}")
        if len(self.log_id) != 32:
            raise ValueError(f"log_id must be 32 bytes, got {len(self.log_id)}")

    def to_bytes(self) -> bytes:
        """Return the canonical 96-byte encoding that is signed."""
        return b"".join(
            (
                HEAD_MAGIC,
                self.log_id,
                self.size.to_bytes(8, "big"),
                self.root,
                self.timestamp_ms.to_bytes(8, "big"),
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> TreeHead:
        """Decode the canonical 96-byte encoding, refusing anything else."""
        if len(data) != HEAD_ENCODING_SIZE:
            raise ValueError(f"a tree head is {HEAD_ENCODING_SIZE} bytes, got {len(data)}")
        if data[:16] != HEAD_MAGIC:
            raise ValueError("not a carechain-sth-v1 tree head")
        return cls(
            log_id=bytes(data[16:48]),
            size=int.from_bytes(data[48:56], "big"),
            root=bytes(data[56:88]),
            timestamp_ms=int.from_bytes(data[88:96], "big"),
        )


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """A tree head with the log's Ed25519 signature over `head.to_bytes()`."""

    head: TreeHead
    signature: bytes

    @property
    def size(self) -> int:
        """Return the size of the signed head."""
        return self.head.size

    @property
    def root(self) -> bytes:
        """Return the root of the signed head."""
        return self.head.root


class GossipResult(enum.Enum):
    """What comparing two authentic heads of one log established."""

    SAME = "same"  # same size, same root
    CONSISTENT = "consistent"  # the smaller head is proven a prefix of the larger
    UNCHECKED = "unchecked"  # sizes differ and no proof was available to compare them


def log_id_from_key(verify_key: bytes | VerifyKey) -> bytes:
    """Return the recommended log id: SHA-256 of the log's 32-byte Ed25519 public key."""
    return hashlib.sha256(_verify_key(verify_key).encode()).digest()


def sign_head(head: TreeHead, signing_key: bytes | SigningKey) -> SignedTreeHead:
    """Sign a tree head with the log's Ed25519 key (a SigningKey or its 32-byte seed)."""
    key = signing_key if isinstance(signing_key, SigningKey) else SigningKey(signing_key)
    signature = key.sign(head.to_bytes()).signature
    return SignedTreeHead(head=head, signature=bytes(signature))


def verify_head(signed: SignedTreeHead, verify_key: bytes | VerifyKey) -> None:
    """Check the head's signature under the log's public key, or raise HeadSignatureError."""
    if len(signed.signature) != SIGNATURE_SIZE:
        raise HeadSignatureError(
            f"signature is {len(signed.signature)} bytes, not {SIGNATURE_SIZE}"
        )
    try:
        _verify_key(verify_key).verify(signed.head.to_bytes(), signed.signature)
    except CryptoError as exc:
        raise HeadSignatureError(
            f"signature on tree head of size {signed.head.size} does not verify"
        ) from exc


def check_extension(old: SignedTreeHead, new: SignedTreeHead, proof: Sequence[bytes]) -> None:
    """Check that `new` extends `old` (an accepted head), or raise LogRolledBack/LogForked."""
    _same_log(old, new)
    o, n = old.head, new.head
    if n.size < o.size:
        raise LogRolledBack(old, new, f"size went down from {o.size} to {n.size}")
    if o.size == 0 or n.size == 0:
        _check_empty_root(old, new)
        return  # every tree extends the empty tree
    if n.size == o.size:
        if n.root != o.root:
            raise LogForked(
                old, new, f"two roots for size {o.size} (equivocation)", equivocation=True
            )
        return
    try:
        verify_consistency(o.size, n.size, proof, o.root, n.root)
    except ProofError as exc:
        raise LogForked(old, new, f"no valid consistency proof: {exc.reason}") from exc


def compare_gossip(
    mine: SignedTreeHead,
    theirs: SignedTreeHead,
    proof_fetcher: ProofFetcher | None = None,
) -> GossipResult:
    """Compare my head with a peer's head of the same log, raising LogForked on a fork."""
    _same_log(mine, theirs)
    if mine.head.size == theirs.head.size:
        check_extension(mine, theirs, ())
        return GossipResult.SAME
    older, newer = (mine, theirs) if mine.head.size < theirs.head.size else (theirs, mine)
    if older.head.size == 0:
        check_extension(older, newer, ())
        return GossipResult.CONSISTENT
    if proof_fetcher is None:
        return GossipResult.UNCHECKED
    check_extension(older, newer, proof_fetcher(older.head.size, newer.head.size))
    return GossipResult.CONSISTENT


def _verify_key(verify_key: bytes | VerifyKey) -> VerifyKey:
    return verify_key if isinstance(verify_key, VerifyKey) else VerifyKey(verify_key)


def _same_log(a: SignedTreeHead, b: SignedTreeHead) -> None:
    if a.head.log_id != b.head.log_id:
        raise ValueError(
            f"heads of different logs: {a.head.log_id.hex()[:16]}… and {b.head.log_id.hex()[:16]}…"
        )


def _check_empty_root(old: SignedTreeHead, new: SignedTreeHead) -> None:
    for which, signed in (("old", old), ("new", new)):
        if signed.head.size == 0 and signed.head.root != empty_root():
            raise LogForked(
                old,
                new,
                f"{which} head of size 0 signs a root that is not the empty-tree hash",
                equivocation=True,
            )
