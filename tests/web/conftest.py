"""Web fixtures: a node with accounts, served through its real app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.node import Node
from carechain.testing import Trust, make_node
from carechain.web import accounts_key

PIN = "482913"
PASSWORD = "correct horse battery staple"


@dataclass
class Site:
    """A node, its accounts and a browser-like client."""

    node: Node
    accounts: AccountStore
    client: TestClient
    totp: dict[str, str]

    def login(self, staff_id: str, secret: str, totp: str = "") -> None:
        page = self.client.get("/login")
        assert page.status_code == 200
        r = self.client.post("/login", data={"staff_id": staff_id, "secret": secret,
                                             "totp": totp, "next": "/"},
                             follow_redirects=False)
        assert r.status_code == 303, r.text

    def csrf(self, path: str) -> str:
        import re

        html = self.client.get(path).text
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        assert found, f"no CSRF token on {path}"
        return found.group(1)


def make_site(path: Path, trust: Trust, role: str, name: str,
              people: list[tuple[str, str, str, str]]) -> Site:
    node = make_node(path, trust, role=role, name=name)
    accounts = AccountStore(path / "accounts.db", accounts_key(node), cost=FAST_FOR_TESTS)
    totp: dict[str, str] = {}
    for staff_id, display, person_role, secret in people:
        _, uri = accounts.create_person(staff_id, display, person_role, secret, node_role=role,
                                        now_ms=node.clock_ms())
        if uri:
            totp[staff_id] = pyotp.parse_uri(uri).secret
    client = TestClient(create_app(node, accounts=accounts), base_url="http://127.0.0.1")
    return Site(node, accounts, client, totp)


@pytest.fixture
def crew_site(tmp_path: Path, trust: Trust) -> Iterator[Site]:
    site = make_site(tmp_path / "crew", trust, "crew", "crew-1", [
        ("P100234", "Sam Patel", "paramedic", PIN),
        ("T200117", "Alex Brown", "technician", "739201"),
    ])
    yield site
    site.client.close()
    site.accounts.close()
    site.node.close()
