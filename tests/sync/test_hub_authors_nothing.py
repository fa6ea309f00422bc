"""A hub relays records and writes none (issue 11, item 5): whatever reaches it, it signs
no clinical entry, so nobody can make the vault block it by asking it to write one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carechain.accounts import FAST_FOR_TESTS, AccountStore, audit_event
from carechain.app import create_app
from carechain.errors import PROBLEM_BASE, Forbidden
from carechain.node import Node
from carechain.node.audit import read_audit, write_audit
from carechain.operations.door import accounts_key
from carechain.testing import Trust, api_token
from tests.sync.harness import Chain
from tests.sync.hostile import alerts


@pytest.fixture
def chain(tmp_path: Path, trust: Trust) -> Iterator[Chain]:
    c = Chain()
    c.add(tmp_path, trust, "hub", "hub")
    c.add(tmp_path, trust, "crew-1", "crew")
    c.add(tmp_path, trust, "vault", "vault")
    for name in ("crew-1", "vault", "crew-1"):
        c.sync(name, "hub")
    yield c
    c.close()


WRITES: dict[str, Callable[[Node, bytes, bytes], Any]] = {
    "open_record": lambda n, r, e: n.open_record(user="P1", data={"callsign": "RRV-1"}),
    "append": lambda n, r, e: n.append(
        record=r, user="P1", kind="note.added", data={"text": "from the hub"}
    ),
    "append_many": lambda n, r, e: n.append_many(
        user="P1", items=[(r, "note.added", {"text": "from the hub"})]
    ),
    "amend": lambda n, r, e: n.amend(
        record=r, user="P1", supersedes=e.hex(), reason="hub", data={"text": "x"}
    ),
    "grant": lambda n, r, e: n.grant(record=r, user="P1", recipients={}),
    "address_to": lambda n, r, e: n.address_to(record=r, user="P1", node_name="vault"),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_hub_refuses_every_way_of_writing_a_record(chain: Chain, write: str) -> None:
    crew, hub = chain.nodes["crew-1"], chain.nodes["hub"]
    record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
    note = crew.append(record=record, user="P1", kind="note.added", data={"text": "crew"})
    chain.sync("crew-1", "hub")
    before = hub.store.count()
    with pytest.raises(Forbidden, match="hub"):
        WRITES[write](hub, record, note.entry.id)
    assert hub.store.count() == before


def test_an_anonymous_post_to_the_hub_writes_nothing_and_the_vault_keeps_syncing(
    chain: Chain,
) -> None:
    """The attack: `POST /records` to the hub, anonymously, made the hub sign a record;
    the vault then blocked the hub for writing outside its own audit record."""
    hub = chain.nodes["hub"]
    before = hub.store.count()
    r = TestClient(create_app(hub)).post(
        "/records", json={"user": "P1", "data": {"callsign": "RRV-1"}}
    )
    assert r.status_code == 401, r.text
    assert r.json()["type"] == PROBLEM_BASE + "not-authenticated"
    accounts = AccountStore(":memory:", accounts_key(hub), cost=FAST_FOR_TESTS)
    client = TestClient(create_app(hub, accounts=accounts))
    client.headers["Authorization"] = f"Bearer {api_token(accounts, hub, staff_id='P1')}"
    r = client.post("/records", json={"data": {"callsign": "RRV-1"}})
    accounts.close()
    assert r.status_code == 404, r.text  # a hub's API has no route that writes a record
    assert r.json()["type"] == PROBLEM_BASE + "not-found"
    assert hub.store.count() == before
    chain.sync("vault", "hub")
    assert alerts(chain.nodes["vault"]) == []


def test_a_hub_still_keeps_its_own_audit_trail_and_nodes_take_it(chain: Chain) -> None:
    hub = chain.nodes["hub"]
    event = audit_event(
        "hub.unblock", staff_id="A1", role="admin", at_ms=hub.clock_ms(), outcome="success"
    )
    write_audit(hub, event)
    assert [e["action"] for e in read_audit(hub)] == ["hub.unblock"]
    chain.sync("vault", "hub")
    assert alerts(chain.nodes["vault"]) == []
