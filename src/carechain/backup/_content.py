"""What is inside a backup's encrypted chunks, and the log's tree root computed page by page.

Each chunk's plaintext is one CBOR array whose first item names its kind:

    ["file", name, bytes]                 a file of the data directory (request.cbor)
    ["accounts", engine, bytes]           a piece of the accounts dump, pieces in order
    ["meta", [[key, value], ...]]         `meta` rows, in key order
    ["access", [[record, key, seq], ...]] `access` rows
    ["positions", [[log, seq, id], ...]]  `hub_positions` rows (where hubs' logs hold what
                                          this node took from them; a backup of rows only)
    ["entries", [seqs], [ids], ...]       entry rows column by column (`ENTRY_COLUMNS`)
    ["sqlite", bytes]                     a piece of a SQLite store's database file (the
                                          log, meta and access of a SQLite node)
    ["end"]                               the last chunk, pushed with the FINAL tag

Rows are copied as stored: nothing here decodes or verifies an entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cbor2

from carechain.backup.errors import BackupCorrupt
from carechain.store.bulk import ENTRY_COLUMNS
from carechain.transparency import empty_root, leaf_hash, node_hash, root_from_leaf_hashes

__all__ = ["ENTRY_PAGE", "KINDS", "LogRoot", "decode_message", "encode_message"]

# Entry rows per chunk: a power of two, so a full page is one full subtree of the log's tree.
ENTRY_PAGE = 4096
KINDS = ("file", "accounts", "meta", "access", "positions", "entries", "sqlite", "end")
_ARITY = {"file": 3, "accounts": 3, "meta": 2, "access": 2, "positions": 2,
          "entries": 1 + len(ENTRY_COLUMNS), "sqlite": 2, "end": 1}


def encode_message(kind: str, *items: Any) -> bytes:
    """Return the plaintext of one chunk."""
    return bytes(cbor2.dumps([kind, *items]))


def decode_message(plain: bytes, index: int) -> list[Any]:
    """Return one chunk's message, checked for shape (not content)."""
    try:
        value = cbor2.loads(plain)
    except Exception as exc:  # authenticated bytes that do not decode: a broken writer
        raise BackupCorrupt(f"chunk {index} does not decode") from exc
    if not isinstance(value, list) or not value or value[0] not in _ARITY:
        raise BackupCorrupt(f"chunk {index} is not a known kind of backup content")
    if len(value) != _ARITY[value[0]]:
        raise BackupCorrupt(f"chunk {index} ({value[0]}) has {len(value)} items")
    if value[0] == "entries":
        lengths = {len(c) for c in value[1:] if isinstance(c, list)}
        if len(lengths) != 1 or not all(isinstance(c, list) for c in value[1:]):
            raise BackupCorrupt(f"chunk {index}: entry columns differ in length")
    return value


def _subtree_root(hashes: list[bytes]) -> bytes:
    """Return the RFC 9162 root of these leaf hashes, one level at a time.

    Pairing neighbours level by level and lifting an unpaired last node unchanged gives
    the same root as the RFC's recursive split at the largest power of two.
    """
    level = hashes
    while len(level) > 1:
        paired = [node_hash(a, b) for a, b in zip(level[0::2], level[1::2], strict=False)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


class LogRoot:
    """The Merkle root over entry ids in seq order (the hub's transparency log), fed in
    pages of `page` ids (a power of two); only the last page may be shorter.

    A full page is a full subtree, and the RFC's splits of the whole tree fall on page
    boundaries, so the root is the tree over the pages' roots with the short last page's
    root as one more leaf: a few hundred hashes kept for a log of a million entries.
    """

    def __init__(self, page: int = ENTRY_PAGE) -> None:
        if page < 1 or page & (page - 1):
            raise ValueError("the page size must be a power of two")
        self._page = page
        self._roots: list[bytes] = []
        self._short = False
        self.size = 0

    def add(self, ids: Sequence[bytes]) -> None:
        """Add the next page of ids."""
        if not ids:
            return
        if self._short or len(ids) > self._page:
            raise BackupCorrupt(f"entry pages must hold {self._page} rows, but for the last")
        self._roots.append(_subtree_root([leaf_hash(i) for i in ids]))
        self._short = len(ids) < self._page
        self.size += len(ids)

    def root(self) -> bytes:
        """Return the root of every id added so far."""
        return root_from_leaf_hashes(self._roots) if self._roots else empty_root()
