"""Storage engines and the append-only log (DESIGN §7)."""

from carechain.store.base import RawRow, RecordSummary, Store, Stored
from carechain.store.sqlite import SqliteStore

__all__ = ["RawRow", "RecordSummary", "SqliteStore", "Store", "Stored"]
