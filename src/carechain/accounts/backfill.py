"""A data backfill, kept apart from the schema migrations: a node whose log moved to
PostgreSQL (or was always there) keeps the accounts it had in its data directory's file.

The first time a node opens its accounts in PostgreSQL and finds none there, every row of
`accounts.db` beside it is copied across in one transaction (hashes and sealed secrets as
they are: the accounts key is the same), and the file is renamed `accounts.db.moved` so it
is never read again and never copied twice.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from carechain.accounts._db import Database

__all__ = ["TABLES", "copy_file_into"]

# In the order foreign keys need.
TABLES = ("meta", "people", "sessions", "break_glass", "clients")


def copy_file_into(path: Path, db: Database) -> int:
    """Copy an accounts file's rows into an empty accounts database; return rows copied."""
    if not path.exists() or db.read("SELECT 1 FROM meta LIMIT 1"):
        return 0
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    copied = 0
    try:
        known = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        with db.tx() as conn:
            for table in TABLES:
                if table not in known:
                    continue
                cursor = source.execute(f"SELECT * FROM {table}")  # fixed table names
                names = [c[0] for c in cursor.description]
                keep = [i for i, n in enumerate(names) if n != "id"]  # ids numbered afresh
                columns = [names[i] for i in keep]
                rows = [tuple(row[i] for i in keep) for row in cursor.fetchall()]
                marks = ", ".join("?" for _ in columns)
                for row in rows:
                    conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                 tuple(row))
                    copied += 1
    finally:
        source.close()
    path.rename(path.with_name(path.name + ".moved"))
    return copied
