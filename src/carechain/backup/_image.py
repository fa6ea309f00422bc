"""A SQLite store's log travels as the database file itself.

A backup of a SQLite store carries a copy of its database file, taken with SQLite's online
backup API (one instant, while the node appends), in `["sqlite", bytes]` chunks; restoring
it into SQLite is writing the file back. That skips inserting a million rows one by one
into the id index, the slow part of a SQLite restore. The manifest's facts (counts, first
and last seq, the tree root over the ids) are read from the copy on both sides.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from carechain.backup._content import ENTRY_PAGE, LogRoot
from carechain.backup.errors import BackupCorrupt

__all__ = ["IMAGE_PIECE", "image_facts", "image_pieces"]

IMAGE_PIECE = 4 << 20  # bytes of the database file per chunk


def image_pieces(path: Path) -> Iterator[bytes]:
    """Yield the database file in pieces."""
    with open(path, "rb") as f:
        while piece := f.read(IMAGE_PIECE):
            yield piece


def image_facts(path: Path, *, root: bool = True) -> dict[str, Any]:
    """Return the counts and (with `root`) the tree root of the log in a database file."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupCorrupt(f"the log's database file does not open: {exc}") from exc
    try:
        tree = LogRoot()
        if root:
            cursor = db.execute("SELECT id FROM entries ORDER BY seq")
            while rows := cursor.fetchmany(ENTRY_PAGE):
                tree.add([r[0] for r in rows])
        count, first, last = db.execute(
            "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM entries"
        ).fetchone()
        meta = db.execute("SELECT count(*) FROM meta").fetchone()[0]
        access = db.execute("SELECT count(*) FROM access").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupCorrupt(f"the log's database file does not read: {exc}") from exc
    finally:
        db.close()
    facts: dict[str, Any] = {
        "entries": int(count),
        "first_seq": int(first),
        "last_seq": int(last),
        "meta": int(meta),
        "access": int(access),
    }
    if root:
        facts |= {"tree_size": tree.size, "tree_root": tree.root()}
    return facts
