"""The node's accounts in a backup: one SQLite image, whichever engine holds them.

A node keeps its accounts in `accounts.db` (SQLite) in its data directory, or, when its log
is in PostgreSQL, in the accounts schema beside the log (`carechain.accounts.engines`). Either
way the dump is one SQLite database image: the file copied with SQLite's online backup
API, or the PostgreSQL rows read in one transaction into a fresh image. Restoring into a
data directory writes the image as `accounts.db`; restoring into PostgreSQL copies its rows
into the (empty) accounts schema there, as a node moving to PostgreSQL does
(`carechain.accounts.backfill`). An engine is a pair of functions registered in `ENGINES`
under the name written into the backup (`manifest["accounts_engine"]`).
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


def _is_pg(database: str | None) -> bool:
    return database is not None and database.startswith(("postgresql://", "postgres://"))


def _dump_postgres(database: str) -> AccountsDump | None:
    """Read the accounts schema's rows in one transaction into a fresh SQLite image."""
    from carechain.accounts.engines import TABLES, PostgresDatabase, SqliteDatabase

    source = PostgresDatabase(database)
    image = SqliteDatabase(":memory:")
    try:
        with source.tx() as tx, image.tx() as target:
            for table in TABLES:
                cursor = tx.execute(f"SELECT * FROM {table}")  # fixed table names
                rows = cursor.fetchall()
                if not rows:
                    continue
                names = [d[0] for d in cursor.description]  # type: ignore[attr-defined]
                marks = ", ".join("?" for _ in names)
                for row in rows:
                    target.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                                   tuple(row))
        people = int(image.read("SELECT count(*) FROM people")[0][0])
        if people == 0 and not image.read("SELECT 1 FROM meta LIMIT 1"):
            return None
        data = image.conn.serialize()
    finally:
        source.close()
        image.close()
    return AccountsDump("sqlite", bytes(data), people)


def _dump_sqlite(home: Path, database: str | None = None) -> AccountsDump | None:
    if _is_pg(database):
        assert database is not None
        return _dump_postgres(database)
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
    """Write the accounts file into `home` (and, for a node whose log goes to PostgreSQL,
    copy its rows into the accounts schema there); return how many people it holds."""
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
            people = int(db.execute("SELECT count(*) FROM people").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise BackupCorrupt(f"the accounts file in the backup does not open: {exc}") from exc
    if _is_pg(database):
        assert database is not None
        _adopt(path, database)
    return people


def _adopt(path: Path, database: str) -> None:
    """Copy the restored accounts file's rows into the PostgreSQL accounts schema."""
    from carechain.accounts.engines import PostgresDatabase, copy_file_into

    target = PostgresDatabase(database)
    try:
        held = {str(r[0]) for r in target.read("SELECT staff_id FROM people")}
        if target.read("SELECT 1 FROM meta LIMIT 1"):
            image = sqlite3.connect(path)
            try:
                wanted = {str(r[0]) for r in image.execute("SELECT staff_id FROM people")}
            finally:
                image.close()
            if held != wanted:
                raise BackupError(
                    "the database already holds other accounts: restore into an empty one")
            path.rename(path.with_name(path.name + ".moved"))  # a restore resumed: done
            return
        copy_file_into(path, target)
    finally:
        target.close()


Dump = Callable[[Path, str | None], AccountsDump | None]
Load = Callable[[bytes, Path, str | None], int]
ENGINES: dict[str, tuple[Dump, Load]] = {"sqlite": (_dump_sqlite, _load_sqlite)}


def dump_accounts(home: Path, database: str | None = None,
                  engine: str = "sqlite") -> AccountsDump | None:
    """Return a consistent dump of the node's accounts (in `home`, or in the PostgreSQL
    `database` when its log is there), or None if it has none."""
    return ENGINES[engine][0](home, database)


def load_accounts(engine: str, data: bytes, home: Path, database: str | None) -> int:
    """Restore an accounts dump for the node in `home`; return how many people it holds."""
    if engine not in ENGINES:
        raise BackupError(f"the backup's accounts are in engine {engine!r}, unknown here")
    return ENGINES[engine][1](data, home, database)
