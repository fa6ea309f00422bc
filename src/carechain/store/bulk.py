"""Bulk access to a whole store, for backups: one consistent snapshot read in large pages,
and an exact-row load into an empty store in one transaction.

Rows travel as they are stored, column by column, undecoded: a backup copies bytes and
never parses or verifies an entry (that is `carechain backup verify`'s job). Both
engines implement the two protocols (`SqliteStore.snapshot`/`bulk_load`,
`PostgresStore.snapshot`/`bulk_load`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["ENTRY_COLUMNS", "BulkLoad", "BulkStore", "Snapshot"]

# Every column of `entries`, in this order wherever rows travel in bulk.
ENTRY_COLUMNS = (
    "seq",
    "id",
    "record",
    "cls",
    "author",
    "hlc_ms",
    "hlc_counter",
    "signed",
    "signature",
    "stored_ms",
)


class Snapshot(Protocol):
    """One read-only, consistent view of a store: every method sees the same instant."""

    engine: str  # "sqlite" or "postgresql"

    def entry_pages(self, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """Yield every entry row (`ENTRY_COLUMNS`) in seq order, `size` rows at a time."""
        ...

    def access_rows(self) -> list[tuple[bytes, bytes, int]]:
        """Return every `access` row as (record, key, seq)."""
        ...

    def meta_rows(self) -> list[tuple[str, bytes]]:
        """Return every `meta` row as (key, value), in key order."""
        ...

    def position_rows(self) -> list[tuple[bytes, int, bytes]]:
        """Return every `hub_positions` row as (log, seq, id)."""
        ...

    def close(self) -> None:
        """End the snapshot's transaction and connection."""
        ...


class BulkLoad(Protocol):
    """Rows going into an empty store in one transaction, committed only by `commit`."""

    def add_entries(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert entry rows (`ENTRY_COLUMNS`) exactly as given, seq included."""
        ...

    def add_access(self, rows: Sequence[tuple[bytes, bytes, int]]) -> None:
        """Insert `access` rows exactly as given."""
        ...

    def add_meta(self, rows: Sequence[tuple[str, bytes]]) -> None:
        """Insert or replace `meta` rows."""
        ...

    def add_positions(self, rows: Sequence[tuple[bytes, int, bytes]]) -> None:
        """Insert `hub_positions` rows (log, seq, id) exactly as given."""
        ...

    def commit(self) -> None:
        """Make everything added durable at once."""
        ...

    def rollback(self) -> None:
        """Discard everything added (also safe after a failed commit)."""
        ...


@runtime_checkable
class BulkStore(Protocol):
    """A store that can be read whole in one snapshot, and filled whole when empty."""

    def snapshot(self) -> Snapshot:
        """Return a consistent read-only view of the whole store (close it when done)."""
        ...

    def bulk_load(self) -> BulkLoad:
        """Start filling this empty store with exact rows, in one transaction."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...

