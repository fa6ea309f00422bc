"""The storage engines every contract test runs against: SQLite, and PostgreSQL over a
real connection (CARECHAIN_TEST_PG, default the local `test` database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.store import Store, open_store

PG_URL = os.environ.get("CARECHAIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def fresh_pg_url() -> str:
    """Return the URL of a new, empty PostgreSQL schema (dropped at exit by `pg_schema`)."""
    return f"{PG_URL}?options=-csearch_path%3Dcc_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """Yield the URL of a fresh PostgreSQL schema, dropped afterwards."""
    from carechain.store.postgres import create_schema, drop_schema

    url = fresh_pg_url()
    create_schema(url)
    try:
        yield url
    finally:
        drop_schema(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield a URL for an empty store on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    yield request.getfixturevalue("pg_url")


@pytest.fixture
def store(engine_url: str) -> Iterator[Store]:
    """Yield an open, empty store on each engine."""
    s = open_store(engine_url)
    try:
        yield s
    finally:
        s.close()
