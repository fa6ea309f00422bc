"""The node's unit of work: what is drafted in one is stored together, or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from carechain.errors import FieldInvalid, Forbidden
from carechain.node import Node
from carechain.node.audit import audit_record, read_audit, write_audit
from carechain.testing import Trust, make_node

OPENED = {"callsign": "RRV-412"}
OBS = {"taken_at": "2024-05-01T14:32:00+00:00", "pulse": 88}
EVENT = {"v": 1, "action": "record.view", "staff_id": "P1", "role": "paramedic",
         "at_ms": 1_714_574_000_000, "outcome": "success",
         "record": "00112233445566778899aabbccddeeff", "detail": {}}


def test_entries_of_one_unit_are_stored_in_one_transaction(crew: Node) -> None:
    appends: list[int] = []
    real = crew.store.append

    def counting(entries):  # type: ignore[no-untyped-def]
        appends.append(len(entries))
        return real(entries)

    crew.store.append = counting  # type: ignore[method-assign]
    with crew.unit() as unit:
        record, opened = crew.open_record(user="P1", data=OPENED, uow=unit)
        obs = crew.append(record=record, user="P1", kind="observation.recorded", data=OBS,
                          uow=unit)
        write_audit(crew, {**EVENT, "record": record.hex()}, uow=unit)
        with pytest.raises(RuntimeError):
            _ = obs.seq  # not stored yet
    # grant + opened + observation + the audit record's grant + the audit event
    assert appends == [5]
    assert obs.entry.header.parents == (opened.entry.id,)
    assert obs.seq == opened.seq + 1
    assert [e["action"] for e in read_audit(crew)] == ["record.view"]


def test_a_unit_that_raises_stores_nothing_and_the_next_write_descends_from_the_log(
    crew: Node,
) -> None:
    record, opened = crew.open_record(user="P1", data=OPENED)
    before = crew.store.count()
    with pytest.raises(FieldInvalid), crew.unit() as unit:
        crew.append(record=record, user="P1", kind="observation.recorded", data=OBS, uow=unit)
        write_audit(crew, {**EVENT, "record": record.hex()}, uow=unit)
        crew.append(record=record, user="P1", kind="observation.recorded",
                    data={**OBS, "pulse": -5}, uow=unit)
    assert crew.store.count() == before
    assert read_audit(crew) == []
    after = crew.append(record=record, user="P1", kind="observation.recorded", data=OBS)
    assert after.entry.header.parents == (opened.entry.id,)
    assert len(crew.state(record)["items"]["observations"]) == 1


def test_a_new_record_that_fails_leaves_no_key_behind(crew: Node) -> None:
    before = crew.store.count()
    with pytest.raises(FieldInvalid), crew.unit() as unit:
        record, _ = crew.open_record(user="P1", data=OPENED, uow=unit)
        crew.append(record=record, user="P1", kind="observation.recorded",
                    data={**OBS, "spo2": 140}, uow=unit)
    assert crew.store.count() == before
    assert record not in crew._content_keys


def test_a_hub_writes_no_record(tmp_path: Path, trust: Trust) -> None:
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    try:
        before = hub.store.count()
        with pytest.raises(Forbidden):
            hub.open_record(user="anyone", data=OPENED)
        assert hub.store.count() == before
        write_audit(hub, EVENT)  # its own audit trail it does write
        assert hub.store.record(audit_record(hub))
    finally:
        hub.close()
