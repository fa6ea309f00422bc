"""Fixtures: accounts stores in memory at the cheapest hash cost, and a movable clock."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from tests.store.engines import PG_URL

KEY = bytes(range(32))
NOW = 1_718_000_000_000  # June 2024, in ms
PIN = "2580"
PASSWORD = "violet tractor harbour"
RECORD = "00112233445566778899aabbccddeeff"


def totp_secret(uri: str | None) -> str:
    """Return the base32 secret inside an otpauth:// URI."""
    assert uri is not None
    found = re.search(r"[?&]secret=([A-Z2-7]+)", uri)
    assert found is not None, uri
    return found.group(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest) -> Iterator[str]:
    """Yield where a fresh accounts database lives, on each engine: SQLite in memory, or
    PostgreSQL beside a new log schema (dropped afterwards)."""
    if request.param == "sqlite":
        yield ":memory:"
        return
    from carechain.accounts._pg import drop_accounts_schema

    url = f"{PG_URL}?options=-csearch_path%3Dcc_{uuid.uuid4().hex[:12]}"
    try:
        yield url
    finally:
        drop_accounts_schema(url)


@pytest.fixture
def crew(where: str) -> Iterator[AccountStore]:
    """Return a crew node's accounts with paramedic P1 (PIN 2580) and technician T1."""
    store = AccountStore(where, KEY, cost=FAST_FOR_TESTS)
    store.create_person("P1", "Sam Smith", "paramedic", PIN, node_role="crew", now_ms=NOW)
    store.create_person("T1", "Alex Jones", "technician", "4826", node_role="crew", now_ms=NOW)
    yield store
    store.close()


@pytest.fixture
def hospital(where: str) -> Iterator[AccountStore]:
    """Return a hospital node's accounts with ED clinician E1 and auditor A1."""
    store = AccountStore(where, KEY, cost=FAST_FOR_TESTS)
    store.create_person("E1", "Dr Kim Lee", "ed_clinician", PASSWORD, node_role="hospital",
                        now_ms=NOW)
    store.create_person("A1", "Pat Audit", "auditor", PASSWORD, node_role="hospital",
                        now_ms=NOW)
    yield store
    store.close()
