"""The accounts' storage engines, for tools that move accounts between them (backups): an
SQLite file or the PostgreSQL schema beside a node's log, the tables in the order their
foreign keys need, and copying a file's rows into an empty database."""

from carechain.accounts._db import Database, SqliteDatabase, open_database
from carechain.accounts._pg import PostgresDatabase, accounts_schema, drop_accounts_schema
from carechain.accounts.backfill import TABLES, copy_file_into

__all__ = [
    "TABLES",
    "Database",
    "PostgresDatabase",
    "SqliteDatabase",
    "accounts_schema",
    "copy_file_into",
    "drop_accounts_schema",
    "open_database",
]
