"""The demonstration's previous call, on the real demo chain (five served nodes syncing in
the background): the first crew sees the patient's earlier call from the other crew."""

from __future__ import annotations

from pathlib import Path

from carechain.accounts import FAST_FOR_TESTS
from carechain.demo import chest_pain_stemi
from carechain.demo.chain import DemoChain
from carechain.demo.previous import (
    CURRENT_CREW,
    acting,
    ask_for_previous_calls,
    earlier_call,
    wait_for_vault,
)
from carechain.operations import lookups, records


def test_the_crew_sees_the_patients_previous_call(tmp_path: Path) -> None:
    chain = DemoChain(tmp_path, interval=0.5, cost=FAST_FOR_TESTS)
    chain.start()
    try:
        patient = dict(next(d for k, d in chest_pain_stemi().steps if k == "patient.recorded"))
        wait_for_vault(chain, CURRENT_CREW)
        door, paramedic = acting(chain, CURRENT_CREW, "P100234")
        with door.unit() as uow:
            record, _ = records.open_record(door, paramedic, uow, data={"callsign": "RRV-412"})
        with door.unit() as uow:
            records.append(door, paramedic, uow, record=record, kind="patient.recorded",
                           data=patient)
        earlier = earlier_call(chain, patient)
        assert ask_for_previous_calls(chain, record, earlier, wait_s=60)
        with door.unit() as uow:
            (request,) = lookups.previous(door, paramedic, uow, record=record)["requests"]
        assert request["state"] == "relationship"
        (shown,) = request["records"]
        assert shown["record_id"] == earlier.hex()
        assert shown["impression"].startswith("Exertional chest pain")
    finally:
        chain.stop()
