"""The dispatch tests' hub (with a CAD's bearer token) and two crew nodes it knows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.node import Node
from carechain.node.audit import read_audit
from carechain.operations.door import accounts_key
from carechain.sync.client import sync_with
from carechain.testing import Trust, api_token, make_node
from tests.web.conftest import PASSWORD, PIN, Site, make_site

__all__ = ["CAD", "SECRET_TEXT", "Hub", "audit_of", "bearer", "offers_of"]

CAD = {
    "incident_number": "INC-20261203-0042",
    "call_received": "2026-12-03T14:02:11Z",
    "category": 2,
    "chief_complaint": "Chest pain",
    "triage": [{"system": "AMPDS", "code": "10-D-01", "text": "Chest pain: not alert"}],
    "location": {"address": "14 Example Road, Exampletown EX1 2AB", "lat": 51.5, "lon": -0.12},
    "resources": [{"callsign": "ALPHA-1", "node": "crew-1"}],
}
SECRET_TEXT = b"14 Example Road"  # on the hub only as ciphertext


@dataclass
class Hub:
    node: Node
    accounts: AccountStore
    client: TestClient
    token: str
    path: Path

    def files_hold(self, text: bytes) -> bool:
        """Return whether any file of the hub (database, WAL, accounts) holds `text`."""
        return any(text in f.read_bytes() for f in self.path.rglob("*") if f.is_file())

    def post(self, body: Any, token: str | None = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token != "":
            headers["Authorization"] = f"Bearer {token or self.token}"
        return self.client.post("/dispatch/v1/incidents", content=data, headers=headers)

    def kept(self) -> list[tuple[str, bytes]]:
        return self.node.store.meta_items("dispatch/")


@pytest.fixture
def hub(tmp_path: Path, trust: Trust) -> Iterator[Hub]:
    node = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    accounts = AccountStore(tmp_path / "hub" / "accounts.db", accounts_key(node),
                            cost=FAST_FOR_TESTS)
    accounts.create_person("AU1", "Ari Auditor", "auditor", PASSWORD, node_role="hub",
                           now_ms=node.clock_ms())  # the accounts are a hub's
    _, token = accounts.issue_client("Example CAD", role="dispatcher", staff_id=None,
                                     expires_ms=node.clock_ms() + 86_400_000,
                                     issued_by="tests", now_ms=node.clock_ms())
    client = TestClient(create_app(node, accounts=accounts), base_url="http://127.0.0.1")
    yield Hub(node, accounts, client, token, tmp_path / "hub")
    client.close()
    accounts.close()
    node.close()


def _crew(tmp_path: Path, trust: Trust, name: str, hub: Hub) -> Site:
    site = make_site(tmp_path / name, trust, "crew", name,
                     [("P100234", "Sam Patel", "paramedic", PIN)])
    sync_with(site.node, hub.client)  # the hub learns the crew node's certificate
    return site


@pytest.fixture
def crews(tmp_path: Path, trust: Trust, hub: Hub) -> Iterator[tuple[Site, Site]]:
    one, two = _crew(tmp_path, trust, "crew-1", hub), _crew(tmp_path, trust, "crew-2", hub)
    yield one, two
    for site in (one, two):
        site.client.close()
        site.accounts.close()
        site.node.close()


def bearer(site: Site) -> dict[str, str]:
    return {"Authorization": "Bearer " + api_token(site.accounts, site.node)}


def offers_of(site: Site, hub: Hub) -> list[dict[str, Any]]:
    sync_with(site.node, hub.client)
    r = site.client.get("/dispatch/offers", headers=bearer(site))
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()
    return out


def audit_of(node: Node, action: str) -> list[dict[str, Any]]:
    return [e for e in read_audit(node) if e["action"] == action]
