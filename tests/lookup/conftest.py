"""A trust's chain for lookup tests: a hub, a records vault and two crew nodes (their JSON
API as a paramedic's bearer token), synced through the hub as in service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.lookup.client import Pds
from carechain.lookup.queue import LookupQueue
from carechain.node import Node
from carechain.operations.door import accounts_key
from carechain.sync.client import sync_with
from carechain.testing import Trust, api_token, make_node

NHS = "9434765919"
OTHER_NHS = "4010232137"


@dataclass
class Crew:
    node: Node
    accounts: AccountStore
    client: TestClient
    queue: LookupQueue
    headers: dict[str, str]

    def post(self, path: str, body: Any, expect: int = 201) -> Any:
        r = self.client.post(path, json=body, headers=self.headers)
        assert r.status_code == expect, r.text
        return r.json()

    def get(self, path: str, expect: int = 200) -> Any:
        r = self.client.get(path, headers=self.headers)
        assert r.status_code == expect, r.text
        return r.json()

    def open_record(self, patient: dict[str, Any] | None = None) -> str:
        rid = str(self.post("/records", {"data": {"callsign": "ALPHA-1"}})["record_id"])
        if patient is not None:
            self.post(f"/records/{rid}/entries", {"kind": "patient.recorded", "data": patient})
        return rid


def make_crew(path: Path, trust: Trust, name: str, pds: Pds | None = None) -> Crew:
    node = make_node(path, trust, role="crew", name=name)
    accounts = AccountStore(path / "accounts.db", accounts_key(node), cost=FAST_FOR_TESTS)
    queue = LookupQueue(node, pds)
    client = TestClient(create_app(node, accounts=accounts, lookup_queue=queue),
                        base_url="http://127.0.0.1")
    headers = {"Authorization": "Bearer " + api_token(accounts, node)}
    return Crew(node, accounts, client, queue, headers)


@dataclass
class Chain:
    hub: Node
    hub_client: TestClient
    vault: Node
    crews: tuple[Crew, Crew]
    hub_dir: Path

    def sync(self, *nodes: Node) -> None:
        for node in nodes:
            sync_with(node, self.hub_client)


    def close(self) -> None:
        for crew in self.crews:
            crew.client.close()
            crew.accounts.close()
            crew.node.close()
        self.hub_client.close()
        self.vault.close()
        self.hub.close()


def build_chain(tmp_path: Path, trust: Trust, pds: Pds | None = None) -> Chain:
    """Return a hub, a vault and two crew nodes (the second with `pds`), introduced."""
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    hub_client = TestClient(create_app(hub), base_url="http://127.0.0.1")
    vault = make_node(tmp_path / "vault", trust, role="vault", name="vault-records")
    crews = (make_crew(tmp_path / "crew-1", trust, "crew-1"),
             make_crew(tmp_path / "crew-2", trust, "crew-2", pds))
    out = Chain(hub, hub_client, vault, crews, tmp_path / "hub")
    out.sync(vault, *(c.node for c in crews))  # everyone learns everyone's certificate
    out.sync(vault, *(c.node for c in crews))
    return out


@pytest.fixture
def chain(tmp_path: Path, trust: Trust) -> Iterator[Chain]:
    out = build_chain(tmp_path, trust)
    yield out
    out.close()
