"""The demonstration's previous call: the patient in the chest-pain case was seen by the
other crew three weeks earlier; the first crew asks for previous calls, the records vault
matches and grants that record, and it reaches the first crew's tablet through the hub
(docs/previous-calls.md). Everything goes through the door, as the paramedics would."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from carechain.demo.chain import DemoChain
from carechain.operations import Actor, Door, lookups, records

__all__ = ["CURRENT_CREW", "EARLIER_CREW", "acting", "ask_for_previous_calls", "earlier_call",
           "wait_for_vault"]

EARLIER_CREW = "crew-ambulance-217"
CURRENT_CREW = "crew-ambulance-412"


def acting(chain: DemoChain, node: str, staff_id: str) -> tuple[Door, Actor]:
    """Return a demo node's door and one of its people, as they act on the tablet."""
    site = chain.nodes[node]
    person = site.accounts.person(staff_id)
    assert person is not None
    door = site.app.state.door if site.app is not None else Door(site.node, site.accounts)
    return door, Actor.person(person, "cli")


def wait_for_vault(chain: DemoChain, node: str, wait_s: float = 30.0) -> None:
    """Wait until a crew knows the trust's records vault (through the hub), so that the
    records it opens are encrypted to the vault too."""
    deadline = time.monotonic() + wait_s
    while not chain.nodes[node].node.directory.nodes("vault"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{node} has not learnt of the records vault")
        time.sleep(0.1)


def earlier_call(chain: DemoChain, patient: dict[str, Any]) -> bytes:
    """Document, on the other crew, a call to the same patient three weeks ago (chest
    tightness on exertion, settled; referred to his GP), and return its record id."""
    wait_for_vault(chain, EARLIER_CREW)
    door, paramedic = acting(chain, EARLIER_CREW, "P100981")
    called = (datetime.now(UTC) - timedelta(days=21)).replace(microsecond=0)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("incident.recorded", {"incident_number": "ECA-2611-0217", "category": 3,
                               "dispatch_complaint": "Chest tightness, 67M",
                               "call_received": called.isoformat()}),
        ("patient.recorded", patient),
        ("history.recorded", {"presenting_complaint": "Chest tightness walking uphill, "
                                                      "settled with rest",
                              "past_medical_history": ["hypertension", "type 2 diabetes"],
                              "medications": ["ramipril 5 mg", "metformin 500 mg"],
                              "no_known_allergies": True}),
        ("impression.recorded", {"working_impression": "Exertional chest pain, ECG "
                                                       "unremarkable: referred to his GP "
                                                       "for a chest pain clinic"}),
    ]
    with door.unit() as uow:
        record, _ = records.open_record(door, paramedic, uow, data={"callsign": "ALPHA-217"})
    for kind, data in steps:
        with door.unit() as uow:
            records.append(door, paramedic, uow, record=record, kind=kind, data=data)
    return record


def ask_for_previous_calls(chain: DemoChain, record: bytes, earlier: bytes,
                           wait_s: float = 30.0) -> bool:
    """Ask, on the first crew, for the patient's previous calls once the vault holds the
    earlier one; return whether it reached the first crew within `wait_s`."""
    vault = chain.nodes["vault-records"].node
    current = chain.nodes[CURRENT_CREW].node
    deadline = time.monotonic() + wait_s
    while not vault.holds(earlier) and time.monotonic() < deadline:
        time.sleep(0.2)  # the earlier call reaches the vault through the hub
    door, paramedic = acting(chain, CURRENT_CREW, "P100234")
    with door.unit() as uow:
        lookups.request_previous(door, paramedic, uow, record=record)
    chain.nodes[CURRENT_CREW].loop.kick()
    while time.monotonic() < deadline:
        if current.holds(earlier):
            return True
        time.sleep(0.2)
    return False
