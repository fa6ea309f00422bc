"""The node checks clinical times against its own clock when it writes them (issue 10,
item 2): a set dated ahead is refused and nothing is stored, by every writing path; the
demo's own case no longer writes one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from carechain.demo import chest_pain_stemi, cyclist_femur_tourniquet, motorcyclist_femur
from carechain.entries import FakeClock
from carechain.errors import FieldInvalid
from carechain.node import Node
from carechain.testing import Trust, make_node

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(int(NOW.timestamp() * 1000))


@pytest.fixture
def node(tmp_path: Path, trust: Trust, clock: FakeClock) -> Iterator[Node]:
    crew = make_node(tmp_path / "crew", trust, clock=clock)
    yield crew
    crew.close()


def _record(node: Node, call: datetime | None = None) -> bytes:
    record, _ = node.open_record(user="P1", data={"callsign": "RRV-412"})
    if call is not None:
        node.append(
            record=record,
            user="P1",
            kind="incident.recorded",
            data={"call_received": call.isoformat()},
        )
    return record


def _obs(at: datetime, **data: Any) -> dict[str, Any]:
    return {"taken_at": at.isoformat(), "pulse": 80, **data}


def test_a_set_dated_tomorrow_is_refused_and_nothing_stored(node: Node) -> None:
    record = _record(node)
    before = node.store.count()
    with pytest.raises(FieldInvalid) as caught:
        node.append(
            record=record,
            user="P1",
            kind="observation.recorded",
            data=_obs(NOW + timedelta(days=1)),
        )
    assert caught.value.field == "data.taken_at"
    assert caught.value.rule.startswith("must not be in the future")
    assert node.store.count() == before


def test_within_the_allowance_is_accepted(node: Node) -> None:
    record = _record(node)
    node.append(
        record=record,
        user="P1",
        kind="observation.recorded",
        data=_obs(NOW + timedelta(minutes=2)),
    )


def test_before_the_call_is_refused(node: Node) -> None:
    record = _record(node, call=NOW - timedelta(minutes=30))
    with pytest.raises(FieldInvalid) as caught:
        node.append(
            record=record,
            user="P1",
            kind="observation.recorded",
            data=_obs(NOW - timedelta(hours=2)),
        )
    assert caught.value.rule.startswith("must not be before the incident began")


def test_an_amendment_cannot_move_a_set_into_the_future(node: Node) -> None:
    record = _record(node)
    stored = node.append(record=record, user="P1", kind="observation.recorded", data=_obs(NOW))
    before = node.store.count()
    with pytest.raises(FieldInvalid) as caught:
        node.amend(
            record=record,
            user="P1",
            supersedes=stored.entry.hex,
            reason="wrong time",
            data=_obs(NOW + timedelta(hours=1)),
        )
    assert caught.value.field == "data.taken_at"
    assert node.store.count() == before


def test_a_batch_cannot_carry_a_set_into_the_future(node: Node) -> None:
    record = _record(node)
    before = node.store.count()
    with pytest.raises(FieldInvalid):
        node.append_many(
            user="P1",
            items=[(record, "observation.recorded", _obs(NOW + timedelta(hours=1)))],
        )
    assert node.store.count() == before


def test_a_monitor_frame_from_a_fast_clock_is_refused(node: Node) -> None:
    record = _record(node)
    ahead = (NOW + timedelta(minutes=6)).isoformat()
    with pytest.raises(FieldInvalid) as caught:
        node.append(record=record, user="P1", kind="vitals.frame", data={"at": ahead, "spo2": 97})
    assert caught.value.field == "data.at"


def test_a_set_recorded_late_is_kept_and_marked(node: Node, clock: FakeClock) -> None:
    record = _record(node, call=NOW - timedelta(hours=2))
    node.append(
        record=record,
        user="P1",
        kind="observation.recorded",
        data=_obs(NOW - timedelta(minutes=45)),
    )
    [item] = node.state(record)["items"]["observations"]
    assert item["backdated"] is True


@pytest.mark.parametrize(
    "case", [chest_pain_stemi, motorcyclist_femur, cyclist_femur_tourniquet]
)
def test_the_demo_case_writes_nothing_ahead_of_the_clock(
    node: Node, clock: FakeClock, case: Any
) -> None:
    """Fails on the old case: played 20 minutes after the call (as `carechain demo`
    does), it dated a set six minutes ahead and the node now refuses it."""
    record, _ = node.open_record(user="P1", data=case().opened)
    base = NOW - timedelta(minutes=20)
    for kind, data in case().at(base, now=NOW):
        node.append(record=record, user="P1", kind=kind, data=data)
    state = node.state(record)
    latest = max(datetime.fromisoformat(o["taken_at"]) for o in state["items"]["observations"])
    assert latest <= NOW
    assert state["scores"]["news2"]["taken_at"] == latest.isoformat(timespec="seconds")


def test_the_demo_case_keeps_its_times_when_played_in_the_past() -> None:
    case = chest_pain_stemi()
    base = NOW - timedelta(hours=1)
    incident = next(data for kind, data in case.at(base, now=NOW) if kind == "incident.recorded")
    assert incident["call_received"] == base.isoformat()
    assert case.span_minutes == 29


def test_the_check_does_not_read_a_monitored_records_frames(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A monitored record holds a frame a second: checking an observation's time against
    the call must not fold them all (it did: 0.3 s an observation after an hour)."""
    record = _record(node, call=NOW - timedelta(minutes=30))
    for second in range(3):
        at = (NOW - timedelta(seconds=second)).isoformat()
        node.append(record=record, user="P1", kind="vitals.frame", data={"at": at, "spo2": 97})

    def whole_record(_: bytes) -> Any:
        raise AssertionError("the whole record was read")

    monkeypatch.setattr(node.store, "record", whole_record)
    node.append(record=record, user="P1", kind="observation.recorded", data=_obs(NOW))
    with pytest.raises(FieldInvalid):
        node.append(
            record=record,
            user="P1",
            kind="observation.recorded",
            data=_obs(NOW - timedelta(hours=1)),
        )
