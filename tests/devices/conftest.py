"""A crew node with an MLLP listener on 127.0.0.1 and a record the test monitors feed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.devices import MllpListener, Monitors, default_map
from carechain.node import Node
from carechain.operations import Actor, Door
from carechain.operations import records as ops
from carechain.operations.door import accounts_key
from carechain.testing import make_node, make_trust

PHILIPS = "e86c094f-f751-4acf-92b2-38f11c1f6f57-Device"  # E.1.1: the MDS's OBX-18
ACME = "ACME_Gateway^080019FFFE3ED02D^EUI-64"  # E.1.2: MSH-3 (no equipment id on the MDS)
OURS = "CC_TEST_MONITOR^00A0000000000001^EUI-64"  # the variants' MSH-3


@dataclass
class Crew:
    node: Node
    door: Door
    actor: Actor
    record: bytes
    monitors: Monitors
    listener: MllpListener

    def frames(self) -> list[dict[str, Any]]:
        self.monitors.readings.flush()  # write what is held, as a handover would
        items: list[dict[str, Any]] = self.node.state(self.record)["items"].get("vitals", [])
        return items


@pytest.fixture
def crew(tmp_path: Path) -> Iterator[Crew]:
    node = make_node(tmp_path / "crew", make_trust(tmp_path / "trust"))
    accounts = AccountStore(tmp_path / "crew" / "accounts.db", accounts_key(node),
                            cost=FAST_FOR_TESTS)
    person = accounts.create_person("P1", "Pat Medic", "paramedic", "482913",
                                    node_role="crew", now_ms=node.clock_ms())[0]
    door = Door(node, accounts)
    actor = Actor.person(person, "web")
    with door.unit() as uow:
        record, _ = ops.open_record(door, actor, uow, data={"callsign": "RRV-1"})
    monitors = Monitors(door)
    listener = MllpListener(monitors, default_map(), port=0, max_message=64 * 1024,
                            idle_s=2.0)
    listener.start()
    for monitor in (PHILIPS, ACME, OURS):
        monitors.attach(actor, record, monitor)
    yield Crew(node, door, actor, record, monitors, listener)
    listener.stop()
    accounts.close()
    node.close()


