"""The PostgreSQL schema: migrations, the schema a URL selects, lock keys and the channel.

A store's tables live in one PostgreSQL schema: the first schema of the connection's
`search_path` (set with `?options=-csearch_path%3D<schema>` in the URL, `public` if not).
Advisory-lock keys and the notification channel are derived from that schema's name, so
two logs kept in two schemas of one database neither block nor wake each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import psycopg
from psycopg import IsolationLevel, sql
from psycopg.rows import TupleRow

from carechain.errors import StoreError
from carechain.store import _pg_partitions
from carechain.store._summary import REBUILD, SUMMARIZE_PG

__all__ = [
    "CHANNEL",
    "MIGRATIONS",
    "channel_for",
    "create_schema",
    "drop_schema",
    "first_schema",
    "lock_key",
    "migrate",
]

# The channel an append notifies on, qualified by the schema outside `public`.
CHANNEL = "carechain_entries"
_MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1: longer channel names are refused or cut

# The same versions, tables, columns and indexes as `sqlite.MIGRATIONS`, written for
# PostgreSQL: `bytea` for blobs, `bigint` for sequence numbers and milliseconds. The seq
# is assigned by `PostgresStore.append` under an advisory lock, never by a sequence
# (a sequence leaves a gap when a transaction rolls back).
# A migration is a list of statements, or a function of the connection and the schema for
# one that is more than DDL (moving rows): each runs in one transaction either way.
Migration = list[str] | Callable[["psycopg.Connection[TupleRow]", str], None]


def _partition(conn: psycopg.Connection[TupleRow], schema: str) -> None:
    """Migration 7: the entries table partitioned by ranges of seq (store/_pg_partitions.py)."""
    _pg_partitions.partition_entries(
        conn, lock_key(schema, "append"), _pg_partitions.PARTITION_ENTRIES
    )


MIGRATIONS: list[Migration] = [
    [
        """CREATE TABLE entries (
            seq bigint PRIMARY KEY CHECK (seq > 0),
            id bytea NOT NULL UNIQUE,
            record bytea NOT NULL,
            cls text NOT NULL,
            author bytea NOT NULL,
            hlc_ms bigint NOT NULL,
            hlc_counter bigint NOT NULL,
            signed bytea NOT NULL,
            signature bytea NOT NULL,
            stored_ms bigint NOT NULL
        )""",
        "CREATE INDEX entries_by_record ON entries (record, seq)",
        """CREATE FUNCTION entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
               RAISE EXCEPTION 'entries are append-only';
           END
           $$""",
        """CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
           FOR EACH ROW EXECUTE FUNCTION entries_append_only()""",
        """CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
           FOR EACH ROW EXECUTE FUNCTION entries_append_only()""",
        # TRUNCATE skips row triggers; SQLite has no TRUNCATE to guard against.
        """CREATE TRIGGER entries_append_only_truncate BEFORE TRUNCATE ON entries
           FOR EACH STATEMENT EXECUTE FUNCTION entries_append_only()""",
        # Byte-order collation, so `meta_items` lists keys in SQLite's order.
        'CREATE TABLE meta (key text COLLATE "C" PRIMARY KEY, value bytea NOT NULL)',
    ],
    [
        # Which receiving keys a record is granted to, and from which log position on.
        """CREATE TABLE access (
            record bytea NOT NULL,
            key bytea NOT NULL,
            seq bigint NOT NULL,
            PRIMARY KEY (record, key)
        )""",
        "CREATE INDEX access_by_key ON access (key, seq)",
    ],
    [
        # The node's signed head of its own log (store/sealed.py): the store is sealed as
        # it is (empty, or as an older version left it) when its node first opens it.
        "INSERT INTO meta (key, value) VALUES ('log:unsealed', '\\x31'::bytea) "
        "ON CONFLICT DO NOTHING",
    ],
    [
        # Where a hub's log holds each entry this node took from it (store/positions.py).
        """CREATE TABLE hub_positions (
            log bytea NOT NULL,
            seq bigint NOT NULL,
            id bytea NOT NULL,
            PRIMARY KEY (log, seq)
        )""",
    ],
    [
        # What the log's readers need without counting, scanning or grouping it
        # (store/_summary.py): a row per record and one row of totals, kept by appends.
        """CREATE TABLE records (
            record bytea PRIMARY KEY,
            entries bigint NOT NULL,
            first_ms bigint NOT NULL,
            last_ms bigint NOT NULL,
            last_seq bigint NOT NULL
        )""",
        "CREATE INDEX records_by_activity ON records (last_seq)",
        """CREATE TABLE totals (
            one int PRIMARY KEY CHECK (one = 1),
            records bigint NOT NULL,
            hlc_ms bigint,
            hlc_counter bigint
        )""",
        # Kept by the database itself, once per INSERT or COPY statement (its rows as a
        # transition table), so every process writing the log keeps them, whatever it runs.
        f"""CREATE FUNCTION entries_summarize() RETURNS trigger LANGUAGE plpgsql
           SET search_path FROM CURRENT AS $$
           BEGIN
               {SUMMARIZE_PG}
               RETURN NULL;
           END
           $$""",
        """CREATE TRIGGER entries_summarize AFTER INSERT ON entries
           REFERENCING NEW TABLE AS new_entries
           FOR EACH STATEMENT EXECUTE FUNCTION entries_summarize()""",
        *REBUILD,
    ],
    [
        # The log's Merkle tree, cut into tlog-tiles tiles (store/_tiles.py), written with
        # the entries it covers under the append lock. A store filled before this is
        # covered when a process of this version next opens it.
        """CREATE TABLE tree_tiles (
            level int NOT NULL CHECK (level >= 0),
            idx bigint NOT NULL CHECK (idx >= 0),
            width int NOT NULL CHECK (width BETWEEN 1 AND 256),
            hashes bytea NOT NULL CHECK (length(hashes) = 32 * width),
            PRIMARY KEY (level, idx)
        )""",
        "CREATE INDEX tree_tiles_edge ON tree_tiles (level) WHERE width < 256",
        # A tile only grows: a full tile never changes, a partial one only gains hashes.
        """CREATE FUNCTION tree_tiles_grow_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
               IF TG_OP <> 'UPDATE' THEN
                   RAISE EXCEPTION 'tree tiles only grow';
               END IF;
               IF old.width = 256 OR new.width < old.width
                  OR substr(new.hashes, 1, length(old.hashes)) <> old.hashes THEN
                   RAISE EXCEPTION 'tree tiles only grow';
               END IF;
               RETURN new;
           END
           $$""",
        """CREATE TRIGGER tree_tiles_grow_only BEFORE UPDATE OR DELETE ON tree_tiles
           FOR EACH ROW EXECUTE FUNCTION tree_tiles_grow_only()""",
        """CREATE TRIGGER tree_tiles_no_truncate BEFORE TRUNCATE ON tree_tiles
           FOR EACH STATEMENT EXECUTE FUNCTION tree_tiles_grow_only()""",
    ],
    # PostgreSQL only (SQLite's list has a no-op here): see store/_pg_partitions.py.
    _partition,
]


def lock_key(schema: str, purpose: str) -> int:
    """Return the advisory-lock key (a signed 64-bit integer) for `purpose` in `schema`."""
    digest = hashlib.blake2b(f"carechain:{purpose}:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def channel_for(schema: str) -> str:
    """Return the NOTIFY channel of the log kept in `schema`."""
    if schema == "public":
        return CHANNEL
    name = f"{CHANNEL}.{schema}"
    if len(name.encode()) > _MAX_IDENTIFIER_BYTES:
        name = f"{CHANNEL}.{hashlib.sha256(schema.encode()).hexdigest()[:32]}"
    return name


def first_schema(search_path: str) -> str | None:
    """Return the first schema named by a `search_path` setting, skipping `$user`."""
    names: list[str] = []
    current, quoted, was_quoted, i = "", False, False, 0
    while i < len(search_path):
        ch = search_path[i]
        if quoted:
            if ch == '"' and search_path[i + 1 : i + 2] == '"':
                current += '"'
                i += 1
            elif ch == '"':
                quoted = False
            else:
                current += ch
        elif ch == '"':
            quoted = was_quoted = True
        elif ch == ",":
            names.append(current if was_quoted else current.strip().lower())
            current, was_quoted = "", False
        elif not ch.isspace() or current:
            current += ch
        i += 1
    names.append(current if was_quoted else current.strip().lower())
    for name in names:
        if name and name != "$user":
            return name
    return None


def _url_schema(conn: psycopg.Connection[TupleRow]) -> str:
    """Return the schema a connection's search_path selects, as the server parsed it."""
    row = conn.execute("SHOW search_path").fetchone()
    schema = first_schema(str(row[0])) if row else None
    if schema is None:
        raise ValueError("the URL's search_path names no schema")
    return schema


