"""Storage engines and the append-only log (DESIGN §7)."""

from pathlib import Path

from carechain.store.base import Positioned, RawRow, RecordSummary, Store, Stored
from carechain.store.sqlite import SqliteStore

__all__ = ["Positioned", "RawRow", "RecordSummary", "SqliteStore", "Store", "Stored", "open_store"]


def open_store(url: str | Path) -> Store:
    """Open a store by URL: `sqlite:///path`, a plain path, or `postgresql://…`."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        from carechain.store.postgres import PostgresStore

        return PostgresStore(text)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") - 1 :] if text.startswith("sqlite:////") else text[10:]
    return SqliteStore(text)
