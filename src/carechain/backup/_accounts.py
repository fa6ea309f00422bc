"""The node's accounts in a backup: one dump per accounts engine, restored the same way.

Today a node keeps its accounts in `accounts.db` (SQLite) in its data directory; the dump
is a consistent copy taken with SQLite's online backup API, as one database image. An
engine is a pair of functions registered in `ENGINES` under the name written into the
backup (`manifest["accounts_engine"]`): another engine (accounts in PostgreSQL) adds its own
dump and load without changing the file format.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carechain.backup.errors import BackupCorrupt, BackupError

__all__ = ["ACCOUNTS_FILE", "ENGINES", "AccountsDump", "dump_accounts", "load_accounts"]

ACCOUNTS_FILE = "accounts.db"


@dataclass(frozen=True)
class AccountsDump:
    """A node's accounts as one blob, with the number of people in it."""

    engine: str
    data: bytes
    people: int


def _dump_sqlite(home: Path) -> AccountsDump | None:
    path = home / ACCOUNTS_FILE
    if not path.exists():
        return None
    source = sqlite3.connect(path)
    copy = sqlite3.connect(":memory:")
    try:
        source.backup(copy)  # one consistent snapshot, while the node serves
        people = int(copy.execute("SELECT count(*) FROM people").fetchone()[0])
        data = copy.serialize()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the accounts file: {exc}") from exc
    finally:
        source.close()
        copy.close()
    return AccountsDump("sqlite", bytes(data), people)


def _load_sqlite(data: bytes, home: Path, database: str | None) -> int:
    """Write the accounts file into `home`; return how many people it holds."""
    del database  # the accounts file lives in the data directory whatever the log's engine
    path = home / ACCOUNTS_FILE
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        db = sqlite3.connect(path)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupCorrupt("the accounts file in the backup fails SQLite's check")
            return int(db.execute("SELECT count(*) FROM people").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise BackupCorrupt(f"the accounts file in the backup does not open: {exc}") from exc


Dump = Callable[[Path], AccountsDump | None]
Load = Callable[[bytes, Path, str | None], int]
ENGINES: dict[str, tuple[Dump, Load]] = {"sqlite": (_dump_sqlite, _load_sqlite)}


def dump_accounts(home: Path, engine: str = "sqlite") -> AccountsDump | None:
    """Return a consistent dump of the node's accounts, or None if it has none."""
    return ENGINES[engine][0](home)


def load_accounts(engine: str, data: bytes, home: Path, database: str | None) -> int:
    """Restore an accounts dump for the node in `home`; return how many people it holds."""
    if engine not in ENGINES:
        raise BackupError(f"the backup's accounts are in engine {engine!r}, unknown here")
    return ENGINES[engine][1](data, home, database)