def create_schema(url: str) -> str:
    """Create the schema the URL's search_path selects, if missing; return its name."""
    with psycopg.connect(url, autocommit=True) as conn:
        schema = _url_schema(conn)
        with conn.transaction():
            # CREATE SCHEMA IF NOT EXISTS can still collide with a concurrent twin.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(schema, "schema"),))
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    return schema


def drop_schema(url: str) -> None:
    """Drop the schema the URL's search_path selects, with everything in it."""
    with psycopg.connect(url, autocommit=True) as conn:
        schema = _url_schema(conn)
        if schema in ("public", "information_schema") or schema.startswith("pg_"):
            raise ValueError(f"refusing to drop schema {schema!r}")
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _applied(conn: psycopg.Connection[TupleRow]) -> set[int]:
    # Asks pg_class in SQL rather than through to_regclass: reading the catalog in a
    # statement locks it, which makes this backend take in the invalidations that other
    # sessions' committed DDL sent, so a stale "no such table" cached before the advisory
    # lock was granted cannot survive into the checks and DDL that follow it.
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
        " ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
        " AND c.relname = 'schema_migrations')"
    ).fetchone()
    if not row or not row[0]:
        return set()
    return {int(v) for (v,) in conn.execute("SELECT version FROM schema_migrations")}


