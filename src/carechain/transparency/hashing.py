"""RFC 6962 / RFC 9162 §2.1.1 hashing with SHA-256 and leaf/node domain separation.

A leaf is hashed with a 0x00 prefix and an interior node with a 0x01 prefix, so no leaf
can ever be passed off as an interior node (second-preimage resistance of the tree).
"""

from __future__ import annotations

import hashlib

__all__ = ["HASH_SIZE", "empty_root", "leaf_hash", "node_hash"]

HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 || data), the hash of one log leaf."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def empty_root() -> bytes:
    """Return SHA-256 of the empty string, the root of a tree with no leaves."""
    return _EMPTY_ROOT
