"""Accounts in PostgreSQL: the node's own database, so hub processes share logins.

The tables are those of the SQLite file, in a schema of their own beside the log's
(`<log schema>_accounts`, or `carechain_accounts` beside `public`), migrated the way the
log is: one transaction per version, under an advisory lock, so processes starting at
once apply each version exactly once. Statements keep SQLite's `?` placeholders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import psycopg
from psycopg import sql

from carechain.accounts._db import Cursor, Database
from carechain.errors import StoreError

__all__ = ["MIGRATIONS", "PostgresDatabase", "accounts_schema", "drop_accounts_schema"]

# The versions of `_db.MIGRATIONS`, written for PostgreSQL.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE people (
            staff_id text PRIMARY KEY,
            display_name text NOT NULL,
            role text NOT NULL,
            secret_kind text NOT NULL CHECK (secret_kind IN ('pin', 'password')),
            secret_hash text NOT NULL,
            totp_secret bytea,
            totp_last_step bigint NOT NULL DEFAULT 0,
            failed_attempts integer NOT NULL DEFAULT 0,
            locked_until_ms bigint NOT NULL DEFAULT 0,
            disabled integer NOT NULL DEFAULT 0,
            created_ms bigint NOT NULL
        )""",
        """CREATE TABLE sessions (
            token_hash bytea PRIMARY KEY,
            staff_id text NOT NULL REFERENCES people (staff_id),
            csrf_token text NOT NULL,
            created_ms bigint NOT NULL,
            last_seen_ms bigint NOT NULL,
            idle_ms bigint NOT NULL,
            absolute_expires_ms bigint NOT NULL
        )""",
        "CREATE INDEX sessions_by_person ON sessions (staff_id)",
        """CREATE TABLE break_glass (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            staff_id text NOT NULL REFERENCES people (staff_id),
            record text NOT NULL,
            reason text NOT NULL,
            at_ms bigint NOT NULL
        )""",
        "CREATE INDEX break_glass_by_person ON break_glass (staff_id, record, at_ms)",
        "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)",
    ],
    [
        """CREATE TABLE clients (
            client_id text PRIMARY KEY,
            name text NOT NULL,
            role text NOT NULL,
            staff_id text REFERENCES people (staff_id),
            token_hash bytea NOT NULL UNIQUE,
            created_ms bigint NOT NULL,
            expires_ms bigint NOT NULL,
            revoked_ms bigint,
            issued_by text NOT NULL,
            last_used_ms bigint
        )""",
        "CREATE INDEX clients_by_name ON clients (name)",
    ],
]

_PLACEHOLDER = re.compile(r"\?")


def accounts_schema(log_schema: str) -> str:
    """Return the schema that holds the accounts of the log kept in `log_schema`."""
    name = "carechain_accounts" if log_schema == "public" else f"{log_schema}_accounts"
    if len(name.encode()) > 63:  # NAMEDATALEN - 1
        name = "acc_" + hashlib.sha256(log_schema.encode()).hexdigest()[:40]
    return name


def _log_schema(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT current_schemas(false)").fetchone()
    schemas = list(row[0]) if row and row[0] else []
    first = conn.execute("SHOW search_path").fetchone()
    named = str(first[0]).split(",")[0].strip().strip('"') if first else ""
    if named and named != "$user":
        return named
    return str(schemas[0]) if schemas else "public"


def _lock_key(schema: str) -> int:
    digest = hashlib.sha256(f"carechain-accounts:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _Tx:
    """A transaction's statements, with SQLite placeholders turned into psycopg's."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, statement: str, args: tuple[object, ...] = ()) -> Cursor:
        cursor: Cursor = self.conn.execute(_PLACEHOLDER.sub("%s", statement), args)
        return cursor


class PostgresDatabase(Database):
    """One node's accounts in its PostgreSQL database."""

    IntegrityError: ClassVar[type[Exception]] = psycopg.errors.IntegrityError
    engine = "postgresql"

    def __init__(self, url: str) -> None:
        super().__init__()
        try:
            self.conn: psycopg.Connection[Any] = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the accounts database: {exc}") from None
        self.schema = accounts_schema(_log_schema(self.conn))
        self._migrate()
        self.conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))

    def _migrate(self) -> None:
        schema = sql.Identifier(self.schema)
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(self.schema),))
            self.conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            self.conn.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {}.migrations (version int PRIMARY KEY)")
                .format(schema)
            )
        for version, statements in enumerate(MIGRATIONS, start=1):
            with self.conn.transaction():
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(self.schema),))
                self.conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(schema))
                applied = {int(v) for (v,) in self.conn.execute("SELECT version FROM migrations")}
                if applied and max(applied) > len(MIGRATIONS):
                    raise StoreError(
                        f"accounts schema is v{max(applied)}, newer than this code"
                    )
                if version in applied:
                    continue
                for statement in statements:
                    self.conn.execute(statement)
                self.conn.execute("INSERT INTO migrations (version) VALUES (%s)", (version,))

    @contextmanager
    def tx(self) -> Iterator[_Tx]:
        """Hold the lock and run one durable transaction; roll back on any error."""
        with self.lock, self.conn.transaction():
            yield _Tx(self.conn)

    def read(self, statement: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Return every row of a query."""
        with self.lock:
            return list(_Tx(self.conn).execute(statement, args).fetchall())

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self.conn.close()


def drop_accounts_schema(url: str) -> None:
    """Drop the accounts schema beside the log a URL selects (tests and clean-up)."""
    with psycopg.connect(url, autocommit=True) as conn:
        schema = accounts_schema(_log_schema(conn))
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
