"""The hub's transparency log: RFC 9162 Merkle trees, proofs and signed tree heads.

Pure functions over bytes (stdlib `hashlib`, plus PyNaCl Ed25519 for tree-head
signatures): no database, no network. See docs/transparency.md.
"""

from carechain.transparency.errors import (
    HeadSignatureError,
    LogForked,
    LogMisbehaviour,
    LogRolledBack,
    ProofError,
    TransparencyError,
    describe_head,
)
from carechain.transparency.hashing import HASH_SIZE, empty_root, leaf_hash, node_hash
from carechain.transparency.heads import (
    HEAD_ENCODING_SIZE,
    HEAD_MAGIC,
    SIGNATURE_SIZE,
    GossipResult,
    ProofFetcher,
    SignedTreeHead,
    TreeHead,
    check_extension,
    compare_gossip,
    log_id_from_key,
    sign_head,
    verify_head,
)
from carechain.transparency.proofs import (
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
    verify_range,
)
from carechain.transparency.tiles import (
    TILE_HEIGHT,
    Tile,
    TileDamaged,
    TiledTree,
    TileEdge,
    tiles_of,
)
from carechain.transparency.tree import CompactRange, MerkleTree, root_from_leaf_hashes

__all__ = [
    "HASH_SIZE",
    "HEAD_ENCODING_SIZE",
    "HEAD_MAGIC",
    "SIGNATURE_SIZE",
    "TILE_HEIGHT",
    "CompactRange",
    "GossipResult",
    "HeadSignatureError",
    "LogForked",
    "LogMisbehaviour",
    "LogRolledBack",
    "MerkleTree",
    "ProofError",
    "ProofFetcher",
    "SignedTreeHead",
    "Tile",
    "TileDamaged",
    "TileEdge",
    "TiledTree",
    "TransparencyError",
    "TreeHead",
    "check_extension",
    "compare_gossip",
    "describe_head",
    "empty_root",
    "leaf_hash",
    "log_id_from_key",
    "node_hash",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "sign_head",
    "tiles_of",
    "verify_consistency",
    "verify_head",
    "verify_inclusion",
    "verify_range",
]
