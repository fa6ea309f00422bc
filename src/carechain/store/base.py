"""The storage seam: an append-only log of entries with a local sequence number.

Narrow on purpose, so that another engine (PostgreSQL, for a hub or a vault) implements
the same few operations. Entries are verified before they reach the store; the store
only keeps them durably and finds them again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from carechain.entries import HLC, Entry

__all__ = ["Positioned", "RawRow", "RecordSummary", "Seal", "Store", "Stored", "positioned_row"]

# What an append also writes, in its own transaction (carechain.store.sealed): given a
# reader of bookkeeping values inside the transaction, the highest seq before the append,
# and the ids it newly stores in log order, the bookkeeping values to write.
Seal = Callable[[Callable[[str], bytes | None], int, Sequence[bytes]], list[tuple[str, bytes]]]


@dataclass(frozen=True)
class Stored:
    """An entry and its place in this node's log."""

    seq: int
    entry: Entry


@dataclass(frozen=True)
class RawRow:
    """A log row exactly as stored, before any decoding: what `verify` checks."""

    seq: int
    id: bytes
    record: bytes
    signed: bytes
    signature: bytes
    cls: str = ""  # the entry class


@dataclass(frozen=True)
class Positioned:
    """A place in a hub's log as this node noted it, and the entry if it holds it."""

    seq: int  # the position in the hub's log (leaf seq - 1)
    id: bytes
    row: RawRow | None


# The entry columns a `positioned` query joins in, in `positioned_row`'s order.
_JOINED = "e.seq, e.record, e.signed, e.signature, e.cls"


def positioned_row(row: Sequence[Any]) -> Positioned:
    """Return a `positioned` query's row: position, id, then the `_JOINED` columns."""
    seq, entry_id, local, record, signed, signature, cls = row
    raw = (
        None
        if local is None
        else RawRow(
            int(local), bytes(entry_id), bytes(record), bytes(signed), bytes(signature), str(cls)
        )
    )
    return Positioned(int(seq), bytes(entry_id), raw)


@dataclass(frozen=True)
class RecordSummary:
    """One record as the log sees it (routing metadata only)."""

    record: bytes
    entries: int
    first_ms: int
    last_ms: int


class Store(Protocol):
    """An append-only, durable log of verified entries."""

    def append(
        self, entries: Sequence[Entry], meta: Sequence[tuple[str, bytes]] = ()
    ) -> list[tuple[int, bool]]:
        """Store entries, and set the bookkeeping values `meta`, in one durable
        transaction; return (seq, newly stored) for each entry."""
        ...

    def set_sealer(self, seal: Seal | None) -> None:
        """Have every append also write what `seal` returns, in the same transaction."""
        ...

    def raw_since(self, seq: int, limit: int) -> list[RawRow]:
        """Return up to `limit` rows after `seq` as stored, undecoded (to send on as is)."""
        ...

    def get(self, entry_id: bytes) -> Stored | None:
        """Return an entry by id."""
        ...

    def record(self, record: bytes) -> list[Stored]:
        """Return every entry of a record in log order."""
        ...

    def records(self) -> list[RecordSummary]:
        """Return every record in the log, newest activity first."""
        ...

    def since(self, seq: int, limit: int) -> list[Stored]:
        """Return up to `limit` entries with a sequence number above `seq`."""
        ...

    def has(self, ids: Sequence[bytes]) -> set[bytes]:
        """Return which of the ids are stored."""
        ...

    def records_of(self, ids: Sequence[bytes]) -> dict[bytes, bytes]:
        """Return the record of each stored entry among the ids."""
        ...

    def since_for(self, key_id: bytes, seq: int, limit: int, upto: int) -> list[RawRow]:
        """Return up to `limit` rows with seq in (seq, upto] of the directory and of records
        granted to the receiving key `key_id`, undecoded (to send on as is)."""
        ...

    def raw_record(self, record: bytes) -> list[RawRow]:
        """Return every row of a record in log order, undecoded (to send on as is)."""
        ...

    def granted_between(self, key_id: bytes, after: int, upto: int) -> list[bytes]:
        """Return records first granted to `key_id` by an entry with seq in (after, upto]."""
        ...

    def ids(self, after: int, limit: int) -> list[bytes]:
        """Return the ids of up to `limit` entries after `after`, in log order."""
        ...

    def raw(self) -> Iterator[RawRow]:
        """Yield every row as stored, in log order."""
        ...

    def count(self) -> int:
        """Return the number of entries: the largest seq (entries are numbered densely)."""
        ...

    def tree_size(self) -> int:
        """Return how many entries the log's Merkle tree tiles cover (`store/_tiles.py`)."""
        ...

    def tile(self, level: int, index: int) -> bytes:
        """Return the hashes of one tile of the log's Merkle tree (b"" if there is none)."""
        ...

    def record_count(self) -> int:
        """Return the number of records in the log."""
        ...

    def last_hlc(self) -> HLC | None:
        """Return the latest HLC reading of any stored entry."""
        ...

    def get_meta(self, key: str) -> bytes | None:
        """Return a value of node-local bookkeeping."""
        ...

    def set_meta(self, key: str, value: bytes) -> None:
        """Durably set a value of node-local bookkeeping."""
        ...

    def set_meta_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Durably set several bookkeeping values in one transaction."""
        ...

    def seqs_of(self, ids: Sequence[bytes]) -> dict[bytes, int]:
        """Return the log position of each stored entry among the ids (no decoding)."""
        ...

    def meta_items(self, prefix: str) -> list[tuple[str, bytes]]:
        """Return every bookkeeping value whose key starts with prefix, in key order."""
        ...

    def note_positions(self, log: bytes, placed: Sequence[tuple[int, bytes]]) -> None:
        """Note where a hub's log holds entries: (hub log position, entry id), made durable
        by the next durable commit (a cursor's, after it) rather than by an fsync of its own."""
        ...

    def positioned(self, log: bytes, after: int, limit: int) -> list[Positioned]:
        """Return up to `limit` noted positions of a hub's log after `after`, in order,
        each with its entry's row when this store holds it."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...
