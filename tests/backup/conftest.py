"""Backup fixtures: a node with records on each engine, and fresh PostgreSQL schemas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from carechain.testing import Trust
from tests.backup.support import World, fresh_pg, make_world


@pytest.fixture
def schemas() -> Iterator[Callable[[], str]]:
    """Yield a maker of fresh PostgreSQL schemas, all dropped afterwards."""
    from carechain.store.postgres import drop_schema

    made: list[str] = []

    def make() -> str:
        made.append(fresh_pg())
        return made[-1]

    yield make
    from carechain.accounts._pg import drop_accounts_schema

    for url in made:
        drop_schema(url)
        drop_accounts_schema(url)  # the accounts beside a log kept there


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path, trust: Trust,
          schemas: Callable[[], str]) -> Iterator[World]:
    """Yield a hub with records, people and bookkeeping, its log on each engine."""
    database = schemas() if request.param == "postgresql" else None
    w = make_world(tmp_path, trust, database=database)
    yield w
    w.node.close()
