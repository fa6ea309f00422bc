"""A hub and a vault on PostgreSQL (over a real connection): the hub's database is lost,
the rebuild reads the vault from its database and writes the hub's into a new one, the
independent verification reads both, and every node resumes with no alert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carechain.app import create_app
from carechain.cli import app
from carechain.node import Node
from carechain.store.postgres import create_schema, drop_schema
from carechain.testing import Trust, make_node
from tests.recovery.support import hub_ids
from tests.store.engines import fresh_pg_url
from tests.sync.harness import Chain, document_stemi
from tests.sync.hostile import HUB_SECRET, alerts

NODES = ("crew-1", "hospital-a", "vault")


@pytest.fixture
def schemas() -> Iterator[list[str]]:
    """Fresh PostgreSQL schemas: [the hub's, the vault's, the rebuilt hub's]."""
    urls = [fresh_pg_url() for _ in range(3)]
    for url in urls:
        create_schema(url)
    try:
        yield urls
    finally:
        for url in urls:
            drop_schema(url)


def _on_postgres(chain: Chain, home: Path, trust: Trust, name: str, role: str, url: str) -> None:
    make_node(home / name, trust, role=role, name=name).close()
    node = Node.open(home / name, HUB_SECRET, store_url=url)
    chain.nodes[name] = node
    chain.clients[name] = TestClient(create_app(node))


def test_a_postgresql_hub_rebuilt_from_a_postgresql_vault(
    tmp_path: Path, trust: Trust, schemas: list[str]
) -> None:
    hub_url, vault_url, new_url = schemas
    chain = Chain()
    try:
        _on_postgres(chain, tmp_path, trust, "hub", "hub", hub_url)
        _on_postgres(chain, tmp_path, trust, "vault", "vault", vault_url)
        chain.add(tmp_path, trust, "crew-1", "crew")
        chain.add(tmp_path, trust, "hospital-a", "hospital")
        for name in ("vault", "hospital-a", "crew-1", "vault", "hospital-a"):
            chain.sync(name, "hub")
        document_stemi(chain)
        for name in NODES:
            chain.sync(name, "hub")
        before = hub_ids(chain.nodes["hub"])
        chain.clients["hub"].close()
        chain.nodes["hub"].close()  # its database is lost: the rebuild writes a new one
        vault = f"{tmp_path / 'vault'}={vault_url}"
        result = CliRunner().invoke(app, [
            "hub", "rebuild", "--dir", str(tmp_path / "hub"), "--database", new_url,
            "--from", vault, "--from", str(tmp_path / "hospital-a"),
            "--from", str(tmp_path / "crew-1"), "--secret", HUB_SECRET,
        ])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "complete: every head proven" in result.output
        result = CliRunner().invoke(app, [
            "verify", "--log", new_url, "--trust-dir", str(trust.home.path),
            "--heads-from", vault, "--heads-from", str(tmp_path / "hospital-a"),
            "--heads-from", str(tmp_path / "crew-1"),
        ])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "clean: every entry verifies and every head holds" in result.output
        hub = Node.open(tmp_path / "hub", HUB_SECRET, store_url=new_url)
        chain.nodes["hub"] = hub
        chain.clients["hub"] = TestClient(create_app(hub))
        assert hub_ids(hub) == before
        document_stemi(chain)
        for name in NODES:
            chain.sync(name, "hub")
            assert alerts(chain.nodes[name]) == [], name
    finally:
        chain.close()