def migrate(conn: psycopg.Connection[TupleRow], schema: str) -> list[int]:
    """Bring `schema` up to the last migration; return the versions this call applied.

    Each migration runs in its own transaction after `pg_advisory_xact_lock`, and checks
    again under the lock whether it is still needed, so processes opening one database
    at once apply each migration exactly once. `conn` must be in autocommit mode.
    """
    if _applied(conn) >= set(range(1, len(MIGRATIONS) + 1)):
        return []
    done: list[int] = []
    key = lock_key(schema, "migrate")
    for version, statements in enumerate(MIGRATIONS, start=1):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            # A new statement, so a new snapshot (READ COMMITTED): sees the lock holder's work.
            if version in _applied(conn):
                continue
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY)")
            if callable(statements):
                statements(conn, schema)
            else:
                for statement in statements:
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            done.append(version)
    return done


Connection = psycopg.Connection[TupleRow]


def connect(url: str) -> tuple[Connection, str]:
    """Open an autocommit, READ COMMITTED connection with durable commits; return it and
    the schema its search_path selects."""
    conn = psycopg.connect(url, autocommit=True)
    try:
        # The append lock relies on each statement taking a fresh snapshot after the lock.
        conn.isolation_level = IsolationLevel.READ_COMMITTED
        row = conn.execute(
            "SELECT current_schema(), current_setting('synchronous_commit')"
        ).fetchone()
        schema, sync = (row[0], row[1]) if row else (None, "on")
        if schema is None:
            raise StoreError(
                "no schema of the URL's search_path exists: create it first "
                "(carechain.store.postgres.create_schema)"
            )
        if sync == "off":
            # An acknowledged entry must survive a crash; stronger settings are kept.
            conn.execute("SET synchronous_commit = on")
    except BaseException:
        conn.close()
        raise
    return conn, str(schema)
