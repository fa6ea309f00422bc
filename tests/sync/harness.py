"""A chain of real nodes in one process: each served by its own ASGI app, reached over
httpx (Starlette's TestClient), so sync runs the real protocol without sockets."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from carechain.app import create_app
from carechain.demo import chest_pain_stemi
from carechain.node import Node
from carechain.sync.client import SyncReport, sync_with
from carechain.testing import Trust, make_node


@dataclass
class Chain:
    """Named nodes and an HTTP client for each."""

    nodes: dict[str, Node] = field(default_factory=dict)
    clients: dict[str, TestClient] = field(default_factory=dict)

    def add(self, path: Path, trust: Trust, name: str, role: str) -> Node:
        node = make_node(path / name, trust, role=role, name=name)
        self.nodes[name] = node
        self.clients[name] = TestClient(create_app(node))
        return node

    def sync(self, a: str, b: str) -> SyncReport:
        """Node a runs one sync round with node b."""
        return sync_with(self.nodes[a], self.clients[b])

    def close(self) -> None:
        for c in self.clients.values():
            c.close()
        for n in self.nodes.values():
            n.close()


def hub_crew_hospital(path: Path, trust: Trust) -> Iterator[dict[str, Node]]:
    """Yield a hub, a crew node and a hospital node (each to be served by the caller), and
    close them afterwards: the body of a pytest fixture."""
    made = {
        "hub": make_node(path / "hub", trust, role="hub", name="hub"),
        "crew": make_node(path / "crew", trust, name="crew-1"),
        "hospital": make_node(path / "hospital", trust, role="hospital", name="hospital-a"),
    }
    yield made
    for n in made.values():
        n.close()


def standard_chain(path: Path, trust: Trust) -> Chain:
    """Return crew-1, hub, hospital-a, vault, introduced to each other through the hub."""
    chain = Chain()
    chain.add(path, trust, "hub", "hub")
    chain.add(path, trust, "crew-1", "crew")
    chain.add(path, trust, "hospital-a", "hospital")
    chain.add(path, trust, "vault", "vault")
    for name in ("vault", "hospital-a", "crew-1", "vault", "hospital-a"):
        chain.sync(name, "hub")
    return chain


def document_stemi(chain: Chain, crew: str = "crew-1", hospital: str = "hospital-a") -> bytes:
    """Play the chest-pain STEMI case on a crew node, addressed to a hospital."""
    node = chain.nodes[crew]
    case = chest_pain_stemi()
    record, _ = node.open_record(user="P1", data=case.opened)
    for kind, data in case.at(datetime(2026, 11, 26, 9, 0, tzinfo=UTC)):
        if kind == "disposition.recorded":
            data = {**data, "hospital_node": hospital}
        node.append(record=record, user="P1", kind=kind, data=data)
    return record


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll until the predicate holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")
