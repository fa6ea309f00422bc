"""The JSON API's tests call it as an API client would: with a bearer token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.node import Node
from carechain.operations.door import accounts_key
from carechain.testing import api_token


@pytest.fixture
def accounts(crew: Node) -> Iterator[AccountStore]:
    """The crew node's accounts (in memory)."""
    store = AccountStore(":memory:", accounts_key(crew), cost=FAST_FOR_TESTS)
    yield store
    store.close()


def client_for(node: Node, accounts: AccountStore, staff_id: str = "P100234",
               role: str | None = None) -> TestClient:
    """Return a test client of the node's API carrying a token that acts as `staff_id`."""
    token = api_token(accounts, node, staff_id=staff_id, role=role)
    client = TestClient(create_app(node, accounts=accounts))
    client.headers["Authorization"] = f"Bearer {token}"
    return client
