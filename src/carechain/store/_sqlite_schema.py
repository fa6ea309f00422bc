"""The embedded engine's schema, as the migrations that build it (`docs/storage.md`)."""

from __future__ import annotations

from carechain.store._summary import REBUILD

__all__ = ["MIGRATIONS"]

# Each migration moves the schema one version up; `PRAGMA user_version` records where it is.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE entries (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id BLOB NOT NULL UNIQUE,
            record BLOB NOT NULL,
            cls TEXT NOT NULL,
            author BLOB NOT NULL,
            hlc_ms INTEGER NOT NULL,
            hlc_counter INTEGER NOT NULL,
            signed BLOB NOT NULL,
            signature BLOB NOT NULL,
            stored_ms INTEGER NOT NULL
        )""",
        "CREATE INDEX entries_by_record ON entries (record, seq)",
        """CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
           BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END""",
        """CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
           BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
    ],
    [
        # Which receiving keys a record is granted to, and from which log position on.
        """CREATE TABLE access (
            record BLOB NOT NULL,
            key BLOB NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (record, key)
        )""",
        "CREATE INDEX access_by_key ON access (key, seq)",
    ],
    [
        # The node's signed head of its own log (store/sealed.py): the store is sealed as
        # it is (empty, or as an older version left it) when its node first opens it.
        "INSERT INTO meta (key, value) VALUES ('log:unsealed', x'31')",
    ],
    [
        # Where a hub's log holds each entry this node took from it (store/positions.py):
        # what a rebuilt hub needs to put every entry back at the same leaf.
        """CREATE TABLE hub_positions (
            log BLOB NOT NULL,
            seq INTEGER NOT NULL,
            id BLOB NOT NULL,
            PRIMARY KEY (log, seq)
        )""",
    ],
    [
        # What the log's readers need without counting, scanning or grouping it
        # (store/_summary.py): a row per record and one row of totals, kept by appends.
        """CREATE TABLE records (
            record BLOB PRIMARY KEY,
            entries INTEGER NOT NULL,
            first_ms INTEGER NOT NULL,
            last_ms INTEGER NOT NULL,
            last_seq INTEGER NOT NULL
        )""",
        "CREATE INDEX records_by_activity ON records (last_seq)",
        """CREATE TABLE totals (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            records INTEGER NOT NULL,
            hlc_ms INTEGER,
            hlc_counter INTEGER
        )""",
        *REBUILD,
    ],
    [
        # The log's Merkle tree, cut into tlog-tiles tiles (store/_tiles.py), written with
        # the entries it covers. A store filled before this is covered when it next opens.
        """CREATE TABLE tree_tiles (
            level INTEGER NOT NULL CHECK (level >= 0),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            width INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
            hashes BLOB NOT NULL CHECK (length(hashes) = 32 * width),
            PRIMARY KEY (level, idx)
        )""",
        "CREATE INDEX tree_tiles_edge ON tree_tiles (level) WHERE width < 256",
        # A tile only grows: a full tile never changes, a partial one only gains hashes.
        """CREATE TRIGGER tree_tiles_grow_only BEFORE UPDATE ON tree_tiles
           WHEN old.width = 256 OR new.width < old.width
             OR substr(new.hashes, 1, length(old.hashes)) <> old.hashes
           BEGIN SELECT RAISE(ABORT, 'tree tiles only grow'); END""",
        """CREATE TRIGGER tree_tiles_no_delete BEFORE DELETE ON tree_tiles
           BEGIN SELECT RAISE(ABORT, 'tree tiles only grow'); END""",
    ],
    # Version 7 on PostgreSQL partitions the entries table (store/_pg_partitions.py); one
    # SQLite file is one machine's log, so here it changes nothing: the versions stay equal.
    [],
]
