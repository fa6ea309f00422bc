"""Bounded fuzzing of the authenticated JSON API from its own OpenAPI document
(schemathesis): no answer is a 5xx, and a refused request stores nothing clinical."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.node import Node
from carechain.operations.door import accounts_key
from carechain.testing import api_token, make_node, make_trust


@dataclass
class Fuzzed:
    node: Node
    accounts: AccountStore
    token: str
    record: str


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    root: Path = tmp_path_factory.mktemp("fuzz")
    node = make_node(root / "crew", make_trust(root / "trust"), role="crew", name="crew-1")
    accounts = AccountStore(":memory:", accounts_key(node), cost=FAST_FOR_TESTS)
    token = api_token(accounts, node, staff_id="P100234")
    record, _ = node.open_record(user="P100234", data={"callsign": "RRV-412"})
    yield Fuzzed(node, accounts, token, record.hex())
    accounts.close()
    node.close()


def _clinical(node: Node) -> int:
    return sum(1 for s in node.store.since(0, 1_000_000) if s.entry.header.cls != "audit")


def _operations(fuzzed: Fuzzed) -> list[schemathesis.APIOperation]:
    app = create_app(fuzzed.node, accounts=fuzzed.accounts)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/records")
    return [result.ok() for result in schema.get_all_operations()]


def test_no_5xx_and_a_refusal_stores_nothing(fuzzed: Fuzzed) -> None:
    """Each operation of the JSON API, fed what its schema allows and what it does not
    (schemathesis' generated cases; bounded per operation)."""
    operations = _operations(fuzzed)
    assert len(operations) >= 10
    headers = {"Authorization": f"Bearer {fuzzed.token}"}
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    for operation, mode in itertools.product(operations, modes):
        # Half the cases name the record that exists, so they reach past "not found".
        known = {"record_id": fuzzed.record} if "{record_id}" in operation.path else None
        strategies = [operation.as_strategy(mode)]
        if known is not None:
            strategies.append(operation.as_strategy(mode, path_parameters=known))

        @given(case=st.one_of(strategies))
        @settings(max_examples=20, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            before = _clinical(fuzzed.node)
            response = case.call(headers=headers)
            label = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{label}: {response.text}"
            if response.status_code >= 400:
                assert _clinical(fuzzed.node) == before, label
                assert response.headers["content-type"][0].startswith(
                    "application/problem+json"), label

        call()
